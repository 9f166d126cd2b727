#include "ingest/otlp_json_writer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ingest/read.h"
#include "testing/testing.h"

namespace augur::ingest {
namespace {

Batch ReadBack(const std::string& text) {
  Batch all;
  auto r = ReadBuffer(text, "mem.jsonl", {}, [&](Batch& b) {
    for (auto& s : b.spans) all.spans.push_back(std::move(s));
    for (auto& l : b.logs) all.logs.push_back(std::move(l));
    for (auto& m : b.metrics) all.metrics.push_back(std::move(m));
  });
  EXPECT_TRUE(r.ok()) << r.message();
  if (r.ok()) {
    EXPECT_EQ(r->rejected.count, 0u);
  }
  return all;
}

TEST(OtlpJsonWriter, SpansKeepIdsKindsTimesStatusAndEscapes) {
  Span s;
  s.trace_id = *TraceId::FromHex("5b8efff798038103d269b633813fc60c");
  s.span_id = *SpanId::FromHex("eee19b7ec3c1b174");
  s.parent_id = *SpanId::FromHex("eee19b7ec3c1b173");
  s.service = "carts";
  s.instance = "carts-7d9f8c6b5d-x2k9p";
  s.name = "GET /carts/{id} \"quoted\"\n\ttab \x01";
  s.kind = SpanKind::kClient;
  s.start = 1731960000123456789;
  s.end = s.start + 5'000'000;
  s.status = StatusCode::kError;
  s.status_message = "boom";
  s.http_method = "GET";
  s.http_status_code = 503;
  s.attributes = {{"peer.service", "carts-db"}, {"unicode", "µs → ok"}};
  s.events = {{s.start + 10, "retry", {{"retry.attempt", "1"}}}};
  Span root = s;
  root.span_id = *SpanId::FromHex("1");
  root.parent_id = SpanId{};
  root.service = "front-end";
  root.instance = "";
  std::vector<Span> spans{s, root};
  std::string out;
  AppendOtlpTracesJson(spans, {}, out);
  ASSERT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one document per line";
  EXPECT_NE(out.find("\"startTimeUnixNano\":\"1731960000123456789\""), std::string::npos);
  EXPECT_NE(out.find("\"kind\":3"), std::string::npos);
  EXPECT_NE(out.find("{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"503\"}}"),
            std::string::npos);
  Batch b = ReadBack(out);
  ASSERT_EQ(b.spans.size(), 2u);
  const Span& g = b.spans[0];
  EXPECT_EQ(g.trace_id, s.trace_id);
  EXPECT_EQ(g.span_id, s.span_id);
  EXPECT_EQ(g.parent_id, s.parent_id);
  EXPECT_EQ(g.service, "carts");
  EXPECT_EQ(g.instance, s.instance);
  EXPECT_EQ(g.name, s.name);
  EXPECT_EQ(g.kind, SpanKind::kClient);
  EXPECT_EQ(g.start, s.start);
  EXPECT_EQ(g.end, s.end);
  EXPECT_EQ(g.status, StatusCode::kError);
  EXPECT_EQ(g.status_message, "boom");
  EXPECT_EQ(g.http_status_code, 503);
  EXPECT_EQ(*FindAttribute(g.attributes, "unicode"), "µs → ok");
  ASSERT_EQ(g.events.size(), 1u);
  EXPECT_EQ(g.events[0].time, s.start + 10);
  EXPECT_TRUE(b.spans[1].is_root());
  EXPECT_EQ(b.spans[1].service, "front-end");
}

TEST(OtlpJsonWriter, LogsKeepSeverityBodyAndIds) {
  LogRecord a;
  a.time = 1731960000000000001;
  a.service = "orders";
  a.instance = "orders-abc-12345";
  a.severity = Severity::kError;
  a.severity_text = "ERROR";
  a.body = "line with \\ backslash and \"quotes\"";
  a.trace_id = *TraceId::FromHex("00000000000000000000000000000abc");
  a.span_id = *SpanId::FromHex("def");
  LogRecord b = a;
  b.severity = Severity::kUnspecified;
  b.severity_text = "";
  b.trace_id = TraceId{};
  b.span_id = SpanId{};
  b.body = "\tat works.weave.Foo(Foo.java:1)";
  std::vector<LogRecord> logs{a, b};
  std::string out;
  AppendOtlpLogsJson(logs, {}, out);
  EXPECT_NE(out.find("\"severityNumber\":17"), std::string::npos);
  Batch r = ReadBack(out);
  ASSERT_EQ(r.logs.size(), 2u);
  EXPECT_EQ(r.logs[0].body, a.body);
  EXPECT_EQ(r.logs[0].severity, Severity::kError);
  EXPECT_EQ(r.logs[0].trace_id, a.trace_id);
  EXPECT_EQ(r.logs[0].span_id, a.span_id);
  EXPECT_EQ(r.logs[1].body, b.body);
  EXPECT_TRUE(r.logs[1].trace_id.empty());
}

TEST(OtlpJsonWriter, MetricsOfEveryKind) {
  MetricPoint g;
  g.name = "cpu_usage";
  g.service = "catalogue";
  g.instance = "catalogue-x-y";
  g.time = 1731960001000000000;
  g.value = 0.1;
  g.labels = {{"container", "catalogue"}};
  MetricPoint s = g;
  s.name = "restarts";
  s.kind = MetricKind::kSum;
  s.monotonic = true;
  s.value = 3;
  MetricPoint h = g;
  h.name = "latency";
  h.kind = MetricKind::kHistogram;
  h.value = 12.5;
  h.count = 4;
  h.bounds = {1, 10};
  h.bucket_counts = {1, 2, 1};
  MetricPoint q = g;
  q.name = "latency_summary";
  q.kind = MetricKind::kSummary;
  q.value = 10;
  q.count = 4;
  q.bounds = {0.5, 0.99};
  q.bucket_counts = {2.5, 7};
  MetricPoint nan = g;
  nan.name = "nan_gauge";
  nan.value = std::nan("");
  std::vector<MetricPoint> points{g, s, h, q, nan, g};
  points.back().time += 1'000'000'000;
  std::string out;
  AppendOtlpMetricsJson(points, {}, out);
  EXPECT_NE(out.find("\"asDouble\":\"NaN\""), std::string::npos);
  Batch r = ReadBack(out);
  ASSERT_EQ(r.metrics.size(), points.size());
  int gauges = 0;
  for (const auto& m : r.metrics) {
    EXPECT_EQ(m.service, "catalogue");
    if (m.name == "cpu_usage") {
      ++gauges;
      EXPECT_EQ(m.value, 0.1);
      EXPECT_EQ(m.kind, MetricKind::kGauge);
    } else if (m.name == "restarts") {
      EXPECT_EQ(m.kind, MetricKind::kSum);
      EXPECT_TRUE(m.monotonic);
      EXPECT_EQ(m.value, 3);
    } else if (m.name == "latency") {
      EXPECT_EQ(m.kind, MetricKind::kHistogram);
      EXPECT_EQ(m.count, 4u);
      EXPECT_EQ(m.bounds, h.bounds);
      EXPECT_EQ(m.bucket_counts, h.bucket_counts);
    } else if (m.name == "latency_summary") {
      EXPECT_EQ(m.kind, MetricKind::kSummary);
      EXPECT_EQ(m.count, 4u);
    }
  }
  EXPECT_EQ(gauges, 2);
}

TEST(OtlpJsonWriter, ExtraResourceAttributesAndLongBatchesSplit) {
  OtlpJsonOptions opt;
  opt.resource_attributes = [](std::string_view service, std::string_view, Attributes& out) {
    out.push_back({"service.version", std::string(service) + "-1.0"});
  };
  std::vector<LogRecord> logs(3);
  for (auto& l : logs) {
    l.service = "user";
    l.body = "x";
  }
  std::string out;
  AppendOtlpLogsJson(logs, opt, out);
  EXPECT_NE(out.find("\"service.version\",\"value\":{\"stringValue\":\"user-1.0\"}"),
            std::string::npos);
  EXPECT_EQ(out.find("k8s.pod.name"), std::string::npos);  // no instance, no attribute
}

TEST(OtlpJsonWriter, FilesStreamOneDocumentPerLine) {
  testing::TempDir dir;
  OtlpJsonWriterOptions opt;
  opt.max_records_per_line = 2;
  auto w = OtlpJsonWriter::Open(dir.path().string(), opt);
  ASSERT_TRUE(w.ok()) << w.message();
  Batch b;
  for (int i = 0; i < 5; ++i) {
    LogRecord l;
    l.time = 1000 + i;
    l.service = "user";
    l.body = "line " + std::to_string(i);
    b.logs.push_back(l);
  }
  ASSERT_TRUE((*w)->Write(b).ok());
  ASSERT_TRUE((*w)->Write(b).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->logs_written(), 10u);
  EXPECT_FALSE((*w)->Write(b).ok());  // closed
  auto all = ReadAll({dir.path().string()});
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ(all->logs.size(), 10u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "traces.jsonl"));  // created even when empty
  EXPECT_FALSE(OtlpJsonWriter::Open("/proc/no/such/dir").ok());
}

}  // namespace
}  // namespace augur::ingest
