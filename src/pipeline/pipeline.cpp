#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/log.h"
#include "core/time.h"
#include "diagnose/fault_classifier.h"
#include "explain/incident_json.h"
#include "learn/model_bundle.h"
#include "localize/localizer.h"
#include "normalize/counter_rates.h"
#include "pipeline/detectors.h"
#include "pipeline/recorder.h"
#include "pipeline/report.h"
#include "pipeline/torch_models.h"
#include "store/store.h"

namespace augur::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

struct TimedDetector {
  std::unique_ptr<detect::Detector> detector;
  double seconds = 0;
};

template <class Fn>
void Timed(TimedDetector& d, Fn&& fn) {
  auto start = Clock::now();
  fn(*d.detector);
  d.seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

// The selected detectors, and those that could not be made with why (a libtorch model whose module
// cannot be loaded). With a bundle (detection), a libtorch model it does not hold is not made: the
// module is loaded only for a model that will run.
std::vector<TimedDetector> MakeDetectors(const DetectorSelection& selection,
                                         const learn::ModelBundle* bundle,
                                         std::vector<std::pair<std::string, std::string>>& failed) {
  std::vector<TimedDetector> out;
  for (const auto& f : DetectorFactories()) {
    if (!selection.Wants(f.name)) continue;
    if (f.torch && bundle && !bundle->HasModel(f.name)) {
      failed.push_back(
          {f.name, bundle->dir().string() + ": the bundle has no " + f.name + " model"});
      continue;
    }
    auto made = f.make(selection.settings);
    if (made)
      out.push_back({std::move(*made), 0});
    else
      failed.push_back({f.name, made.message()});
  }
  return out;
}

nlohmann::json ServicesJson(const Recorder& rec) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [service, windows] : rec.series()) {
    uint64_t spans = 0, logs = 0, metrics = 0;
    for (const auto& [w, a] : windows) {
      spans += a.spans;
      logs += a.logs;
      for (const auto& [name, sn] : a.metrics) metrics += sn.second;
    }
    j[service.empty() ? "(unknown)" : service] = {
        {"spans", spans}, {"logs", logs}, {"metric_points", metrics}};
  }
  return j;
}

// Until the Bayesian localizer is wired in: rank services by the strength of their anomalies,
// moving blame from callers to an anomalous callee (a failing dependency explains its callers'
// symptoms).
std::vector<explain::RankedService> RankByAnomalies(const explain::Incident& inc,
                                                    const Recorder& rec) {
  std::map<std::string, double> strength;
  std::map<std::string, std::vector<std::string>> evidence;
  std::map<std::string, TimeNs> first;
  for (const auto& a : inc.anomalies) {
    if (a.service.empty()) continue;
    strength[a.service] += std::log1p(a.strength());
    if (evidence[a.service].size() < 5) evidence[a.service].push_back(a.summary);
    auto [it, fresh] = first.try_emplace(a.service, a.start);
    if (!fresh) it->second = std::min(it->second, a.start);
  }
  std::map<std::string, double> blame = strength;
  for (const auto& [edge, calls] : rec.edges()) {
    const auto& [caller, callee] = edge;
    if (strength.count(caller) && strength.count(callee)) {
      double moved = 0.5 * blame[caller];
      blame[caller] -= moved;
      blame[callee] += moved;
    }
  }
  for (auto& [s, b] : blame)
    if (first[s] == inc.start) b *= 1.2;  // the first to show symptoms
  double total = 0;
  for (auto& [s, b] : blame) total += b;
  std::vector<explain::RankedService> out;
  for (auto& [s, b] : blame) {
    double p = total > 0 ? b / total : 0;
    out.push_back({s, p, std::string(explain::OutageLevel(p)), evidence[s]});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.probability > b.probability; });
  return out;
}

// An error when the input held no record at all (a wrong path, a file of another kind): training
// or detecting on nothing would report success on nothing.
Status NothingRead(const std::vector<std::string>& inputs, const ingest::ReadReport& read,
                   const Recorder& rec) {
  if (rec.spans() + rec.logs() + rec.metric_points() + rec.trace_events() > 0) return Status::Ok();
  std::string what;
  for (const auto& i : inputs) what += (what.empty() ? "" : ", ") + i;
  std::string message =
      "no telemetry record in " + what + " (" + std::to_string(read.files.size()) + " file(s) read";
  if (read.rejected.count) message += ", " + std::to_string(read.rejected.count) + " rejected";
  message += ")";
  int shown = 0;
  for (const auto& f : read.files)
    if (!f.note.empty() && shown++ < 3) message += "; " + f.path + ": " + f.note;
  for (size_t i = 0; i < read.rejected.first.size() && i < 3; ++i)
    message += "; " + read.rejected.first[i];
  return Status::Error(message + "; `augur inspect` shows what it finds");
}

// A model's own Load, with what it throws on a damaged bundle (a manifest field of the wrong type,
// a size libtorch cannot allocate) turned into the error that skips it.
template <class Model>
Status LoadFrom(Model& model, const learn::ModelBundle& bundle, std::string_view name) {
  try {
    return model.Load(bundle);
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    return Status::Error(bundle.dir().string() + ": damaged " + std::string(name) +
                         " model: " + what);
  }
}

}  // namespace

std::vector<std::string> TrainStages() {
  std::vector<std::string> out;
  for (const auto& f : DetectorFactories()) out.push_back("learn:" + std::string(f.name));
  out.push_back("learn:localize");
  return out;
}

std::vector<std::string> DetectStages() {
  return {"localize", "diagnose", "explain", "store", "report"};
}

Result<TrainSummary> Train(const TrainOptions& o, ingest::ReadReport* read) {
  TrainSummary summary;
  StageRunner run(o.disabled_stages);
  for (const auto& input : o.inputs)  // before the bundle folder is made
    if (std::error_code ec; !std::filesystem::exists(input, ec))
      return Status::Error(input + ": no such file or directory");
  std::vector<std::pair<std::string, std::string>> unmade;
  auto detectors = MakeDetectors(o.detectors, nullptr, unmade);
  // A selected model that cannot be trained here (the libtorch module, the device) fails the run
  // rather than leave a bundle without it.
  if (!unmade.empty()) return Status::Error(unmade.front().first + ": " + unmade.front().second);
  auto bundle = learn::ModelBundle::Create(o.model_dir);
  if (!bundle) return bundle.status();
  const bool localize = !o.disabled_stages.count("learn:localize");
  localize::Localizer localizer;
  Recorder rec;
  normalize::CounterRates rates;

  // ingest → normalize → learn: every batch goes to every detector (and the localizer) as it is
  // read, its counters turned into rates.
  Status st = run.Run("ingest", [&] {
    auto report = ingest::ReadPaths(
        o.inputs, o.read,
        [&](Batch& b) {
          rates.Apply(b);
          rec.Add(b);
          for (auto& d : detectors) Timed(d, [&](detect::Detector& det) { det.Learn(b); });
          if (localize) localizer.Learn(b);
        },
        read);
    if (!report) return report.status();
    summary.read = std::move(*report);
    return NothingRead(o.inputs, summary.read, rec);
  });
  if (!st) return st;
  run.Note(std::to_string(summary.read.files.size()) + " files");

  for (auto& d : detectors) {
    std::string name(d.detector->name());
    Status learned = run.Run("learn:" + name, [&] {
      Status fs;
      Timed(d, [&](detect::Detector& det) { fs = det.FinishLearning(*bundle); });
      return fs;
    });
    if (!learned) {
      run.Note(learned.message());
      summary.skipped.push_back({name, learned.message()});
    } else if (bundle->HasModel(name)) {
      summary.models.push_back(name);
    } else {
      summary.skipped.push_back({name, "no data of its kind in the input"});
    }
  }

  st = run.Run("learn:localize", [&]() -> Status {
    if (!localize) return Status::Ok();
    localizer.FinishLearning();
    if (localizer.topology().edges().empty() && rec.spans() == 0) {
      summary.skipped.push_back({"localize", "no spans in the input: no service graph to learn"});
      return Status::Ok();
    }
    if (auto ls = localizer.Save(*bundle); !ls) return ls;
    summary.models.push_back("localize");
    return Status::Ok();
  });
  if (!st) return st;

  st = run.Run("manifest", [&] {
    auto& m = bundle->manifest();
    m["data"] = {{"inputs", o.inputs},
                 {"files", summary.read.files.size()},
                 {"spans", rec.spans()},
                 {"logs", rec.logs()},
                 {"metric_points", rec.metric_points()},
                 {"trace_events", rec.trace_events()},
                 {"rejected", summary.read.rejected.count}};
    if (rec.first() <= rec.last())
      m["time_range"] = {FormatIsoTime(rec.first()), FormatIsoTime(rec.last())};
    m["services"] = ServicesJson(rec);
    nlohmann::json edges = nlohmann::json::array();
    for (const auto& [e, n] : rec.edges())
      edges.push_back({{"caller", e.first}, {"callee", e.second}, {"calls", n}});
    m["topology"] = edges;
    // What the libtorch models trained with: other kernels train other weights (docs/cli.md).
    if (std::string blas = BlasKernels(); !blas.empty()) m["torch_blas"] = blas;
    return bundle->Save();
  });
  if (!st) return st;
  summary.stages = run.timings();
  summary.manifest = bundle->manifest();
  return summary;
}

Result<DetectSummary> Detect(const DetectOptions& o, ingest::ReadReport* read) {
  DetectSummary summary;
  StageRunner run(o.disabled_stages);
  const auto load_start = Clock::now();
  auto bundle = learn::ModelBundle::Open(o.model_dir);
  if (!bundle) return bundle.status();

  std::vector<TimedDetector> detectors;
  for (auto& d : MakeDetectors(o.detectors, &*bundle, summary.skipped)) {
    Status st = LoadFrom(*d.detector, *bundle, d.detector->name());
    if (st) {
      summary.detectors.emplace_back(d.detector->name());
      detectors.push_back(std::move(d));
    } else {
      summary.skipped.push_back({std::string(d.detector->name()), st.message()});
    }
  }
  if (detectors.empty())
    return Status::Error(o.model_dir.string() +
                         ": the bundle holds no model that a selected detector can use");
  localize::Localizer localizer;
  bool have_localizer = false;
  if (!o.disabled_stages.count("localize")) {
    Status ls = LoadFrom(localizer, *bundle, "localize");
    have_localizer = ls.ok();
    if (!ls)
      summary.skipped.push_back(
          {"localize", ls.message() + " (ranking by anomaly strength instead)"});
  }
  run.Add({"load", std::chrono::duration<double>(Clock::now() - load_start).count(), true,
           std::to_string(detectors.size() + have_localizer) + " models"});

  Recorder rec;
  normalize::CounterRates rates;
  std::vector<detect::Anomaly> anomalies;

  // ingest → normalize → detect: windows are scored as they close.
  Status st = run.Run("ingest+detect", [&] {
    auto report = ingest::ReadPaths(
        o.inputs, o.read,
        [&](Batch& b) {
          rates.Apply(b);
          rec.Add(b);
          for (auto& d : detectors)
            Timed(d, [&](detect::Detector& det) { det.Score(b, anomalies); });
        },
        read);
    if (!report) return report.status();
    summary.read = std::move(*report);
    if (Status none = NothingRead(o.inputs, summary.read, rec); !none) return none;
    for (auto& d : detectors) {
      Timed(d, [&](detect::Detector& det) { det.Flush(anomalies); });
      if (uint64_t n = d.detector->late_records())
        summary.late.emplace_back(std::string(d.detector->name()), n);
    }
    return Status::Ok();
  });
  if (!st) return st;
  for (auto& d : detectors)
    run.Add({"detect:" + std::string(d.detector->name()), d.seconds, true, ""});
  summary.anomalies = anomalies.size();

  std::vector<explain::Incident>& incidents = summary.incidents;
  st = run.Run("group", [&] {
    explain::GroupingConfig grouping = o.grouping;
    grouping.silences = rec.Silences();
    incidents = explain::GroupAnomalies(std::move(anomalies), grouping);
    for (auto& inc : incidents) inc.onset = explain::OnsetOf(inc, o.localize_window);
    return Status::Ok();
  });
  if (!st) return st;

  st = run.Run("localize", [&]() -> Status {
    if (!have_localizer) {
      for (auto& inc : incidents) inc.ranking = RankByAnomalies(inc, rec);
      return Status::Ok();
    }
    // Replaying files: a second pass collects the raw records of each incident's first minutes
    // (up to `localize_slices` windows from onset + offset). Incidents never overlap, so one
    // binary search places a record.
    const size_t slices = static_cast<size_t>(std::max(1, o.localize_slices));
    std::vector<Batch> windows(incidents.size() * slices);
    std::vector<TimeNs> lo, hi;
    for (const auto& inc : incidents) {
      lo.push_back(std::min(inc.end - 1, inc.onset + o.localize_offset));
      hi.push_back(
          std::max(lo.back() + 1,
                   std::min(inc.end, lo.back() + static_cast<TimeNs>(slices) * o.localize_window)));
    }
    auto slot = [&](TimeNs t) -> Batch* {
      auto it = std::upper_bound(lo.begin(), lo.end(), t);
      if (it == lo.begin()) return nullptr;
      size_t i = static_cast<size_t>(it - lo.begin()) - 1;
      if (t >= hi[i]) return nullptr;
      size_t k = std::min(slices - 1, static_cast<size_t>((t - lo[i]) / o.localize_window));
      return &windows[i * slices + k];
    };
    if (!incidents.empty()) {
      normalize::CounterRates again_rates;
      auto again = ingest::ReadPaths(o.inputs, o.read, [&](Batch& b) {
        again_rates.Apply(b);
        for (auto& x : b.spans)
          if (Batch* w = slot(x.start)) w->spans.push_back(std::move(x));
        for (auto& x : b.logs)
          if (Batch* w = slot(x.time)) w->logs.push_back(std::move(x));
        for (auto& x : b.metrics)
          if (Batch* w = slot(x.time)) w->metrics.push_back(std::move(x));
      });
      if (!again) return again.status();
    }
    // With several windows, the one whose leading service is most probable: where the incident's
    // cause shows most clearly (the first may hold only alarms from before the fault).
    auto leader = [](const localize::Localization& l) {
      return l.ranking.empty() ? 0.0 : l.ranking.front().p_origin;
    };
    for (size_t i = 0; i < incidents.size(); ++i) {
      auto& inc = incidents[i];
      Result<localize::Localization> r = Status::Error("no window");
      for (size_t k = 0; k < slices; ++k) {
        Batch& w = windows[i * slices + k];
        if (k > 0 && w.empty()) continue;
        auto rk = localizer.Localize(w, o.localize_with_anomalies ? &inc.anomalies : nullptr);
        w.clear();
        if (!rk) return Status::Error(inc.id + ": " + rk.message());
        if (k == 0 || leader(*rk) > leader(*r)) r = std::move(rk);
      }
      for (const auto& rc : r->ranking) {
        explain::RankedService rs{rc.service,
                                  rc.p_origin,
                                  std::string(explain::OutageLevel(rc.p_outage)),
                                  {},
                                  rc.p_outage};
        for (size_t k = 0; k < rc.evidence.size() && k < 5; ++k)
          rs.evidence.push_back(rc.evidence[k].detail);
        inc.ranking.push_back(std::move(rs));
      }
      inc.edges = r->edges;
      inc.localization_confidence = r->confidence;
      summary.localizations.push_back(std::move(*r));
    }
    return Status::Ok();
  });
  if (!st) return st;

  st = run.Run("diagnose", [&] {
    // From the localizer's tests of the top-ranked service where there was a localizer (one
    // localization per incident), else from the incident's anomalies.
    const bool localized = summary.localizations.size() == incidents.size();
    static const std::vector<localize::EvidenceItem> kNone;
    for (size_t i = 0; i < incidents.size(); ++i) {
      auto& inc = incidents[i];
      if (inc.ranking.empty()) continue;
      const auto& evidence = localized && !summary.localizations[i].ranking.empty()
                                 ? summary.localizations[i].ranking.front().evidence
                                 : kNone;
      auto d = diagnose::ClassifyFault(evidence, inc.anomalies, inc.ranking.front().service);
      inc.fault_type = d.type;
      inc.fault_confidence = d.confidence;
      inc.fault_reason = d.reasons.empty() ? "" : d.reasons.front();
    }
    return Status::Ok();
  });
  if (!st) return st;

  st = run.Run("explain", [&] {
    for (auto& inc : incidents) explain::Explain(inc);
    return Status::Ok();
  });
  if (!st) return st;

  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec)
    return Status::Error(o.out_dir.string() + ": cannot create output folder: " + ec.message());

  st = run.Run("store", [&]() -> Status {
    auto store = store::Store::Open(o.db.empty() ? o.out_dir / "augur.db" : o.db);
    if (!store) return store.status();
    auto run_id =
        (*store)->BeginRun("detect", {{"inputs", o.inputs}, {"model", o.model_dir.string()}});
    if (!run_id) return run_id.status();
    summary.run_id = *run_id;
    auto ids = (*store)->SaveIncidents(*run_id, incidents);
    if (!ids) return ids.status();
    return (*store)->FinishRun(*run_id, "ok",
                               {{"incidents", incidents.size()}, {"anomalies", summary.anomalies}});
  });
  if (!st) return st;

  st = run.Run("report", [&]() -> Status {
    ReportInput in{incidents, summary.localizations, rec,          summary.read,
                   o.inputs,  o.model_dir.string(),  run.timings()};
    auto files = WriteReports(in, o.out_dir);
    if (!files) return files.status();
    summary.outputs = *files;
    return Status::Ok();
  });
  if (!st) return st;
  summary.stages = run.timings();
  return summary;
}

}  // namespace augur::pipeline
