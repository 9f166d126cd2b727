// Detectors that compare, per service and event-time window, the share of "bad" records (error
// spans, spans slower than the normal p99, log lines of patterns never seen in normal operation,
// error log lines) with the share learned from normal data (normalize::ShareZ). They need little
// normal data: a minute of traces gives a usable latency profile, where per-window baselines would
// need hours.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/detector.h"
#include "normalize/windower.h"

namespace augur::normalize {
class TemplateMiner;
}

namespace augur::detect {

struct ShareConfig {
  normalize::WindowConfig window;
  double z_threshold = 5.0;
  double floor = 0.02;      // over-dispersion floor of a share (see ShareZ)
  size_t min_records = 5;   // a service's window needs this many records to be judged
  size_t min_normal = 20;   // services with fewer normal records get no profile
  size_t max_evidence = 5;  // example records kept per anomalous window
  Status Validate() const;
};

// The per-window tally of one service: records, and for each kind of bad record its count and
// examples.
struct ShareTally {
  uint64_t n = 0;
  std::map<std::string, uint64_t> bad;
  std::map<std::string, std::vector<std::string>> examples;
  std::string instance;
};

class ShareDetector : public Detector {
 public:
  explicit ShareDetector(ShareConfig config) : config_(config), windows_(config.window) {}
  void Score(const Batch& batch, std::vector<Anomaly>& out) override;
  void Flush(std::vector<Anomaly>& out) override;
  uint64_t late_records() const override { return windows_.late(); }

 protected:
  // Adds one record of `service` at `t`; `bad` lists the kinds it counts as, with an example text.
  void Count(TimeNs t, const std::string& service, const std::string& instance,
             const std::vector<std::pair<const char*, std::string>>& bad);
  virtual void CountBatch(const Batch& batch) = 0;  // calls Count for every record it judges
  virtual Modality modality() const = 0;
  // Normal share of `kind` for `service`; negative when the service has no profile.
  virtual double NormalShare(const std::string& service, const std::string& kind) const = 0;
  virtual std::string Describe(const std::string& kind) const { return kind; }

  ShareConfig config_;
  normalize::KeyedWindows<ShareTally> windows_;  // per service

 private:
  void Close(bool all, std::vector<Anomaly>& out);
};

// Spans: error share and the share slower than the service's normal p99.
class SpanShareDetector final : public ShareDetector {
 public:
  explicit SpanShareDetector(ShareConfig config = {}) : ShareDetector(config) {}
  std::string_view name() const override { return "span_deviation"; }
  void Learn(const Batch& batch) override;
  Status FinishLearning(learn::ModelBundle& bundle) override;
  Status Load(const learn::ModelBundle& bundle) override;

 private:
  void CountBatch(const Batch& batch) override;
  Modality modality() const override { return Modality::kTrace; }
  double NormalShare(const std::string& service, const std::string& kind) const override;
  std::string Describe(const std::string& kind) const override;

  struct Profile {
    uint64_t n = 0, errors = 0;
    double p99_ms = 0;
    std::vector<double> sample;  // learning only: durations (reservoir)
  };
  std::unordered_map<std::string, Profile> profiles_;
  uint64_t seen_ = 0;
};

// Log lines: the share of lines whose pattern (template miner) was never seen in normal operation,
// and the share of warning/error lines.
class LogPatternDetector final : public ShareDetector {
 public:
  explicit LogPatternDetector(ShareConfig config = {});
  ~LogPatternDetector() override;
  std::string_view name() const override { return "log_pattern"; }
  void Learn(const Batch& batch) override;
  Status FinishLearning(learn::ModelBundle& bundle) override;
  Status Load(const learn::ModelBundle& bundle) override;

 private:
  void CountBatch(const Batch& batch) override;
  Modality modality() const override { return Modality::kLog; }
  double NormalShare(const std::string& service, const std::string& kind) const override;
  std::string Describe(const std::string& kind) const override;

  struct Profile {
    uint64_t n = 0, errors = 0, late_new = 0, late_n = 0;
  };
  std::unique_ptr<normalize::TemplateMiner> miner_;
  std::unordered_map<std::string, Profile> profiles_;
};

}  // namespace augur::detect

namespace augur::detect {
// True for lines a person wants to see first: warnings, errors, exceptions, refusals, timeouts.
bool IsWarningOrError(const LogRecord& log);
}  // namespace augur::detect
