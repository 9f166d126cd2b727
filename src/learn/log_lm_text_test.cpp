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
  EXPECT_EQ(MaskLogLine("user 42 logged in from 10.0.0.1:8080 in 3ms", {.magnitudes = false}),
            "user <*> logged in from <*>:<*> in <*>");
  EXPECT_EQ(MaskLogLine("user 42 logged in from 10.0.0.1:8080 in 3ms"),
            "user <*> logged in from <*>:<*> in <*ms:e0>");
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

TEST(LogLmText, DurationBucketsAreHalfDecades) {
  EXPECT_EQ(DurationToken(1), "<*ms:e0>");
  EXPECT_EQ(DurationToken(3.1), "<*ms:e0>");
  EXPECT_EQ(DurationToken(3.2), "<*ms:e0.5>");
  EXPECT_EQ(DurationToken(9.99), "<*ms:e0.5>");
  EXPECT_EQ(DurationToken(10), "<*ms:e1>");
  EXPECT_EQ(DurationToken(1000), "<*ms:e3>");
  EXPECT_EQ(DurationToken(0.5), "<*ms:e-0.5>");
  EXPECT_EQ(DurationToken(0.001), "<*ms:e-3>");
  EXPECT_EQ(DurationToken(0.0005), "<*ms:e-3.5>");
  EXPECT_EQ(DurationToken(0), "<*ms:0>");
  EXPECT_EQ(DurationToken(12, "?"), "<*?:e1>");
  EXPECT_EQ(DurationToken(1e300 * 1e300), "<*ms:e30>");  // infinity: the top bucket
}

TEST(LogLmText, ParsesDurationsWithTheirUnit) {
  EXPECT_DOUBLE_EQ(*ParseDuration("2.5ms"), 2.5);
  EXPECT_DOUBLE_EQ(*ParseDuration("3.006\xc2\xb5s"), 0.003006);  // Go's µs (U+00B5)
  EXPECT_DOUBLE_EQ(*ParseDuration("3\xce\xbcs"), 0.003);         // Greek mu
  EXPECT_DOUBLE_EQ(*ParseDuration("1.5s"), 1500);
  EXPECT_DOUBLE_EQ(*ParseDuration("1m30s"), 90000);   // Go
  EXPECT_DOUBLE_EQ(*ParseDuration("1h2m"), 3720000);  // Go
  EXPECT_DOUBLE_EQ(*ParseDuration("1s234ms"), 1234);  // Android
  EXPECT_DOUBLE_EQ(*ParseDuration("250MS"), 250);
  EXPECT_FALSE(ParseDuration("500m"));     // Kubernetes millicores, not minutes
  EXPECT_FALSE(ParseDuration("12"));       // no unit
  EXPECT_FALSE(ParseDuration("12kb"));     // not a time
  EXPECT_FALSE(ParseDuration("1.2.3ms"));  // a version
  EXPECT_FALSE(ParseDuration("-5ms"));     // signs are not read
  EXPECT_FALSE(ParseDuration("1m30kb"));   // chained parts must all be time units
  EXPECT_FALSE(ParseDuration("1sec30s"));  // and Go's
  EXPECT_DOUBLE_EQ(*TimeUnitMs("MILLISECONDS"), 1);
  EXPECT_DOUBLE_EQ(*TimeUnitMs("seconds"), 1000);
  EXPECT_FALSE(TimeUnitMs("m"));
  EXPECT_FALSE(TimeUnitMs("items"));
}

TEST(LogLmText, MasksDurationsByMagnitudeAndOtherNumbersAsBefore) {
  // Go kit (sock-shop catalogue): the id stays <*>, the duration keeps its magnitude.
  EXPECT_EQ(MaskLogLine("method=Get id=a0a4f044-b040 err=null took=2.478575ms"),
            "method=Get id=<*> err=null took=<*ms:e0>");
  EXPECT_EQ(MaskLogLine("method=Get id=a0a4f044-b040 err=null took=24.78575ms"),
            "method=Get id=<*> err=null took=<*ms:e1>");
  // morgan (front-end): the unit is the next word; status and size stay <*>.
  EXPECT_EQ(MaskLogLine("POST /orders 200 27.764 ms - 1660"), "POST /orders <*> <*ms:e1> ms - <*>");
  EXPECT_EQ(MaskLogLine("POST /orders 200 427.764 ms - 1660"),
            "POST /orders <*> <*ms:e2.5> ms - <*>");
  // Spark, OpenStack, Hadoop, Zookeeper, Android, MongoDB.
  EXPECT_EQ(MaskLogLine("Reading broadcast variable 12 took 31 ms"),
            "Reading broadcast variable <*> took <*ms:e1> ms");
  EXPECT_EQ(MaskLogLine("Took 2.51 seconds to spawn the instance."),
            "Took <*ms:e3> seconds to spawn the instance.");
  EXPECT_EQ(MaskLogLine("sleepTime=1000 MILLISECONDS)"), "sleepTime=<*ms:e3> MILLISECONDS)");
  EXPECT_EQ(MaskLogLine("timeout of 10000ms exceeded"), "timeout of <*ms:e4> exceeded");
  EXPECT_EQ(MaskLogLine("Screen frozen for +1s234ms due to"), "Screen frozen for +<*ms:e3> due to");
  EXPECT_EQ(MaskLogLine("protocol:op_query 312ms"), "protocol:op_query <*ms:e2>");
  // A duration key without a unit: the magnitude of the bare number; with a unit in the key: ms.
  EXPECT_EQ(MaskLogLine("request done took=12 status=200"), "request done took=<*?:e1> status=<*>");
  EXPECT_EQ(MaskLogLine(R"({"elapsed_ms": 40, "items": 3})"),
            R"({"elapsed_ms": <*ms:e1.5>, "items": <*>})");
  EXPECT_EQ(MaskLogLine("durationSeconds=2 retries=3"), "durationSeconds=<*ms:e3> retries=<*>");
  // Not durations: counts before a non-unit word, versions, sizes, ids with digits.
  EXPECT_EQ(MaskLogLine("51 changes in 300 seconds. Saving..."),
            "<*> changes in <*ms:e5> seconds. Saving...");
  EXPECT_EQ(MaskLogLine("limit 500m memory 64Mi version 1.2.3"),
            "limit <*> memory <*> version <*>");
  EXPECT_EQ(MaskLogLine("sent 12 items"), "sent <*> items");
  EXPECT_EQ(MaskLogLine("timeoutMs=250 numVMs=3 CPUs=4 items=2"),
            "timeoutMs=<*ms:e2> numVMs=<*> CPUs=<*> items=<*>");
}

TEST(LogLmText, PreparingAPreparedLineChangesNothing) {
  for (std::string_view raw :
       {"method=Get id=a0a4f044 took=2.478575ms", "POST /orders 200 427.764 ms - 1660",
        "x <*> y <*ms:e-0.5> z <*?:e1>", "user 42 logged in from 10.0.0.1:8080",
        "Impl#415 ctrl\x01\x02 chars\x7f end", "odd <* not a mask> <*"}) {
    const std::string once = PrepareLogLine(raw);
    EXPECT_EQ(PrepareLogLine(once), once) << raw;
    const std::string plain = PrepareLogLine(raw, {.magnitudes = false});
    EXPECT_EQ(PrepareLogLine(plain, {.magnitudes = false}), plain) << raw;
  }
}

// The slow rule compares each duration with its statement's normal ones: the masking reports the
// values it bucketed, in order, and the statement drops the buckets.
TEST(LogLmText, DurationsAreReportedAndStatementsDropTheirBuckets) {
  std::vector<double> d;
  const std::string p =
      PrepareLogLine("2024-01-01T00:00:00Z GET /x 200 4.5 ms took=2s retries=3 id=42", {}, &d);
  EXPECT_EQ(p, "GET /x <*> <*ms:e0.5> ms took=<*ms:e3> retries=<*> id=<*>");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_DOUBLE_EQ(d[0], 4.5);
  EXPECT_DOUBLE_EQ(d[1], 2000);
  EXPECT_EQ(StatementOf(p), "GET /x <*> <*ms> ms took=<*ms> retries=<*> id=<*>");
  EXPECT_EQ(StatementOf(PrepareLogLine("GET /x 200 40 ms took=0s retries=1 id=7")), StatementOf(p));
  EXPECT_EQ(StatementOf("took=<*?:e1> at <*>:<*>:<*> <*ms:0> odd <*ms:"),
            "took=<*?> at <*>:<*>:<*> <*ms> odd <*ms:");
  d.clear();
  PrepareLogLine("GET /x 200 4.5 ms", {.magnitudes = false}, &d);
  EXPECT_TRUE(d.empty()) << "without magnitudes nothing is bucketed";
}

}  // namespace
}  // namespace augur::learn
