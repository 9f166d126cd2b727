// What the serve tests share: the readers' test data, and a small model to detect with.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "pipeline/pipeline.h"
#include "sim/simulator.h"

namespace augur::serve::testing_util {

// A file of the readers' test data (src/ingest/testdata/NAME).
inline std::string IngestTestdata(const std::string& name) {
  std::ifstream in(
      std::filesystem::path(__FILE__).parent_path().parent_path() / "ingest/testdata" / name,
      std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A small model of the simulator's normal behaviour in DIR/model (the detectors that need no
// libtorch), trained on ten minutes written to DIR/normal.
inline void Train(const std::filesystem::path& dir) {
  sim::SimConfig normal;
  normal.minutes = 10;
  auto written = sim::WriteSimulation(normal, (dir / "normal").string());
  ASSERT_TRUE(written.ok()) << written.message();
  pipeline::TrainOptions t;
  t.inputs = {(dir / "normal").string()};
  t.model_dir = dir / "model";
  t.detectors.only = {"metric_deviation", "span_deviation", "log_pattern"};
  auto trained = pipeline::Train(t);
  ASSERT_TRUE(trained.ok()) << trained.message();
}

}  // namespace augur::serve::testing_util
