// Event-time tumbling windows with allowed lateness: the clock every streaming stage shares.
// A window [start, start + size) closes once the watermark (largest event time seen minus the allowed
// lateness) passes its end; records older than a closed window are counted as late, never silently lost.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/event.h"

namespace augur::normalize {

struct WindowConfig {
  TimeNs size = 30 * 1'000'000'000LL;
  TimeNs allowed_lateness = 5 * 1'000'000'000LL;
};

// Tracks which windows are open. State per window is the caller's (keyed by window start).
class Windower {
 public:
  explicit Windower(WindowConfig config = {}) : config_(config) {}

  TimeNs WindowStart(TimeNs t) const {
    TimeNs q = t / config_.size;
    if (t < 0 && q * config_.size != t) --q;
    return q * config_.size;
  }
  TimeNs size() const { return config_.size; }

  // Registers an event time. Returns false (and counts it) when its window has already closed.
  bool Accept(TimeNs t) {
    if (closed_before_ != kNone && WindowStart(t) < closed_before_) {
      ++late_;
      return false;
    }
    if (t > max_time_) max_time_ = t;
    return true;
  }

  // Starts of windows that may now be closed, given the watermark; marks them closed.
  // `open` is the set of window starts the caller holds state for.
  template <class Map>
  std::vector<TimeNs> Close(const Map& open) {
    std::vector<TimeNs> out;
    if (max_time_ == kNone) return out;
    TimeNs watermark = max_time_ - config_.allowed_lateness;
    for (const auto& [start, state] : open) {
      (void)state;
      if (start + config_.size <= watermark) out.push_back(start);
    }
    if (!out.empty()) {
      TimeNs last = out.back() + config_.size;
      if (closed_before_ == kNone || last > closed_before_) closed_before_ = last;
    }
    return out;
  }

  uint64_t late() const { return late_; }

 private:
  static constexpr TimeNs kNone = INT64_MIN;
  WindowConfig config_;
  TimeNs max_time_ = kNone;
  TimeNs closed_before_ = kNone;
  uint64_t late_ = 0;
};

}  // namespace augur::normalize
