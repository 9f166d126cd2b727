#include "learn/torch/sequence_detectors.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/log.h"
#include "normalize/template_miner.h"

namespace augur::learn {
namespace {

constexpr const char* kNextKeyModel = "next_key";
constexpr const char* kTraceModel = "trace_lstm";

std::string ServiceOfLabel(const std::string& label) {
  size_t a = label.find(' ');
  if (a == std::string::npos) return "";
  size_t b = label.find(' ', a + 1);
  return label.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

}  // namespace

Status NextKeyDetectorConfig::Validate() const {
  if (Status s = model.Validate(); !s) return s;
  if (interval <= 0) return Status::Error("next_key: interval must be > 0");
  if (min_keys < 1 || chunk < 2) return Status::Error("next_key: min_keys >= 1 and chunk >= 2");
  return Status::Ok();
}

std::string TraceEventKey(const TraceEvent& e) {
  std::string key = e.name + " " + e.process_name;
  const std::string* type = FindAttribute(e.fields, "type");
  const std::string* tag = FindAttribute(e.fields, "tag");
  if (type || tag) {
    if (type) key += " " + *type;
    if (tag) key += " " + *tag;
  } else if (const std::string* msg = FindAttribute(e.fields, "msg")) {
    key += " " + MaskIds(*msg);
  }
  return key;
}

struct NextKeyDetector::Stream {
  std::vector<int> history;  // last window ids
  TimeNs interval_start = 0;
  int keys = 0, unexpected = 0;
  std::vector<std::string> evidence;
};

NextKeyDetector::NextKeyDetector(NextKeyDetectorConfig config)
    : config_(std::move(config)), miner_(std::make_unique<normalize::TemplateMiner>()) {}
NextKeyDetector::~NextKeyDetector() = default;

std::vector<NextKeyDetector::Keyed> NextKeyDetector::KeysOf(const Batch& batch, bool learning) {
  std::vector<Keyed> out;
  out.reserve(batch.logs.size() + batch.trace_events.size());
  for (const auto& l : batch.logs) {
    std::string stream = l.service.empty() ? l.instance : l.service;
    uint32_t id;
    if (learning) {
      id = miner_->Add(l.body).template_id;
      out.push_back({l.time, stream, stream + ": #" + std::to_string(id), l.body});
    } else {
      auto m = miner_->Match(l.body);
      auto it = template_text_.find(m.template_id);
      std::string key =
          stream + ": " + (it == template_text_.end() ? "<unseen template>" : it->second);
      out.push_back({l.time, stream, key, l.body});
    }
  }
  for (const auto& e : batch.trace_events) {
    std::string stream = e.process_name.empty() ? std::to_string(e.pid) : e.process_name;
    out.push_back({e.time, stream, TraceEventKey(e), e.name});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Keyed& a, const Keyed& b) { return a.time < b.time; });
  return out;
}

void NextKeyDetector::Learn(const Batch& batch) {
  if (learned_keys_ >= config_.max_train_keys) return;
  for (auto& k : KeysOf(batch, true)) {
    if (learned_keys_++ >= config_.max_train_keys) break;
    learn_streams_[k.stream].push_back(std::to_string(k.time) + "\t" + k.key);
  }
}

Status NextKeyDetector::FinishLearning(ModelBundle& bundle) {
  if (Status s = config_.Validate(); !s) return s;
  if (learned_keys_ == 0)
    return Status::Error("next_key: no log records or trace events to learn from");
  // Keys named by template id while learning: ids merge as the miner generalises, so resolve now.
  auto resolve = [&](const std::string& key) {
    size_t hash = key.rfind(": #");
    if (hash == std::string::npos) return key;
    uint32_t id = miner_->Resolve((uint32_t)std::stoul(key.substr(hash + 3)));
    auto info = miner_->Get(id);
    return key.substr(0, hash) + ": " + (info ? info->text : "<evicted>");
  };
  std::vector<std::vector<std::string>> chunks;
  std::vector<std::vector<TimeNs>> times;
  for (auto& [stream, entries] : learn_streams_) {
    for (size_t b = 0; b < entries.size(); b += config_.chunk) {
      chunks.emplace_back();
      times.emplace_back();
      for (size_t i = b; i < std::min(entries.size(), b + config_.chunk); ++i) {
        size_t tab = entries[i].find('\t');
        times.back().push_back(std::stoll(entries[i].substr(0, tab)));
        chunks.back().push_back(resolve(entries[i].substr(tab + 1)));
      }
    }
  }
  auto rep = model_.Train(chunks, config_.model);
  if (!rep) return rep.status();
  // The alarm rate: well above the unexpected-key rates of the training intervals themselves.
  std::vector<std::vector<int>> encoded;
  for (const auto& c : chunks) encoded.push_back(model_.Encode(c));
  auto scores = model_.ScoreSequences(encoded);
  struct Rates {
    double mean = 0, sd = 0;
  };
  auto rates_under = [&](int top_k, double threshold) {
    std::map<std::pair<size_t, TimeNs>, std::pair<int, int>>
        per_interval;  // (chunk, interval) → keys, unexpected
    for (size_t c = 0; c < chunks.size(); ++c)
      for (size_t i = 0; i < chunks[c].size(); ++i) {
        auto& v = per_interval[{c, times[c][i] / config_.interval}];
        v.first++;
        v.second += UnexpectedUnder(scores[c][i], top_k, threshold);
      }
    double s1 = 0, s2 = 0, n = 0;
    for (const auto& [key, v] : per_interval)
      if (v.first >= config_.min_keys) {
        double r = (double)v.second / v.first;
        s1 += r, s2 += r * r, n += 1;
      }
    Rates out;
    out.mean = n ? s1 / n : 0;
    out.sd = n ? std::sqrt(std::max(0.0, s2 / n - out.mean * out.mean)) : 0;
    return out;
  };
  auto describe = [&](int k, const Rates& rates) {
    return fmt::format(
        "{} ({:.0f} % ± {:.0f} % unexpected keys)",
        k > 0 ? fmt::format("top-{}", k) : fmt::format("p < {}", config_.model.threshold),
        100 * rates.mean, 100 * rates.sd);
  };
  // The configured rule first. Where it leaves no room for an alarm (streams that interleave many
  // requests make the next key too uncertain for a probability threshold), DeepLog's top-k rule
  // with the smallest k that does: a model that never alarms is none.
  int top_k = config_.model.top_k;
  Rates r = rates_under(top_k, config_.model.threshold);
  threshold_ = std::max(config_.min_rate, r.mean + config_.sigmas * r.sd);
  std::string failed;
  for (int k : config_.fallback_top_k) {
    if (threshold_ < 1) break;
    if (top_k > 0 && k <= top_k) continue;
    failed += (failed.empty() ? "" : ", ") + describe(top_k, r);
    top_k = k;
    r = rates_under(k, 0);
    threshold_ = std::max(config_.min_rate, r.mean + config_.sigmas * r.sd);
  }
  if (threshold_ >= 1)
    return Status::Error(fmt::format(
        "next_key: the normal data is too unpredictable for it: on average its intervals hold "
        "{}{}{}, so no alarm rate is left below 1",
        failed, failed.empty() ? "" : ", ", describe(top_k, r)));
  if (top_k != config_.model.top_k) {
    model_.SetRule(top_k, config_.model.threshold);
    LogInfo("next_key: no alarm margin under {}; {} leaves one", failed, describe(top_k, r));
  }
  if (Status s = model_.Save(bundle, kNextKeyModel, *rep); !s) return s;
  if (Status s = miner_->Save(bundle.File("next_key_templates.txt")); !s) return s;
  auto& entry = bundle.manifest()["models"][kNextKeyModel];
  entry["files"].push_back("next_key_templates.txt");
  entry["figures"]["alarm_rate"] = threshold_;
  entry["figures"]["interval_ns"] = config_.interval;
  entry["figures"]["training_interval_rate_mean"] = r.mean;
  entry["figures"]["top_k"] = top_k;
  LogInfo(
      "next_key: trained on {} keys in {} streams; alarm above {:.3f} unexpected keys per interval",
      learned_keys_, learn_streams_.size(), threshold_);
  learn_streams_.clear();
  return Status::Ok();
}

Status NextKeyDetector::Load(const ModelBundle& bundle) {
  auto m = NextKeyModel::Load(bundle, kNextKeyModel);
  if (!m) return m.status();
  model_ = std::move(*m);
  auto miner = normalize::TemplateMiner::Load(bundle.File("next_key_templates.txt"));
  if (!miner) return miner.status();
  *miner_ = std::move(*miner);
  template_text_.clear();
  for (const auto& t : miner_->Templates()) template_text_[t.id] = t.text;
  const auto* entry = bundle.ModelEntry(kNextKeyModel);
  threshold_ = entry->value("/figures/alarm_rate"_json_pointer, config_.min_rate);
  config_.interval = entry->value("/figures/interval_ns"_json_pointer, config_.interval);
  if (config_.interval <= 0)
    return Status::Error(bundle.dir().string() +
                         "/manifest.json: models.next_key.figures.interval_ns must be positive");
  streams_.clear();
  return Status::Ok();
}

void NextKeyDetector::CloseIntervals(Stream& s, TimeNs upto, std::vector<detect::Anomaly>& out) {
  (void)upto;
  if (s.keys >= config_.min_keys) {
    double rate = (double)s.unexpected / s.keys;
    if (rate > threshold_) {
      detect::Anomaly a;
      a.start = s.interval_start;
      a.end = s.interval_start + config_.interval;
      a.modality = detect::Modality::kLog;
      a.detector = "next_key";
      a.score = rate;
      a.threshold = threshold_;
      a.evidence = s.evidence;
      out.push_back(std::move(a));
    }
  }
  s.keys = s.unexpected = 0;
  s.evidence.clear();
}

void NextKeyDetector::Score(const Batch& batch, std::vector<detect::Anomaly>& out) {
  if (!model_.trained()) return;
  auto keyed = KeysOf(batch, false);
  const int window = model_.window();
  std::vector<int> ctx, tgt;
  ctx.reserve(keyed.size() * window);
  std::map<std::string, std::vector<int>>
      history;  // this batch's view, starting from each stream's
  for (const auto& k : keyed) {
    auto& h = history[k.stream];
    if (h.empty()) {
      auto it = streams_.find(k.stream);
      if (it != streams_.end()) h = it->second->history;
    }
    for (int i = 0; i < window - (int)h.size(); ++i) ctx.push_back(NextKeyModel::kPad);
    ctx.insert(ctx.end(), h.begin(), h.end());
    int id = model_.Id(k.key);
    tgt.push_back(id);
    h.push_back(id);
    if ((int)h.size() > window) h.erase(h.begin());
  }
  auto scores = model_.ScoreWindows(ctx, tgt);
  for (size_t i = 0; i < keyed.size(); ++i) {
    auto& sp = streams_[keyed[i].stream];
    if (!sp) {
      sp = std::make_unique<Stream>();
      sp->interval_start = keyed[i].time / config_.interval * config_.interval;
    }
    Stream& s = *sp;
    if (keyed[i].time >= s.interval_start + config_.interval) {
      size_t before = out.size();
      CloseIntervals(s, keyed[i].time, out);
      for (size_t a = before; a < out.size(); ++a) {
        out[a].service = keyed[i].stream;
        out[a].summary = fmt::format(
            "{}: {:.0f} % of log keys unexpected in {} s (normal: under {:.0f} %)", keyed[i].stream,
            out[a].score * 100, config_.interval / 1e9, threshold_ * 100);
      }
      s.interval_start = keyed[i].time / config_.interval * config_.interval;
    }
    s.keys++;
    if (scores[i].unexpected) {
      s.unexpected++;
      if (s.evidence.size() < 5) s.evidence.push_back(keyed[i].text);
    }
  }
  for (auto& [name, h] : history) streams_[name]->history = h;
}

void NextKeyDetector::Flush(std::vector<detect::Anomaly>& out) {
  for (auto& [name, s] : streams_) {
    size_t before = out.size();
    CloseIntervals(*s, 0, out);
    for (size_t a = before; a < out.size(); ++a) {
      out[a].service = name;
      out[a].summary = fmt::format("{}: {:.0f} % of log keys unexpected (normal: under {:.0f} %)",
                                   name, out[a].score * 100, threshold_ * 100);
    }
  }
}

Status TraceLstmDetectorConfig::Validate() const {
  if (Status s = model.Validate(); !s) return s;
  if (!(validation_fraction >= 0 && validation_fraction < 1))
    return Status::Error("trace_lstm: validation_fraction must be in [0, 1)");
  if (!(target_fpr >= 0 && target_fpr < 1))
    return Status::Error("trace_lstm: target_fpr must be in [0, 1)");
  if (interval <= 0) return Status::Error("trace_lstm: interval must be positive");
  return Status::Ok();
}

TraceLstmDetector::TraceLstmDetector(TraceLstmDetectorConfig config) : config_(std::move(config)) {}
TraceLstmDetector::~TraceLstmDetector() = default;

void TraceLstmDetector::Learn(const Batch& batch) {
  for (const auto& s : batch.spans) {
    if (learn_spans_.size() >= config_.max_train_spans) break;
    learn_spans_.push_back(s);
  }
}

Status TraceLstmDetector::FinishLearning(ModelBundle& bundle) {
  if (Status s = config_.Validate(); !s) return s;
  if (learn_spans_.empty()) return Status::Error("trace_lstm: no spans to learn from");
  auto traces = TracesFromSpans(learn_spans_);  // by start time
  learn_spans_.clear();
  if (traces.size() < config_.min_normal_traces)
    return Status::Error(fmt::format(
        "trace_lstm: {} normal traces are too few to learn execution paths from (needs {})",
        traces.size(), config_.min_normal_traces));
  // The latest traces are held out to calibrate the rule on (too few: the seed's rule as is).
  size_t n_val =
      static_cast<size_t>(static_cast<double>(traces.size()) * config_.validation_fraction);
  if (n_val < 50) n_val = 0;
  std::vector<TraceSequence> val(traces.end() - static_cast<std::ptrdiff_t>(n_val), traces.end());
  traces.resize(traces.size() - n_val);
  auto rep = model_.Train(traces, val, config_.model);
  if (!rep) return rep.status();
  TraceCalibration cal;
  if (!val.empty() && config_.target_fpr > 0)
    cal = model_.Calibrate(val, config_.target_fpr, config_.target_fpr);
  if (Status s = model_.Save(bundle, kTraceModel, *rep); !s) return s;
  auto& figures = bundle.manifest()["models"][kTraceModel]["figures"];
  figures["calibration_traces"] = cal.traces;
  figures["rt_z"] = model_.rt_z();
  figures["min_probability"] = model_.config().min_probability;
  figures["calibration_fpr_structural"] = cal.fpr_structural;
  figures["calibration_fpr_response_time"] = cal.fpr_response_time;
  return Status::Ok();
}

Status TraceLstmDetector::Load(const ModelBundle& bundle) {
  if (Status s = config_.Validate(); !s) return s;
  auto m = TraceModel::Load(bundle, kTraceModel);
  if (!m) return m.status();
  model_ = std::move(*m);
  // The normal flagged share: what calibration measured (else the target it aimed at).
  double normal = config_.target_fpr;
  try {
    const auto& f = bundle.manifest().at("models").at(kTraceModel).at("figures");
    if (f.contains("calibration_fpr_structural"))
      normal = f["calibration_fpr_structural"].get<double>() +
               f["calibration_fpr_response_time"].get<double>();
  } catch (const std::exception&) {
  }
  alarm_rate_ = std::max(config_.min_rate, config_.rate_factor * normal);
  open_.clear();
  bins_.clear();
  return Status::Ok();
}

void TraceLstmDetector::ScoreComplete(TimeNs now, std::vector<detect::Anomaly>& out) {
  std::vector<Span> done;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.last + config_.trace_idle <= now) {
      for (auto& s : it->second.spans) done.push_back(std::move(s));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  if (!done.empty()) {
    std::vector<TimeNs> starts;
    std::vector<TraceId> ids;
    auto traces = TracesFromSpans(done, &starts, &ids);
    auto scores = model_.Score(traces);
    for (size_t i = 0; i < traces.size(); ++i) {
      const TimeNs bin = starts[i] / config_.interval * config_.interval;
      std::set<std::string> through;
      for (const auto& step : traces[i]) through.insert(ServiceOfLabel(step.label));
      for (const auto& svc : through) bins_[{bin, svc}].traces++;
      const TraceScore& sc = scores[i];
      if (!sc.anomalous()) continue;
      // Blame the most specific event: the first unexpected one on the path, else the last slow
      // one in path order (depth first: a slow callee comes after the callers it slows down).
      size_t at = sc.events.size();
      for (size_t j = 0; j < sc.events.size() && at == sc.events.size(); ++j)
        if (sc.events[j].structural) at = j;
      for (size_t j = 0; j < sc.events.size() && !sc.structural; ++j)
        if (sc.events[j].response_time) at = j;
      if (at == sc.events.size()) continue;
      const auto& e = sc.events[at];
      std::string label = at < traces[i].size() ? traces[i][at].label : "<end of trace>";
      std::string svc =
          at < traces[i].size() ? ServiceOfLabel(label) : ServiceOfLabel(traces[i].back().label);
      Bin& b = bins_[{bin, svc}];
      b.flagged++;
      b.worst = std::max(b.worst, e.structural ? 1.0 : std::min(1.0, e.rt_z / (e.rt_z + 10)));
      if (b.examples.size() < 3)
        b.examples.push_back(fmt::format(
            "trace {} event {} \"{}\": {}", ids[i].Hex(), at, label,
            e.structural ? fmt::format("unexpected here (rank {}, p {:.3f})", e.rank, e.probability)
            : model_.config().rt_spread == RtSpread::kLikelihood
                ? fmt::format("response time {:.0f} us, log likelihood ratio of a "
                              "slow-down {:.1f}",
                              traces[i][at].response_time, e.rt_z)
                : fmt::format("response time {:.0f} us, {:.1f} deviations off",
                              traces[i][at].response_time, e.rt_z)));
    }
  }
  CloseBins(now - config_.trace_idle, out);
}

void TraceLstmDetector::CloseBins(TimeNs upto, std::vector<detect::Anomaly>& out) {
  for (auto it = bins_.begin(); it != bins_.end() && it->first.first + config_.interval <= upto;
       it = bins_.erase(it)) {
    const auto& [key, b] = *it;
    const double rate = b.traces > 0 ? static_cast<double>(b.flagged) / b.traces : 0;
    if (b.flagged < config_.min_traces || rate < alarm_rate_) continue;
    detect::Anomaly a;
    a.start = key.first;
    a.end = key.first + config_.interval;
    a.service = key.second;
    a.modality = detect::Modality::kTrace;
    a.detector = "trace_lstm";
    a.score = rate;
    a.threshold = alarm_rate_;
    a.evidence = b.examples;
    a.summary = fmt::format(
        "{}: {} of {} traces ({:.0f} %) took an unexpected path or a slow call here in {:.0f} s "
        "(alarm at {:.0f} %)",
        key.second, b.flagged, b.traces, 100 * rate, config_.interval / 1e9, 100 * alarm_rate_);
    out.push_back(std::move(a));
  }
}

void TraceLstmDetector::Score(const Batch& batch, std::vector<detect::Anomaly>& out) {
  if (!model_.trained()) return;
  TimeNs now = 0;
  for (const auto& s : batch.spans) {
    auto& o = open_[s.trace_id];
    o.last = std::max(o.last, s.end);
    now = std::max(now, s.end);
    o.spans.push_back(s);
  }
  if (now > 0) ScoreComplete(now, out);
}

void TraceLstmDetector::Flush(std::vector<detect::Anomaly>& out) {
  ScoreComplete(std::numeric_limits<TimeNs>::max() - config_.trace_idle, out);
  CloseBins(std::numeric_limits<TimeNs>::max() - config_.interval, out);
}

}  // namespace augur::learn
