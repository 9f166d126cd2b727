// libaugur_torch.so: the libtorch models behind learn::TorchModels, loaded by pipeline::Torch().
#include "learn/torch/compute_device.h"
#include "learn/torch/log_lm_detector.h"
#include "learn/torch/sequence_detectors.h"
#include "learn/torch/torch_models.h"

namespace augur::learn {
namespace {

class Models final : public TorchModels {
 public:
  Status SelectComputeDevice(std::string_view spec) override {
    return learn::SelectComputeDevice(spec);
  }
  std::string ComputeDeviceName() override { return learn::ComputeDeviceName(); }
  int CudaDeviceCount() override { return learn::CudaDeviceCount(); }

  std::unique_ptr<detect::Detector> MakeNextKeyDetector() override {
    return std::make_unique<NextKeyDetector>();
  }
  std::unique_ptr<detect::Detector> MakeTraceLstmDetector() override {
    return std::make_unique<TraceLstmDetector>();
  }
  std::unique_ptr<detect::Detector> MakeLogLmDetector(const LlmClientOptions& llm,
                                                      const std::string& embedder, bool magnitudes,
                                                      bool novelty) override {
    return detect::MakeLogLmDetector(llm, embedder, magnitudes, novelty);
  }

  Result<HdfsEvalResult> EvalHdfsSessions(const std::string& dir,
                                          const HdfsEvalOptions& options) override {
    return learn::EvalHdfsSessions(dir, options);
  }
  Result<NextKeyEvalResult> EvalNextKey(const std::vector<std::vector<std::string>>& sequences,
                                        const NextKeyEvalOptions& options) override {
    return learn::EvalNextKey(sequences, options);
  }
  Result<TraceInjectionResult> EvalTraceInjection(const std::vector<Span>& spans,
                                                  const TraceInjectionOptions& options) override {
    return learn::EvalTraceInjection(spans, options);
  }
  Result<LogWindowsEvalResult> EvalLogWindows(const LogWindowsEvalOptions& options) override {
    return learn::EvalLogWindows(options);
  }
  Result<CompareReport> CompareTraceEvents(const ModelBundle& bundle,
                                           const std::vector<TraceEvent>& events,
                                           const CompareConfig& config) override {
    return learn::CompareTraceEvents(bundle, events, config);
  }
};

}  // namespace
}  // namespace augur::learn

// The module's entry point (learn::kTorchModelsEntry).
extern "C" __attribute__((visibility("default"))) augur::learn::TorchModels*
augur_torch_models_v1() {
  static augur::learn::Models models;
  return &models;
}
