// The explicit list of detectors the pipeline knows, by registered name (no static self-registration).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detect/detector.h"

namespace augur::pipeline {

struct DetectorFactory {
  const char* name;         // lower_snake, as Detector::name()
  const char* description;  // one line for --help
  std::unique_ptr<detect::Detector> (*make)();
};

// Every detector, in the order they run.
const std::vector<DetectorFactory>& DetectorFactories();

}  // namespace augur::pipeline
