// Unit tests of the Zipkin, Jaeger, Loki, Chrome trace, Prometheus and wide-CSV readers.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/time.h"
#include "ingest/read.h"

namespace augur::ingest {
namespace {

namespace fs = std::filesystem;

std::string TestData(const std::string& name) {
  return (fs::path(__FILE__).parent_path() / "testdata" / name).string();
}

Batch Read(const std::string& name, ReadReport* report) {
  auto r = ReadAll({TestData(name)}, {}, report);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? std::move(r).value() : Batch{};
}

TEST(Zipkin, SpansSharedIdsTagsAndRejects) {
  ReadReport report;
  Batch b = Read("zipkin.json", &report);
  EXPECT_EQ(report.files[0].format, "zipkin-json");
  ASSERT_EQ(b.spans.size(), 4u);
  const Span& client = b.spans[0];
  EXPECT_EQ(client.trace_id.Hex(), "00000000000000005af7183fb1d4cf5f");
  EXPECT_EQ(client.service, "frontend");
  EXPECT_EQ(client.instance, "192.168.99.1");
  EXPECT_EQ(client.kind, SpanKind::kClient);
  EXPECT_EQ(client.start, 1556604172355737000);
  EXPECT_EQ(client.duration(), 1431000);
  EXPECT_EQ(client.http_method, "GET");
  EXPECT_EQ(client.http_route, "/api");
  EXPECT_EQ(client.http_status_code, 500);
  EXPECT_EQ(client.status, StatusCode::kError);
  EXPECT_EQ(*FindAttribute(client.attributes, "peer.service"), "backend");
  const Span& server = b.spans[1];
  EXPECT_EQ(server.service, "backend");
  EXPECT_EQ(server.parent_id, client.span_id);  // shared id: the server half hangs under the client
  EXPECT_NE(server.span_id, client.span_id);
  ASSERT_EQ(server.events.size(), 1u);
  EXPECT_EQ(server.events[0].name, "wr");
  EXPECT_TRUE(b.spans[2].is_root());
  EXPECT_EQ(b.spans[2].start, 1556604172350000000);  // timestamp as a string
  EXPECT_EQ(report.rejected.count, 1u);
  EXPECT_EQ(report.rejected.reasons["invalid id: traceId"], 1u);
}

TEST(Jaeger, DataArrayWithProcesses) {
  ReadReport report;
  Batch b = Read("jaeger_data.json", &report);
  EXPECT_EQ(report.files[0].format, "jaeger-json");
  ASSERT_EQ(b.spans.size(), 3u);
  EXPECT_EQ(b.spans[0].service, "frontend");
  EXPECT_EQ(b.spans[0].instance, "frontend-7d9f8-abcde");
  EXPECT_EQ(b.spans[0].kind, SpanKind::kServer);
  EXPECT_EQ(b.spans[0].http_status_code, 200);
  EXPECT_EQ(b.spans[0].status, StatusCode::kUnset);
  EXPECT_EQ(b.spans[0].start, 1700000000000000000);
  EXPECT_EQ(b.spans[0].duration(), 5000000);
  ASSERT_EQ(b.spans[0].events.size(), 1u);
  EXPECT_EQ(b.spans[0].events[0].name, "start");
  EXPECT_EQ(b.spans[1].service, "mysql");
  EXPECT_EQ(b.spans[1].parent_id, b.spans[0].span_id);
  EXPECT_EQ(b.spans[1].status, StatusCode::kError);
  EXPECT_EQ(b.spans[2].service, "route");  // processes are per trace
  EXPECT_EQ(report.rejected.count, 0u);
}

TEST(Jaeger, SingleTrace) {
  ReadReport report;
  Batch b = Read("jaeger_trace.json", &report);
  EXPECT_EQ(report.files[0].format, "jaeger-json");
  ASSERT_EQ(b.spans.size(), 1u);
  EXPECT_EQ(b.spans[0].service, "driver");
  EXPECT_EQ(b.spans[0].name, "FindNearest");
  EXPECT_EQ(report.rejected.count, 0u);
}

TEST(Loki, StreamsLabelsAndRejects) {
  ReadReport report;
  Batch b = Read("loki.json", &report);
  EXPECT_EQ(report.files[0].format, "loki-json");
  ASSERT_EQ(b.logs.size(), 3u);
  EXPECT_EQ(b.logs[0].service, "checkout");  // the explicit label beats the pod
  EXPECT_EQ(b.logs[0].instance, "checkout-5f55b6cf68-77cfw");
  EXPECT_EQ(b.logs[0].severity, Severity::kError);
  EXPECT_EQ(b.logs[0].time, 1700000000000000000);
  EXPECT_EQ(*FindAttribute(b.logs[1].attributes, "trace_id"), "abc");
  EXPECT_EQ(b.logs[2].service, "cart");  // labels after values
  EXPECT_EQ(b.logs[2].severity, Severity::kInfo);
  EXPECT_EQ(report.rejected.count, 2u);
}

TEST(ChromeTrace, EventsAndProcessNames) {
  ReadReport report;
  Batch b = Read("chrome_trace.json", &report);
  EXPECT_EQ(report.files[0].format, "chrome-trace");
  ASSERT_EQ(b.trace_events.size(), 3u);
  const TraceEvent& e = b.trace_events[1];
  EXPECT_EQ(e.name, "handle");
  EXPECT_EQ(e.category, "http");
  EXPECT_EQ(e.phase, 'X');
  EXPECT_EQ(e.time, 1700000000000000500);
  EXPECT_EQ(e.duration, 250000);
  EXPECT_EQ(e.pid, 7);
  EXPECT_EQ(e.tid, 8);
  EXPECT_EQ(e.process_name, "carts");
  EXPECT_EQ(*FindAttribute(e.fields, "route"), "/cart");
  EXPECT_EQ(*FindAttribute(e.fields, "n"), "3");
  EXPECT_EQ(report.rejected.reasons["missing field: ph"], 1u);
}

TEST(Prometheus, SamplesTypesLabelsAndRejects) {
  ReadReport report;
  Batch b = Read("metrics.prom", &report);
  EXPECT_EQ(report.files[0].format, "prometheus");
  ASSERT_EQ(b.metrics.size(), 5u);
  const MetricPoint& p = b.metrics[0];
  EXPECT_EQ(p.name, "http_requests_total");
  EXPECT_EQ(p.kind, MetricKind::kSum);
  EXPECT_TRUE(p.monotonic);
  EXPECT_EQ(p.service, "api");
  EXPECT_EQ(p.instance, "10.0.0.1:8080");
  EXPECT_EQ(p.time, 1395066363000 * kNsPerMs);
  EXPECT_DOUBLE_EQ(p.value, 1027);
  EXPECT_EQ(b.metrics[2].service, "payment");
  EXPECT_EQ(*FindAttribute(b.metrics[2].labels, "quantile"), "0.5");
  EXPECT_EQ(*FindAttribute(b.metrics[4].labels, "path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(*FindAttribute(b.metrics[4].labels, "error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(report.rejected.count, 2u);
}

TEST(WideCsv, ServiceMetricColumns) {
  ReadReport report;
  Batch b = Read("wide.csv", &report);
  EXPECT_EQ(report.files[0].format, "csv-metrics");
  ASSERT_EQ(b.metrics.size(), 7u);  // 3 + 2 (empty cell: no sample) + 2 (one bad cell)
  EXPECT_EQ(b.metrics[0].service, "cartservice");
  EXPECT_EQ(b.metrics[0].name, "cpu");
  EXPECT_EQ(b.metrics[0].time, 1700000000 * kNsPerSecond);
  EXPECT_EQ(b.metrics[2].service, "frontend");
  EXPECT_EQ(b.metrics[2].name, "latency_p90");
  EXPECT_EQ(report.rejected.count, 1u);
}

}  // namespace
}  // namespace augur::ingest
