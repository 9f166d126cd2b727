#include "pipeline/detectors.h"

#include "detect/log_lm_detector.h"

namespace augur::pipeline {

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
      {"log_lm",
       "seed 000's log language model: generated vs real next 10 lines per stream, cosine < 0.8",
       &detect::MakeLogLmDetector},
  };
  return kFactories;
}

}  // namespace augur::pipeline
