// The shape every detector has: learn from normal data batch by batch, save into the model bundle;
// later load, score batches as they arrive, and flush open windows at the end of input.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "detect/anomaly.h"
#include "learn/model_bundle.h"

namespace augur::detect {

class Detector {
 public:
  virtual ~Detector() = default;
  // Registered lower_snake name ("log_lm", "next_key", "trace_lstm", "metric_deviation", ...).
  virtual std::string_view name() const = 0;

  // Training on normal data: Learn is called for every batch in event-time order, then
  // FinishLearning trains what needs the whole stream and writes the model's files into the bundle
  // (AddModel).
  virtual void Learn(const Batch& batch) = 0;
  virtual Status FinishLearning(learn::ModelBundle& bundle) = 0;

  // Detection: Load fails (with a message) when the bundle has no model for this detector; the
  // pipeline then skips it. Score appends the anomalies of windows that closed; Flush closes the
  // rest.
  virtual Status Load(const learn::ModelBundle& bundle) = 0;
  virtual void Score(const Batch& batch, std::vector<Anomaly>& out) = 0;
  virtual void Flush(std::vector<Anomaly>& out) = 0;
  // Records that arrived after their window had been scored (input not in time order): not scored.
  virtual uint64_t late_records() const { return 0; }
};

}  // namespace augur::detect
