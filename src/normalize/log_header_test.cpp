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

TEST(LogHeader, SyslogAndOtherSourcesWithoutLevel) {
  std::vector<std::string_view> lines = {
      "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
      "Jul  1 09:00:55 calvisitor-10-105-160-95 com.apple.xpc.launchd[1] "
      "(com.apple.WebKit.WebContent.8919FF52[27795]): Service exited with abnormal code: 1",
      "Jul  2 04:01:07 authorMacBook-Pro Google Chrome Helper[412]: Couldn't set selectors",
      "- 1131566462 2005.11.09 bn374 Nov 9 12:01:02 bn374/bn374 kernel: session closed",
      "Jun 15 04:06:18 combo syslogd 1.4.1: restart.",
  };
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "source-anchored");
  auto h = p.Parse(lines[0]);
  EXPECT_EQ(h.timestamp, "Jun 14 15:16:01");
  EXPECT_EQ(h.component, "sshd(pam_unix)");
  EXPECT_EQ(h.thread, "19939");
  EXPECT_EQ(h.content, "check pass; user unknown");
  h = p.Parse(lines[1]);
  EXPECT_EQ(h.component, "com.apple.xpc.launchd");
  EXPECT_EQ(h.thread, "1");
  EXPECT_EQ(h.content, "Service exited with abnormal code: 1");
  EXPECT_EQ(p.Parse(lines[2]).component, "Google Chrome Helper");
  EXPECT_EQ(p.Parse(lines[2]).content, "Couldn't set selectors");
  EXPECT_EQ(p.Parse(lines[3]).component, "kernel");
  EXPECT_EQ(p.Parse(lines[3]).content, "session closed");
  EXPECT_EQ(p.Parse(lines[4]).content, "restart.");
  // No source within five tokens of the time: the whole line is the message.
  EXPECT_FALSE(p.Parse("Jun 14 15:16:01 combo --- last message repeated 1 time ---").has_header);

  auto px = HeaderParser::Detect(
      {"[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy",
       "[10.30 16:49:07] chrome.exe *64 - a.com:443 close, 0 bytes sent - lifetime 00:02"});
  EXPECT_EQ(px.Describe(), "source-anchored");
  auto x = px.Parse("[10.30 16:49:07] chrome.exe *64 - a.com:443 close, 0 bytes sent");
  EXPECT_EQ(x.timestamp, "[10.30 16:49:07]");
  EXPECT_EQ(x.component, "chrome.exe *64");
  EXPECT_EQ(x.content, "a.com:443 close, 0 bytes sent");
}

TEST(LogHeader, PipeSeparatedFields) {
  std::vector<std::string_view> lines = {
      "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
      "20171223-22:15:29:633|Step_ExtSDM|30002312|calculateCaloriesWithCache totalCalories=126775",
      "20171223-22:15:29:700|Step_SPUtils|30002312|setTodayTotalDetailSteps=1514038440000##7007",
  };
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "3 '|'-separated fields");
  auto h = p.Parse(lines[0]);
  EXPECT_EQ(h.timestamp, "20171223-22:15:29:606");
  EXPECT_EQ(h.component, "Step_LSC");
  EXPECT_EQ(h.content, "onStandStepChanged 3579");
  EXPECT_EQ(p.Parse(lines[2]).content, "setTodayTotalDetailSteps=1514038440000##7007");
  EXPECT_FALSE(p.Parse("only|one field").has_header);
}

TEST(LogHeader, IndentedContinuationLinesDoNotVote) {
  // A stack trace's frames follow the record they belong to; the layout stays that of the records.
  std::vector<std::string_view> lines = {
      "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
      "20171223-22:15:29:633|Step_ExtSDM|30002312|flush failed java.io.IOException: closed",
      "\tat com.example.Flush.run(Flush.java:42)",
      "\tat java.lang.Thread.run(Thread.java:748)",
      "20171223-22:15:29:700|Step_SPUtils|30002312|setTodayTotalDetailSteps=1514038440000##7007",
  };
  auto p = HeaderParser::Detect(lines);
  EXPECT_EQ(p.Describe(), "3 '|'-separated fields");
  auto frame = p.Parse(lines[2]);
  EXPECT_FALSE(frame.has_header);
  EXPECT_EQ(frame.content, "at com.example.Flush.run(Flush.java:42)");
  // Where most lines are indented, they are the records.
  std::vector<std::string_view> indented = {"  1077804742 node-1 start a", "  1077804743 node-2 b",
                                            "  1077804744 node-3 c"};
  EXPECT_EQ(HeaderParser::Detect(indented).Describe(), "fixed 2 columns");
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
