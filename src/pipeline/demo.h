// The whole loop on the built-in world: simulate a normal period, train, simulate chaos scenarios,
// detect, and check each incident against the injected fault. `augur demo` and the end-to-end test
// run this.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "pipeline/pipeline.h"

namespace augur::pipeline {

struct DemoOptions {
  std::vector<std::string> scenarios = {"shipping_network_delay"};
  std::filesystem::path out = "demo-out";
  double normal_minutes = 20;
  double scenario_minutes = 15;  // seed 000's protocol in thirds: baseline, fault, recovery
  double rps = 10;
  uint64_t seed = 1;
};

struct DemoScenario {
  std::string scenario;
  std::string fault_type;  // injected
  std::string target;      // injected service
  TimeNs fault_start = 0, fault_end = 0;
  std::string data_dir, report_dir, report_html;
  size_t incidents = 0;
  std::string found_origin;  // top of the incident overlapping the fault ("" when none)
  double found_probability = 0;
  std::string found_fault_type;
  int rank = 0;            // rank of the target in that incident (0 = not ranked / no incident)
  TimeNs detected_at = 0;  // start of that incident
  std::string summary;     // the incident's summary line
  DetectSummary detect;
};

struct DemoResult {
  std::string model_dir;
  TrainSummary train;
  std::vector<DemoScenario> scenarios;
  double seconds = 0;
};

Result<DemoResult> RunDemo(const DemoOptions& options);

}  // namespace augur::pipeline
