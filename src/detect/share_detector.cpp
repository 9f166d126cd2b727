#include "detect/share_detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "normalize/robust_stats.h"
#include "normalize/template_miner.h"

namespace augur::detect {

bool IsWarningOrError(const LogRecord& log) {
  if (log.severity >= Severity::kWarn) return true;
  if (log.severity != Severity::kUnspecified && log.severity < Severity::kWarn) return false;
  std::string_view b = log.body;
  if (b.size() > 512) b = b.substr(0, 512);
  for (std::string_view w : {"ERROR", "Error", "error", "Exception", "FATAL", "WARN", "fail",
                             "Fail", "refused", "timeout", "Timeout", "panic"})
    if (b.find(w) != std::string_view::npos) return true;
  return false;
}

Status ShareConfig::Validate() const {
  if (window.size <= 0) return Status::Error("window size must be positive");
  if (!(z_threshold > 0)) return Status::Error("z_threshold must be positive");
  if (!(floor >= 0)) return Status::Error("floor must not be negative");
  return Status::Ok();
}

void ShareDetector::Count(TimeNs t, const std::string& service, const std::string& instance,
                          const std::vector<std::pair<const char*, std::string>>& bad) {
  if (service.empty()) return;
  ShareTally* w = windows_.At(service, t);
  if (!w) return;
  ShareTally& tally = *w;
  ++tally.n;
  if (tally.instance.empty()) tally.instance = instance;
  for (const auto& [kind, example] : bad) {
    ++tally.bad[kind];
    auto& ex = tally.examples[kind];
    if (ex.size() < config_.max_evidence) ex.push_back(example);
  }
}

void ShareDetector::Score(const Batch& batch, std::vector<Anomaly>& out) {
  CountBatch(batch);
  Close(false, out);
}

void ShareDetector::Flush(std::vector<Anomaly>& out) {
  Close(true, out);
}

void ShareDetector::Close(bool all, std::vector<Anomaly>& out) {
  windows_.Close(all, [&](const std::string& service, TimeNs start, ShareTally& tally) {
    if (tally.n < config_.min_records) return;
    std::string best_kind;
    double best_z = 0;
    std::vector<std::string> evidence;
    for (const auto& [kind, k] : tally.bad) {
      double p0 = NormalShare(service, kind);
      if (p0 < 0) continue;
      double z = normalize::ShareZ(static_cast<double>(k), static_cast<double>(tally.n), p0,
                                   config_.floor);
      if (z <= config_.z_threshold) continue;
      evidence.push_back(fmt::format("{}: {} of {} ({:.1f} %, normally {:.2f} %), z {:.1f}",
                                     Describe(kind), k, tally.n, 100.0 * k / tally.n, 100 * p0, z));
      for (const auto& ex : tally.examples[kind]) evidence.push_back("  " + ex);
      if (z > best_z) best_z = z, best_kind = kind;
    }
    if (best_kind.empty()) return;
    Anomaly a;
    a.start = start;
    a.end = start + windows_.size();
    a.service = service;
    a.instance = tally.instance;
    a.modality = modality();
    a.detector = std::string(name());
    a.score = best_z;
    a.threshold = config_.z_threshold;
    uint64_t k = tally.bad[best_kind];
    a.summary = fmt::format("{}: {} {} of {} ({:.0f} %, normally {:.1f} %)", service, k,
                            Describe(best_kind), tally.n, 100.0 * k / tally.n,
                            100 * NormalShare(service, best_kind));
    a.evidence = std::move(evidence);
    out.push_back(std::move(a));
  });
}

// ---- spans ----

void SpanShareDetector::Learn(const Batch& batch) {
  for (const auto& s : batch.spans) {
    if (s.service.empty() || s.kind == SpanKind::kClient || s.kind == SpanKind::kProducer) continue;
    Profile& p = profiles_[s.service];
    ++p.n;
    if (s.is_error()) ++p.errors;
    double ms = static_cast<double>(s.duration()) / 1e6;
    // Reservoir of at most 20k durations per service, deterministic (no RNG): keep every k-th.
    if (p.sample.size() < 20000)
      p.sample.push_back(ms);
    else
      p.sample[(seen_++ * 2654435761u) % p.sample.size()] = ms;
  }
}

Status SpanShareDetector::FinishLearning(learn::ModelBundle& bundle) {
  nlohmann::json j = nlohmann::json::object();
  for (auto it = profiles_.begin(); it != profiles_.end();) {
    Profile& p = it->second;
    if (p.n < config_.min_normal) {
      it = profiles_.erase(it);
      continue;
    }
    size_t k = std::min(p.sample.size() - 1,
                        static_cast<size_t>(0.99 * static_cast<double>(p.sample.size())));
    std::nth_element(p.sample.begin(), p.sample.begin() + static_cast<long>(k), p.sample.end());
    p.p99_ms = p.sample[k];
    p.sample.clear();
    p.sample.shrink_to_fit();
    j[it->first] = {{"spans", p.n}, {"errors", p.errors}, {"p99_ms", p.p99_ms}};
    ++it;
  }
  if (profiles_.empty()) return Status::Ok();
  const std::string file = "span_deviation.json";
  std::ofstream out(bundle.File(file));
  if (!out) return Status::Error(bundle.File(file).string() + ": cannot write");
  out << nlohmann::json{
      {"window_ns", config_.window.size},
      {"z_threshold", config_.z_threshold},
      {"services",
       j}}.dump(1);
  bundle.AddModel("span_deviation", "share_profile", {file}, {{"services", profiles_.size()}});
  return Status::Ok();
}

Status SpanShareDetector::Load(const learn::ModelBundle& bundle) {
  if (!bundle.HasModel("span_deviation"))
    return Status::Error(bundle.dir().string() +
                         ": the bundle has no span_deviation model (no spans in training)");
  std::string path = bundle.File("span_deviation.json").string();
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  try {
    nlohmann::json j;
    in >> j;
    profiles_.clear();
    for (auto& [service, p] : j.at("services").items()) {
      Profile& pr = profiles_[service];
      pr.n = p.at("spans");
      pr.errors = p.at("errors");
      pr.p99_ms = p.at("p99_ms");
    }
  } catch (const std::exception& e) {
    return Status::Error(path + ": corrupt span profile: " + e.what());
  }
  return Status::Ok();
}

void SpanShareDetector::CountBatch(const Batch& batch) {
  std::vector<std::pair<const char*, std::string>> bad;
  for (const auto& s : batch.spans) {
    if (s.service.empty() || s.kind == SpanKind::kClient || s.kind == SpanKind::kProducer) continue;
    auto p = profiles_.find(s.service);
    bad.clear();
    double ms = static_cast<double>(s.duration()) / 1e6;
    if (s.is_error())
      bad.push_back(
          {"error", fmt::format("{} {} failed{}", s.name,
                                s.http_status_code ? std::to_string(s.http_status_code) : "",
                                s.status_message.empty() ? "" : ": " + s.status_message)});
    if (p != profiles_.end() && ms > p->second.p99_ms)
      bad.push_back({"slow", fmt::format("{} took {:.1f} ms (normal p99 {:.1f} ms)", s.name, ms,
                                         p->second.p99_ms)});
    Count(s.start, s.service, s.instance, bad);
  }
}

double SpanShareDetector::NormalShare(const std::string& service, const std::string& kind) const {
  auto p = profiles_.find(service);
  if (p == profiles_.end()) return -1;
  if (kind == "error")
    return (static_cast<double>(p->second.errors) + 0.5) / (static_cast<double>(p->second.n) + 1);
  return 0.01;  // by definition of the p99
}

std::string SpanShareDetector::Describe(const std::string& kind) const {
  return kind == "error" ? "failed spans" : "spans slower than normal p99";
}

// ---- logs ----

LogPatternDetector::LogPatternDetector(ShareConfig config)
    : ShareDetector(config), miner_(std::make_unique<normalize::TemplateMiner>()) {}
LogPatternDetector::~LogPatternDetector() = default;

namespace {
// Lines of a service after its first kWarmup are "late": the share of new patterns among them
// estimates how often normal operation still produces a never-seen pattern.
constexpr uint64_t kWarmup = 200;
}  // namespace

void LogPatternDetector::Learn(const Batch& batch) {
  normalize::TemplateMatch m;
  for (const auto& l : batch.logs) {
    if (l.service.empty()) continue;
    Profile& p = profiles_[l.service];
    miner_->Add(l.body, m);
    ++p.n;
    if (IsWarningOrError(l)) ++p.errors;
    if (p.n > kWarmup) {
      ++p.late_n;
      if (m.created) ++p.late_new;
    }
  }
}

Status LogPatternDetector::FinishLearning(learn::ModelBundle& bundle) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [service, p] : profiles_)
    if (p.n >= config_.min_normal)
      j[service] = {
          {"lines", p.n}, {"errors", p.errors}, {"late_lines", p.late_n}, {"late_new", p.late_new}};
  if (j.empty()) return Status::Ok();
  if (auto st = miner_->Save(bundle.File("log_pattern.templates")); !st) return st;
  std::ofstream out(bundle.File("log_pattern.json"));
  if (!out) return Status::Error(bundle.File("log_pattern.json").string() + ": cannot write");
  out << nlohmann::json{
      {"window_ns", config_.window.size},
      {"z_threshold", config_.z_threshold},
      {"services",
       j}}.dump(1);
  bundle.AddModel("log_pattern", "template_share_profile",
                  {"log_pattern.json", "log_pattern.templates"},
                  {{"services", j.size()}, {"templates", miner_->stats().live}});
  return Status::Ok();
}

Status LogPatternDetector::Load(const learn::ModelBundle& bundle) {
  if (!bundle.HasModel("log_pattern"))
    return Status::Error(bundle.dir().string() +
                         ": the bundle has no log_pattern model (no logs in training)");
  auto miner = normalize::TemplateMiner::Load(bundle.File("log_pattern.templates"));
  if (!miner) return miner.status();
  miner_ = std::make_unique<normalize::TemplateMiner>(std::move(*miner));
  std::string path = bundle.File("log_pattern.json").string();
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  try {
    nlohmann::json j;
    in >> j;
    profiles_.clear();
    for (auto& [service, p] : j.at("services").items())
      profiles_[service] = {p.at("lines"), p.at("errors"), p.at("late_new"), p.at("late_lines")};
  } catch (const std::exception& e) {
    return Status::Error(path + ": corrupt log profile: " + e.what());
  }
  return Status::Ok();
}

void LogPatternDetector::CountBatch(const Batch& batch) {
  std::vector<std::pair<const char*, std::string>> bad;
  for (const auto& l : batch.logs) {
    if (l.service.empty() || !profiles_.count(l.service)) continue;
    bad.clear();
    std::string line = CutUtf8(l.body, 300);
    if (miner_->Match(l.body).template_id == 0) bad.push_back({"new_pattern", line});
    if (IsWarningOrError(l)) bad.push_back({"warning_or_error", line});
    Count(l.time, l.service, l.instance, bad);
  }
}

double LogPatternDetector::NormalShare(const std::string& service, const std::string& kind) const {
  auto it = profiles_.find(service);
  if (it == profiles_.end()) return -1;
  const Profile& p = it->second;
  if (kind == "new_pattern")  // weak prior of 1 % for services with few late lines
    return (static_cast<double>(p.late_new) + 0.5) / (static_cast<double>(p.late_n) + 50);
  return (static_cast<double>(p.errors) + 0.5) / (static_cast<double>(p.n) + 1);
}

std::string LogPatternDetector::Describe(const std::string& kind) const {
  return kind == "new_pattern" ? "log lines of never-seen patterns" : "warning/error log lines";
}

}  // namespace augur::detect
