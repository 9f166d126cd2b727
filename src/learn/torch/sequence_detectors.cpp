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
  std::map<std::pair<size_t, TimeNs>, std::pair<int, int>>
      per_interval;  // (chunk, interval) → keys, unexpected
  for (size_t c = 0; c < chunks.size(); ++c)
    for (size_t i = 0; i < chunks[c].size(); ++i) {
      auto& v = per_interval[{c, times[c][i] / config_.interval}];
      v.first++;
      v.second += scores[c][i].unexpected;
    }
  double s1 = 0, s2 = 0, n = 0;
  for (const auto& [k, v] : per_interval)
    if (v.first >= config_.min_keys) {
      double r = (double)v.second / v.first;
      s1 += r, s2 += r * r, n += 1;
    }
  double mean = n ? s1 / n : 0, sd = n ? std::sqrt(std::max(0.0, s2 / n - mean * mean)) : 0;
  threshold_ = std::max(config_.min_rate, mean + config_.sigmas * sd);
  if (Status s = model_.Save(bundle, kNextKeyModel, *rep); !s) return s;
  if (Status s = miner_->Save(bundle.File("next_key_templates.txt")); !s) return s;
  auto& entry = bundle.manifest()["models"][kNextKeyModel];
  entry["files"].push_back("next_key_templates.txt");
  entry["figures"]["alarm_rate"] = threshold_;
  entry["figures"]["interval_ns"] = config_.interval;
  entry["figures"]["training_interval_rate_mean"] = mean;
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
  auto traces = TracesFromSpans(learn_spans_);
  learn_spans_.clear();
  auto rep = model_.Train(traces, config_.model);
  if (!rep) return rep.status();
  return model_.Save(bundle, kTraceModel, *rep);
}

Status TraceLstmDetector::Load(const ModelBundle& bundle) {
  auto m = TraceModel::Load(bundle, kTraceModel);
  if (!m) return m.status();
  model_ = std::move(*m);
  open_.clear();
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
  if (done.empty()) return;
  std::vector<TimeNs> starts;
  std::vector<TraceId> ids;
  auto traces = TracesFromSpans(done, &starts, &ids);
  auto scores = model_.Score(traces);
  for (size_t i = 0; i < traces.size(); ++i) {
    const TraceScore& sc = scores[i];
    if (!sc.anomalous()) continue;
    detect::Anomaly a;
    a.start = starts[i];
    a.end = starts[i];
    for (size_t j = 0; j < traces[i].size(); ++j)
      a.end = std::max<TimeNs>(a.end, starts[i] + (TimeNs)(traces[i][j].response_time * 1000));
    a.modality = detect::Modality::kTrace;
    a.detector = "trace_lstm";
    double worst = 0;
    for (size_t j = 0; j < sc.events.size(); ++j) {
      const auto& e = sc.events[j];
      std::string label = j < traces[i].size() ? traces[i][j].label : "<end of trace>";
      if (e.structural || e.response_time) {
        if (a.service.empty()) a.service = ServiceOfLabel(label);
        if (a.evidence.size() < 5)
          a.evidence.push_back(fmt::format(
              "event {} \"{}\": {}", j, label,
              e.structural
                  ? fmt::format("unexpected here (rank {}, p {:.3f})", e.rank, e.probability)
                  : fmt::format("response time {:.0f} us, {:.1f} deviations off",
                                traces[i][j].response_time, e.rt_z)));
        worst = std::max(worst, e.structural ? 1.0 : std::min(1.0, e.rt_z / (e.rt_z + 10)));
      }
    }
    a.score = worst;
    a.threshold = 0.5;
    a.summary =
        fmt::format("trace {} ({} spans): {}{}", ids[i].Hex(), traces[i].size(),
                    sc.structural ? "unexpected execution path" : "",
                    sc.response_time ? (sc.structural ? " and slow call" : "slow call") : "");
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
  ScoreComplete(now, out);
}

void TraceLstmDetector::Flush(std::vector<detect::Anomaly>& out) {
  ScoreComplete(std::numeric_limits<TimeNs>::max() - config_.trace_idle, out);
}

}  // namespace augur::learn
