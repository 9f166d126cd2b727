#include "learn/hdfs_sessions.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/testing.h"

namespace augur::learn {
namespace {

namespace fs = std::filesystem;

TEST(HdfsSessions, EventTracesSplitByOrderOfAppearance) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "preprocessed" / "Event_traces.csv",
                     "BlockId,Label,Type,Features,TimeInterval,Latency\n"
                     "blk_1,Success,,\"[E5,E22,E5]\",\"[0.0, 1.0]\",3\n"
                     "blk_-2,Fail,21,\"[E5,E11]\",[],1\n"
                     "blk_3,Success,,[E7],[],1\n"
                     "blk_4,Success,,\"[E5, E5]\",[],1\n");
  auto set = LoadHdfsSessions(dir.path().string(), 0.5);
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->layout, "Event_traces.csv");
  EXPECT_FALSE(set->split_given);
  ASSERT_EQ(set->sessions.size(), 4u);
  EXPECT_EQ(set->sessions[0].events, (std::vector<std::string>{"E5", "E22", "E5"}));
  EXPECT_EQ(set->sessions[3].events, (std::vector<std::string>{"E5", "E5"}));
  EXPECT_TRUE(set->sessions[1].anomalous);
  EXPECT_TRUE(set->sessions[1].train);
  EXPECT_FALSE(set->sessions[2].train);

  testing::WriteFile(dir.path() / "preprocessed" / "Event_traces.csv",
                     "BlockId,Label,Features\nblk_1,Maybe,[E1]\n");
  auto bad = LoadHdfsSessions(dir.path().string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("Event_traces.csv:2: field Label is 'Maybe'"), std::string::npos)
      << bad.message();
}

// HDFS_v1's line layout: date, time, pid, level, component, content.
std::string Line(int sec, const std::string& content) {
  return "081109 2036" + std::to_string(10 + sec) +
         " 148 INFO dfs.DataNode$PacketResponder: " + content + "\n";
}

TEST(HdfsSessions, RawLogIsParsedIntoTemplateSequencesPerBlock) {
  testing::TempDir dir;
  std::string log;
  for (int i = 0; i < 6; ++i) {
    std::string b = "blk_" + std::to_string(100 + i), c = "blk_-" + std::to_string(200 + i);
    log += Line(i, "Receiving block " + b + " src: /10.0.0." + std::to_string(i) +
                       ":50010 dest: /10.0.0.9:50010");
    log += Line(i, "PacketResponder " + std::to_string(i % 3) + " for block " + b + " terminating");
    log += Line(i, "BLOCK* ask 10.0.0.1:50010 to replicate " + b + " to datanode(s) for " + c);
    log += Line(i, "Served a line that names no block " + std::to_string(i));
  }
  testing::WriteFile(dir.path() / "HDFS.log", log);
  std::string labels = "BlockId,Label\n";
  for (int i = 0; i < 6; ++i)
    labels += "blk_" + std::to_string(100 + i) + "," + (i == 4 ? "Anomaly" : "Normal") + "\n";
  testing::WriteFile(dir.path() / "preprocessed" / "anomaly_label.csv", labels);
  auto src = FindHdfsSource(dir.path().string());
  ASSERT_TRUE(src.has_value());
  EXPECT_EQ(src->layout, "raw log");
  auto set = LoadHdfsSessions(dir.path().string());
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->lines, 24u);
  EXPECT_EQ(set->unlabelled, 6u);  // the blk_-2xx blocks
  ASSERT_EQ(set->sessions.size(), 6u);
  // Every block: receive, terminate, replicate; the same templates for all blocks.
  for (const auto& s : set->sessions) {
    ASSERT_EQ(s.events.size(), 3u) << s.block;
    EXPECT_EQ(s.events, set->sessions[0].events) << s.block;
  }
  EXPECT_NE(set->sessions[0].events[0], set->sessions[0].events[1]);
  EXPECT_TRUE(set->sessions[4].anomalous);
  EXPECT_EQ(std::count_if(set->sessions.begin(), set->sessions.end(),
                          [](const HdfsSession& s) { return s.train; }),
            5);  // round(0.8 * 6)
}

TEST(HdfsSessions, SessionsCsvUnderAnyNameAndClearErrors) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "full_sessions.csv",
                     "split,BlockId,Label,EventSequence\ntrain,blk_1,0,E1 E2\ntest,blk_2,1,E1\n");
  auto set = LoadHdfsSessions(dir.path().string());
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->layout, "sessions CSV");
  EXPECT_TRUE(set->split_given);
  EXPECT_EQ(set->sessions.size(), 2u);

  testing::TempDir empty;
  auto none = LoadHdfsSessions(empty.path().string());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("no HDFS sessions here"), std::string::npos);
  testing::WriteFile(empty.path() / "HDFS.log", Line(0, "Receiving block blk_1"));
  auto nolabels = LoadHdfsSessions((empty.path() / "HDFS.log").string());
  ASSERT_FALSE(nolabels.ok());
  EXPECT_NE(nolabels.message().find("needs anomaly_label.csv"), std::string::npos);
  testing::WriteFile(empty.path() / "anomaly_label.csv", "BlockId,Label\nblk_1,Broken\n");
  auto badlabel = LoadHdfsSessions(empty.path().string());
  ASSERT_FALSE(badlabel.ok());
  EXPECT_NE(badlabel.message().find("anomaly_label.csv:2: field Label"), std::string::npos)
      << badlabel.message();
}

}  // namespace
}  // namespace augur::learn
