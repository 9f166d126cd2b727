// `augur detect`: score telemetry against a model bundle, group anomalies into incidents, localize,
// diagnose and explain them, store them, and write the reports.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "explain/incident_json.h"
#include "pipeline/pipeline.h"

namespace augur::app {

void PrintIncidentSummary(const pipeline::DetectSummary& r) {
  uint64_t records = 0;
  for (const auto& f : r.read.files) records += f.records;
  std::printf("Read %llu record(s) from %zu file(s); %zu detector(s) ran.\n",
              (unsigned long long)records, r.read.files.size(), r.detectors.size());
  PrintSkipped(r.skipped);
  for (const auto& [d, n] : r.late)
    std::printf(
        "  late     %s: %llu record(s) came after their window had been scored and were not "
        "scored; the input is not in time order (do its file names sort by time?)\n",
        d.c_str(), (unsigned long long)n);
  PrintRejects(r.read.rejected);
  if (r.incidents.empty()) {
    std::printf("No incident: %zu anomalous window(s), none grouped into an incident.\n",
                r.anomalies);
  } else {
    std::printf("%zu incident(s) from %zu anomalous window(s):\n", r.incidents.size(), r.anomalies);
    for (const auto& inc : r.incidents) {
      std::printf("\n%s  %s\n", inc.id.c_str(), inc.summary.c_str());
      for (size_t i = 0; i < inc.ranking.size() && i < 3; ++i) {
        const auto& rs = inc.ranking[i];
        std::printf("  %d. %-28s origin %5.1f %%  outage %s\n", (int)i + 1, rs.service.c_str(),
                    100 * rs.probability,
                    rs.outage < 0 ? rs.level.c_str()
                                  : fmt::format("{:.0f} % {}", 100 * rs.outage, rs.level).c_str());
      }
      if (!inc.ranking.empty() && !inc.ranking.front().evidence.empty())
        std::printf("  why: %s\n", inc.ranking.front().evidence.front().c_str());
      if (!inc.fault_reason.empty())
        std::printf("  fault type %s (%.0f %%): %s\n", inc.fault_type.c_str(),
                    100 * inc.fault_confidence, inc.fault_reason.c_str());
    }
  }
  for (const auto& f : r.outputs)
    if (f.size() > 12 && f.compare(f.size() - 11, 11, "report.html") == 0)
      std::printf("\nReport: %s\n", f.c_str());
}

nlohmann::json DetectJson(const pipeline::DetectSummary& r) {
  nlohmann::json j = {{"incidents", nlohmann::json::array()},
                      {"anomalies", r.anomalies},
                      {"detectors", r.detectors},
                      {"skipped", nlohmann::json::object()},
                      {"late_records", nlohmann::json::object()},
                      {"run_id", r.run_id},
                      {"outputs", r.outputs},
                      {"rejected", r.read.rejected.count},
                      {"stages", StagesJson(r.stages)}};
  for (auto& [d, why] : r.skipped) j["skipped"][d] = why;
  for (auto& [d, n] : r.late) j["late_records"][d] = n;
  for (const auto& inc : r.incidents) {
    auto i = explain::IncidentToJson(inc);
    i.erase("anomalies");
    j["incidents"].push_back(i);
  }
  return j;
}

void RegisterDetect(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("detect", "Find, localize and explain incidents in telemetry");
  auto o = std::make_shared<pipeline::DetectOptions>();
  auto sel = std::make_shared<SelectionFlags>();
  cmd->add_option("-m,--model", o->model_dir, "Model bundle written by `augur train`")->required();
  cmd->add_option("-i,--input", o->inputs, "Files or folders of telemetry to examine")->required();
  cmd->add_option("-o,--out", o->out_dir,
                  "Output folder for incident.json, report.html, trace.json, CSVs")
      ->required();
  cmd->add_option("--db", o->db, "SQLite database to record the run in (default OUT/augur.db)");
  AddReadFlags(cmd, o->read);
  AddSelectionFlags(cmd, *sel, pipeline::DetectStages());
  AddLlmFlags(cmd, o->detectors.settings.log_lm_llm);
  auto offset_s = std::make_shared<double>(60), window_s = std::make_shared<double>(60);
  cmd->add_option("--localize-offset", *offset_s,
                  "Seconds after an incident's onset where the localization window starts")
      ->capture_default_str()
      ->check(NonNegative());
  cmd->add_option("--localize-window", *window_s,
                  "Seconds of raw telemetry each incident is localized from")
      ->capture_default_str()
      ->check(Positive());
  cmd->add_option("--localize-slices", o->localize_slices,
                  "Windows localized one after the other from the onset + offset; the incident "
                  "keeps the one whose leading service is most probable")
      ->capture_default_str()
      ->check(CLI::Range(1, 10));
  cmd->add_flag("--json", g.json, "Print one JSON object instead of the summary");
  cmd->footer(
      "Example:\n  augur detect --model model/ --input sim/shipping_network_delay --out out/");
  cmd->callback([o, sel, offset_s, window_s, &g] {
    sel->Apply(o->detectors, o->disabled_stages);
    ApplyLlmEnvironment(o->detectors.settings.log_lm_llm);
    o->localize_offset = static_cast<TimeNs>(*offset_s * 1e9);
    o->localize_window = static_cast<TimeNs>(*window_s * 1e9);
    ingest::ReadReport read;
    auto r = pipeline::Detect(*o, &read);
    if (!r) {
      std::fprintf(stderr, "augur detect: %s\n", r.message().c_str());
      g.exit_code = o->read.strict && read.rejected.count ? kExitRejected : kExitUnreadable;
      return;
    }
    if (g.json)
      std::printf("%s\n", DetectJson(*r).dump(2).c_str());
    else
      PrintIncidentSummary(*r);
    g.exit_code = (o->read.strict && r->read.rejected.count) ? kExitRejected : kExitOk;
  });
}

}  // namespace augur::app
