#include "pipeline/recorder.h"

#include <algorithm>

#include "core/text.h"
#include "detect/share_detector.h"

namespace augur::pipeline {

void Recorder::Seen(TimeNs t) {
  if (t <= 0) return;
  first_ = std::min(first_, t);
  last_ = std::max(last_, t);
}

Recorder::Agg& Recorder::At(const std::string& service, TimeNs t) {
  TimeNs w = t - ((t % window_) + window_) % window_;
  return series_[service][w];
}

std::set<std::string> Recorder::services() const {
  std::set<std::string> out;
  for (auto& [s, _] : series_) out.insert(s);
  return out;
}

std::vector<std::pair<TimeNs, TimeNs>> Recorder::Silences(uint64_t min_busy) const {
  std::map<TimeNs, uint64_t> busy;  // window start → spans and logs in it
  for (const auto& [service, by_window] : series_)
    for (const auto& [t, a] : by_window)
      if (a.spans + a.logs > 0) busy[t] += a.spans + a.logs;
  std::vector<std::pair<TimeNs, TimeNs>> out;
  if (busy.size() < 2) return out;
  std::vector<uint64_t> counts;
  for (const auto& [t, n] : busy) counts.push_back(n);
  std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
  if (counts[counts.size() / 2] < min_busy) return out;
  for (auto it = busy.begin(), next = std::next(it); next != busy.end(); it = next++)
    if (next->first - it->first > window_) out.push_back({it->first + window_, next->first});
  return out;
}

void Recorder::Add(const Batch& batch) {
  if (span_service_.size() > kMaxSpanIds) span_service_.clear();
  for (const auto& s : batch.spans) span_service_[s.span_id.value] = s.service;
  for (const auto& s : batch.spans) {
    ++spans_;
    Seen(s.start);
    Agg& a = At(s.service, s.start);
    ++a.spans;
    if (s.is_error()) ++a.span_errors;
    double ms = static_cast<double>(s.duration()) / 1e6;
    a.latency_sum_ms += ms;
    a.latency_max_ms = std::max(a.latency_max_ms, ms);
    if (!s.parent_id.empty()) {
      auto p = span_service_.find(s.parent_id.value);
      if (p != span_service_.end() && p->second != s.service && !p->second.empty() &&
          !s.service.empty())
        ++edges_[{p->second, s.service}];
    }
  }
  for (const auto& l : batch.logs) {
    ++logs_;
    Seen(l.time);
    Agg& a = At(l.service, l.time);
    ++a.logs;
    if (detect::IsWarningOrError(l)) {
      ++a.log_errors;
      auto& q = lines_[l.service];
      q.push_back({l.time, CutUtf8(l.body, 400)});
      if (q.size() > kMaxLines) q.pop_front();
    }
  }
  for (const auto& m : batch.metrics) {
    ++metric_points_;
    Seen(m.time);
    auto& [sum, n] = At(m.service, m.time).metrics[m.name];
    sum += m.value;
    ++n;
  }
  trace_events_ += batch.trace_events.size();
  for (const auto& e : batch.trace_events) Seen(e.time);
}

}  // namespace augur::pipeline
