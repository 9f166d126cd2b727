#include "learn/torch/event_analysis.h"

#include <algorithm>
#include <numeric>

#include "learn/torch/next_key_model.h"
#include "learn/torch/sequence_detectors.h"

namespace augur::learn {

Result<EventAnalysis> AnalyseTraceEvents(const ModelBundle& bundle,
                                         const std::vector<TraceEvent>& events,
                                         const EventAnalysisConfig& config) {
  if (Status s = config.Validate(); !s) return s;
  if (!bundle.HasModel("next_key"))
    return Status::Error(bundle.dir().string() +
                         ": the bundle has no next_key model (train it on trace events first)");
  auto model = NextKeyModel::Load(bundle, "next_key");
  if (!model) return model.status();
  EventAnalysis out;
  const size_t n = events.size();
  out.keys.resize(n);
  out.unexpected.assign(n, 0);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return events[a].time < events[b].time; });
  // Each process stream's last window() keys are the context of its next key (as in the detector).
  const int window = model->window();
  std::map<std::string, std::vector<int>> history;
  std::vector<int> ctx, tgt;
  ctx.reserve(n * static_cast<size_t>(window));
  tgt.reserve(n);
  for (size_t i : order) {
    const TraceEvent& e = events[i];
    out.keys[i] = TraceEventKey(e);
    auto& h = history[e.process_name.empty() ? std::to_string(e.pid) : e.process_name];
    for (int k = 0; k < window - static_cast<int>(h.size()); ++k) ctx.push_back(NextKeyModel::kPad);
    ctx.insert(ctx.end(), h.begin(), h.end());
    int id = model->Id(out.keys[i]);
    tgt.push_back(id);
    h.push_back(id);
    if (static_cast<int>(h.size()) > window) h.erase(h.begin());
  }
  auto scores = model->ScoreWindows(ctx, tgt);
  std::map<TimeNs, IntervalStats> intervals;
  for (size_t k = 0; k < order.size(); ++k) {
    size_t i = order[k];
    bool bad = scores[k].unexpected;
    out.unexpected[i] = bad;
    out.predictions++;
    out.unexpected_total += bad;
    KeyStats& ks = out.by_key[out.keys[i]];
    ks.count++;
    ks.unexpected += bad;
    ks.unseen = scores[k].unseen;
    TimeNs start = events[i].time / config.interval * config.interval;
    if (events[i].time < 0 && start != events[i].time) start -= config.interval;
    IntervalStats& iv = intervals[start];
    iv.start = start;
    iv.keys++;
    iv.unexpected += bad;
  }
  for (auto& [t, iv] : intervals) out.intervals.push_back(iv);
  out.spans = normalize::ExtractEventSpans(events, config.spans);
  for (const auto& sp : out.spans.spans) {
    uint64_t bad = 0;
    for (size_t i : sp.events) bad += out.unexpected[i];
    double rate =
        sp.events.empty() ? 0 : static_cast<double>(bad) / static_cast<double>(sp.events.size());
    bool anomalous = rate > config.anomalous_span_rate;
    out.span_rate.push_back(rate);
    out.span_anomalous.push_back(anomalous);
    SpanTypeStats& st = out.by_span_type[sp.type];
    st.spans++;
    st.anomalous += anomalous;
    st.incomplete += !sp.complete;
    st.keys += sp.events.size();
    st.unexpected += bad;
  }
  return out;
}

Result<CompareReport> CompareTraceEvents(const ModelBundle& bundle,
                                         const std::vector<TraceEvent>& events,
                                         const CompareConfig& config) {
  auto a = AnalyseTraceEvents(bundle, events, config.analysis);
  if (!a) return a.status();
  CompareReport r;
  r.analysis = std::move(*a);
  const nlohmann::json* entry = bundle.ModelEntry("next_key");
  r.alarm_rate = entry->value("/figures/alarm_rate"_json_pointer, 0.2);
  r.training_rate = entry->value("/figures/training_interval_rate_mean"_json_pointer, 0.0);
  const EventAnalysis& an = r.analysis;
  for (const auto& [type, st] : an.by_span_type)
    if (st.keys >= config.min_keys && st.rate() > r.alarm_rate)
      r.changed_span_types.push_back(type);
  for (const auto& [key, ks] : an.by_key) {
    if (ks.unseen)
      r.new_keys.push_back(key);
    else if (ks.count >= config.min_keys && ks.rate() > r.alarm_rate)
      r.changed_keys.push_back(key);
  }
  auto by_unexpected = [&](const auto& stats) {
    return [&](const std::string& x, const std::string& y) {
      const auto& a = stats.at(x);
      const auto& b = stats.at(y);
      return a.unexpected != b.unexpected ? a.unexpected > b.unexpected : x < y;
    };
  };
  std::sort(r.changed_span_types.begin(), r.changed_span_types.end(),
            by_unexpected(an.by_span_type));
  std::sort(r.changed_keys.begin(), r.changed_keys.end(), by_unexpected(an.by_key));
  std::sort(r.new_keys.begin(), r.new_keys.end(), [&](const std::string& x, const std::string& y) {
    uint64_t cx = an.by_key.at(x).count, cy = an.by_key.at(y).count;
    return cx != cy ? cx > cy : x < y;
  });
  for (auto f : an.span_anomalous) r.anomalous_spans += f;
  for (const auto& iv : an.intervals)
    r.alarm_intervals += iv.keys >= config.min_keys && iv.rate() > r.alarm_rate;
  return r;
}

}  // namespace augur::learn
