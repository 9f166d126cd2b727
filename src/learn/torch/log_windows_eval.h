// `augur eval log-windows`: trains the log language-model detector on the normal part of a labelled
// log data set and scores every window, giving accuracy, precision, recall and F1 per scenario and
// overall (seed 000's Figure 16; learn/window_metrics.h draws its heatmap).
#pragma once

#include <map>
#include <string>

#include "core/result.h"
#include "learn/torch/log_lm_detector.h"
#include "learn/window_metrics.h"

namespace augur::learn {

struct LogWindowsEvalOptions {
  std::string data;  // simulator output, Nezha folder or LogHub folder
  detect::LogLmConfig config;
  double loghub_train_fraction = 0.5;  // LogHub: earlier part trained on (its normal windows only)
  int nezha_fault_minutes = 3;  // Nezha: windows of the faulty service this long after injection
  // Simulator: which windows of a fault interval are anomalous. "requests": the faulty pods' and
  // those holding a line written for a request the fault touched (the simulator's
  // affected_logs.json); "services": every window of the target, its peer and the services upstream
  // of them (the labelling before affected_logs.json existed).
  std::string sim_labels = "requests";
  std::string save_bundle;  // optional: keep the trained model here
  std::string windows_out;  // optional: every scored window as a JSON line
};

struct LogWindowsEvalResult {
  std::string kind;  // "simulator", "nezha", "loghub"
  std::string description;
  std::map<std::string, WindowMetrics> scenarios;
  WindowMetrics overall;
  double threshold = 0;
  double train_seconds = 0;
  uint64_t train_lines = 0;
  double score_seconds = 0;
  uint64_t score_lines = 0;
  nlohmann::json train_figures;
  // Windows that could not be generated (LLM endpoint failures), not in the metrics above.
  uint64_t windows_failed = 0;
  std::string first_error;
  uint64_t llm_requests = 0;  // completions asked of the LLM endpoint while scoring
  uint64_t llm_empty = 0;     // of which held no line
};

Result<LogWindowsEvalResult> EvalLogWindows(const LogWindowsEvalOptions& options);

}  // namespace augur::learn
