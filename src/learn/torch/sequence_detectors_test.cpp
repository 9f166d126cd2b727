#include "learn/torch/sequence_detectors.h"

#include <gtest/gtest.h>

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

TEST(NextKeyDetector, LoadFailsWithoutModel) {
  augur::testing::TempDir dir;
  auto bundle = ModelBundle::Create(dir.path());
  NextKeyDetector d;
  EXPECT_FALSE(d.Load(*bundle).ok());
  TraceLstmDetector t;
  EXPECT_FALSE(t.Load(*bundle).ok());
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
