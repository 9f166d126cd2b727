// Cumulative counters become per-second rates. A counter (bytes received, requests served,
// restarts) only grows from the start of its process, so its value says how long the process has
// run; what changes when a service is in trouble is how fast it grows. Baselines of raw counter
// values would also be outgrown by every later value of a long-lived process.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace augur::normalize {

class CounterRates {
 public:
  // Rewrites the batch's cumulative points (MetricPoint::monotonic) in place, each against the one
  // before it of the same series (service, instance, name, labels):
  //  - a counter becomes a gauge named "rate(<name>)", in units per second;
  //  - a cumulative histogram or summary becomes the distribution of the observations made since
  //    (count, sum and buckets by difference; quantiles as reported), so that its mean is the
  //    interval's and not the process's lifetime's; a point without new observations is dropped.
  // A series' first point, and a point not later than the one before it, are dropped. A counter
  // that went down was reset (its process restarted) and counts from zero. Other points pass
  // untouched. Series persist across calls.
  void Apply(Batch& batch);

  // Points dropped so far: first of their series, out of order, or without new observations.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Last {
    TimeNs time = 0;
    double value = 0;  // a counter's value, a distribution's sum
    uint64_t count = 0;
    std::vector<double> buckets;
  };
  std::unordered_map<std::string, Last> last_;
  uint64_t dropped_ = 0;
};

}  // namespace augur::normalize
