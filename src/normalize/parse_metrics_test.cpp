#include "normalize/parse_metrics.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/testing.h"

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

TEST(ParseMetrics, CsvQuotesAndErrors) {
  testing::TempDir dir;
  auto p = dir.path() / "t.csv";
  {
    std::ofstream f(p);
    f << "LineId,Content,EventTemplate\r\n1,\"a, \"\"b\"\"\",x\n2,c,\"y\"\n";
  }
  auto t = ReadCsv(p);
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "a, \"b\"");
  EXPECT_EQ(t->Column("EventTemplate"), 2);
  {
    std::ofstream f(p);
    f << "a,b\n1,2,3\n";
  }
  auto bad = ReadCsv(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("row 1"), std::string::npos);
}

}  // namespace
}  // namespace augur::normalize
