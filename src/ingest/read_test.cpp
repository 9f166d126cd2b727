// Unit tests of the ingest front door and the milestone-1 readers (OTLP/JSON, text logs, Nezha
// CSV).
#include "ingest/read.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <fstream>

#include "core/time.h"
#include "ingest/json_split.h"
#include "ingest/reader.h"
#include "testing/testing.h"

namespace augur::ingest {
namespace {

namespace fs = std::filesystem;

fs::path TestData(const std::string& name) {
  return fs::path(__FILE__).parent_path() / "testdata" / name;
}

void WriteGzip(const fs::path& p, std::string_view data) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
}

Batch MustRead(const std::vector<std::string>& paths, ReadReport* report = nullptr,
               ReadOptions options = {}) {
  auto r = ReadAll(paths, options, report);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? std::move(r).value() : Batch{};
}

TEST(RejectStats, CountsReasonsAndKeepsFirst) {
  RejectStats s;
  for (int i = 0; i < 30; ++i) s.Add("f.json", i + 1, i % 2 ? "a" : "b");
  s.Add("g.json", 0, "empty file");
  EXPECT_EQ(s.count, 31u);
  EXPECT_EQ(s.reasons["a"], 15u);
  EXPECT_EQ(s.first.size(), RejectStats::kMaxFirstRejects);
  EXPECT_EQ(s.first[0], "f.json:1: b");
}

TEST(Otlp, TracesWithAllFieldsAndRejects) {
  ReadReport report;
  Batch b = MustRead({TestData("otlp_traces.json").string()}, &report);
  ASSERT_EQ(b.spans.size(), 2u);
  const Span& s = b.spans[0];
  EXPECT_EQ(s.trace_id.Hex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(s.span_id.Hex(), "eee19b7ec3c1b174");
  EXPECT_EQ(s.parent_id.Hex(), "eee19b7ec3c1b173");
  EXPECT_EQ(s.service, "carts");  // resource came after the spans
  EXPECT_EQ(s.instance, "carts-5f55b6cf68-77cfw");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.start, 1544712660000000000);
  EXPECT_EQ(s.end, 1544712661000000000);
  EXPECT_EQ(s.status, StatusCode::kError);
  EXPECT_EQ(s.status_message, "boom");
  EXPECT_EQ(s.http_method, "GET");
  EXPECT_EQ(s.http_route, "/cart");
  EXPECT_EQ(s.http_status_code, 503);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "exception");
  EXPECT_EQ(s.events[0].attributes[0].value, "IOError");
  EXPECT_TRUE(b.spans[1].is_root());
  EXPECT_EQ(b.spans[1].kind, SpanKind::kClient);
  EXPECT_EQ(report.rejected.count, 2u);
  EXPECT_EQ(report.rejected.reasons["wrong type: startTimeUnixNano (expected an integer)"], 1u);
  EXPECT_EQ(report.rejected.reasons["missing field: traceId"], 1u);
  ASSERT_EQ(report.rejected.first.size(), 2u);
  EXPECT_NE(report.rejected.first[0].find("otlp_traces.json:4: "), std::string::npos)
      << report.rejected.first[0];
}

TEST(Otlp, JsonLinesLogsMetricsAndABrokenLine) {
  ReadReport report;
  Batch b = MustRead({TestData("otlp_mixed.jsonl").string()}, &report);
  ASSERT_EQ(b.logs.size(), 2u);
  EXPECT_EQ(b.logs[0].service, "orders");  // from the pod name (rule 3)
  EXPECT_EQ(b.logs[0].severity, Severity::kError);
  EXPECT_EQ(b.logs[0].body, "payment failed");
  EXPECT_EQ(b.logs[0].span_id.Hex(), "0102030405060708");
  EXPECT_EQ(b.logs[1].time, 1700000001000000000);
  EXPECT_EQ(b.logs[1].severity, Severity::kWarn);
  EXPECT_EQ(b.logs[1].body, R"({"a":3,"b":["x",true]})");
  ASSERT_EQ(b.spans.size(), 1u);
  EXPECT_EQ(b.spans[0].trace_id.Hex(), "0102030405060708090a0b0c0d0e0f10");  // base64 ids
  EXPECT_EQ(b.spans[0].span_id.Hex(), "0102030405060708");
  ASSERT_EQ(b.metrics.size(), 3u);
  const MetricPoint& summary = b.metrics[0];
  EXPECT_EQ(summary.name, "latency");
  EXPECT_EQ(summary.kind, MetricKind::kSummary);
  EXPECT_EQ(summary.count, 10u);
  EXPECT_DOUBLE_EQ(summary.value, 5.5);
  EXPECT_EQ(summary.bounds, (std::vector<double>{0.5, 0.99}));
  EXPECT_EQ(b.metrics[1].kind, MetricKind::kSum);
  EXPECT_TRUE(b.metrics[1].monotonic);
  EXPECT_DOUBLE_EQ(b.metrics[1].value, 42);
  EXPECT_EQ(b.metrics[1].labels[0].value, "200");
  const MetricPoint& exp = b.metrics[2];
  EXPECT_EQ(exp.name, "size");  // name after the data
  EXPECT_EQ(exp.kind, MetricKind::kExponentialHistogram);
  ASSERT_EQ(exp.bounds.size(), 2u);
  EXPECT_NEAR(exp.bounds[0], std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(exp.bounds[1], 2.0, 1e-12);
  EXPECT_EQ(report.rejected.count, 1u);
  ASSERT_FALSE(report.rejected.first.empty());
  EXPECT_EQ(
      report.rejected.first[0].find(TestData("otlp_mixed.jsonl").string() + ":3: malformed JSON"),
      0u)
      << report.rejected.first[0];
}

// Strings without escapes are read in place, strings with them through simdjson's unescaping: both
// must give the same text, whatever whitespace follows the closing quote.
TEST(Otlp, StringsWithAndWithoutEscapes) {
  const std::string doc =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
      R"({"stringValue":"cart" }}]},"scopeSpans":[{"spans":[)"
      R"({"traceId" :  "0102030405060708090a0b0c0d0e0f10")"
      R"(,"spanId":"0102030405060708","name":"GET \"a\" \\ b\u00e9\n","attributes":[)"
      R"({"key":"plain","value":{"stringValue":"x y"}},{"key":"empty","value":{"stringValue":""}},)"
      R"({"key":"tab\tkey","value":{"stringValue":"\/path"}}],)"
      R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"}]}]}]})";
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "t.json", doc + "\n");
  ReadReport r;
  ReadOptions o;
  o.format = "otlp-json";
  Batch b = MustRead({(dir.path() / "t.json").string()}, &r, o);
  ASSERT_EQ(b.spans.size(), 1u);
  const Span& s = b.spans[0];
  EXPECT_EQ(s.service, "cart");
  EXPECT_EQ(s.name, "GET \"a\" \\ b\xc3\xa9\n");
  ASSERT_EQ(s.attributes.size(), 3u);
  EXPECT_EQ(s.attributes[0].value, "x y");
  EXPECT_EQ(s.attributes[1].value, "");
  EXPECT_EQ(s.attributes[2].key, "tab\tkey");
  EXPECT_EQ(s.attributes[2].value, "/path");
}

// JSON lines are walked by On-Demand in one pass; a stream that is not JSON lines goes through the
// splitter. On valid documents both must cut the same units and give the same records and rejects.
TEST(Otlp, JsonLinesWalkMatchesTheSplitter) {
  const std::string span =
      R"({"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"GET /a",)"
      R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"})";
  const std::string rs = R"({"resource":{"attributes":[{"key":"service.name","value":)"
                         R"({"stringValue":"cart"}}]},"scopeSpans":[{"spans":[)" +
                         span + "," + span + "]}]}";
  const std::string rl = R"({"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000",)"
                         R"("body":{"stringValue":"hello"}}]}]})";
  const std::vector<std::string> docs = {
      R"({"resourceSpans":[)" + rs + "," + rs + "]}",
      R"({"resourceSpans":[)" + rs + R"(],"resourceLogs":[)" + rl + "]}",
      R"({"resourceSpans":[)" + rs + R"(]} {"resourceLogs":[)" + rl + "]}",  // two on a line
      R"({"other":[1,2]})",                                                  // no known member
      R"({"resourceSpans":{"not":"an array"}})",
      R"({"resourceSpans":[{"scopeSpans":7}, )" + rs + "]}",  // a wrong type, then a good unit
      R"({"resourceSpans":[]})",
      R"( {"x":{"resourceSpans":[1]}, "resourceSpans" : [ )" + rs + " ] } ",
  };
  testing::TempDir dir;
  std::string lines, stream = "{\n";
  for (const auto& d : docs) lines += d + "\n";
  stream += lines.substr(1);  // the first line no longer holds a whole value: not JSON lines
  testing::WriteFile(dir.path() / "lines.json", lines);
  testing::WriteFile(dir.path() / "stream.json", stream);
  ReadReport lr, sr;
  ReadOptions o;
  o.format = "otlp-json";
  Batch a = MustRead({(dir.path() / "lines.json").string()}, &lr, o);
  Batch b = MustRead({(dir.path() / "stream.json").string()}, &sr, o);
  EXPECT_EQ(a.spans.size(), 12u);
  EXPECT_EQ(a.spans.size(), b.spans.size());
  EXPECT_EQ(a.logs.size(), 2u);
  EXPECT_EQ(a.logs.size(), b.logs.size());
  for (size_t i = 0; i < std::min(a.spans.size(), b.spans.size()); ++i) {
    EXPECT_EQ(a.spans[i].service, b.spans[i].service);
    EXPECT_EQ(a.spans[i].start, b.spans[i].start);
  }
  EXPECT_EQ(lr.rejected.count, 3u);
  EXPECT_EQ(lr.rejected.reasons, sr.rejected.reasons);
  // A scalar element: the splitter made it a document of its own, which simdjson refuses, and the
  // line stopped there; walked, it is a wrong type and the units after it are kept.
  testing::WriteFile(dir.path() / "scalar.json", R"({"resourceSpans":[5, )" + rs + "]}\n");
  ReadReport cr;
  EXPECT_EQ(MustRead({(dir.path() / "scalar.json").string()}, &cr, o).spans.size(), 2u);
  EXPECT_EQ(cr.rejected.reasons["wrong type: resourceSpans (expected objects)"], 1u);
}

TEST(Otlp, GzipIsTransparent) {
  testing::TempDir dir;
  std::ifstream in(TestData("otlp_traces.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WriteGzip(dir.path() / "t.json.gz", text);
  ReadReport report;
  Batch b = MustRead({(dir.path() / "t.json.gz").string()}, &report);
  EXPECT_EQ(b.spans.size(), 2u);
  EXPECT_EQ(report.files[0].format, "otlp-json");
}

TEST(Text, TimestampsSeverityAndService) {
  testing::TempDir dir;
  testing::WriteFile(
      dir.path() / "HDFS_2k.log",
      "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n"
      "\n"
      "2015-10-18 18:01:47,978 ERROR [main] org.apache.hadoop: failed\r\n"
      "no timestamp here\n"
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n");
  Batch b = MustRead({dir.path().string()});
  ASSERT_EQ(b.logs.size(), 4u);
  EXPECT_EQ(b.logs[0].service, "HDFS_2k");
  EXPECT_EQ(b.logs[0].time, MakeTimeNs(2008, 11, 9, 20, 36, 15));
  EXPECT_EQ(b.logs[0].severity, Severity::kInfo);
  EXPECT_EQ(b.logs[0].body, "148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating");
  EXPECT_EQ(b.logs[1].time, MakeTimeNs(2015, 10, 18, 18, 1, 47, 978000000));
  EXPECT_EQ(b.logs[1].severity, Severity::kError);
  EXPECT_EQ(b.logs[1].body, "ERROR [main] org.apache.hadoop: failed");
  EXPECT_EQ(b.logs[2].time, 0);
  EXPECT_EQ(b.logs[3].time, MakeTimeNs(2005, 12, 4, 4, 47, 44));
  EXPECT_EQ(b.logs[3].severity, Severity::kInfo);
}

TEST(Text, LogHubLayoutsWithoutLevels) {
  testing::TempDir dir;
  testing::WriteFile(
      dir.path() / "loghub.log",
      "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2915]: session closed\n"
      "KERNDTLB 1131566462 2005.11.09 tbird-sm1 Nov 9 12:01:02 src@tbird-sm1 kernel: x\n"
      "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579\n"
      "INFO 1131566461 records\n");
  Batch b = MustRead({dir.path().string()});
  ASSERT_EQ(b.logs.size(), 4u);
  EXPECT_EQ(b.logs[0].time, MakeTimeNs(2005, 11, 9, 20, 1, 1));
  EXPECT_EQ(b.logs[0].body,
            "2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2915]: session closed");
  EXPECT_EQ(b.logs[1].time, MakeTimeNs(2005, 11, 9, 20, 1, 2));
  EXPECT_EQ(b.logs[2].time, MakeTimeNs(2017, 12, 23, 22, 15, 29, 606000000));
  EXPECT_EQ(b.logs[2].body, "Step_LSC|30002312|onStandStepChanged 3579");
  // A level and a number are not a label and an epoch.
  EXPECT_EQ(b.logs[3].time, 0);
  EXPECT_EQ(b.logs[3].severity, Severity::kInfo);
}

TEST(Text, DockerAndStructuredJsonLines) {
  testing::TempDir dir;
  testing::WriteFile(
      dir.path() /
          "carts-5f55b6cf68-77cfw_shop_carts-"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.log",
      R"({"log":"2023-01-29T08:42:22.5Z WARN low stock\n","stream":"stdout","time":"2023-01-29T08:42:22.383150913Z"})"
      "\n"
      R"({"level":"error","msg":"db down","ts":1674981742.5,"trace_id":"0102030405060708090a0b0c0d0e0f10","user":"u1"})"
      "\n"
      "2023-01-29T08:42:22.383150913Z stderr F plain cri line\n");
  Batch b = MustRead({dir.path().string()});
  ASSERT_EQ(b.logs.size(), 3u);
  EXPECT_EQ(b.logs[0].service, "carts");
  EXPECT_EQ(b.logs[0].instance, "carts-5f55b6cf68-77cfw");
  EXPECT_EQ(b.logs[0].body, "WARN low stock");
  EXPECT_EQ(b.logs[0].time, *ParseIsoTime("2023-01-29T08:42:22.383150913Z"));
  EXPECT_EQ(b.logs[0].severity, Severity::kWarn);
  EXPECT_EQ(b.logs[1].body, "db down");
  EXPECT_EQ(b.logs[1].severity, Severity::kError);
  EXPECT_EQ(b.logs[1].time, 1674981742500000000);
  EXPECT_EQ(b.logs[1].trace_id.Hex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(*FindAttribute(b.logs[1].attributes, "user"), "u1");
  EXPECT_EQ(b.logs[2].body, "plain cri line");
  EXPECT_EQ(*FindAttribute(b.logs[2].attributes, "stream"), "stderr");
}

TEST(Text, MultilineJoinsAStackTraceToItsRecord) {
  testing::TempDir dir;
  const std::string trace =
      "2026-01-01 10:00:00,123 ERROR [main] OrderService - failed to place order 42\n"
      "java.lang.IllegalStateException: out of stock\n"
      "\tat com.example.Order.place(Order.java:10)  \n"
      "\n"
      "Caused by: java.io.IOException: closed\n"
      "\t... 3 more\n"
      "2026-01-01 10:00:01,000 INFO [main] OrderService - placed order 43\n"
      R"({"level":"warn","msg":"slow","ts":1767261602})"
      "\n"
      "  an indented line after a JSON record\n";
  testing::WriteFile(dir.path() / "orders.log", "untimed first line\n" + trace);
  // Off (the default): one record per line; the lines that would join are counted.
  ReadReport plain;
  EXPECT_EQ(MustRead({dir.path().string()}, &plain).logs.size(), 9u);
  EXPECT_EQ(plain.files.at(0).continuation_lines, 5u);
  ReadOptions o;
  o.multiline = true;
  ReadReport report;
  Batch b = MustRead({dir.path().string()}, &report, o);
  ASSERT_EQ(b.logs.size(), 4u);
  EXPECT_EQ(report.files.at(0).records, 4u);
  EXPECT_EQ(b.logs[0].body, "untimed first line");  // nothing before it to continue
  EXPECT_EQ(b.logs[1].severity, Severity::kError);
  EXPECT_EQ(b.logs[1].body,
            "ERROR [main] OrderService - failed to place order 42\n"
            "java.lang.IllegalStateException: out of stock\n"
            "\tat com.example.Order.place(Order.java:10)\n"
            "Caused by: java.io.IOException: closed\n"
            "\t... 3 more");
  EXPECT_EQ(b.logs[2].body, "INFO [main] OrderService - placed order 43");
  // A JSON record is never a continuation; with a time, it can be continued.
  EXPECT_EQ(b.logs[3].body, "slow\n  an indented line after a JSON record");
}

// A syslog file written on 2 January holds December's lines of the year before.
TEST(Text, SyslogLinesWithoutAYearAreNotInTheFuture) {
  testing::TempDir dir;
  const fs::path f = dir.path() / "syslog";
  testing::WriteFile(f,
                     "Dec 31 23:59:00 host cron[1]: last of the year\n"
                     "Jan  2 00:01:00 host cron[1]: first of the year\n");
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = MakeTimeNs(2026, 1, 2, 12, 0, 0) / kNsPerSecond;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  Batch b = MustRead({f.string()});
  ASSERT_EQ(b.logs.size(), 2u);
  EXPECT_EQ(b.logs[0].time, MakeTimeNs(2025, 12, 31, 23, 59, 0));
  EXPECT_EQ(b.logs[1].time, MakeTimeNs(2026, 1, 2, 0, 1, 0));
}

// Online Boutique's services write JSON logs of their own, which Docker wraps once more.
TEST(Text, JsonLogsInsideDockerLines) {
  testing::TempDir dir;
  testing::WriteFile(
      dir.path() / "frontend.log",
      R"({"log":"{\"http.req.method\":\"GET\",\"message\":\"request complete\",)"
      R"(\"severity\":\"error\",\"timestamp\":\"2022-08-22T03:51:30.123Z\"}\n",)"
      R"("stream":"stdout","time":"2022-08-22T03:51:30.200Z"})"
      "\n"
      R"({"log":"{\"level\":50,\"time\":1661140290000,\"msg\":\"conversion failed\"}\n",)"
      R"("time":"2022-08-22T03:51:31Z"})"
      "\n"
      R"({"log":"fail: Microsoft.AspNetCore[1] cart lost\n","time":"2022-08-22T03:51:32Z"})"
      "\n"
      R"({"log":"{\"no message\":1}\n","time":"2022-08-22T03:51:33Z"})"
      "\n");
  Batch b = MustRead({dir.path().string()});
  ASSERT_EQ(b.logs.size(), 4u);
  EXPECT_EQ(b.logs[0].body, "request complete");
  EXPECT_EQ(b.logs[0].severity, Severity::kError);
  EXPECT_EQ(b.logs[0].time, *ParseIsoTime("2022-08-22T03:51:30.200Z"));
  EXPECT_EQ(*FindAttribute(b.logs[0].attributes, "http.req.method"), "GET");
  EXPECT_EQ(b.logs[1].body, "conversion failed");
  EXPECT_EQ(b.logs[1].severity, Severity::kError);
  EXPECT_EQ(b.logs[2].severity, Severity::kError);
  // JSON without a message stays the line it is.
  EXPECT_EQ(b.logs[3].body, R"({"no message":1})");
}

// A tiny folder in the Nezha layout (made-up values).
void WriteNezhaFolder(const fs::path& root) {
  testing::WriteFile(root / "LICENSE", "MIT License\n");
  testing::WriteFile(root / "day/2023-01-29-fault_list.json",
                     "{\n  \"08\": [\n    {\"inject_pod\": \"x\"}\n  ]\n}\n");
  testing::WriteFile(
      root / "day/trace/08_43_trace.csv",
      "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
      "b0103bb0161ad7fa352fe1828eeb643a,520b067330e3ede5,root,ts-gateway-service-6f6cfc45b-h5m2n,"
      "/*,1674981768697000000,1674981769015316530,318316\n"
      "b0103bb0161ad7fa352fe1828eeb643a,a4424f20bffee416,520b067330e3ede5,ts-auth-service-"
      "7f8d7d756d-k7b9j,\"HTTP POST\",1674981768697763387,1674981769015072039,317308\n"
      "zzzz,a4424f20bffee417,520b067330e3ede5,ts-auth-service-7f8d7d756d-k7b9j,x,1,2,1\n");
  testing::WriteFile(
      root / "day/log/08_43_log.csv",
      "Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log\n"
      "2023-01-29T08:42:22.383150913Z,1674981742383150913,10.0.0.1,ts-travel-service-64469b5b48-"
      "25zj6,server,ffc8ca7e4c8f06c75142c880d5595d96,439bc949a9eeb0cc,"
      "\"{\"\"log\"\":\"\"16:42:22.382 INFO  t.s.TravelServiceImpl#532 [getRoute][Route is: a, "
      "b]\\n\"\",\"\"stream\"\":\"\"stdout\"\",\"\"time\"\":\"\"2023-01-29T08:42:22."
      "383150913Z\"\"}\"\n"
      "2023-01-29T09:20:29.295,-6795364578871345152,10.0.0.1,ts-travel2-service-5c66d57d58-6mp2b,"
      "server,null,null,"
      "\"{\"\"log\"\":\"\"17:20:29.299 ERROR "
      "multi\nline\\n\"\",\"\"stream\"\":\"\"stdout\"\"}\"\n");
  testing::WriteFile(root / "day/metric/ts-auth-service-7f8d7d756d-k7b9j_metric.csv",
                     "Time,TimeStamp,PodName,CpuUsage(m),MemoryUsage(Mi),PodServerLatencyP90(s)\n"
                     "2023-01-29 08:41:09.470514006 +0000 UTC "
                     "m=+0.546675867,1674981669,ts-auth-service-7f8d7d756d-k7b9j,2.17,443.6,NaN\n");
  testing::WriteFile(
      root / "day/metric/front_service.csv",
      "Time,TimeStamp,ServiceName,SuccessRate(%),LatencyP50(s)\n"
      "2023-01-29 08:41:09.043078357 +0000 UTC m=+0.119240217,1674981669,Frontend,0,0.09\n");
  testing::WriteFile(root / "day/traceid/08_43_traceid.csv",
                     "ffc8ca7e4c8f06c75142c880d5595d96\n5d0bbaa5c74d96842aabc39c7b39d067\n");
}

TEST(Nezha, FolderOfTracesLogsMetrics) {
  testing::TempDir dir;
  WriteNezhaFolder(dir.path());
  ReadReport report;
  Batch b = MustRead({dir.path().string()}, &report);
  ASSERT_EQ(b.spans.size(), 2u);
  EXPECT_EQ(b.spans[0].service, "ts-gateway-service");
  EXPECT_TRUE(b.spans[0].is_root());
  EXPECT_EQ(b.spans[1].name, "HTTP POST");
  EXPECT_EQ(b.spans[1].parent_id.Hex(), "520b067330e3ede5");
  ASSERT_EQ(b.logs.size(), 2u);
  EXPECT_EQ(b.logs[0].service, "ts-travel-service");
  EXPECT_EQ(b.logs[0].instance, "ts-travel-service-64469b5b48-25zj6");
  EXPECT_EQ(b.logs[0].body,
            "16:42:22.382 INFO  t.s.TravelServiceImpl#532 [getRoute][Route is: a, b]");
  EXPECT_EQ(b.logs[0].severity, Severity::kInfo);
  EXPECT_EQ(b.logs[0].time, 1674981742383150913);
  EXPECT_EQ(b.logs[1].time, *ParseIsoTime("2023-01-29T09:20:29.295"));  // garbage TimeUnixNano
  EXPECT_EQ(b.logs[1].severity, Severity::kError);
  EXPECT_TRUE(b.logs[1].trace_id.empty());      // "null": a log line outside any trace
  ASSERT_EQ(b.metrics.size(), 4u);              // the NaN cell is no sample
  EXPECT_EQ(b.metrics[0].service, "Frontend");  // front_service.csv comes first by name
  EXPECT_EQ(b.metrics[2].name, "CpuUsage(m)");
  EXPECT_EQ(b.metrics[2].service, "ts-auth-service");
  EXPECT_EQ(b.metrics[2].time, 1674981669 * kNsPerSecond);
  EXPECT_EQ(report.rejected.count, 1u);
  EXPECT_EQ(report.rejected.reasons["invalid id: TraceID"], 1u);
  std::map<std::string, std::string> formats;
  for (const auto& f : report.files) formats[fs::path(f.path).filename().string()] = f.format;
  EXPECT_EQ(formats.size(), 6u);  // LICENSE skipped in folders
  EXPECT_EQ(formats["2023-01-29-fault_list.json"], "json-other");
  EXPECT_EQ(formats["08_43_traceid.csv"], "trace-id-list");
}

TEST(Read, TextLogsStartingWithABracketAreText) {
  // Apache's error log and many others start each line with '[': JSON's grammar tells them apart.
  EXPECT_EQ(DetectFormat("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n", "a.log"),
            "text");
  EXPECT_EQ(
      DetectFormat("[2024-01-01 10:00:00] INFO started\n[2024-01-01 10:00:01] INFO ok\n", "b.log"),
      "text");
  EXPECT_EQ(DetectFormat("{main} INFO started\n", "c.log"), "text");
  EXPECT_EQ(DetectFormat("[1] first\n", "d.log"), "text");
  EXPECT_EQ(DetectFormat("{\"08\": [{\"inject_time\": \"2023-01-29 08:43:04\",\n  \"x\": 1}]}\n",
                         "f.json"),
            "json-other");
  EXPECT_EQ(DetectFormat("[\n {\"name\": \"a\", \"ph\": \"X\", \"ts\": 1, \"dur\": 2}", "t.json"),
            "chrome-trace");
  // A telemetry format's own keys decide even when its first line is cut short.
  EXPECT_EQ(DetectFormat("{\"resourceSpans\": [{\"resource\": {\"attr\n{\"resourceSpans\": []}\n",
                         "cut.json"),
            "otlp-json");

  testing::TempDir dir;
  testing::WriteFile(
      dir.path() / "error.log",
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
      "/etc/httpd/conf/workers2.properties\n"
      "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6\n");
  ReadReport report;
  Batch b = MustRead({(dir.path() / "error.log").string()}, &report);
  EXPECT_EQ(b.logs.size(), 2u);
  EXPECT_EQ(report.files.at(0).format, "text");
}

TEST(Read, LinksBackUpTheTreeAndRepeatedPathsReadOnce) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "logs" / "a.log", "2024-01-01T00:00:00Z INFO one\n");
  fs::create_directory_symlink("..", dir.path() / "logs" / "up");
  ReadReport report;
  Batch b =
      MustRead({(dir.path() / "logs").string(), (dir.path() / "logs" / "a.log").string()}, &report);
  EXPECT_EQ(b.logs.size(), 1u);
  EXPECT_EQ(report.files.size(), 1u);
}

TEST(Read, AnUnreadableFileOrFolderInAFolderCostsOnlyItself) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every file";
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "a.log", "2024-01-01T00:00:00Z INFO one\n");
  testing::WriteFile(dir.path() / "b.log", "2024-01-01T00:00:01Z INFO two\n");
  fs::permissions(dir.path() / "a.log", fs::perms::none);
  ReadReport report;
  Batch b = MustRead({dir.path().string()}, &report);
  EXPECT_EQ(b.logs.size(), 1u);
  EXPECT_EQ(report.rejected.count, 1u);
  EXPECT_FALSE(ReadAll({(dir.path() / "a.log").string()}).ok());  // named: an error

  testing::WriteFile(dir.path() / "sub" / "c.log", "2024-01-01T00:00:02Z INFO three\n");
  fs::permissions(dir.path() / "sub", fs::perms::none);
  ReadReport again;
  Batch c = MustRead({dir.path().string()}, &again);
  fs::permissions(dir.path() / "sub", fs::perms::owner_all);
  EXPECT_EQ(c.logs.size(), 1u);
  EXPECT_EQ(again.rejected.count, 2u);
  EXPECT_NE(again.rejected.first.at(0).find("sub: cannot list folder"), std::string::npos);
}

TEST(Read, NezhaColumnsInAnotherOrder) {
  // Nezha's readers find their columns by name; detection asks for the names, not their order.
  testing::TempDir dir;
  testing::WriteFile(
      dir.path() / "t.csv",
      "SpanID,TraceID,PodName,ParentID,OperationName,EndTimeUnixNano,StartTimeUnixNano\n"
      "520b067330e3ede5,b0103bb0161ad7fa352fe1828eeb643a,ts-gateway-service-6f6cfc45b-h5m2n,"
      "root,/*,1674981769015316530,1674981768697000000\n");
  ReadReport report;
  Batch b = MustRead({(dir.path() / "t.csv").string()}, &report);
  EXPECT_EQ(report.files.at(0).format, "nezha-trace");
  ASSERT_EQ(b.spans.size(), 1u);
  EXPECT_EQ(b.spans[0].service, "ts-gateway-service");
  EXPECT_EQ(b.spans[0].start, 1674981768697000000);
  EXPECT_EQ(DetectFormat("\"PodName\",\"Log\",\"Timestamp\"\n", "l.csv"), "nezha-log");
  EXPECT_EQ(DetectFormat("TimeStamp,ServiceName,SuccessRate(%)\n", "m.csv"), "nezha-metric");
}

TEST(JsonPrefix, FollowsTheGrammarAndAcceptsACut) {
  EXPECT_TRUE(IsJsonPrefix("{\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\\"y\"], \"b\": {}}"));
  EXPECT_TRUE(IsJsonPrefix("[{\"a\": 1}, {\"b\": \"cut here"));
  EXPECT_TRUE(IsJsonPrefix("{\"a\": tr"));
  EXPECT_TRUE(IsJsonPrefix("[1.5e"));
  EXPECT_TRUE(IsJsonPrefix("{\"a\": 1}\n{\"a\": 2}\n"));  // JSON lines
  EXPECT_TRUE(IsJsonPrefix("{\"a\": 1}\n{,,]\n"));        // a later line is the reader's
  EXPECT_TRUE(IsJsonPrefix("{\"a\": 1}{\"a\": 2}"));
  EXPECT_TRUE(IsJsonPrefix("[]"));
  EXPECT_FALSE(IsJsonPrefix("[2024-01-01 10:00:00] INFO"));
  EXPECT_FALSE(IsJsonPrefix("[notice] x"));
  EXPECT_FALSE(IsJsonPrefix("{a: 1}"));
  EXPECT_FALSE(IsJsonPrefix("[1 2]"));
  EXPECT_FALSE(IsJsonPrefix("[01]"));
  EXPECT_FALSE(IsJsonPrefix("{\"a\" 1}"));
  EXPECT_FALSE(IsJsonPrefix("[1,]x"));
  EXPECT_FALSE(IsJsonPrefix("[1] text"));
}

TEST(Read, MissingPathIsAnError) {
  auto r = ReadAll({"/nonexistent/x.json"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("/nonexistent/x.json"), std::string::npos);
}

TEST(Read, StrictStopsAtFirstReject) {
  ReadOptions o;
  o.strict = true;
  ReadReport report;
  auto r = ReadAll({TestData("otlp_traces.json").string()}, o, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(report.rejected.count, 1u);
  EXPECT_NE(r.message().find("otlp_traces.json:4: wrong type"), std::string::npos) << r.message();
}

TEST(Read, FormatNamesAndForcedFormat) {
  auto names = FormatNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "otlp-json"), names.end());
  ReadOptions o;
  o.format = "nope";
  EXPECT_FALSE(ReadAll({TestData("otlp_traces.json").string()}, o).ok());
  o.format = "text";
  Batch b = MustRead({TestData("otlp_traces.json").string()}, nullptr, o);
  EXPECT_EQ(b.spans.size(), 0u);
  EXPECT_GT(b.logs.size(), 0u);
}

TEST(Read, BatchesAreBounded) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  testing::WriteFile(dir.path() / "a.log", text);
  ReadOptions o;
  o.batch_size = 64;
  size_t batches = 0, records = 0, biggest = 0;
  auto r = ReadPaths({(dir.path() / "a.log").string()}, o, [&](Batch& b) {
    ++batches;
    records += b.size();
    biggest = std::max(biggest, b.size());
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(records, 1000u);
  EXPECT_LE(biggest, 64u);
  EXPECT_EQ(r->files[0].records, 1000u);
}

}  // namespace
}  // namespace augur::ingest
