#include "pipeline/detectors.h"

#include "detect/deviation_detector.h"

namespace augur::pipeline {

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
      {"metric_deviation", "metrics per service against their normal range (robust z-score)",
       [] { return std::unique_ptr<detect::Detector>(new detect::MetricDeviationDetector()); }},
      {"span_deviation", "span error rate and latency per service against their normal range",
       [] { return std::unique_ptr<detect::Detector>(new detect::SpanDeviationDetector()); }},
  };
  return kFactories;
}

}  // namespace augur::pipeline
