// What the report shows behind an incident: per-service series over event-time windows (spans,
// errors, latency, logs, metric means), the caller→callee edges seen in spans, and recent
// warning/error log lines. Bounded: one small aggregate per service and window, at most kMaxLines
// lines per service.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace augur::pipeline {

class Recorder {
 public:
  static constexpr size_t kMaxLines = 400;
  static constexpr size_t kMaxSpanIds = 2'000'000;

  explicit Recorder(TimeNs window = 30LL * 1'000'000'000) : window_(window) {}

  void Add(const Batch& batch);

  struct Agg {
    uint64_t spans = 0, span_errors = 0;
    double latency_sum_ms = 0, latency_max_ms = 0;
    uint64_t logs = 0, log_errors = 0;
    std::map<std::string, std::pair<double, uint64_t>> metrics;  // name → (sum, count)
  };
  struct Line {
    TimeNs time;
    std::string text;
  };

  TimeNs window() const { return window_; }
  const std::map<std::string, std::map<TimeNs, Agg>>& series() const { return series_; }
  const std::map<std::pair<std::string, std::string>, uint64_t>& edges() const { return edges_; }
  const std::map<std::string, std::deque<Line>>& lines() const { return lines_; }
  std::set<std::string> services() const;
  TimeNs first() const { return first_; }
  TimeNs last() const { return last_; }
  uint64_t spans() const { return spans_; }
  uint64_t logs() const { return logs_; }
  uint64_t metric_points() const { return metric_points_; }
  uint64_t trace_events() const { return trace_events_; }

  // Stretches [from, to) of whole windows in which no span and no log line arrived, between windows
  // that had them: the telemetry went silent (a collector outage, or a data set cut into blocks).
  // Only for telemetry busy enough for an empty window to mean something: the median window with
  // spans or logs holds at least `min_busy` of them.
  std::vector<std::pair<TimeNs, TimeNs>> Silences(uint64_t min_busy = 20) const;

 private:
  Agg& At(const std::string& service, TimeNs t);
  void Seen(TimeNs t);

  TimeNs window_;
  std::map<std::string, std::map<TimeNs, Agg>> series_;
  std::map<std::pair<std::string, std::string>, uint64_t> edges_;
  std::map<std::string, std::deque<Line>> lines_;
  std::unordered_map<uint64_t, std::string> span_service_;  // span id → service, for edges
  TimeNs first_ = INT64_MAX, last_ = INT64_MIN;
  uint64_t spans_ = 0, logs_ = 0, metric_points_ = 0, trace_events_ = 0;
};

}  // namespace augur::pipeline
