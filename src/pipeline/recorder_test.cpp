#include "pipeline/recorder.h"

#include <gtest/gtest.h>

namespace augur::pipeline {
namespace {

constexpr TimeNs kSec = 1'000'000'000;

// `per_window` log lines in each 30 s window of [from, to) seconds.
Batch Logs(TimeNs from, TimeNs to, int per_window) {
  Batch b;
  for (TimeNs w = from; w < to; w += 30)
    for (int i = 0; i < per_window; ++i) {
      LogRecord l;
      l.time = (w + i % 30) * kSec;
      l.service = i % 2 ? "a" : "b";
      l.body = "line";
      b.logs.push_back(l);
    }
  return b;
}

TEST(Recorder, SilencesAreEmptyWindowsBetweenBusyOnes) {
  Recorder rec;
  rec.Add(Logs(0, 90, 40));
  rec.Add(Logs(150, 240, 40));  // nothing from 90 s to 150 s
  MetricPoint m;                // metrics go on through the silence: they do not fill it
  m.time = 100 * kSec;
  m.service = "a";
  m.name = "cpu";
  Batch b;
  b.metrics.push_back(m);
  rec.Add(b);
  auto s = rec.Silences();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, 90 * kSec);
  EXPECT_EQ(s[0].second, 150 * kSec);
}

TEST(Recorder, QuietTelemetryHasNoSilences) {
  Recorder rec;
  rec.Add(Logs(0, 90, 3));  // three lines a window: an empty one means nothing
  rec.Add(Logs(150, 240, 3));
  EXPECT_TRUE(rec.Silences().empty());
  EXPECT_TRUE(Recorder().Silences().empty());
}

}  // namespace
}  // namespace augur::pipeline
