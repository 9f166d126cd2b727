#include "learn/torch/log_windows_eval.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include <unistd.h>

#include <fmt/format.h>

#include "core/log.h"
#include "core/service.h"
#include "core/time.h"
#include "ingest/read.h"
#include "learn/model_bundle.h"

namespace augur::learn {
namespace fs = std::filesystem;
namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Nezha log CSV (Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log) through ingest.
Status ReadNezhaLogs(const fs::path& file, std::vector<LogRecord>& out) {
  auto r = ingest::ReadPaths({file.string()}, {}, [&](Batch& b) {
    for (auto& l : b.logs) out.push_back(std::move(l));
  });
  if (!r) return r.status();
  if (r->rejected.count)
    LogWarn("{}: {} malformed rows skipped (first: {})", file.string(), r->rejected.count,
            r->rejected.first.empty() ? "" : r->rejected.first.front());
  return Status::Ok();
}

void SortByTime(std::vector<LogRecord>& v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const LogRecord& a, const LogRecord& b) { return a.time < b.time; });
}

struct Runner {
  const LogWindowsEvalOptions& opt;
  LogWindowsEvalResult res;
  fs::path bundle_dir;
  std::unique_ptr<std::ofstream> dump;

  // Consumes the lines; the learning detector is gone when scoring starts (full BGL: 1.9 M lines).
  Status Train(std::vector<LogRecord> lines) {
    auto det = std::make_unique<detect::LogLmDetector>(opt.config);
    Batch b;
    for (auto& r : lines) {
      b.logs.push_back(std::move(r));
      if (b.logs.size() >= 8192) {
        det->Learn(b);
        b.clear();
      }
    }
    det->Learn(b);
    res.train_lines = lines.size();
    std::vector<LogRecord>().swap(lines);
    bundle_dir = opt.save_bundle.empty()
                     ? fs::temp_directory_path() / fmt::format("augur-log-lm-{}", ::getpid())
                     : fs::path(opt.save_bundle);
    auto bundle = learn::ModelBundle::Create(bundle_dir);
    if (!bundle) return bundle.status();
    auto t0 = std::chrono::steady_clock::now();
    if (auto st = det->FinishLearning(*bundle); !st) return st;
    res.train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.train_figures = det->figures();
    if (auto st = bundle->Save(); !st) return st;
    res.threshold = det->threshold();
    return Status::Ok();
  }

  // Fresh scoring state (a new detector loaded from the trained bundle, with its calibrated
  // thresholds unless --threshold fixed one), so groups do not leak context into each other.
  Result<std::unique_ptr<detect::LogLmDetector>> Fresh() {
    auto d = std::make_unique<detect::LogLmDetector>(opt.config);
    auto bundle = learn::ModelBundle::Open(bundle_dir);
    if (!bundle) return bundle.status();
    if (auto st = d->Load(*bundle); !st) return st;
    return d;
  }

  // Scores `lines` (time-sorted) and hands each window to `judge` (returns truth, scenario).
  template <class Judge>
  Status Score(const std::vector<LogRecord>& lines, Judge&& judge) {
    auto d = Fresh();
    if (!d) return d.status();
    (*d)->SetWindowSink([&](const detect::LogLmWindow& w) {
      auto [truth, scenario] = judge(w);
      if (scenario.empty()) return;
      if (!w.error.empty()) {
        // Not generated (the LLM endpoint failed): neither a hit nor a miss.
        ++res.windows_failed;
        if (res.first_error.empty()) res.first_error = w.error;
      } else {
        res.scenarios[scenario].Add(truth, w.anomalous);
        res.overall.Add(truth, w.anomalous);
      }
      if (!opt.windows_out.empty()) {
        if (!dump) dump = std::make_unique<std::ofstream>(opt.windows_out);
        nlohmann::json j = {{"scenario", scenario},
                            {"service", w.service},
                            {"instance", w.instance},
                            {"start", w.start},
                            {"end", w.end},
                            {"truth", truth},
                            {"anomalous", w.anomalous},
                            {"similarity", w.similarity},
                            {"real", w.real},
                            {"generated", w.generated},
                            {"least", w.least},
                            {"novel", w.novel},
                            {"threshold", w.threshold},
                            {"slow", w.slow},
                            {"slow_needed", w.slow_needed},
                            {"drift", w.drift}};
        if (!w.error.empty()) j["error"] = w.error;
        *dump << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      }
    });
    auto t0 = std::chrono::steady_clock::now();
    std::vector<detect::Anomaly> sink;
    Batch b;
    for (const auto& r : lines) {
      b.logs.push_back(r);
      if (b.logs.size() >= 4096) {
        (*d)->Score(b, sink);
        b.clear();
        sink.clear();
      }
    }
    (*d)->Score(b, sink);
    (*d)->Flush(sink);
    res.llm_requests += (*d)->stats().llm_requests;
    res.llm_empty += (*d)->stats().llm_empty;
    res.score_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.score_lines += lines.size();
    return Status::Ok();
  }

  ~Runner() {
    if (opt.save_bundle.empty() && !bundle_dir.empty()) {
      std::error_code ec;
      fs::remove_all(bundle_dir, ec);
    }
  }

  // ------------------------------------------------------------------ LogHub
  Status LogHub(const std::vector<fs::path>& logs) {
    res.kind = "loghub";
    std::vector<LogRecord> train;
    struct TestSet {
      std::string system;
      std::vector<LogRecord> lines;
      std::vector<bool> alert;
    };
    std::vector<TestSet> sets;
    for (const auto& p : logs) {
      // Two passes, no copy of the whole file: the line count first, for the cut.
      size_t total = 0;
      {
        std::ifstream count(p);
        std::string line;
        while (std::getline(count, line)) ++total;
      }
      std::string system = p.stem().string();
      if (auto u = system.find('_'); u != std::string::npos) system = system.substr(0, u);
      const size_t cut = static_cast<size_t>(total * opt.loghub_train_fraction);
      const size_t w = static_cast<size_t>(opt.config.window);
      TestSet s;
      s.system = system;
      std::vector<LogRecord> window;  // training: the earlier part's normal windows only
      bool window_alert = false;
      size_t alerts = 0;
      std::ifstream in(p);
      std::string line;
      for (size_t j = 0; j < total && std::getline(in, line); ++j) {
        const size_t sp = line.find(' ');
        const bool alert = (sp == std::string::npos ? line : line.substr(0, sp)) != "-";
        alerts += alert;
        LogRecord r;
        r.time =
            static_cast<TimeNs>(j) * kNsPerSecond;  // the line number: windows map back to lines
        r.service = system;
        r.body = sp == std::string::npos ? std::string() : line.substr(sp + 1);
        if (j >= cut) {
          s.lines.push_back(std::move(r));
          s.alert.push_back(alert);
          continue;
        }
        if (j / w >= cut / w) continue;  // the training part's last, partial window
        window.push_back(std::move(r));
        window_alert |= alert;
        if (window.size() == w) {
          if (!window_alert)
            for (auto& x : window) train.push_back(std::move(x));
          window.clear();
          window_alert = false;
        }
      }
      res.description += fmt::format(
          "{}{}: {} lines, {} alert lines; trained on the normal windows of the first {:.0f} %",
          res.description.empty() ? "" : "; ", system, total, alerts,
          100 * opt.loghub_train_fraction);
      sets.push_back(std::move(s));
    }
    if (auto st = Train(std::move(train)); !st) return st;
    for (auto& s : sets) {
      const size_t base =
          s.lines.empty() ? 0 : static_cast<size_t>(s.lines.front().time / kNsPerSecond);
      auto st = Score(s.lines, [&](const detect::LogLmWindow& w) {
        bool truth = false;
        for (TimeNs t = w.start / kNsPerSecond; t <= w.end / kNsPerSecond; ++t)
          if (static_cast<size_t>(t) >= base && static_cast<size_t>(t) - base < s.alert.size())
            truth |= s.alert[t - base];
        return std::make_pair(truth, s.system);
      });
      if (!st) return st;
    }
    return Status::Ok();
  }

  // ------------------------------------------------------------------ simulator
  // Logs of one run folder (OTLP/JSON lines written by `augur simulate`), time-sorted.
  static Status ReadRunLogs(const fs::path& run, std::vector<LogRecord>& out) {
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(run))
      if (e.is_regular_file() && e.path().filename().string().rfind("logs", 0) == 0)
        files.push_back(e.path().string());
    if (files.empty()) return Status::Error(run.string() + ": no logs.jsonl in this simulator run");
    std::sort(files.begin(), files.end());
    auto r = ingest::ReadPaths(files, {}, [&](Batch& b) {
      for (auto& l : b.logs) out.push_back(std::move(l));
    });
    if (!r) return r.status();
    SortByTime(out);
    return Status::Ok();
  }

  // Which services call which, from the spans of a run: a fault also shows in its callers' logs.
  static Status ReadCallers(const fs::path& run,
                            std::map<std::string, std::set<std::string>>& callers) {
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(run))
      if (e.is_regular_file() && e.path().filename().string().rfind("traces", 0) == 0)
        files.push_back(e.path().string());
    if (files.empty()) return Status::Ok();
    std::unordered_map<std::string, std::string> service_of;  // trace+span id → service
    std::vector<std::tuple<std::string, std::string>> child_parent;
    auto key = [](const Span& s, const SpanId& id) { return s.trace_id.Hex() + id.Hex(); };
    auto r = ingest::ReadPaths(files, {}, [&](Batch& b) {
      for (auto& sp : b.spans) {
        service_of[key(sp, sp.span_id)] = sp.service;
        if (!sp.parent_id.empty()) child_parent.emplace_back(sp.service, key(sp, sp.parent_id));
      }
    });
    if (!r) return r.status();
    for (auto& [child, parent] : child_parent) {
      auto it = service_of.find(parent);
      if (it != service_of.end() && it->second != child) callers[child].insert(it->second);
    }
    return Status::Ok();
  }

  // A run's affected_logs.json: per pod, the times of the lines written for requests a fault
  // touched and which faults (bit i: labels.json's faults[i]), sorted by time.
  using AffectedLines = std::map<std::string, std::vector<std::pair<TimeNs, uint64_t>>>;
  static Status ReadAffected(const fs::path& path, AffectedLines& out) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ReadFile(path));
    } catch (const std::exception& e) {
      return Status::Error(path.string() + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("lines") || !j["lines"].is_array())
      return Status::Error(path.string() + ": expected an object with a \"lines\" array");
    size_t n = 0;
    for (const auto& e : j["lines"]) {
      auto bad = [&] {
        return Status::Error(fmt::format(
            "{}: lines[{}]: expected [time_ns, pod, [fault indices below 64]]", path.string(), n));
      };
      if (!e.is_array() || e.size() != 3 || !e[0].is_number_integer() || !e[1].is_string() ||
          !e[2].is_array())
        return bad();
      uint64_t mask = 0;
      for (const auto& k : e[2]) {
        if (!k.is_number_unsigned() || k.get<uint64_t>() >= 64) return bad();
        mask |= uint64_t{1} << k.get<uint64_t>();
      }
      out[e[1].get<std::string>()].emplace_back(e[0].get<TimeNs>(), mask);
      ++n;
    }
    for (auto& [pod, v] : out) std::sort(v.begin(), v.end());
    return Status::Ok();
  }

  Status Simulator(const fs::path& root, const std::vector<fs::path>& runs) {
    res.kind = "simulator";
    std::vector<fs::path> normal, faulty;
    for (auto& run : runs) {
      nlohmann::json labels;
      try {
        labels = nlohmann::json::parse(ReadFile(run / "labels.json"));
      } catch (const std::exception& e) {
        return Status::Error((run / "labels.json").string() + ": not valid JSON: " + e.what());
      }
      (labels.value("faults", nlohmann::json::array()).empty() ? normal : faulty).push_back(run);
    }
    if (normal.empty())
      return Status::Error(
          root.string() +
          ": simulator output without a normal run to learn from (run `augur simulate "
          "--scenario all`, which writes normal/ beside the scenarios)");
    std::vector<LogRecord> train;
    for (auto& run : normal)
      if (auto st = ReadRunLogs(run, train); !st) return st;
    SortByTime(train);
    // The callers (the normal run's spans, read whole) only label runs by service.
    const bool by_request = opt.sim_labels == "requests";
    std::map<std::string, std::set<std::string>> callers;
    const bool need_callers =
        !by_request || std::any_of(faulty.begin(), faulty.end(), [](const fs::path& run) {
          return !fs::exists(run / "affected_logs.json");
        });
    if (need_callers)
      if (auto st = ReadCallers(normal.front(), callers); !st) return st;
    if (auto st = Train(std::move(train)); !st) return st;

    size_t runs_by_request = 0;
    for (auto& run : faulty) {
      auto labels = nlohmann::json::parse(ReadFile(run / "labels.json"));
      struct Interval {
        TimeNs start, end;
        std::set<std::string> hit;   // by service
        std::set<std::string> pods;  // by request: the faulty pods
      };
      AffectedLines affected;
      const bool request_truth = by_request && fs::exists(run / "affected_logs.json");
      if (request_truth) {
        if (auto st = ReadAffected(run / "affected_logs.json", affected); !st) return st;
        ++runs_by_request;
      }
      std::vector<Interval> faults;
      for (auto& f : labels["faults"]) {
        Interval iv;
        iv.start = f.value("start_ns", TimeNs{0});
        iv.end = std::max(f.value("end_ns", TimeNs{0}), f.value("recovered_ns", TimeNs{0}));
        for (auto& p : f.value("target_pods", nlohmann::json::array()))
          if (p.is_string()) iv.pods.insert(p.get<std::string>());
        std::string target = f.value("target_service", "");
        iv.hit.insert(target);
        if (f.contains("peer_service")) iv.hit.insert(f["peer_service"].get<std::string>());
        // Errors climb the call chain: every service upstream of the target is hit too.
        std::vector<std::string> todo(iv.hit.begin(), iv.hit.end());
        while (!todo.empty()) {
          std::string s = todo.back();
          todo.pop_back();
          for (auto& c : callers[s])
            if (iv.hit.insert(c).second) todo.push_back(c);
        }
        faults.push_back(std::move(iv));
      }
      std::vector<LogRecord> lines;
      if (auto st = ReadRunLogs(run, lines); !st) return st;
      const std::string scenario = labels.value("scenario", run.filename().string());
      // Does the window hold a line written for a request that fault k touched? A window is a
      // run of consecutive lines of one pod, so that is a line of its pod within [start, end].
      auto touched = [&](const detect::LogLmWindow& w, size_t k) {
        auto it = affected.find(w.instance);
        if (it == affected.end()) return false;
        auto at = std::lower_bound(it->second.begin(), it->second.end(),
                                   std::pair<TimeNs, uint64_t>{w.start, 0});
        for (; at != it->second.end() && at->first <= w.end; ++at)
          if (at->second >> k & 1) return true;
        return false;
      };
      auto st = Score(lines, [&](const detect::LogLmWindow& w) {
        bool truth = false;
        for (size_t k = 0; k < faults.size() && !truth; ++k) {
          const Interval& iv = faults[k];
          if (w.end < iv.start || w.start >= iv.end) continue;
          truth = request_truth ? iv.pods.count(w.instance) || touched(w, k)
                                : iv.hit.count(w.service) > 0;
        }
        return std::make_pair(truth, scenario);
      });
      if (!st) return st;
    }
    const std::string by_service =
        "every window of the target, its peer and the services upstream of them (from the normal "
        "run's spans)";
    const std::string by_line =
        "the windows of the faulty pods and those holding a line written for a request the fault "
        "touched (affected_logs.json)";
    const std::string truth =
        !by_request ? by_service
        : runs_by_request == faulty.size()
            ? by_line
            : fmt::format(
                  "{}; {} of {} runs have no affected_logs.json "
                  "(written by an older augur) and are labelled "
                  "by service: {}",
                  by_line, faulty.size() - runs_by_request, faulty.size(), by_service);
    res.description = fmt::format(
        "simulator: trained on {} normal run(s) ({} lines); {} fault runs scored; anomalous: {}, "
        "where they overlap [start, recovered); all other windows normal",
        normal.size(), res.train_lines, faulty.size(), truth);
    return Status::Ok();
  }

  // ------------------------------------------------------------------ Nezha
  Status Nezha(const fs::path& root) {
    res.kind = "nezha";
    std::vector<LogRecord> train;
    std::vector<fs::path> construct;
    for (auto& e : fs::recursive_directory_iterator(root / "construct_data"))
      if (e.is_regular_file() && e.path().filename().string().ends_with("_log.csv"))
        construct.push_back(e.path());
    std::sort(construct.begin(), construct.end());
    for (auto& p : construct)
      if (auto st = ReadNezhaLogs(p, train); !st) return st;
    SortByTime(train);
    if (auto st = Train(std::move(train)); !st) return st;

    uint64_t faults = 0;
    for (auto& day : fs::directory_iterator(root / "rca_data")) {
      if (!day.is_directory()) continue;
      const std::string date = day.path().filename().string();
      fs::path list = day.path() / (date + "-fault_list.json");
      if (!fs::exists(list)) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(ReadFile(list));
      } catch (const std::exception& e) {
        return Status::Error(list.string() + ": not valid JSON: " + e.what());
      }
      for (auto& [hour, arr] : j.items()) {
        for (auto& f : arr) {
          auto inject = ParseIsoTime(f.value("inject_time", ""));
          if (!inject) return Status::Error(list.string() + ": fault with unreadable inject_time");
          const std::string type = f.value("inject_type", "unknown");
          const std::string service = ServiceFromPod(f.value("inject_pod", ""));
          // The minute files around the injection: HH_MM holds about HH:(MM-1):08 .. HH:MM:08.
          std::vector<LogRecord> lines;
          for (int k = 0; k <= 2; ++k) {
            TimeNs t = *inject + k * 60 * kNsPerSecond;
            std::string iso = FormatIsoTime(t);  // 2023-01-29T08:43:04Z
            fs::path p =
                day.path() / "log" / (iso.substr(11, 2) + "_" + iso.substr(14, 2) + "_log.csv");
            if (fs::exists(p))
              if (auto st = ReadNezhaLogs(p, lines); !st) return st;
          }
          if (lines.empty()) continue;
          ++faults;
          SortByTime(lines);
          const TimeNs until =
              *inject + static_cast<TimeNs>(opt.nezha_fault_minutes) * 60 * kNsPerSecond;
          auto st = Score(lines, [&](const detect::LogLmWindow& w) {
            bool truth = w.service == service && w.end >= *inject && w.start < until;
            return std::make_pair(truth, type);
          });
          if (!st) return st;
        }
      }
    }
    res.description = fmt::format(
        "Nezha: trained on construct_data ({} lines); {} faults scored from rca_data, windows of "
        "the injected "
        "service that reach into the {} minutes after inject_time are anomalous",
        res.train_lines, faults, opt.nezha_fault_minutes);
    return Status::Ok();
  }
};

// A raw log in LogHub's BGL/Thunderbird layout carries its label in every line: the first token is
// `-` (normal) or an alert category (KERNDTLB, VAPI, ...), the second a Unix epoch. True when the
// first 200 lines all look so.
bool CarriesLineLabels(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  int seen = 0;
  while (seen < 200 && std::getline(in, line)) {
    std::istringstream tokens(line);
    std::string label, epoch;
    tokens >> label >> epoch;
    bool label_ok = label == "-" || (!label.empty() &&
                                     std::all_of(label.begin(), label.end(),
                                                 [](char c) {
                                                   return (c >= 'A' && c <= 'Z') ||
                                                          (c >= '0' && c <= '9') || c == '_';
                                                 }) &&
                                     label[0] >= 'A' && label[0] <= 'Z');
    bool epoch_ok = epoch.size() >= 9 && std::all_of(epoch.begin(), epoch.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    if (!label_ok || !epoch_ok) return false;
    ++seen;
  }
  return seen > 0;
}

// LogHub logs with per-line labels: a .log beside a *_structured.csv with a Label column (the 2k
// sets), or a raw BGL/Thunderbird-layout log on its own (LogHub's full BGL.log).
void FindLogHub(const fs::path& dir, std::vector<fs::path>& out) {
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".log") continue;
    fs::path structured = e.path().string() + "_structured.csv";
    if (!fs::exists(structured)) {
      if (CarriesLineLabels(e.path())) out.push_back(e.path());
      continue;
    }
    std::ifstream in(structured);
    std::string header;
    std::getline(in, header);
    if (header.find("Label") != std::string::npos) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
}

}  // namespace

Result<LogWindowsEvalResult> EvalLogWindows(const LogWindowsEvalOptions& options) {
  if (auto st = options.config.Validate(); !st) return st;
  if (options.sim_labels != "requests" && options.sim_labels != "services")
    return Result<LogWindowsEvalResult>::Error("sim_labels must be requests or services, not " +
                                               options.sim_labels);
  fs::path dir = options.data;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Result<LogWindowsEvalResult>::Error(options.data + ": not a folder");
  Runner run{options, {}, {}, {}};
  Status st;
  std::vector<fs::path> sim_runs;
  if (fs::exists(dir / "labels.json")) sim_runs.push_back(dir);
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && fs::exists(e.path() / "labels.json")) sim_runs.push_back(e.path());
  std::sort(sim_runs.begin(), sim_runs.end());
  if (!sim_runs.empty()) {
    st = run.Simulator(dir, sim_runs);
  } else if (fs::is_directory(dir / "rca_data") && fs::is_directory(dir / "construct_data")) {
    st = run.Nezha(dir);
  } else {
    std::vector<fs::path> logs;
    FindLogHub(dir, logs);
    if (!logs.empty()) {
      st = run.LogHub(logs);
    } else {
      return Result<LogWindowsEvalResult>::Error(
          options.data +
          ": found no simulator output (labels.json), no Nezha folder (rca_data/ + "
          "construct_data/) nor LogHub logs with "
          "per-line labels "
          "(<name>.log beside <name>.log_structured.csv with a Label column, or a raw BGL/"
          "Thunderbird-layout log: label, epoch, ... on every line)");
    }
  }
  if (!st) return st;
  return std::move(run.res);
}

}  // namespace augur::learn
