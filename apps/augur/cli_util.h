// Flags and printing shared by the pipeline commands (train, detect, demo).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ingest/read.h"
#include "pipeline/pipeline.h"

namespace augur::app {

void AddReadFlags(CLI::App* cmd, ingest::ReadOptions& read);

struct SelectionFlags {
  std::vector<std::string> only, skip, skip_stages;
  void Apply(pipeline::DetectorSelection& sel, std::set<std::string>& disabled_stages) const;
};
void AddSelectionFlags(CLI::App* cmd, SelectionFlags& flags);

nlohmann::json StagesJson(const std::vector<pipeline::StageTiming>& stages);
void PrintStages(const std::vector<pipeline::StageTiming>& stages);
void PrintRejects(const ingest::RejectStats& rejected);

}  // namespace augur::app
