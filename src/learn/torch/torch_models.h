// What the libtorch module (libaugur_torch.so, built from this folder) offers the rest of augur.
// The module is loaded when a command first needs a model (pipeline/torch_models.h), so that the
// commands that need none do not pay libtorch's start-up, about half a second and 170 MB
// (docs/BENCHMARKS.md). Nothing outside this folder calls a function defined here except through
// this interface; the headers it names are plain (no torch includes).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "detect/detector.h"
#include "learn/llm_client.h"
#include "learn/model_bundle.h"
#include "learn/torch/event_analysis.h"
#include "learn/torch/hdfs_sessions_eval.h"
#include "learn/torch/log_windows_eval.h"
#include "learn/torch/next_key_eval.h"
#include "learn/torch/trace_injection_eval.h"

namespace augur::learn {

class TorchModels {
 public:
  virtual ~TorchModels() = default;

  // learn/torch/compute_device.h
  virtual Status SelectComputeDevice(std::string_view spec) = 0;
  virtual std::string ComputeDeviceName() = 0;
  virtual int CudaDeviceCount() = 0;

  // The pipeline's learned detectors (pipeline/detectors.cpp).
  virtual std::unique_ptr<detect::Detector> MakeNextKeyDetector() = 0;
  virtual std::unique_ptr<detect::Detector> MakeTraceLstmDetector() = 0;
  virtual std::unique_ptr<detect::Detector> MakeLogLmDetector(const LlmClientOptions& llm,
                                                              const std::string& embedder,
                                                              bool magnitudes, bool novelty) = 0;

  // The evaluations (`augur eval ...`) and `augur compare`.
  virtual Result<HdfsEvalResult> EvalHdfsSessions(const std::string& dir,
                                                  const HdfsEvalOptions& options) = 0;
  virtual Result<NextKeyEvalResult> EvalNextKey(
      const std::vector<std::vector<std::string>>& sequences,
      const NextKeyEvalOptions& options) = 0;
  virtual Result<TraceInjectionResult> EvalTraceInjection(const std::vector<Span>& spans,
                                                          const TraceInjectionOptions& options) = 0;
  virtual Result<LogWindowsEvalResult> EvalLogWindows(const LogWindowsEvalOptions& options) = 0;
  virtual Result<CompareReport> CompareTraceEvents(const ModelBundle& bundle,
                                                   const std::vector<TraceEvent>& events,
                                                   const CompareConfig& config) = 0;
};

// The module's one exported symbol, a function `TorchModels* ()` returning its instance. The
// version in the name changes with this interface, so that a stale module is refused, not called.
inline constexpr const char* kTorchModelsEntry = "augur_torch_models_v1";

}  // namespace augur::learn
