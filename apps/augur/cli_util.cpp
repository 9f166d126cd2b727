#include "cli_util.h"

#include <cstdio>

#include "pipeline/detectors.h"

namespace augur::app {

void AddReadFlags(CLI::App* cmd, ingest::ReadOptions& read) {
  cmd->add_option("--format", read.format, "Force the input format (default: detected from content)");
  cmd->add_flag("--strict", read.strict, "Stop at the first rejected record (exit code 1)");
  cmd->add_option("--service", read.service_override, "Service name for records that carry none");
}

void AddSelectionFlags(CLI::App* cmd, SelectionFlags& flags) {
  std::string names;
  for (const auto& f : pipeline::DetectorFactories()) names += std::string(names.empty() ? "" : ", ") + f.name;
  cmd->add_option("--detectors", flags.only, "Run only these detectors (" + names + ")")->delimiter(',');
  cmd->add_option("--skip-detectors", flags.skip, "Do not run these detectors")->delimiter(',');
  cmd->add_option("--skip-stage", flags.skip_stages, "Switch a pipeline stage off (e.g. report, store)")
      ->delimiter(',');
}

void SelectionFlags::Apply(pipeline::DetectorSelection& sel, std::set<std::string>& disabled) const {
  sel.only.insert(only.begin(), only.end());
  sel.skip.insert(skip.begin(), skip.end());
  disabled.insert(skip_stages.begin(), skip_stages.end());
}

nlohmann::json StagesJson(const std::vector<pipeline::StageTiming>& stages) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : stages) j.push_back({{"stage", s.name}, {"seconds", s.seconds}, {"ran", s.ran}, {"note", s.note}});
  return j;
}

void PrintStages(const std::vector<pipeline::StageTiming>& stages) {
  std::printf("Stages:\n");
  for (const auto& s : stages)
    std::printf("  %-28s %8.2f s%s%s\n", s.name.c_str(), s.seconds, s.note.empty() ? "" : "  ",
                s.ran ? s.note.c_str() : ("skipped: " + s.note).c_str());
}

void PrintRejects(const ingest::RejectStats& rejected) {
  if (!rejected.count) return;
  std::printf("%llu record(s) rejected:\n", (unsigned long long)rejected.count);
  for (size_t i = 0; i < rejected.first.size() && i < 5; ++i) std::printf("  %s\n", rejected.first[i].c_str());
}

}  // namespace augur::app
