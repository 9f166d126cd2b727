// Cumulative counters become per-second rates. A counter (bytes received, requests served,
// restarts) only grows from the start of its process, so its value says how long the process has
// run; what changes when a service is in trouble is how fast it grows. Baselines of raw counter
// values would also be outgrown by every later value of a long-lived process.
#pragma once

#include <string>
#include <unordered_map>

#include "core/event.h"

namespace augur::normalize {

class CounterRates {
 public:
  // Rewrites the batch's cumulative points (MetricPoint::monotonic) in place as gauges named
  // "rate(<name>)", in units per second, between each point and the one before it of the same
  // series (service, instance, name, labels). A series' first point, and a point not later than the
  // one before it, give no rate and are dropped. A counter that went down was reset (its process
  // restarted): its rate counts from zero. Other points pass untouched. Series persist across
  // calls.
  void Apply(Batch& batch);

  // Points dropped so far as first of their series or out of order.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Last {
    TimeNs time = 0;
    double value = 0;
  };
  std::unordered_map<std::string, Last> last_;
  uint64_t dropped_ = 0;
};

}  // namespace augur::normalize
