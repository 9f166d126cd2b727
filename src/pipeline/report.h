// The files `augur detect` leaves for people and tools: incident.json (schema in
// docs/incident-schema.md), report.html (self-contained), trace.json (Chrome Trace Event format),
// seed 000's outage_probabilities.csv and service_scores.csv, and nodegraph.json (Grafana Node
// Graph).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "explain/incident.h"
#include "ingest/read.h"
#include "localize/localizer.h"
#include "pipeline/pipeline.h"
#include "pipeline/recorder.h"

namespace augur::pipeline {

struct ReportInput {
  const std::vector<explain::Incident>& incidents;
  const std::vector<localize::Localization>& localizations;  // parallel to incidents, or empty
  const Recorder& recorder;
  const ingest::ReadReport& read;
  const std::vector<std::string>& inputs;
  std::string model;
  const std::vector<StageTiming>& stages;
};

// Writes every report file into `dir`; returns their paths.
Result<std::vector<std::string>> WriteReports(const ReportInput& in,
                                              const std::filesystem::path& dir);

// The HTML page alone (used by WriteReports and by tests).
std::string RenderHtml(const ReportInput& in);

}  // namespace augur::pipeline
