#include "normalize/parse_metrics.h"

#include <gtest/gtest.h>

namespace augur::normalize {
namespace {

TEST(ParseMetrics, NormalizeFollowsLoghub2) {
  EXPECT_EQ(NormalizeTemplate("PacketResponder <*> for block blk_<*>  terminating"),
            "PacketResponder <*> for block <*> terminating");
  EXPECT_EQ(NormalizeTemplate("open /var/log/x file"), "open <*> file");
  EXPECT_EQ(NormalizeTemplate("flag true at <*>.<*>:<*>"), "flag <*> at <*>");
  EXPECT_EQ(NormalizeTemplate("count 42 of <*><*>"), "count <*> of <*>");
  EXPECT_EQ(NormalizeTemplate("node-<*> up"), "node-<*> up");
}

TEST(ParseMetrics, GroupingAndParsingAccuracy) {
  std::vector<std::string> truth = {"a <*>", "a <*>", "b <*>", "c"};
  std::vector<std::string> found = {"a <*>", "a <*>", "x <*>", "x <*>"};
  auto s = ScoreParse(truth, found);
  EXPECT_DOUBLE_EQ(s.ga, 0.5);  // group "a" right; b and c merged
  EXPECT_DOUBLE_EQ(s.pa, 0.5);  // two lines with the right text
  EXPECT_EQ(s.templates_truth, 3u);
  EXPECT_EQ(s.templates_found, 2u);
  EXPECT_DOUBLE_EQ(s.pga, 0.5);
  EXPECT_NEAR(s.rga, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(s.pta, 0.5);  // "a <*>" right, "x <*>" not
  EXPECT_NEAR(s.rta, 1.0 / 3, 1e-12);
  auto perfect = ScoreParse(truth, truth);
  EXPECT_DOUBLE_EQ(perfect.ga, 1);
  EXPECT_DOUBLE_EQ(perfect.fta, 1);
}

}  // namespace
}  // namespace augur::normalize
