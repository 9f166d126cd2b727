// The explicit list of detectors the pipeline knows, by registered name (no static
// self-registration).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detect/detector.h"
#include "learn/llm_client.h"

namespace augur::pipeline {

// Detector settings given on the command line (only the log language model takes any yet).
struct DetectorSettings {
  learn::LlmClientOptions log_lm_llm;  // --llm-url …: its generator (docs/log-lm.md)
  std::string log_lm_embedder;         // --embedder FILE: its block embedder (training)
  bool log_lm_novelty = true;     // --log-lm-novelty: a line never written in normal logs flags
  bool log_lm_magnitudes = true;  // --log-lm-magnitudes: durations keep their magnitude
};

struct DetectorFactory {
  const char* name;         // lower_snake, as Detector::name()
  const char* description;  // one line for --help
  // Fails only for a libtorch model whose module cannot be loaded (pipeline/torch_models.h).
  Result<std::unique_ptr<detect::Detector>> (*make)(const DetectorSettings& settings);
  bool torch = false;  // a libtorch model: making one loads the module
};

// Every detector, in the order they run.
const std::vector<DetectorFactory>& DetectorFactories();

}  // namespace augur::pipeline
