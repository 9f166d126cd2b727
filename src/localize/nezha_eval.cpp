#include "localize/nezha_eval.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/service.h"
#include "core/time.h"
#include "ingest/read.h"

namespace augur::localize {

namespace fs = std::filesystem;

Result<std::vector<NezhaFault>> ReadNezhaFaultList(const std::string& path,
                                                   const std::string& day) {
  std::ifstream in(path);
  if (!in) return Result<std::vector<NezhaFault>>::Error(path + ": cannot open fault list");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    return Result<std::vector<NezhaFault>>::Error(path + ": invalid JSON: " + e.what());
  }
  if (!j.is_object())
    return Result<std::vector<NezhaFault>>::Error(path + ": expected an object of hours");
  std::vector<NezhaFault> out;
  for (const auto& [hour, list] : j.items()) {
    if (!list.is_array())
      return Result<std::vector<NezhaFault>>::Error(path + ": hour \"" + hour + "\" is not a list");
    size_t i = 0;
    for (const auto& f : list) {
      // One bad entry costs that fault, not the day: it is skipped with a warning.
      auto where = fmt::format("{}: hour \"{}\" fault {}", path, hour, i++);
      if (!f.is_object() || !f.contains("inject_time") || !f["inject_time"].is_string() ||
          !f.contains("inject_pod") || !f["inject_pod"].is_string()) {
        LogWarn("{}: needs string inject_time and inject_pod; fault skipped", where);
        continue;
      }
      NezhaFault nf;
      nf.day = day;
      nf.inject_time = f["inject_time"].get<std::string>();
      auto t = ParseIsoTime(nf.inject_time);
      // A zone name ("08:52:06 CST") cannot be read: only Z or an offset.
      const std::string& it = nf.inject_time;
      bool zone_name = false;
      for (size_t k = 11; k < it.size(); ++k)
        zone_name |= std::isalpha(static_cast<unsigned char>(it[k])) &&
                     !(it[k] == 'Z' && k + 1 == it.size());
      if (!t || zone_name) {
        LogWarn(
            "{}: unreadable inject_time \"{}\" (want \"2023-01-29 08:43:04\", UTC, or ISO 8601 "
            "with Z or an offset); fault skipped",
            where, it);
        continue;
      }
      nf.time = *t;
      nf.pod = f["inject_pod"].get<std::string>();
      nf.service = ServiceFromPod(nf.pod);
      nf.type = f.contains("inject_type") && f["inject_type"].is_string()
                    ? f["inject_type"].get<std::string>()
                    : "unknown";
      out.push_back(std::move(nf));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  return out;
}

namespace {

// Existing sub-folders of `dir` among trace/log/metric (traceid/ holds only id lists).
std::vector<std::string> DataFolders(const fs::path& dir) {
  std::vector<std::string> out;
  for (const char* sub : {"trace", "log", "metric"})
    if (fs::is_directory(dir / sub)) out.push_back((dir / sub).string());
  return out;
}

// The fault-free phase to learn `day` from: construct_data/<day>, else the latest earlier day
// there, else the earliest later one (a release of the data set may not record every day's
// fault-free phase). Empty when construct_data holds no day with data.
fs::path NormalDay(const fs::path& construct, const std::string& day) {
  if (!DataFolders(construct / day).empty()) return construct / day;
  std::vector<std::string> days;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(construct, ec))
    if (e.is_directory() && !DataFolders(e.path()).empty())
      days.push_back(e.path().filename().string());
  if (days.empty()) return {};
  std::sort(days.begin(), days.end());
  auto later = std::upper_bound(days.begin(), days.end(), day);
  return construct / (later == days.begin() ? *later : *std::prev(later));
}

// service → fault type → inner-service root cause.
using InnerLabelMap = std::map<std::string, std::map<std::string, std::string>>;

// construct_data/root_cause_*.json (Nezha ships root_cause_ts.json for TrainTicket and one for
// Online Boutique): each file's labels, by file name. Optional: no file gives no labels, an
// unreadable one a warning and no labels from it.
std::map<std::string, InnerLabelMap> InnerLabelFiles(const fs::path& construct) {
  std::map<std::string, InnerLabelMap> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(construct, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.rfind("root_cause", 0) != 0 || e.path().extension() != ".json")
      continue;
    std::ifstream in(e.path());
    InnerLabelMap out;
    try {
      nlohmann::json j;
      in >> j;
      for (const auto& [service, types] : j.items())
        for (const auto& [type, label] : types.items())
          if (label.is_string()) out[service][type] = label.get<std::string>();
    } catch (const std::exception& ex) {
      LogWarn("{}: not read, no inner-service labels from it: {}", e.path().string(), ex.what());
      continue;
    }
    files[name] = std::move(out);
  }
  return files;
}

// The labels of the system `faults` belong to: the file naming the most of their services.
const InnerLabelMap* InnerLabelsFor(const std::map<std::string, InnerLabelMap>& files,
                                    const std::vector<NezhaFault>& faults, const std::string& day) {
  const InnerLabelMap* best = nullptr;
  size_t best_hits = 0;
  std::string best_name;
  for (const auto& [name, labels] : files) {
    size_t hits = 0;
    for (const auto& f : faults) hits += labels.count(f.service);
    if (hits > best_hits) {
      best = &labels;
      best_hits = hits;
      best_name = name;
    }
  }
  if (best)
    LogInfo("nezha {}: inner-service labels from {} ({} of {} faults' services)", day, best_name,
            best_hits, faults.size());
  else if (!files.empty())
    LogWarn(
        "nezha {}: no root_cause*.json in construct_data names these faults' services; no "
        "inner-service figures",
        day);
  return best;
}

std::string MinuteName(TimeNs t) {
  const std::string iso = FormatIsoTime(t);  // 2023-01-29T08:45:04Z
  return iso.substr(11, 2) + "_" + iso.substr(14, 2);
}

}  // namespace

void LocalizeCase(Localizer& loc, const Batch& window, NezhaCase& c) {
  auto r = loc.Localize(window);
  if (!r) {
    c.note = r.message();
    return;
  }
  bool truth_seen = false;
  for (const auto& rc : r->ranking) {
    if (rc.kind != "service") {
      if (c.ranking.empty() && c.top_host.empty() && c.hosts_ahead == 0) c.top_host = rc.service;
      if (!truth_seen) ++c.hosts_ahead;
      if (c.top.size() < 3)
        c.top.push_back(fmt::format("(not ranked) {} P(origin) {:.3f} log10BF {:.1f}: {}",
                                    rc.service, rc.p_origin, rc.log10_bf,
                                    rc.evidence.empty() ? "-" : rc.evidence.front().detail));
      continue;
    }
    truth_seen = truth_seen || rc.service == c.fault.service;
    if (c.ranking.empty()) c.top_evidence = rc.evidence;
    if (rc.service == c.fault.service) c.truth_evidence = rc.evidence;
    c.ranking.push_back(rc.service);
    c.p_origin.push_back(rc.p_origin);
    if (c.top.size() < 3 || rc.service == c.fault.service)
      c.top.push_back(fmt::format("#{} {} P(origin) {:.3f} log10BF {:.1f}: {}", c.ranking.size(),
                                  rc.service, rc.p_origin, rc.log10_bf,
                                  rc.evidence.empty() ? "-" : rc.evidence.front().detail));
  }
  auto it = std::find(c.ranking.begin(), c.ranking.end(), c.fault.service);
  c.rank = it == c.ranking.end() ? 0 : static_cast<int>(it - c.ranking.begin()) + 1;
}

namespace {

// "t.s.TravelServiceImpl#372" → ("t.s.TravelServiceImpl", 372); nullopt for anything else.
std::optional<std::pair<std::string_view, int>> SplitLocation(std::string_view loc) {
  const size_t at = loc.find_last_of("#:");
  if (at == std::string_view::npos || at + 1 >= loc.size() || loc.size() - at > 7)
    return std::nullopt;  // 1 to 6 digits
  int line = 0;
  for (char ch : loc.substr(at + 1)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    line = line * 10 + (ch - '0');
  }
  return std::pair{loc.substr(0, at), line};
}

}  // namespace

int InnerRank(const std::string& label, const std::vector<EvidenceItem>& evidence) {
  std::vector<std::string_view> parts;
  for (size_t i = 0; i <= label.size();) {
    const size_t j = std::min(label.find('_', i), label.size());
    if (j > i) parts.push_back(std::string_view(label).substr(i, j - i));
    i = j + 1;
  }
  // Two statements of one class bound a region of its code: a statement between them is in it.
  std::optional<std::pair<std::string_view, int>> lo, hi;
  if (parts.size() == 2) {
    lo = SplitLocation(parts[0]);
    hi = SplitLocation(parts[1]);
  }
  const bool region = lo && hi && lo->first == hi->first;
  for (size_t k = 0; k < evidence.size(); ++k) {
    const EvidenceItem& e = evidence[k];
    for (std::string_view p : parts)
      if (e.what.find(p) != std::string::npos || e.detail.find(p) != std::string::npos)
        return static_cast<int>(k) + 1;
    if (region)
      for (const std::string& text : {e.what, e.detail})
        for (std::string_view loc : StatementsIn(text))
          if (auto at = SplitLocation(loc); at && at->first == lo->first &&
                                            at->second >= std::min(lo->second, hi->second) &&
                                            at->second <= std::max(lo->second, hi->second))
            return static_cast<int>(k) + 1;
  }
  return 0;
}

void ScoreCases(NezhaEvalResult& result) {
  const double n = static_cast<double>(result.cases.size());
  auto at = [&](int k) {
    double hit = 0;
    for (const auto& c : result.cases)
      if (c.rank > 0 && c.rank <= k) ++hit;
    return n > 0 ? hit / n : 0.0;
  };
  result.as1 = at(1);
  result.as3 = at(3);
  result.as5 = at(5);
  int labelled = 0, first = 0, top3 = 0;
  for (const auto& c : result.cases) {
    if (c.inner_label.empty()) continue;
    ++labelled;
    first += c.inner_rank == 1;
    top3 += c.inner_rank >= 1 && c.inner_rank <= 3;
  }
  result.inner_cases = labelled;
  result.inner1 = labelled ? static_cast<double>(first) / labelled : 0;
  result.inner3 = labelled ? static_cast<double>(top3) / labelled : 0;
}

Result<NezhaEvalResult> EvalNezha(const std::string& data_dir, const NezhaEvalOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  if (Status s = options.config.Validate(); !s) return Result<NezhaEvalResult>::Error(s.message());
  const fs::path root(data_dir);
  const fs::path rca = root / "rca_data", construct = root / "construct_data";
  if (!fs::is_directory(root)) return Result<NezhaEvalResult>::Error(data_dir + ": no such folder");
  if (!fs::is_directory(rca) || !fs::is_directory(construct))
    return Result<NezhaEvalResult>::Error(
        data_dir + ": not a Nezha-style folder (needs rca_data/ and construct_data/)");
  NezhaEvalResult result;
  std::vector<std::string> days;
  for (const auto& e : fs::directory_iterator(rca))
    if (e.is_directory() &&
        fs::exists(e.path() / (e.path().filename().string() + "-fault_list.json")))
      days.push_back(e.path().filename().string());
  std::sort(days.begin(), days.end());
  if (days.empty())
    return Result<NezhaEvalResult>::Error(rca.string() + ": no <day>/<day>-fault_list.json found");
  if (options.day.empty()) {
    result.days = days;
  } else if (std::find(days.begin(), days.end(), options.day) != days.end()) {
    result.days.push_back(options.day);
  } else {
    std::string have;
    for (const auto& d : days) have += (have.empty() ? "" : ", ") + d;
    return Result<NezhaEvalResult>::Error(rca.string() + ": no day " + options.day +
                                          " (days with a fault list: " + have + ")");
  }

  const auto label_files = InnerLabelFiles(construct);
  for (const std::string& day : result.days) {
    auto faults = ReadNezhaFaultList((rca / day / (day + "-fault_list.json")).string(), day);
    if (!faults) return Result<NezhaEvalResult>::Error(faults.message());
    const InnerLabelMap* inner_labels = InnerLabelsFor(label_files, *faults, day);
    // Normal data: the fault-free phase of the same day.
    const auto t_learn = std::chrono::steady_clock::now();
    const fs::path normal_dir = NormalDay(construct, day);
    if (normal_dir.empty())
      return Result<NezhaEvalResult>::Error(construct.string() +
                                            ": no day folder with trace/log/metric folders");
    if (normal_dir.filename() != day)
      LogWarn("nezha {}: construct_data has no such day; learning from {} instead", day,
              normal_dir.string());
    auto normal_paths = DataFolders(normal_dir);
    Localizer loc(options.config);
    ingest::ReadReport report;
    auto normal = ingest::ReadAll(normal_paths, {}, &report);
    if (!normal) return Result<NezhaEvalResult>::Error(normal.message());
    if (report.rejected.count)
      LogWarn("nezha {}: {} record(s) of {} rejected, e.g. {}", day, report.rejected.count,
              normal_dir.string(),
              report.rejected.first.empty() ? std::string("-") : report.rejected.first.front());
    LogInfo("nezha {}: learning from {} spans, {} log lines, {} metric points of construct_data",
            day, normal->spans.size(), normal->logs.size(), normal->metrics.size());
    loc.Learn(*normal);
    loc.FinishLearning();
    normal = Batch{};
    result.learn_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_learn).count();

    // Metrics of the fault phase: one file per pod for the whole day; read once, cut per fault.
    std::vector<MetricPoint> metrics;
    ingest::RejectStats rejected;  // of the fault phase's files, told once per day
    if (fs::is_directory(rca / day / "metric")) {
      auto m = ingest::ReadAll({(rca / day / "metric").string()}, {}, &report);
      if (!m) return Result<NezhaEvalResult>::Error(m.message());
      rejected = report.rejected;
      metrics = std::move(m->metrics);
      std::sort(metrics.begin(), metrics.end(),
                [](const auto& a, const auto& b) { return a.time < b.time; });
    }

    size_t done = 0;
    for (const NezhaFault& f : *faults) {
      const auto t0 = std::chrono::steady_clock::now();
      NezhaCase c;
      c.fault = f;
      const std::string minute = MinuteName(f.time + options.minute_offset * 60 * kNsPerSecond);
      std::vector<std::string> paths;
      for (auto [sub, suffix] : {std::pair{"trace", "_trace.csv"}, std::pair{"log", "_log.csv"}}) {
        fs::path p = rca / day / sub / (minute + suffix);
        if (fs::exists(p)) paths.push_back(p.string());
      }
      Batch window;
      if (paths.empty()) {
        c.note = "no trace or log file for minute " + minute;
      } else {
        auto w = ingest::ReadAll(paths, {}, &report);
        rejected.count += report.rejected.count;
        if (rejected.first.empty()) rejected.first = report.rejected.first;
        if (!w) {
          c.note = w.message();
        } else {
          window = std::move(*w);
        }
      }
      // The window's time range: its spans' (a minute file holds about HH:(MM-1):08 to HH:MM:08).
      TimeNs lo = 0, hi = 0;
      for (const Span& s : window.spans) {
        if (lo == 0 || s.start < lo) lo = s.start;
        hi = std::max(hi, s.end);
      }
      if (lo == 0) {
        hi = f.time + (options.minute_offset * 60) * kNsPerSecond;
        lo = hi - 60 * kNsPerSecond;
      }
      auto first = std::lower_bound(metrics.begin(), metrics.end(), lo,
                                    [](const MetricPoint& m, TimeNs t) { return m.time < t; });
      for (auto it = first; it != metrics.end() && it->time <= hi; ++it)
        window.metrics.push_back(*it);
      if (!c.note.empty())
        LogWarn("nezha {}: fault at {} ({}): {}; localized from the metric files alone", day,
                f.inject_time, f.service, c.note);
      const std::string before = c.note;
      LocalizeCase(loc, window, c);
      if (c.note != before)
        LogWarn("nezha {}: fault at {} ({}): {}; counted as a miss", day, f.inject_time, f.service,
                c.note);
      if (inner_labels)
        if (auto s = inner_labels->find(f.service); s != inner_labels->end())
          if (auto t = s->second.find(f.type); t != s->second.end()) {
            c.inner_label = t->second;
            c.inner_rank = InnerRank(c.inner_label, c.truth_evidence);
          }
      c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      result.cases.push_back(std::move(c));
      Progress::Update("localize " + day, static_cast<double>(++done),
                       static_cast<double>(faults->size()), "faults");
    }
    Progress::Finish("localize " + day);
    if (rejected.count)
      LogWarn("nezha {}: {} record(s) of the fault phase rejected, e.g. {}", day, rejected.count,
              rejected.first.empty() ? std::string("-") : rejected.first.front());
  }
  ScoreCases(result);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return result;
}

}  // namespace augur::localize
