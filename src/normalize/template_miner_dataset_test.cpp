// LogHub 2k accuracy with the default miner configuration (raw lines, header detected). The bounds
// are what the miner reaches (docs/BENCHMARKS.md), a little below, so that a regression fails.
#include <gtest/gtest.h>

#include "normalize/loghub_eval.h"
#include "testing/testing.h"

namespace augur::normalize {
namespace {

TEST(TemplateMinerDataset, LoghubAccuracyWithDefaults) {
  AUGUR_REQUIRE_DATASET(dir, "loghub-2k");
  auto systems = FindLoghubSets(dir);
  ASSERT_EQ(systems.size(), 10u);
  LoghubEvalOptions opt;
  double ga = 0, pa = 0, min_ga = 1;
  for (const auto& set : systems) {
    const std::string& s = set.name;
    auto r = EvaluateLoghubSet(set, opt);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->scores.lines, 2000u) << s;
    EXPECT_GE(r->header_agreement, 0.9) << s << ": header detection";
    ga += r->scores.ga;
    pa += r->scores.pa;
    min_ga = std::min(min_ga, r->scores.ga);
    RecordProperty(s + "_ga", std::to_string(r->scores.ga));
  }
  ga /= systems.size();
  pa /= systems.size();
  EXPECT_GE(ga, 0.95);
  EXPECT_GE(pa, 0.85);
  EXPECT_GE(min_ga, 0.83);
}

TEST(TemplateMinerDataset, OriginalTruthAndContentColumn) {
  AUGUR_REQUIRE_DATASET(dir, "loghub-2k");
  LoghubEvalOptions opt;
  opt.corrected = false;
  opt.raw = false;
  auto sets = FindLoghubSets(dir / "HDFS" / "HDFS_2k.log");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].name, "HDFS");
  auto r = EvaluateLoghubSet(sets[0], opt);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->truth_file, "HDFS_2k.log_structured.csv");
  EXPECT_GE(r->scores.ga, 0.99);
}

}  // namespace
}  // namespace augur::normalize
