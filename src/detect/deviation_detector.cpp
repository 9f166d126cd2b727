#include "detect/deviation_detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace augur::detect {

Status DeviationConfig::Validate() const {
  if (window.size <= 0) return Status::Error("window size must be positive");
  if (window.allowed_lateness < 0) return Status::Error("allowed lateness must not be negative");
  if (!(z_threshold > 0)) return Status::Error("z_threshold must be positive");
  return Status::Ok();
}

double DeviationDetector::Reduce(const std::string&, std::vector<double>& values) const {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

namespace {

// Window streams are per service and instance: "service\x1finstance", or the service alone
// (built in Ingest).
constexpr char kInstanceSep = '\x1f';

std::string ServiceOfKey(const std::string& key) {
  return key.substr(0, key.find(kInstanceSep));
}

}  // namespace

void DeviationDetector::Ingest(const Batch& batch) {
  std::string key;  // one buffer for every record's window key
  Extract(batch, [this, &key](TimeNs t, const std::string& service, const std::string& instance,
                              const std::string& feature, double v) {
    if (!std::isfinite(v)) return;
    key.assign(service);
    if (!instance.empty()) key.append(1, kInstanceSep).append(instance);
    if (WindowState* w = windows_.At(key, t)) (*w)[feature].push_back(v);
  });
}

void DeviationDetector::Learn(const Batch& batch) {
  learning_ = true;
  Ingest(batch);
  CloseWindows(false, nullptr);
}

void DeviationDetector::CloseWindows(bool all, std::vector<Anomaly>* out) {
  windows_.Close(all, [&](const std::string& key, TimeNs start, WindowState& state) {
    const std::string service = ServiceOfKey(key);
    if (learning_) {
      for (auto& [feature, values] : state)
        if (values.size() >= config_.min_observations) {
          NormalWindows& h = history_[{service, feature}];
          h.counts.push_back(values.size());
          h.figures.push_back(Reduce(feature, values));
        }
    } else if (out) {
      ScoreWindow(service, start, state, *out);
    }
  });
}

Status DeviationDetector::FinishLearning(learn::ModelBundle& bundle) {
  CloseWindows(true, nullptr);
  nlohmann::json j = nlohmann::json::array();
  for (auto& [key, normal] : history_) {
    const std::vector<double>& figures = normal.figures;
    if (figures.size() < config_.min_normal_windows) continue;
    auto b = normalize::RobustBaseline::Fit(figures);
    baselines_[key] = b;
    std::vector<size_t>& counts = normal.counts;
    std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
    typical_count_[key] = counts[counts.size() / 2];
    j.push_back({{"service", key.first},
                 {"feature", key.second},
                 {"median", b.median},
                 {"mad", b.mad},
                 {"min", b.min},
                 {"max", b.max},
                 {"windows", b.n},
                 {"observations", typical_count_[key]}});
  }
  if (baselines_.empty()) {
    if (history_.empty()) return Status::Ok();  // no data of this kind: the pipeline says so
    size_t most = 0;
    for (const auto& [key, normal] : history_) most = std::max(most, normal.figures.size());
    return Status::Error(std::string(name()) + ": too little normal data: at most " +
                         std::to_string(most) + " window(s) of " +
                         std::to_string(config_.window.size / 1'000'000'000) +
                         " s per service and feature, fewer than the " +
                         std::to_string(config_.min_normal_windows) + " it needs");
  }
  std::string file = std::string(name()) + ".json";
  std::ofstream out(bundle.File(file));
  if (!out) return Status::Error(bundle.File(file).string() + ": cannot write");
  out << nlohmann::json{
      {"window_ns", config_.window.size},
      {"z_threshold", config_.z_threshold},
      {"baselines",
       j}}.dump();
  bundle.AddModel(std::string(name()), "robust_baseline", {file},
                  {{"baselines", baselines_.size()}, {"late_records", windows_.late()}});
  history_.clear();
  return Status::Ok();
}

Status DeviationDetector::Load(const learn::ModelBundle& bundle) {
  if (!bundle.HasModel(std::string(name())))
    return Status::Error(bundle.dir().string() + ": the bundle has no " + std::string(name()) +
                         " model");
  std::string path = bundle.File(std::string(name()) + ".json").string();
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  try {
    nlohmann::json j;
    in >> j;
    config_.window.size = j.at("window_ns").get<TimeNs>();
    config_.z_threshold = j.value("z_threshold", config_.z_threshold);
    windows_ = normalize::KeyedWindows<WindowState>(config_.window);
    baselines_.clear();
    typical_count_.clear();
    for (const auto& b : j.at("baselines")) {
      normalize::RobustBaseline rb;
      rb.median = b.at("median");
      rb.mad = b.at("mad");
      rb.min = b.at("min");
      rb.max = b.at("max");
      rb.n = b.at("windows");
      const Key key{b.at("service"), b.at("feature")};
      baselines_[key] = rb;
      typical_count_[key] = b.value("observations", size_t{0});  // absent in older bundles
    }
  } catch (const std::exception& e) {
    return Status::Error(path + ": corrupt baseline file: " + e.what());
  }
  learning_ = false;
  return Status::Ok();
}

void DeviationDetector::Score(const Batch& batch, std::vector<Anomaly>& out) {
  learning_ = false;
  Ingest(batch);
  CloseWindows(false, &out);
}

void DeviationDetector::Flush(std::vector<Anomaly>& out) {
  CloseWindows(true, &out);
}

void DeviationDetector::ScoreWindow(const std::string& service_name, TimeNs start,
                                    WindowState& state, std::vector<Anomaly>& out) {
  struct Hit {
    std::string feature;
    double value, z;
    const normalize::RobustBaseline* base;
  };
  std::map<std::string, std::vector<Hit>> by_service;
  for (auto& [feature, values] : state) {
    if (values.size() < config_.min_observations) continue;
    auto b = baselines_.find({service_name, feature});
    if (b == baselines_.end()) continue;
    if (auto t = typical_count_.find(b->first);
        t != typical_count_.end() && 2 * values.size() < t->second)
      continue;
    double v = Reduce(feature, values);
    double z = b->second.Z(v, AbsFloor(feature));
    double strength = OnlyHigh(feature) ? z : std::fabs(z);
    // Heavy tails: a value counts only beyond everything normal operation showed, with a margin.
    const auto& base = b->second;
    double margin = config_.range_margin * (base.max - base.min);
    bool outside = v > base.max + margin || (!OnlyHigh(feature) && v < base.min - margin);
    if (strength > config_.z_threshold && outside)
      by_service[service_name].push_back({feature, v, z, &base});
  }
  for (auto& [service, hits] : by_service) {
    std::sort(hits.begin(), hits.end(),
              [](const Hit& a, const Hit& b) { return std::fabs(a.z) > std::fabs(b.z); });
    Anomaly a;
    a.start = start;
    a.end = start + windows_.size();
    a.service = service;
    a.modality = modality();
    a.detector = std::string(name());
    a.score = std::fabs(hits.front().z);
    a.threshold = config_.z_threshold;
    // A signal that never varied in normal data (an error rate always 0) has no spread to measure
    // z by: its z (against the floor) ranks it but would read as a number in the hundred
    // thousands, so the text says "normal always V" instead.
    auto never_varied = [](const Hit& h) { return h.base->max == h.base->min; };
    const Hit& top = hits.front();
    a.summary = never_varied(top) ? fmt::format("{} {} {:.4g} (normal always {:.4g})", service,
                                                top.feature, top.value, top.base->median)
                                  : fmt::format("{} {} {:.4g} (normal {:.4g}, z {:+.1f})", service,
                                                top.feature, top.value, top.base->median, top.z);
    if (hits.size() > 1)
      a.summary += fmt::format(" and {} more deviating signal(s)", hits.size() - 1);
    for (size_t i = 0; i < hits.size() && i < 5; ++i) {
      const Hit& h = hits[i];
      a.evidence.push_back(
          never_varied(h)
              ? fmt::format("{}: {:.4g} against normal always {:.4g}", h.feature, h.value,
                            h.base->median)
              : fmt::format("{}: {:.4g} against normal {:.4g} [{:.4g}, {:.4g}], z {:+.1f}",
                            h.feature, h.value, h.base->median, h.base->min, h.base->max, h.z));
    }
    out.push_back(std::move(a));
  }
}

void MetricDeviationDetector::Extract(const Batch& batch, const Emit& emit) const {
  for (const auto& m : batch.metrics) {
    if (m.service.empty()) continue;
    double v = m.value;
    if ((m.kind == MetricKind::kHistogram || m.kind == MetricKind::kSummary) && m.count > 0)
      v = m.value / static_cast<double>(m.count);  // mean of the distribution
    emit(m.time, m.service, m.instance, m.name, v);
  }
}

}  // namespace augur::detect
