#include "detect/deviation_detector.h"
#include "detect/share_detector.h"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace augur::detect {
namespace {

constexpr TimeNs kSec = 1'000'000'000LL;

Batch MetricSeconds(int from, int to, double cpu_a, double cpu_b, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> noise(-5, 5);
  Batch b;
  for (int s = from; s < to; ++s) {
    for (auto [svc, cpu] : {std::pair{"a", cpu_a}, std::pair{"b", cpu_b}}) {
      MetricPoint m;
      m.name = "cpu";
      m.service = svc;
      m.time = s * kSec;
      m.value = cpu + noise(rng);
      b.metrics.push_back(m);
    }
  }
  return b;
}

// Trains a detector of `det`'s kind on `normal` into a bundle in `dir` and loads it into `det`.
template <class D>
void TrainAndLoad(const testing::TempDir& dir, const Batch& normal, D& det) {
  auto bundle = learn::ModelBundle::Create(dir.path());
  ASSERT_TRUE(bundle);
  D train;
  train.Learn(normal);
  ASSERT_TRUE(train.FinishLearning(*bundle));
  ASSERT_TRUE(bundle->Save());
  ASSERT_TRUE(det.Load(*bundle)) << "load";
}

// Ten normal minutes of services a (CPU 100) and b (CPU 200).
void TrainAndLoad(const testing::TempDir& dir, MetricDeviationDetector& det) {
  TrainAndLoad(dir, MetricSeconds(0, 600, 100, 200, 1), det);
  EXPECT_EQ(det.baselines(), 2u);
}

TEST(MetricDeviation, FlagsOnlyTheServiceThatMoved) {
  testing::TempDir dir;
  MetricDeviationDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, det));
  std::vector<Anomaly> out;
  det.Score(MetricSeconds(1000, 1300, 100, 200, 2), out);  // normal
  det.Score(MetricSeconds(1300, 1420, 400, 200, 3), out);  // a's CPU quadruples
  det.Flush(out);
  ASSERT_FALSE(out.empty());
  for (const auto& a : out) {
    EXPECT_EQ(a.service, "a");
    EXPECT_GT(a.end, 1300 * kSec) << "only windows that hold the change";
    EXPECT_EQ(a.modality, Modality::kMetric);
    EXPECT_FALSE(a.evidence.empty());
  }
}

// A signal that never varied in normal data has no spread: the text says so instead of a z in
// the hundred thousands; a signal that varied keeps its z.
TEST(MetricDeviation, ASignalThatNeverVariedReadsAsAlwaysItsValue) {
  auto seconds = [](int from, int to, double errors, uint64_t seed) {
    Batch b = MetricSeconds(from, to, 100, 200, seed);
    for (int s = from; s < to; ++s) {
      MetricPoint m;
      m.name = "error_rate";
      m.service = "b";
      m.time = s * kSec;
      m.value = errors;
      b.metrics.push_back(m);
    }
    return b;
  };
  testing::TempDir dir;
  MetricDeviationDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, seconds(0, 600, 0, 1), det));
  std::vector<Anomaly> out;
  det.Score(seconds(1000, 1120, 0.25, 2), out);
  det.Score(MetricSeconds(1120, 1240, 400, 200, 3), out);
  det.Flush(out);
  bool never_varied = false, varied = false;
  for (const auto& a : out) {
    if (a.service == "b") {
      never_varied = true;
      EXPECT_EQ(a.summary, "b error_rate 0.25 (normal always 0)");
      ASSERT_FALSE(a.evidence.empty());
      EXPECT_EQ(a.evidence.front(), "error_rate: 0.25 against normal always 0");
    } else {
      varied = true;
      EXPECT_NE(a.summary.find(", z +"), std::string::npos) << a.summary;
    }
  }
  EXPECT_TRUE(never_varied);
  EXPECT_TRUE(varied);
}

// Input out of time order (files named 00_00 before 23_58): what comes after its window was
// scored is counted, not lost without a word.
// Normal windows held 60 per-second samples each; a run that ends a second into a window leaves it
// one sample, which is no window's mean and is not judged, however far it lies.
TEST(MetricDeviation, APartialWindowIsNotJudged) {
  testing::TempDir dir;
  MetricDeviationDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, det));
  std::vector<Anomaly> out;
  det.Score(MetricSeconds(1020, 1200, 100, 200, 2), out);
  det.Score(MetricSeconds(1200, 1201, 400, 200, 3), out);  // one sample of a's CPU at 400
  det.Flush(out);
  EXPECT_TRUE(out.empty()) << out.front().summary;
  det.Score(MetricSeconds(1201, 1260, 400, 200, 4), out);  // the rest of the window at 400
  det.Flush(out);
  EXPECT_FALSE(out.empty());
}

TEST(MetricDeviation, CountsRecordsThatCameAfterTheirWindow) {
  testing::TempDir dir;
  MetricDeviationDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, det));
  std::vector<Anomaly> out;
  det.Score(MetricSeconds(2000, 2300, 100, 200, 2), out);
  EXPECT_EQ(det.late_records(), 0u);
  det.Score(MetricSeconds(1000, 1100, 100, 200, 3), out);
  det.Flush(out);
  EXPECT_EQ(det.late_records(), 200u);  // 100 s of two services
}

// One file per pod covering the whole day (Nezha's metric folders): the second pod of a service is
// read after the first one's last window has closed. Each pod has windows of its own, so nothing
// is late, and a deviation of the second pod is found.
TEST(MetricDeviation, PodsReadOneAfterAnotherAreNotLate) {
  testing::TempDir dir;
  MetricDeviationDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, det));
  auto pod = [](const char* instance, double cpu_from_1300) {
    Batch b = MetricSeconds(1000, 1420, 100, 200, 4);
    std::erase_if(b.metrics, [](const MetricPoint& m) { return m.service != "a"; });
    for (auto& m : b.metrics) {
      m.instance = instance;
      if (m.time >= 1300 * kSec) m.value = cpu_from_1300;
    }
    return b;
  };
  std::vector<Anomaly> out;
  det.Score(pod("a-1", 100), out);
  det.Score(pod("a-2", 400), out);  // its CPU quadruples from 1300 s
  det.Flush(out);
  EXPECT_EQ(det.late_records(), 0u);
  ASSERT_FALSE(out.empty());
  for (const auto& a : out) {
    EXPECT_EQ(a.service, "a");
    EXPECT_GT(a.end, 1300 * kSec);
  }
}

TEST(SpanDeviation, FlagsErrorBurstNotNormalNoise) {
  auto spans = [](int from, int to, double error_share, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Batch b;
    for (int s = from; s < to; ++s)
      for (int i = 0; i < 5; ++i) {
        Span sp;
        sp.service = "orders";
        sp.start = s * kSec + i * 1000;
        sp.end = sp.start + static_cast<TimeNs>((20 + 10 * u(rng)) * 1e6);
        sp.http_status_code = u(rng) < error_share ? 500 : 200;
        b.spans.push_back(sp);
      }
    return b;
  };
  testing::TempDir dir;
  SpanShareDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, spans(0, 900, 0.0, 1), det));
  std::vector<Anomaly> normal, faulty;
  det.Score(spans(1000, 1300, 0.0, 2), normal);
  EXPECT_TRUE(normal.empty());
  det.Score(spans(1300, 1400, 0.4, 3), faulty);
  det.Flush(faulty);
  ASSERT_FALSE(faulty.empty());
  EXPECT_EQ(faulty.front().service, "orders");
  EXPECT_NE(faulty.front().summary.find("failed spans"), std::string::npos);
}

// Example lines in the evidence are cut between characters: the evidence goes into incident
// JSON, whose writer refuses invalid UTF-8.
TEST(LogPattern, ExampleLinesAreCutBetweenCharacters) {
  auto logs = [](int from, int to, const std::string& body) {
    Batch b;
    for (int s = from; s < to; ++s)
      for (int i = 0; i < 5; ++i) {
        LogRecord l;
        l.service = "orders";
        l.time = s * kSec + i * 1000;
        l.body = body;
        b.logs.push_back(l);
      }
    return b;
  };
  testing::TempDir dir;
  LogPatternDetector det;
  ASSERT_NO_FATAL_FAILURE(TrainAndLoad(dir, logs(0, 600, "order placed"), det));
  // "é" takes bytes 299 and 300: a cut at 300 bytes falls inside it.
  const std::string long_error = "ERROR " + std::string(293, 'x') + "\u00e9" + std::string(40, 'y');
  std::vector<Anomaly> out;
  det.Score(logs(1000, 1120, long_error), out);
  det.Flush(out);
  ASSERT_FALSE(out.empty());
  bool example = false;
  for (const auto& a : out)
    for (const auto& e : a.evidence) {
      EXPECT_NO_THROW((void)nlohmann::json(e).dump()) << e.size();
      example = example || e.find("ERROR xxx") != std::string::npos;
    }
  EXPECT_TRUE(example);
}

TEST(DeviationDetector, LoadFailsWithoutModel) {
  testing::TempDir dir;
  auto bundle = learn::ModelBundle::Create(dir.path());
  ASSERT_TRUE(bundle);
  MetricDeviationDetector det;
  auto st = det.Load(*bundle);
  EXPECT_FALSE(st);
  EXPECT_NE(st.message().find("metric_deviation"), std::string::npos);
}

TEST(Windower, CountsLateRecords) {
  normalize::Windower w({10 * kSec, 1 * kSec});
  std::map<TimeNs, int> open;
  ASSERT_TRUE(w.Accept(5 * kSec));
  open[w.WindowStart(5 * kSec)] = 1;
  ASSERT_TRUE(w.Accept(25 * kSec));
  auto closed = w.Close(open);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_FALSE(w.Accept(3 * kSec));
  EXPECT_EQ(w.late(), 1u);
}

}  // namespace
}  // namespace augur::detect

namespace augur::normalize {
namespace {

TEST(KeyedWindows, EachStreamHasItsOwnWatermark) {
  constexpr TimeNs kS = 1'000'000'000LL;
  KeyedWindows<int> w({10 * kS, 0});
  // Stream "a" covers a whole day first; stream "b" then starts at the beginning: not late.
  for (int t = 0; t < 100; ++t) ++*w.At("a", t * kS);
  int closed_a = 0;
  w.Close(false, [&](const std::string& key, TimeNs, int&) { closed_a += key == "a"; });
  EXPECT_EQ(closed_a, 9);
  ASSERT_NE(w.At("b", 0), nullptr);
  EXPECT_EQ(w.At("a", 5 * kS), nullptr) << "a's first window has closed";
  EXPECT_EQ(w.late(), 1u);
  int all = 0;
  w.Close(true, [&](const std::string&, TimeNs, int&) { ++all; });
  EXPECT_EQ(all, 2);
}

}  // namespace
}  // namespace augur::normalize
