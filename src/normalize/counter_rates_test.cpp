#include "normalize/counter_rates.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace augur::normalize {
namespace {

MetricPoint Point(const char* name, TimeNs seconds, double value, bool counter,
                  const char* pod = "cart-1") {
  MetricPoint m;
  m.name = name;
  m.service = "cart";
  m.instance = pod;
  m.time = seconds * kNsPerSecond;
  m.value = value;
  m.kind = counter ? MetricKind::kSum : MetricKind::kGauge;
  m.monotonic = counter;
  return m;
}

TEST(CounterRates, CountersBecomeRatesAndGaugesPass) {
  CounterRates rates;
  Batch b;
  b.metrics = {Point("rx_bytes", 0, 1000, true), Point("cpu", 0, 0.5, false),
               Point("rx_bytes", 15, 4000, true), Point("rx_bytes", 15, 4000, true, "cart-2")};
  rates.Apply(b);
  ASSERT_EQ(b.metrics.size(), 2u);  // each series' first point gives no rate yet
  EXPECT_EQ(b.metrics[0].name, "cpu");
  EXPECT_EQ(b.metrics[0].value, 0.5);
  EXPECT_EQ(b.metrics[1].name, "rate(rx_bytes)");
  EXPECT_DOUBLE_EQ(b.metrics[1].value, 200);  // 3000 bytes in 15 s
  EXPECT_EQ(b.metrics[1].kind, MetricKind::kGauge);
  EXPECT_FALSE(b.metrics[1].monotonic);
  EXPECT_EQ(rates.dropped(), 2u);

  // Series go on across batches; a counter that fell was reset and counts from zero; a point
  // not later than the last is dropped.
  Batch next;
  next.metrics = {Point("rx_bytes", 30, 600, true), Point("rx_bytes", 20, 9000, true),
                  Point("rx_bytes", 45, 900, true, "cart-2")};
  rates.Apply(next);
  ASSERT_EQ(next.metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(next.metrics[0].value, 40);  // reset: 600 since the restart, in 15 s
  EXPECT_EQ(next.metrics[1].instance, "cart-2");
  EXPECT_DOUBLE_EQ(next.metrics[1].value, 30);  // reset: 900 in 30 s
  EXPECT_EQ(rates.dropped(), 3u);
}

TEST(CounterRates, LabelsMakeSeriesOfTheirOwn) {
  CounterRates rates;
  Batch b;
  MetricPoint get = Point("requests_total", 0, 10, true), post = get;
  get.labels = {{"method", "GET"}};
  post.labels = {{"method", "POST"}};
  b.metrics = {get, post};
  get.time = post.time = 10 * kNsPerSecond;
  get.value = 110;
  post.value = 12;
  b.metrics.push_back(get);
  b.metrics.push_back(post);
  rates.Apply(b);
  ASSERT_EQ(b.metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(b.metrics[0].value, 10);
  EXPECT_DOUBLE_EQ(b.metrics[1].value, 0.2);
}

// A cumulative histogram's mean is its process's lifetime mean; the interval's is what moves.
TEST(CounterRates, CumulativeHistogramsBecomeTheIntervalsDistribution) {
  auto hist = [](TimeNs seconds, double sum, uint64_t count, std::vector<double> buckets) {
    MetricPoint h = Point("latency", seconds, sum, true);
    h.kind = MetricKind::kHistogram;
    h.count = count;
    h.bucket_counts = std::move(buckets);
    return h;
  };
  CounterRates rates;
  Batch b;
  b.metrics = {hist(0, 100, 10, {5, 5}), hist(60, 400, 20, {6, 14}), hist(120, 400, 20, {6, 14}),
               hist(180, 50, 2, {0, 2})};
  rates.Apply(b);
  ASSERT_EQ(b.metrics.size(), 2u);  // the first point, and the one without new observations, go
  EXPECT_EQ(b.metrics[0].name, "latency");
  EXPECT_EQ(b.metrics[0].kind, MetricKind::kHistogram);
  EXPECT_EQ(b.metrics[0].count, 10u);
  EXPECT_DOUBLE_EQ(b.metrics[0].value, 300);  // mean 30 in this minute, 20 over the lifetime
  EXPECT_EQ(b.metrics[0].bucket_counts, (std::vector<double>{1, 9}));
  EXPECT_FALSE(b.metrics[0].monotonic);
  EXPECT_EQ(b.metrics[1].count, 2u);  // reset: all it holds is new
  EXPECT_DOUBLE_EQ(b.metrics[1].value, 50);
}

}  // namespace
}  // namespace augur::normalize
