// OTLP/protobuf against the OpenTelemetry JS SDK's own serializers: testdata/otlp_proto holds the
// same spans, log records and metric points written as protobuf and as OTLP/JSON by
// scripts/make-otlp-proto-fixtures.js; the protobuf reader must give the JSON reader's records.
// Damaged bodies are rejected with their reason, the good records around them kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "ingest/read.h"

namespace augur::ingest {
namespace {

const std::filesystem::path kDir =
    std::filesystem::path(__FILE__).parent_path() / "testdata" / "otlp_proto";

std::string Slurp(const std::string& name) {
  std::ifstream in(kDir / name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Batch Read(std::string_view body, const std::string& format, ReadReport* report = nullptr) {
  Batch all;
  ReadOptions o;
  o.format = format;
  auto r = ReadBuffer(body, "body", o, [&](Batch& b) {
    for (auto& x : b.spans) all.spans.push_back(std::move(x));
    for (auto& x : b.logs) all.logs.push_back(std::move(x));
    for (auto& x : b.metrics) all.metrics.push_back(std::move(x));
  });
  EXPECT_TRUE(r.ok()) << r.message();
  if (r && report) *report = *r;
  return all;
}

TEST(OtlpProto, SpansAsTheJsonReaderReadsThem) {
  ReadReport report;
  Batch pb = Read(Slurp("traces.pb"), "otlp-proto-traces", &report);
  Batch js = Read(Slurp("traces.json"), "otlp-json");
  EXPECT_EQ(report.rejected.count, 0u);
  ASSERT_EQ(pb.spans.size(), 2u);
  ASSERT_EQ(pb.spans.size(), js.spans.size());
  for (size_t i = 0; i < pb.spans.size(); ++i) {
    const Span &a = pb.spans[i], &b = js.spans[i];
    EXPECT_EQ(a.trace_id, b.trace_id);
    EXPECT_EQ(a.span_id, b.span_id);
    EXPECT_EQ(a.parent_id, b.parent_id);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.instance, b.instance);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.start, b.start);
    EXPECT_EQ(a.end, b.end);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.status_message, b.status_message);
    EXPECT_EQ(a.http_method, b.http_method);
    EXPECT_EQ(a.http_route, b.http_route);
    EXPECT_EQ(a.http_status_code, b.http_status_code);
    EXPECT_EQ(a.attributes, b.attributes) << a.name;
    ASSERT_EQ(a.events.size(), b.events.size());
    for (size_t k = 0; k < a.events.size(); ++k) {
      EXPECT_EQ(a.events[k].name, b.events[k].name);
      EXPECT_EQ(a.events[k].time, b.events[k].time);
      EXPECT_EQ(a.events[k].attributes, b.events[k].attributes);
    }
  }
  // What the fixture's root span says, read off the protobuf alone.
  const Span& root = pb.spans[1];
  EXPECT_EQ(root.name, "GET /cart");
  EXPECT_EQ(root.service, "cart");
  EXPECT_EQ(root.instance, "cart-7d9f8b6c5-x2x4z");
  EXPECT_EQ(root.kind, SpanKind::kServer);
  EXPECT_EQ(root.status, StatusCode::kError);
  EXPECT_EQ(root.status_message, "db down");
  EXPECT_EQ(root.http_status_code, 500);
  EXPECT_EQ(root.start, 1731960000000000000);
  EXPECT_EQ(root.duration(), 5'000'000);
  EXPECT_EQ(*FindAttribute(root.attributes, "items"), R"(["a","b"])");
  EXPECT_EQ(*FindAttribute(root.attributes, "retry.ratio"), "0.25");
  EXPECT_EQ(*FindAttribute(root.attributes, "cache.hit"), "false");
  EXPECT_EQ(pb.spans[0].parent_id, root.span_id);
}

TEST(OtlpProto, LogRecordsAsTheJsonReaderReadsThem) {
  Batch pb = Read(Slurp("logs.pb"), "otlp-proto-logs");
  Batch js = Read(Slurp("logs.json"), "otlp-json");
  ASSERT_EQ(pb.logs.size(), 2u);
  ASSERT_EQ(pb.logs.size(), js.logs.size());
  for (size_t i = 0; i < pb.logs.size(); ++i) {
    const LogRecord &a = pb.logs[i], &b = js.logs[i];
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.instance, b.instance);
    EXPECT_EQ(a.severity, b.severity);
    EXPECT_EQ(a.severity_text, b.severity_text);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.attributes, b.attributes);
    EXPECT_EQ(a.trace_id, b.trace_id);
    EXPECT_EQ(a.span_id, b.span_id);
  }
  EXPECT_EQ(pb.logs[0].body, "payment failed: card declined");
  EXPECT_EQ(pb.logs[0].severity, Severity::kError);
  EXPECT_EQ(pb.logs[0].time, 1731960000002000000);
  EXPECT_EQ(pb.logs[1].severity, Severity::kInfo);
}

TEST(OtlpProto, MetricPointsAsTheJsonReaderReadsThem) {
  Batch pb = Read(Slurp("metrics.pb"), "otlp-proto-metrics");
  Batch js = Read(Slurp("metrics.json"), "otlp-json");
  ASSERT_EQ(pb.metrics.size(), 5u);
  ASSERT_EQ(pb.metrics.size(), js.metrics.size());
  for (size_t i = 0; i < pb.metrics.size(); ++i) {
    const MetricPoint &a = pb.metrics[i], &b = js.metrics[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(a.count, b.count);
    EXPECT_EQ(a.bounds, b.bounds);
    EXPECT_EQ(a.bucket_counts, b.bucket_counts);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.monotonic, b.monotonic);
  }
  auto find = [&](const std::string& name) -> const MetricPoint& {
    for (const auto& p : pb.metrics)
      if (p.name == name) return p;
    ADD_FAILURE() << name;
    return pb.metrics[0];
  };
  EXPECT_EQ(find("requests").value, 7);
  EXPECT_TRUE(find("requests").monotonic);
  EXPECT_FALSE(find("queue.depth").monotonic);
  EXPECT_EQ(find("latency_ms").bounds, (std::vector<double>{5, 10, 50}));
  EXPECT_EQ(find("latency_ms").bucket_counts, (std::vector<double>{1, 2, 0, 1}));
  EXPECT_EQ(find("latency_ms").count, 4u);
  EXPECT_EQ(find("payload.size").kind, MetricKind::kExponentialHistogram);
  EXPECT_EQ(find("cpu.ratio").value, 0.42);
}

TEST(OtlpProto, DamageIsRejectedAndGoodRecordsKept) {
  const std::string good = Slurp("traces.pb");
  // Cut short: what was read in full before the cut stays; the rest is one reject with a reason.
  ReadReport report;
  Batch cut =
      Read(std::string_view(good).substr(0, good.size() - 20), "otlp-proto-traces", &report);
  EXPECT_GE(report.rejected.count, 1u);
  ASSERT_FALSE(report.rejected.first.empty());
  EXPECT_NE(report.rejected.first.back().find("truncated"), std::string::npos)
      << report.rejected.first.back();
  ASSERT_EQ(cut.spans.size(), 1u);  // the first span lies wholly before the cut
  EXPECT_EQ(cut.spans[0].name, "SELECT carts");
  EXPECT_EQ(cut.spans[0].service, "cart");  // the resource came first

  // Not protobuf at all, and a JSON body sent as protobuf.
  Read("this is not protobuf", "otlp-proto-logs", &report);
  EXPECT_GE(report.rejected.count, 1u);
  Read(Slurp("logs.json"), "otlp-proto-logs", &report);
  EXPECT_GE(report.rejected.count, 1u);

  // Every single-byte change and every truncation of each fixture reads without crashing.
  for (const char* f : {"traces.pb", "logs.pb", "metrics.pb"}) {
    const std::string body = Slurp(f);
    const std::string format =
        std::string("otlp-proto-") + std::string(f).substr(0, std::string(f).find('.'));
    for (size_t i = 0; i < body.size(); ++i) {
      std::string b = body;
      b[i] = static_cast<char>(b[i] ^ 0x5a);
      Read(b, format);
      Read(std::string_view(body).substr(0, i), format);
    }
  }
}

// A resource's names and a metric's name are given to records after the records are committed;
// they are repaired too (found by the fuzz target in CI: a pod name with a byte 0xff reached the
// records as it was).
TEST(OtlpProto, NamesGivenAfterCommitThatAreNotUtf8AreRepaired) {
  std::string body = Slurp("traces.pb");
  const size_t at = body.find("cart-7d9f8b6c5-x2x4z");
  ASSERT_NE(at, std::string::npos);
  body[at + 4] = '\xff';  // same length: the protobuf stays whole
  ReadReport report;
  Batch b = Read(body, "otlp-proto-traces", &report);
  ASSERT_EQ(b.spans.size(), 2u);
  for (const auto& sp : b.spans) EXPECT_EQ(sp.instance, "cart\uFFFD7d9f8b6c5-x2x4z");
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].repaired_records, 2u);

  // A metric's name is given to its points after they are committed too.
  body = Slurp("metrics.pb");
  const size_t name = body.find("queue.depth");
  ASSERT_NE(name, std::string::npos);
  body[name + 5] = '\xe9';  // "queue\xe9depth": Latin-1, not UTF-8
  b = Read(body, "otlp-proto-metrics", &report);
  size_t repaired = 0;
  for (const auto& p : b.metrics) {
    EXPECT_EQ(ReplaceInvalidUtf8(p.name), p.name);
    repaired += p.name == "queue\uFFFDdepth";
  }
  EXPECT_GE(repaired, 1u);
  EXPECT_EQ(report.files[0].repaired_records, repaired);
}

}  // namespace
}  // namespace augur::ingest
