// Event-time tumbling windows with allowed lateness: the clock every streaming stage shares.
// A window [start, start + size) closes once the watermark (largest event time seen minus the
// allowed lateness) passes its end; records older than a closed window are counted as late, never
// silently lost.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace augur::normalize {

struct WindowConfig {
  TimeNs size = 30 * 1'000'000'000LL;
  TimeNs allowed_lateness = 60 * 1'000'000'000LL;
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

// Windows kept per stream key (a service): each stream has its own watermark, so inputs ordered by
// file rather than by time (one file per pod covering a whole day, one folder per signal) are not
// mistaken for late data, while each stream still closes its windows in event time.
template <class State>
class KeyedWindows {
 public:
  explicit KeyedWindows(WindowConfig config = {}) : config_(config) {}

  TimeNs size() const { return config_.size; }

  // The state of `key`'s window holding `t`; nullptr (counted as late) when that window has closed.
  State* At(const std::string& key, TimeNs t) {
    auto [it, fresh] = streams_.try_emplace(key, Stream{Windower(config_), {}});
    Stream& s = it->second;
    if (!s.windower.Accept(t)) return nullptr;
    return &s.open[s.windower.WindowStart(t)];
  }

  // Calls fn(key, window_start, state) for every window that closed (every open one when `all`),
  // in time order per key, and forgets it.
  template <class Fn>
  void Close(bool all, Fn&& fn) {
    for (auto& [key, s] : streams_) {
      std::vector<TimeNs> starts;
      if (all) {
        for (auto& [start, state] : s.open) starts.push_back(start);
      } else {
        starts = s.windower.Close(s.open);
      }
      for (TimeNs start : starts) {
        auto it = s.open.find(start);
        fn(key, start, it->second);
        s.open.erase(it);
      }
    }
  }

  uint64_t late() const {
    uint64_t n = 0;
    for (const auto& [key, s] : streams_) n += s.windower.late();
    return n;
  }

  void clear() { streams_.clear(); }

 private:
  struct Stream {
    Windower windower;
    std::map<TimeNs, State> open;
  };
  WindowConfig config_;
  std::unordered_map<std::string, Stream> streams_;
};

}  // namespace augur::normalize
