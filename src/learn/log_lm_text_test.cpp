#include <gtest/gtest.h>

#include "learn/log_lm_text.h"

namespace augur::learn {
namespace {

TEST(LogLmText, UnwrapsDockerJsonAndDropsTimestamps) {
  std::string raw =
      R"({"log":"16:48:42.424 INFO  t.s.TravelServiceImpl#532 TraceID: 49a518 [getRoute][Route is: id=f3d4]\n","stream":"stdout","time":"2023-01-29T08:48:42.425293566Z"})";
  EXPECT_EQ(PrepareLogLine(raw),
            "INFO t.s.TravelServiceImpl#532 TraceID: <*> [getRoute][Route is: id=<*>]");
}

TEST(LogLmText, DropsCriPrefixAndSyslogDate) {
  EXPECT_EQ(StripLogHeader("2023-01-29T08:48:42.425Z stdout F GET /catalogue 200"),
            "GET /catalogue 200");
  EXPECT_EQ(StripLogHeader("Jan 29 08:00:01 connection accepted"), "connection accepted");
  EXPECT_EQ(StripLogHeader("[2023-01-29 08:00:01,123] WARN slow query"), "WARN slow query");
}

TEST(LogLmText, MasksVariablesButKeepsWords) {
  EXPECT_EQ(MaskLogLine("user 42 logged in from 10.0.0.1:8080 in 3ms"),
            "user <*> logged in from <*>:<*> in <*>");
  EXPECT_EQ(MaskLogLine("order 7f3e2a10-9b1c-4d2e-8f00-123456789abc created"), "order <*> created");
  EXPECT_EQ(MaskLogLine("   spaced\t\tout   "), "spaced out");
}

TEST(LogLmText, LongLinesAreCutAndOddBytesReplaced) {
  std::string long_line(5000, 'a');
  EXPECT_LE(PrepareLogLine(long_line).size(), kLogLmMaxLineBytes);
  EXPECT_EQ(MaskLogLine("caf\xc3\xa9 ok\x01"), "caf?? ok");
  EXPECT_EQ(PrepareLogLine(""), "");
  EXPECT_EQ(PrepareLogLine(R"({"log":"unterminated)"), "unterminated");
}

}  // namespace
}  // namespace augur::learn
