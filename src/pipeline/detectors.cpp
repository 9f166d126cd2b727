#include "pipeline/detectors.h"

#include "detect/deviation_detector.h"
#include "detect/share_detector.h"
#include "pipeline/torch_models.h"

namespace augur::pipeline {
namespace {

using Made = Result<std::unique_ptr<detect::Detector>>;

#ifdef AUGUR_HAVE_TORCH
// A libtorch model from the module, or why the module cannot be loaded.
template <class Make>
Made FromTorch(Make&& make) {
  auto models = Torch();
  if (!models) return models.status();
  return Made(make(**models));
}
#endif

}  // namespace

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
      {"metric_deviation", "metrics per service against their normal range (robust z-score)",
       [](const DetectorSettings&) {
         return Made(std::make_unique<detect::MetricDeviationDetector>());
       }},
      {"span_deviation", "share of failed and slower-than-normal-p99 spans per service",
       [](const DetectorSettings&) { return Made(std::make_unique<detect::SpanShareDetector>()); }},
      {"log_pattern", "share of never-seen log patterns and of warning/error lines per service",
       [](const DetectorSettings&) {
         return Made(std::make_unique<detect::LogPatternDetector>());
       }},
#ifdef AUGUR_HAVE_TORCH
      {"next_key",
       "next-key LSTM over each service's log and trace-event keys: unexpected-key rate per "
       "interval",
       [](const DetectorSettings&) {
         return FromTorch([](learn::TorchModels& t) { return t.MakeNextKeyDetector(); });
       },
       true},
      {"trace_lstm", "multimodal LSTM over traces: unexpected execution paths and slow calls",
       [](const DetectorSettings&) {
         return FromTorch([](learn::TorchModels& t) { return t.MakeTraceLstmDetector(); });
       },
       true},
      {"log_lm", "seed 000's log language model: generated vs real next 10 lines, cosine < 0.8",
       [](const DetectorSettings& s) {
         return FromTorch([&s](learn::TorchModels& t) {
           return t.MakeLogLmDetector(s.log_lm_llm, s.log_lm_embedder, s.log_lm_magnitudes,
                                      s.log_lm_novelty);
         });
       },
       true},
#endif
  };
  return kFactories;
}

}  // namespace augur::pipeline
