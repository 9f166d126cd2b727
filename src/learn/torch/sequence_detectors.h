// The pipeline's learned sequence detectors: "next_key" (seed 001/DeepLog over each service's
// stream of log keys and trace-event keys) and "trace_lstm" (seed 002 over assembled traces).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/detector.h"
#include "learn/torch/next_key_model.h"
#include "learn/torch/trace_model.h"

namespace augur::normalize {
class TemplateMiner;
}

namespace augur::learn {

struct NextKeyDetectorConfig {
  NextKeyConfig model;
  TimeNs interval = 1'000'000'000;  // system view: unexpected-key rate per interval and stream
  int min_keys = 5;                 // intervals with fewer keys are not judged
  double min_rate = 0.2;            // the alarm threshold is at least this rate...
  double sigmas = 4;                // ...and at least the training mean + sigmas deviations
  size_t max_train_keys = 500'000;
  size_t chunk = 256;  // training streams are cut into chunks of this many keys
  // When the model's rule (a probability threshold) leaves no alarm margin on the normal data, the
  // first of these top-k rules that does (docs/seq.md, "next_key detector").
  std::vector<int> fallback_top_k = {3, 5, 9};
  NextKeyDetectorConfig() {
    model.end_token = false;  // streams have no end
    model.top_k = 0;
    model.threshold = 0.5;
    model.max_epochs = 20;
    // Small inputs (an LTTng trace of a few thousand events) otherwise stop after ~20 steps with
    // most keys still mispredicted (docs/lttng.md).
    model.min_steps = 400;
  }
  Status Validate() const;
};

// The key of a log record: "<service>: <template>" (template from the log miner); of a trace event:
// its name, process name and, for request/response events, type and tag (seed 001).
std::string TraceEventKey(const TraceEvent& e);

class NextKeyDetector : public detect::Detector {
 public:
  explicit NextKeyDetector(NextKeyDetectorConfig config = {});
  ~NextKeyDetector() override;
  std::string_view name() const override { return "next_key"; }
  void Learn(const Batch& batch) override;
  Status FinishLearning(ModelBundle& bundle) override;
  Status Load(const ModelBundle& bundle) override;
  void Score(const Batch& batch, std::vector<detect::Anomaly>& out) override;
  void Flush(std::vector<detect::Anomaly>& out) override;

 private:
  struct Stream;
  struct Keyed {
    TimeNs time;
    std::string stream;
    std::string key;
    std::string text;  // evidence
  };
  std::vector<Keyed> KeysOf(const Batch& batch, bool learning);
  void CloseIntervals(Stream& s, TimeNs upto, std::vector<detect::Anomaly>& out);

  NextKeyDetectorConfig config_;
  std::unique_ptr<normalize::TemplateMiner> miner_;
  std::map<uint32_t, std::string> template_text_;
  std::map<std::string, std::vector<std::string>> learn_streams_;
  size_t learned_keys_ = 0;
  NextKeyModel model_;
  double threshold_ = 0.2;
  std::map<std::string, std::unique_ptr<Stream>> streams_;
};

struct TraceLstmDetectorConfig {
  TraceModelConfig model;
  TimeNs trace_idle = 30'000'000'000;  // a trace is complete when no span came for this long
  // Training cost grows with spans x epochs x length: these bounds keep `augur train` in minutes.
  size_t max_train_spans = 100'000;
  // Fewer normal traces than this teach no reliable paths: the detector declines to train.
  size_t min_normal_traces = 1000;
  // The per-trace rule is calibrated on the latest normal traces (held out from training) so that
  // each half of it (path, response time) flags at most `target_fpr` of them.
  double validation_fraction = 0.15;
  double target_fpr = 0.01;
  // The system view (seed 001's rate per interval): per service and interval, the share of the
  // traces through it that were flagged there. An alarm needs `min_traces` flagged traces and a
  // share of at least `min_rate`, and at least `rate_factor` times the calibrated normal rate.
  TimeNs interval = 30'000'000'000;
  int min_traces = 3;
  double min_rate = 0.05;
  double rate_factor = 5;
  TraceLstmDetectorConfig() {
    model.max_epochs = 10;
    // 10 epochs of the fewest traces it trains on (1,000) are 160 steps, far from converged; the
    // simulator's 30 normal minutes (6,351 traces) reach 1,000 steps in their 10 epochs.
    model.min_steps = 1000;
    model.max_length = 64;
  }
  Status Validate() const;
};

class TraceLstmDetector : public detect::Detector {
 public:
  explicit TraceLstmDetector(TraceLstmDetectorConfig config = {});
  ~TraceLstmDetector() override;
  std::string_view name() const override { return "trace_lstm"; }
  void Learn(const Batch& batch) override;
  Status FinishLearning(ModelBundle& bundle) override;
  Status Load(const ModelBundle& bundle) override;
  void Score(const Batch& batch, std::vector<detect::Anomaly>& out) override;
  void Flush(std::vector<detect::Anomaly>& out) override;
  // The alarm threshold on a service's flagged-trace share (after Load or FinishLearning).
  double alarm_rate() const { return alarm_rate_; }

 private:
  struct Bin {
    int traces = 0, flagged = 0;
    double worst = 0;
    std::vector<std::string> examples;
  };
  void ScoreComplete(TimeNs now, std::vector<detect::Anomaly>& out);
  void CloseBins(TimeNs upto, std::vector<detect::Anomaly>& out);
  TraceLstmDetectorConfig config_;
  std::vector<Span> learn_spans_;
  TraceModel model_;
  double alarm_rate_ = 0.05;
  struct Open {
    std::vector<Span> spans;
    TimeNs last = 0;
  };
  std::map<TraceId, Open> open_;
  std::map<std::pair<TimeNs, std::string>, Bin> bins_;  // (interval start, service)
};

}  // namespace augur::learn
