// The DeepLog protocol on the HDFS 100k sessions holds the bar (F1 >= 0.68, precision >=
// 0.95).
#include <gtest/gtest.h>
#include <fstream>

#include "learn/torch/hdfs_sessions_eval.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

TEST(HdfsSessionsEval, MeetsBar) {
  AUGUR_REQUIRE_DATASET(dir, "hdfs-100k-sessions");
  HdfsEvalOptions o;
  o.model.threads = 1;
  auto r = EvalHdfsSessions(dir.string(), o);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->tp + r->fn, 57);
  EXPECT_EQ(r->identical_to_normal, 26);
  EXPECT_GE(r->precision, 0.95);
  EXPECT_GE(r->f1, 0.68);
}

TEST(HdfsSessionsEval, BadFileNamesLine) {
  augur::testing::TempDir dir;
  {
    std::ofstream out(dir.path() / "hdfs_100k_sessions.csv");
    out << "split,BlockId,Label,EventSequence\ntrain,blk_1,0,E1 E2\ntrain,blk_2,x,E1\n";
  }
  auto r = ReadHdfsSessions((dir.path() / "hdfs_100k_sessions.csv").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find(":3:"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("Label"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace augur::learn
