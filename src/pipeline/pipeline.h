// The pipeline: the two functions that run augur's stages in order, each named, timed and
// switchable.
//   Train:  ingest → normalize → learn                          (normal data → model bundle)
//   Detect: ingest → normalize → detect → localize → diagnose → explain → store → report
#pragma once

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "explain/incident.h"
#include "ingest/read.h"
#include "localize/localizer.h"
#include "pipeline/detectors.h"

namespace augur::pipeline {

struct StageTiming {
  std::string name;
  double seconds = 0;
  bool ran = true;
  std::string note;  // why it was skipped, or what it produced
};

// Runs named stages in order and times them; a stage named in `disabled` is recorded as skipped.
class StageRunner {
 public:
  explicit StageRunner(std::set<std::string> disabled) : disabled_(std::move(disabled)) {}
  // Runs `fn` (returning Status) unless disabled. Stops the pipeline on error.
  template <class Fn>
  Status Run(const std::string& name, Fn&& fn);
  void Note(const std::string& note) { timings_.back().note = note; }
  void Add(StageTiming t) { timings_.push_back(std::move(t)); }
  const std::vector<StageTiming>& timings() const { return timings_; }

 private:
  std::set<std::string> disabled_;
  std::vector<StageTiming> timings_;
};

// Which detectors run: empty `only` means all that the data (training) or the bundle (detection)
// supports.
struct DetectorSelection {
  std::set<std::string> only;
  std::set<std::string> skip;
  DetectorSettings settings;  // for the detectors that run
  bool Wants(const std::string& name) const {
    return !skip.count(name) && (only.empty() || only.count(name));
  }
};

struct TrainOptions {
  std::vector<std::string> inputs;
  std::filesystem::path model_dir;
  ingest::ReadOptions read;
  DetectorSelection detectors;
  std::set<std::string> disabled_stages;
};

struct TrainSummary {
  std::vector<StageTiming> stages;
  ingest::ReadReport read;
  std::vector<std::string> models;                           // trained
  std::vector<std::pair<std::string, std::string>> skipped;  // detector, reason
  nlohmann::json manifest;
};

// The stages `disabled_stages` may switch off: learn:<detector> and learn:localize.
std::vector<std::string> TrainStages();

// `read`, when given, receives the read report even when the run fails (a `--strict` stop).
Result<TrainSummary> Train(const TrainOptions& options, ingest::ReadReport* read = nullptr);

struct DetectOptions {
  std::vector<std::string> inputs;
  std::filesystem::path model_dir;
  std::filesystem::path out_dir;  // incident.json, report.html, trace.json, CSVs
  std::filesystem::path db;       // default: out_dir/augur.db
  ingest::ReadOptions read;
  DetectorSelection detectors;
  std::set<std::string> disabled_stages;  // e.g. "report", "store"
  explain::GroupingConfig grouping;
  // An incident is localized from the raw records of [onset + offset, onset + offset + window): the
  // minutes right after it took hold (explain::OnsetOf, in slices of `window`), before the failure
  // has spread (Nezha's protocol uses the minute two minutes after injection).
  TimeNs localize_offset = 60LL * 1'000'000'000;
  TimeNs localize_window = 60LL * 1'000'000'000;
  // Windows tried one after the other from onset + offset; the incident keeps the localization
  // whose leading service is most probable.
  int localize_slices = 1;
  bool localize_with_anomalies =
      false;  // also feed the detectors' anomalies to the Bayesian network
};

struct DetectSummary {
  std::vector<StageTiming> stages;
  ingest::ReadReport read;
  std::vector<std::string> detectors;                        // that ran
  std::vector<std::pair<std::string, std::string>> skipped;  // detector, reason
  std::vector<std::pair<std::string, uint64_t>> late;        // detector, records not scored (late)
  size_t anomalies = 0;
  std::vector<explain::Incident> incidents;
  std::vector<localize::Localization>
      localizations;  // one per incident when the bundle has a localizer
  int64_t run_id = 0;
  std::vector<std::string> outputs;  // files written
};

// The stages DetectOptions::disabled_stages may switch off.
std::vector<std::string> DetectStages();

// `read` as for Train.
Result<DetectSummary> Detect(const DetectOptions& options, ingest::ReadReport* read = nullptr);

// --- implementation of the template ---
template <class Fn>
Status StageRunner::Run(const std::string& name, Fn&& fn) {
  StageTiming t{name, 0, !disabled_.count(name), ""};
  if (!t.ran) {
    t.note = "switched off";
    timings_.push_back(std::move(t));
    return Status::Ok();
  }
  timings_.push_back(t);
  auto start = std::chrono::steady_clock::now();
  Status st = fn();
  timings_.back().seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace augur::pipeline
