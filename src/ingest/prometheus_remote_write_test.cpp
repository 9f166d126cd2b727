// Prometheus remote write: requests built field by field here and snappy-compressed as senders do
// (a real Prometheus sends them in src/serve/prometheus_server_test.cpp).
#include <gtest/gtest.h>
#include <snappy.h>

#include <cmath>
#include <cstring>

#include "ingest/protobuf_wire.h"
#include "ingest/read.h"

namespace augur::ingest {
namespace {

using protobuf::AppendFixed64Field;
using protobuf::AppendLenField;
using protobuf::AppendVarintField;

std::string Label(const std::string& name, const std::string& value) {
  std::string l;
  AppendLenField(1, name, &l);
  AppendLenField(2, value, &l);
  return l;
}
std::string Sample(double value, int64_t ms) {
  std::string s;
  uint64_t bits;
  std::memcpy(&bits, &value, 8);
  AppendFixed64Field(1, bits, &s);
  AppendVarintField(2, static_cast<uint64_t>(ms), &s);
  return s;
}
std::string Series(const std::vector<std::pair<std::string, std::string>>& labels,
                   const std::vector<std::string>& samples) {
  std::string ts;
  for (const auto& [k, v] : labels) AppendLenField(1, Label(k, v), &ts);
  for (const auto& s : samples) AppendLenField(2, s, &ts);
  return ts;
}
std::string Metadata(int type, const std::string& family) {
  std::string md;
  AppendVarintField(1, static_cast<uint64_t>(type), &md);
  AppendLenField(2, family, &md);
  return md;
}

Batch Read(const std::string& body, ReadReport* report) {
  Batch all;
  ReadOptions o;
  o.format = "prometheus-remote-write";
  auto r = ReadBuffer(body, "body", o, [&](Batch& b) {
    for (auto& m : b.metrics) all.metrics.push_back(std::move(m));
  });
  EXPECT_TRUE(r.ok()) << r.message();
  if (r) *report = *r;
  return all;
}

constexpr int64_t kT = 1731960000000;  // ms

TEST(RemoteWrite, SamplesBecomePointsTypedByMetadataOrSuffix) {
  std::string req;
  AppendLenField(
      1,
      Series({{"__name__", "http_requests_total"}, {"job", "cart"}, {"instance", "cart-1:8080"}},
             {Sample(10, kT), Sample(12, kT + 15000)}),
      &req);
  AppendLenField(
      1, Series({{"__name__", "queue_depth"}, {"pod", "orders-7d9f8b6c5-x2x4z"}}, {Sample(3, kT)}),
      &req);
  AppendLenField(1, Series({{"__name__", "jobs_done"}, {"job", "worker"}}, {Sample(5, kT)}), &req);
  AppendLenField(3, Metadata(1, "jobs_done"), &req);  // COUNTER, though its name does not say so
  std::string body;
  snappy::Compress(req.data(), req.size(), &body);

  ReadReport report;
  Batch b = Read(body, &report);
  EXPECT_EQ(report.rejected.count, 0u);
  ASSERT_EQ(b.metrics.size(), 4u);
  const MetricPoint& c = b.metrics[1];
  EXPECT_EQ(c.name, "http_requests_total");
  EXPECT_EQ(c.service, "cart");
  EXPECT_EQ(c.instance, "cart-1:8080");
  EXPECT_EQ(c.value, 12);
  EXPECT_EQ(c.time, (kT + 15000) * 1'000'000);
  EXPECT_TRUE(c.monotonic);
  EXPECT_EQ(c.kind, MetricKind::kSum);
  ASSERT_EQ(c.labels.size(), 2u);  // __name__ is the name, not a label
  EXPECT_EQ(b.metrics[2].service, "orders");
  EXPECT_EQ(b.metrics[2].instance, "orders-7d9f8b6c5-x2x4z");
  EXPECT_FALSE(b.metrics[2].monotonic);
  EXPECT_TRUE(b.metrics[3].monotonic);
}

TEST(RemoteWrite, StaleMarkersSkippedDamageRejectedGoodSeriesKept) {
  uint64_t stale_bits = 0x7ff0000000000002ULL;
  double stale;
  std::memcpy(&stale, &stale_bits, 8);
  std::string req;
  AppendLenField(
      1, Series({{"__name__", "up"}, {"job", "a"}}, {Sample(1, kT), Sample(stale, kT + 1)}), &req);
  AppendLenField(1, Series({{"job", "b"}}, {Sample(1, kT)}), &req);    // no __name__
  AppendLenField(1, std::string("\x0a\x09\x0a\x08__name", 10), &req);  // a label cut short
  AppendLenField(1, Series({{"__name__", "up"}, {"job", "c"}}, {Sample(0, kT)}), &req);

  ReadReport report;
  Batch b = Read(req, &report);  // uncompressed: read as it is
  ASSERT_EQ(b.metrics.size(), 2u);
  EXPECT_EQ(b.metrics[0].service, "a");
  EXPECT_EQ(b.metrics[1].service, "c");
  EXPECT_EQ(report.rejected.count, 2u);
  EXPECT_EQ(report.rejected.reasons.count("missing label: __name__"), 1u);

  // Every single-byte change and truncation of the compressed request reads without crashing.
  std::string body;
  snappy::Compress(req.data(), req.size(), &body);
  for (size_t i = 0; i < body.size(); ++i) {
    std::string x = body;
    x[i] = static_cast<char>(x[i] ^ 0x33);
    Read(x, &report);
    Read(body.substr(0, i), &report);
  }
}

}  // namespace
}  // namespace augur::ingest
