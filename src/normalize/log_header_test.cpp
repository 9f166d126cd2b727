#include "normalize/log_header.h"

#include <gtest/gtest.h>

namespace augur::normalize {
namespace {

TEST(LogHeader, DetectsLevelAnchoredFormats) {
  std::vector<std::string_view> lines = {
      "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 "
      "terminating",
      "081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_2 "
      "terminating",
  };
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "level-anchored");
  auto h = p.Parse(lines[0]);
  EXPECT_EQ(h.level, "INFO");
  EXPECT_EQ(h.component, "dfs.DataNode$PacketResponder");
  EXPECT_EQ(h.timestamp, "081109 203615 148");
  EXPECT_EQ(h.content, "PacketResponder 1 for block blk_1 terminating");

  auto z = p.Parse(
      "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:2181:FastLeaderElection@774] - "
      "Notification time out: 3200");
  EXPECT_EQ(z.content, "Notification time out: 3200");
  EXPECT_EQ(z.thread, "QuorumPeer[myid=1]/0:0:0:0:2181:FastLeaderElection@774");
  auto a = p.Parse("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs x");
  EXPECT_EQ(a.level, "D");
  EXPECT_EQ(a.component, "WindowManager");
  EXPECT_EQ(a.content, "printFreezingDisplayLogs x");
  auto w = p.Parse("2016-09-28 04:30:31, Info                  CBS    Loaded Servicing Stack v6.1");
  EXPECT_EQ(w.component, "CBS");
  EXPECT_EQ(w.content, "Loaded Servicing Stack v6.1");
  auto ap = p.Parse(
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
      "/etc/httpd/conf/workers2.properties");
  EXPECT_EQ(ap.content, "workerEnv.init() ok /etc/httpd/conf/workers2.properties");
}

TEST(LogHeader, FixedColumnsWithoutLevel) {
  std::vector<std::string_view> lines = {
      "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: x",
      "350766 node-109 unix.hw state_change.unavailable 1084680778 1 Component State Change: y",
      "1 node-1 action start 1084680779 1 clusterAddMember (command 1902)",
  };
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "fixed 6 columns");
  EXPECT_EQ(p.Parse(lines[2]).content, "clusterAddMember (command 1902)");
}

TEST(LogHeader, ProseHasNoHeader) {
  std::vector<std::string_view> lines = {"hello world", "another message here"};
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "none");
  EXPECT_EQ(p.Parse("  hello world ").content, "hello world");
  EXPECT_FALSE(p.Parse("hello").has_header);
}

TEST(LogHeader, UserPattern) {
  auto p = HeaderParser::FromPattern("<Date> <Time> <Pid> <Level> <Component>: <Content>");
  ASSERT_TRUE(p.ok()) << p.message();
  auto h = p->Parse(
      "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating");
  EXPECT_TRUE(h.has_header);
  EXPECT_EQ(h.level, "INFO");
  EXPECT_EQ(h.component, "dfs.DataNode$PacketResponder");
  EXPECT_EQ(h.thread, "148");
  EXPECT_EQ(h.timestamp, "081109 203615");
  EXPECT_EQ(h.content, "PacketResponder 1 terminating");
  EXPECT_FALSE(p->Parse("nonsense").has_header);
  EXPECT_FALSE(HeaderParser::FromPattern("<Date> <Level>").ok());
  EXPECT_FALSE(HeaderParser::FromPattern("<Date <Content>").ok());
}

TEST(LogHeader, EmptyAndGarbage) {
  auto p = HeaderParser::Detect({});
  EXPECT_EQ(p.Parse("").content, "");
  std::string junk = "\x01\xff INFO \x80";
  std::vector<std::string_view> s = {junk, junk};
  auto q = HeaderParser::Detect(s);
  (void)q.Parse(junk);
  (void)q.Parse("");
}

}  // namespace
}  // namespace augur::normalize
