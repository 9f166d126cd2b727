// `augur eval sim`: root-cause localization on the simulator's chaos scenarios, with the figures of
// `augur eval nezha` (AS@1/3/5, the rank of the injected service per scenario). The localizer
// learns from a normal run; each scenario runs with a later seed and is localized from the minute
// that ends `minute_offset` minutes after the fault starts (Nezha's protocol: the second minute).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "localize/nezha_eval.h"

namespace augur::pipeline {

struct SimLocalizeOptions {
  std::vector<std::string> scenarios;  // empty: the 12 scenarios of seed 000's Table 3
  double normal_minutes = 30;
  double minutes = 15;  // per scenario: baseline, fault, recovery in thirds
  double rps = 10;
  uint64_t seed = 1;
  int minute_offset = 2;
  localize::LocalizerConfig config;
};

// Cases carry the scenario name as `day`, the fault start as `inject_time`, the target service as
// the truth and the fault type as `type`.
Result<localize::NezhaEvalResult> EvalSimLocalization(const SimLocalizeOptions& options);

}  // namespace augur::pipeline
