#include "pipeline/detectors.h"

namespace augur::pipeline {

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
  };
  return kFactories;
}

}  // namespace augur::pipeline
