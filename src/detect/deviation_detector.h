// Detectors that learn a robust baseline (median/MAD) per service and feature over event-time
// windows of normal data, and flag windows whose features deviate (metric deviations).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/detector.h"
#include "normalize/robust_stats.h"
#include "normalize/windower.h"

namespace augur::detect {

struct DeviationConfig {
  normalize::WindowConfig window;
  double z_threshold = 6.0;  // robust z above which a feature is anomalous
  double range_margin =
      0.2;  // ... and only when outside the normal [min, max] widened by this share
  size_t min_observations = 3;    // a window's feature needs this many raw values to be judged
  size_t min_normal_windows = 5;  // baselines fitted on fewer normal windows are not used
  Status Validate() const;
};

// Shared machinery: windows, baselines, scoring, save/load. Subclasses say which raw observations a
// batch holds and how a window's raw values reduce to one figure.
class DeviationDetector : public Detector {
 public:
  // `instance` (a pod, or "") has windows of its own, judged against its service's baseline: a
  // file per pod covering a whole day is then not late after the service's first pod.
  using Emit =
      std::function<void(TimeNs time, const std::string& service, const std::string& instance,
                         const std::string& feature, double value)>;

  explicit DeviationDetector(DeviationConfig config) : config_(config), windows_(config.window) {}

  void Learn(const Batch& batch) override;
  Status FinishLearning(learn::ModelBundle& bundle) override;
  Status Load(const learn::ModelBundle& bundle) override;
  void Score(const Batch& batch, std::vector<Anomaly>& out) override;
  void Flush(std::vector<Anomaly>& out) override;
  uint64_t late_records() const override { return windows_.late(); }

  size_t baselines() const { return baselines_.size(); }

 protected:
  virtual void Extract(const Batch& batch, const Emit& emit) const = 0;
  // Default: mean.
  virtual double Reduce(const std::string& feature, std::vector<double>& values) const;
  // True when only values above normal count as anomalous (error rates, latencies).
  virtual bool OnlyHigh(const std::string& feature) const = 0;
  virtual Modality modality() const = 0;
  virtual double AbsFloor(const std::string& feature) const {
    (void)feature;
    return 1e-6;
  }

 private:
  using Key = std::pair<std::string, std::string>;  // service, feature
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<std::string>()(k.first) * 31 + std::hash<std::string>()(k.second);
    }
  };
  using WindowState = std::unordered_map<std::string, std::vector<double>>;  // feature → raw values

  void Ingest(const Batch& batch);
  void CloseWindows(bool all, std::vector<Anomaly>* out);
  void ScoreWindow(const std::string& service, TimeNs start, WindowState& state,
                   std::vector<Anomaly>& out);

  DeviationConfig config_;
  normalize::KeyedWindows<WindowState> windows_;  // per service and instance (WindowKey)
  bool learning_ = true;
  struct NormalWindows {
    std::vector<double> figures;  // each window's figure
    std::vector<size_t> counts;   // and how many raw values it held
  };
  std::unordered_map<Key, NormalWindows, KeyHash> history_;
  std::unordered_map<Key, normalize::RobustBaseline, KeyHash> baselines_;
  // Median raw values per normal window. A window holding fewer than half as many (the partial
  // window at a run's end, a scrape gap) is not judged: one noisy sample is no window's mean.
  std::unordered_map<Key, size_t, KeyHash> typical_count_;
};

// Per-pod/service metrics (CPU, memory, latency, error rate, ...) against their normal range.
class MetricDeviationDetector final : public DeviationDetector {
 public:
  // Metrics are often scraped once a minute: one-minute windows, one point is enough.
  static DeviationConfig Defaults() {
    DeviationConfig c;
    c.window.size = 60LL * 1'000'000'000;
    c.min_observations = 1;
    return c;
  }
  explicit MetricDeviationDetector(DeviationConfig config = Defaults())
      : DeviationDetector(config) {}
  std::string_view name() const override { return "metric_deviation"; }

 protected:
  void Extract(const Batch& batch, const Emit& emit) const override;
  bool OnlyHigh(const std::string&) const override { return false; }
  Modality modality() const override { return Modality::kMetric; }
};

}  // namespace augur::detect
