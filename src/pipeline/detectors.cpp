#include "pipeline/detectors.h"

#include "detect/deviation_detector.h"
#ifdef AUGUR_HAVE_TORCH
#include "learn/torch/log_lm_detector.h"
#endif

namespace augur::pipeline {

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
      {"metric_deviation", "metrics per service against their normal range (robust z-score)",
       [] { return std::unique_ptr<detect::Detector>(new detect::MetricDeviationDetector()); }},
      {"span_deviation", "span error rate and latency per service against their normal range",
       [] { return std::unique_ptr<detect::Detector>(new detect::SpanDeviationDetector()); }},
#ifdef AUGUR_HAVE_TORCH
      {"log_lm", "seed 000's log language model: generated vs real next 10 lines, cosine < 0.8",
       &detect::MakeLogLmDetector},
#endif
  };
  return kFactories;
}

}  // namespace augur::pipeline
