#include "learn/torch/sequence_detectors.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "core/time.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

const char* kCycle[] = {"connection opened from 10.0.0.7", "request GET /cart/42 accepted",
                        "cart 42 loaded in 12 ms", "response 200 sent", "connection closed"};

// One service logging a fixed cycle, 50 lines a second; `broken` shuffles the cycle's order.
Batch Logs(TimeNs start, int lines, bool broken) {
  Batch b;
  for (int i = 0; i < lines; ++i) {
    LogRecord r;
    r.time = start + (TimeNs)i * 20'000'000;
    r.service = "cart";
    int step = broken ? (i * 3) % 5 : i % 5;
    r.body = kCycle[step];
    b.logs.push_back(r);
  }
  return b;
}

NextKeyDetectorConfig Tiny() {
  NextKeyDetectorConfig c;
  c.model.window = 5;
  c.model.embed = 8;
  c.model.hidden = 16;
  c.model.max_epochs = 40;
  c.model.patience = 40;
  c.model.threads = 1;
  c.chunk = 50;
  return c;
}

TEST(NextKeyDetector, FlagsBrokenOrderNotNormal) {
  augur::testing::TempDir dir;
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(bundle.ok());
  {
    NextKeyDetector d(Tiny());
    d.Learn(Logs(0, 2000, false));
    ASSERT_TRUE(d.FinishLearning(*bundle).ok());
    ASSERT_TRUE(bundle->Save().ok());
  }
  NextKeyDetector d(Tiny());
  ASSERT_TRUE(d.Load(*ModelBundle::Open(dir.path())).ok());
  std::vector<detect::Anomaly> normal, broken;
  d.Score(Logs(100 * kNsPerSecond, 500, false), normal);
  d.Flush(normal);
  EXPECT_TRUE(normal.empty()) << normal.front().summary;
  d.Score(Logs(200 * kNsPerSecond, 500, true), broken);
  d.Flush(broken);
  ASSERT_FALSE(broken.empty());
  EXPECT_EQ(broken.front().service, "cart");
  EXPECT_EQ(broken.front().detector, "next_key");
  EXPECT_FALSE(broken.front().evidence.empty());
}

// Three kinds of request logged in random order: no line makes any next line likelier than 1/3,
// so a probability threshold of 0.5 finds most keys unexpected and leaves no alarm margin. The
// detector falls back to the top-3 rule, under which the normal stream is quiet and lines never
// seen in training still raise the rate.
Batch Interleaved(TimeNs start, int lines, uint64_t seed, bool errors) {
  static const char* kinds[] = {"connection opened from 10.0.0.7", "request GET /cart/42 accepted",
                                "cart 42 loaded in 12 ms"};
  std::mt19937_64 rng(seed);
  Batch b;
  for (int i = 0; i < lines; ++i) {
    LogRecord r;
    r.time = start + (TimeNs)i * 20'000'000;
    r.service = "cart";
    r.body = errors && i % 2 ? "ERROR database timeout after 3000 ms, giving up" : kinds[rng() % 3];
    b.logs.push_back(r);
  }
  return b;
}

TEST(NextKeyDetector, FallsBackToTopKWhereNoNextLineIsLikely) {
  augur::testing::TempDir dir;
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(bundle.ok());
  {  // without the fallback the detector declines, saying why
    NextKeyDetectorConfig c = Tiny();
    c.fallback_top_k.clear();
    NextKeyDetector d(c);
    d.Learn(Interleaved(0, 3000, 1, false));
    Status s = d.FinishLearning(*bundle);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("too unpredictable"), std::string::npos) << s.message();
  }
  {
    NextKeyDetector d(Tiny());
    d.Learn(Interleaved(0, 3000, 1, false));
    ASSERT_TRUE(d.FinishLearning(*bundle).ok());
    const auto& figures = bundle->manifest()["models"]["next_key"]["figures"];
    EXPECT_EQ(figures["top_k"], 3) << figures.dump();
    ASSERT_TRUE(bundle->Save().ok());
  }
  NextKeyDetector d(Tiny());
  ASSERT_TRUE(d.Load(*ModelBundle::Open(dir.path())).ok());
  std::vector<detect::Anomaly> normal, errors;
  d.Score(Interleaved(100 * kNsPerSecond, 500, 2, false), normal);
  d.Flush(normal);
  EXPECT_TRUE(normal.empty()) << normal.front().summary;
  d.Score(Interleaved(200 * kNsPerSecond, 500, 3, true), errors);
  d.Flush(errors);
  EXPECT_FALSE(errors.empty());
}

TEST(NextKeyDetector, LoadFailsWithoutModel) {
  augur::testing::TempDir dir;
  auto bundle = ModelBundle::Create(dir.path());
  NextKeyDetector d;
  EXPECT_FALSE(d.Load(*bundle).ok());
  TraceLstmDetector t;
  EXPECT_FALSE(t.Load(*bundle).ok());
}

// Traces gw → cart → db, ten a second from `start`; `slow_db` makes the database 40 times slower.
Batch Traces(TimeNs start, int n, bool slow_db, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.05);
  Batch b;
  for (int i = 0; i < n; ++i) {
    const TimeNs t0 = start + (TimeNs)i * 100'000'000;
    const TimeNs db = (TimeNs)(200'000 * noise(rng) * (slow_db ? 40 : 1));
    const TimeNs cart = db + (TimeNs)(300'000 * noise(rng));
    const TimeNs gw = cart + (TimeNs)(500'000 * noise(rng));
    auto trace = *TraceId::FromHex(fmt::format("{:x}", seed * 1'000'000 + i + 1));
    const char* names[] = {"gw", "cart", "db"};
    TimeNs durations[] = {gw, cart, db};
    for (int k = 0; k < 3; ++k) {
      Span s;
      s.trace_id = trace;
      s.span_id = *SpanId::FromHex(fmt::format("{:x}", k + 1));
      if (k > 0) s.parent_id = *SpanId::FromHex(fmt::format("{:x}", k));
      s.service = names[k];
      s.name = std::string("GET /") + names[k];
      s.start = t0 + k * 10'000;
      s.end = s.start + durations[k];
      b.spans.push_back(s);
    }
  }
  return b;
}

TEST(TraceLstmDetector, CalibratedRateAlarmsOnSlowDatabaseOnly) {
  augur::testing::TempDir dir;
  TraceLstmDetectorConfig c;
  c.model.embed = 8;
  c.model.hidden = 16;
  c.model.max_epochs = 30;
  c.model.threads = 1;
  c.interval = 10 * kNsPerSecond;
  {
    auto bundle = ModelBundle::Create(dir.path());
    ASSERT_TRUE(bundle.ok());
    TraceLstmDetector d(c);
    d.Learn(Traces(0, 1500, false, 1));
    ASSERT_TRUE(d.FinishLearning(*bundle).ok());
    ASSERT_TRUE(bundle->Save().ok());
    const auto& f = bundle->manifest()["models"]["trace_lstm"]["figures"];
    EXPECT_GT(f["calibration_traces"].get<int>(), 100);
    EXPECT_LE(f["calibration_fpr_response_time"].get<double>(), 0.02);
  }
  TraceLstmDetector d(c);
  ASSERT_TRUE(d.Load(*ModelBundle::Open(dir.path())).ok());
  EXPECT_GE(d.alarm_rate(), c.min_rate);
  std::vector<detect::Anomaly> normal, slow;
  d.Score(Traces(1000 * kNsPerSecond, 600, false, 2), normal);
  d.Flush(normal);
  EXPECT_TRUE(normal.empty()) << normal.front().summary;
  d.Score(Traces(2000 * kNsPerSecond, 600, true, 3), slow);
  d.Flush(slow);
  ASSERT_FALSE(slow.empty());
  for (const auto& a : slow) {
    EXPECT_EQ(a.detector, "trace_lstm");
    EXPECT_EQ(a.service, "db") << a.summary;
    EXPECT_GE(a.start, 2000 * kNsPerSecond);
    EXPECT_FALSE(a.evidence.empty());
  }
}

TEST(TraceEventKey, RequestKeysCarryTypeAndTag) {
  TraceEvent e;
  e.name = "svc:request";
  e.process_name = "frontend";
  e.fields = {{"type", "request"}, {"tag", "00/01"}};
  EXPECT_EQ(TraceEventKey(e), "svc:request frontend request 00/01");
  TraceEvent m;
  m.name = "svc:log";
  m.process_name = "backend";
  m.fields = {{"msg", "read 4096 bytes"}};
  EXPECT_EQ(TraceEventKey(m), "svc:log backend read <*> bytes");
}

}  // namespace
}  // namespace augur::learn
