// Flags and printing shared by the pipeline commands (train, detect, demo).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ingest/read.h"
#include "learn/llm_client.h"
#include "localize/nezha_eval.h"
#include "pipeline/pipeline.h"
#include "pipeline/torch_models.h"

namespace augur::app {

// --format, --strict, --service and --multiline, the same on every command that reads input.
void AddReadFlags(CLI::App* cmd, ingest::ReadOptions& read);

struct SelectionFlags {
  std::vector<std::string> only, skip, skip_stages;
  void Apply(pipeline::DetectorSelection& sel, std::set<std::string>& disabled_stages) const;
};
// Number checks whose messages say the rule ("must be greater than 0"), not CLI11's range up to
// the largest double.
CLI::Validator Positive();
CLI::Validator NonNegative();

void AddSelectionFlags(CLI::App* cmd, SelectionFlags& flags,
                       const std::vector<std::string>& stages);

// The training flags of the next-key LSTM evaluations (--window, --epochs, --seed, --threads).
struct NextKeyModelFlags {
  int window = 10, epochs = 100, threads = 2;
  uint64_t seed = 1;
  void Add(CLI::App* cmd, const std::string& epochs_help, const std::string& seed_help);
  void ApplyTo(learn::NextKeyConfig& model) const {
    model.window = window;
    model.max_epochs = epochs;
    model.seed = seed;
    model.threads = threads;
  }
};

// The libtorch models for `command` (e.g. "augur eval hdfs-sessions"); when they cannot be had
// (built without them, the module not loadable) prints why, sets the usage exit code and returns
// null.
learn::TorchModels* TorchModelsFor(const char* command, int& exit_code);

// --llm-url and its companions: the log language model's generator as an OpenAI-compatible
// completion endpoint. The API key, when one is needed, comes from AUGUR_LLM_API_KEY.
void AddLlmFlags(CLI::App* cmd, learn::LlmClientOptions& llm);
// --log-lm-magnitudes on|off: log_lm masks durations as magnitude buckets or as plain "<*>";
// --log-lm-novelty on|off: a line its service never wrote in normal logs flags the window.
void AddLogLmFlags(CLI::App* cmd, bool& magnitudes, bool& novelty);
void ApplyLlmEnvironment(learn::LlmClientOptions& llm);

nlohmann::json StagesJson(const std::vector<pipeline::StageTiming>& stages);
void PrintStages(const std::vector<pipeline::StageTiming>& stages);
// "  skipped  <detector>: <why>" for each detector that learned or scored nothing.
void PrintSkipped(const std::vector<std::pair<std::string, std::string>>& skipped);
void PrintRejects(const ingest::RejectStats& rejected);
// `augur eval nezha` and `augur eval sim`: the per-fault table and AS@1/3/5 under `title`, or one
// JSON object {"faults", "as1", "as3", "as5", "cases": [{"inject_time", "truth", "type",
// "ranking"}]}.
void PrintLocalizationEval(const localize::NezhaEvalResult& r, bool json, const std::string& title);

}  // namespace augur::app
