// `augur inspect PATH...`: reads any mix of supported files and folders and says what is in them:
// formats, record counts per kind and per service, time range, and rejected records with reasons.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "core/time.h"
#include "ingest/read.h"

namespace augur::app {
namespace {

struct ServiceCounts {
  uint64_t spans = 0, logs = 0, metric_points = 0, trace_events = 0;
};

struct Summary {
  uint64_t spans = 0, logs = 0, metric_points = 0, trace_events = 0;
  std::map<std::string, ServiceCounts> services;
  TimeNs first = std::numeric_limits<TimeNs>::max();
  TimeNs last = std::numeric_limits<TimeNs>::min();

  void Time(TimeNs t) {
    if (t == 0) return;
    first = std::min(first, t);
    last = std::max(last, t);
  }
  void Add(const Batch& b) {
    spans += b.spans.size();
    logs += b.logs.size();
    metric_points += b.metrics.size();
    trace_events += b.trace_events.size();
    // Consecutive records mostly share a service: look the map up only when it changes.
    const std::string* prev = nullptr;
    ServiceCounts* counts = nullptr;
    auto at = [&](const std::string& s) -> ServiceCounts& {
      if (!prev || *prev != s) {
        counts = &services[s];
        prev = &s;
      }
      return *counts;
    };
    for (const auto& s : b.spans) {
      ++at(s.service).spans;
      Time(s.start);
      Time(s.end);
    }
    prev = nullptr;
    for (const auto& l : b.logs) {
      ++at(l.service).logs;
      Time(l.time);
    }
    prev = nullptr;
    for (const auto& m : b.metrics) {
      ++at(m.service).metric_points;
      Time(m.time);
    }
    for (const auto& e : b.trace_events) {
      ++trace_events_by_process[e.process_name];
      Time(e.time);
    }
  }
  std::map<std::string, uint64_t> trace_events_by_process;
  bool has_time() const { return first <= last; }
};

nlohmann::json ToJson(const ingest::ReadReport& report, const Summary& s) {
  nlohmann::json j;
  j["files"] = nlohmann::json::array();
  for (const auto& f : report.files) {
    nlohmann::json fj = {
        {"path", f.path}, {"format", f.format}, {"bytes", f.bytes}, {"records", f.records}};
    if (!f.note.empty()) fj["note"] = f.note;
    if (f.continuation_lines > 0) fj["continuation_lines"] = f.continuation_lines;
    if (f.repaired_records > 0) fj["repaired_records"] = f.repaired_records;
    j["files"].push_back(fj);
  }
  j["counts"] = {{"spans", s.spans},
                 {"logs", s.logs},
                 {"metric_points", s.metric_points},
                 {"trace_events", s.trace_events}};
  j["services"] = nlohmann::json::object();
  for (const auto& [name, c] : s.services)
    j["services"][name] = {
        {"spans", c.spans}, {"logs", c.logs}, {"metric_points", c.metric_points}};
  j["time_range"] =
      s.has_time() ? nlohmann::json::array({s.first, s.last}) : nlohmann::json(nullptr);
  j["rejected"] = {{"count", report.rejected.count},
                   {"reasons", report.rejected.reasons},
                   {"first", report.rejected.first}};
  return j;
}

void PrintHuman(const ingest::ReadReport& report, const Summary& s) {
  std::printf("files: %zu\n", report.files.size());
  for (const auto& f : report.files) {
    std::printf("  %-14s %10llu records  %12llu bytes  %s%s%s\n", f.format.c_str(),
                (unsigned long long)f.records, (unsigned long long)f.bytes, f.path.c_str(),
                f.note.empty() ? "" : "  -- ", f.note.c_str());
  }
  std::printf("records: %llu spans, %llu logs, %llu metric points, %llu trace events\n",
              (unsigned long long)s.spans, (unsigned long long)s.logs,
              (unsigned long long)s.metric_points, (unsigned long long)s.trace_events);
  if (!s.services.empty()) {
    std::printf("services: %zu\n  %-40s %10s %10s %14s\n", s.services.size(), "service", "spans",
                "logs", "metric points");
    for (const auto& [name, c] : s.services)
      std::printf("  %-40s %10llu %10llu %14llu\n", name.empty() ? "(unknown)" : name.c_str(),
                  (unsigned long long)c.spans, (unsigned long long)c.logs,
                  (unsigned long long)c.metric_points);
  }
  if (!s.trace_events_by_process.empty()) {
    std::printf("trace events by process:\n");
    for (const auto& [name, n] : s.trace_events_by_process)
      std::printf("  %-40s %10llu\n", name.empty() ? "(unknown)" : name.c_str(),
                  (unsigned long long)n);
  }
  if (s.has_time())
    std::printf("time range: %s .. %s (%.3f s)\n", FormatIsoTime(s.first).c_str(),
                FormatIsoTime(s.last).c_str(), static_cast<double>(s.last - s.first) / 1e9);
  else
    std::printf("time range: none (no record carries a time)\n");
  std::printf("rejected: %llu\n", (unsigned long long)report.rejected.count);
  for (const auto& [reason, n] : report.rejected.reasons)
    std::printf("  %8llu  %s\n", (unsigned long long)n, reason.c_str());
  if (!report.rejected.first.empty()) {
    std::printf("first rejects:\n");
    for (const auto& r : report.rejected.first) std::printf("  %s\n", r.c_str());
  }
}

}  // namespace

void RegisterInspect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> paths;
    ingest::ReadOptions read;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("inspect",
                                 "Read telemetry files or folders and report formats, counts, "
                                 "services, time range and rejects");
  cmd->add_option("paths", opts->paths, "Files or folders (folders are walked in name order)")
      ->required();
  AddReadFlags(cmd, opts->read);
  cmd->add_flag("--json", opts->json, "Print one JSON object instead of the human summary");
  cmd->footer(
      "Example:\n  augur inspect ../shared/datasets/nezha-trainticket --json\n"
      "Exit codes: 0 ok, 1 rejected records under --strict, 2 usage error, 3 unreadable input.");
  cmd->callback([opts, &g] {
    const ingest::ReadOptions& ro = opts->read;
    Summary summary;
    ingest::ReadReport report;
    auto r = ingest::ReadPaths(
        opts->paths, ro, [&](Batch& b) { summary.Add(b); }, &report);
    int code = kExitOk;
    if (!r.ok()) {
      code = ro.strict && report.rejected.count > 0 ? kExitRejected : kExitUnreadable;
      std::fprintf(stderr, "augur inspect: %s\n", r.message().c_str());
      if (code == kExitUnreadable) {
        g.exit_code = code;
        return;
      }
    }
    if (opts->json || g.json) {
      std::printf("%s\n", ToJson(report, summary).dump(2).c_str());
    } else {
      PrintHuman(report, summary);
    }
    g.exit_code = code;
  });
}

}  // namespace augur::app
