// What the serve tests share: the readers' test data, and a small model to detect with.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "pipeline/pipeline.h"
#include "serve/server.h"
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

// The shipping_network_delay chaos scenario, 9 minutes (seed 2), written to DIR/scenario: 3
// minutes of baseline, then the fault for `fault_minutes` (default 3, then 3 of recovery).
inline void WriteScenario(const std::filesystem::path& dir, double fault_minutes = -1) {
  sim::SimConfig cfg;
  cfg.scenario = "shipping_network_delay";
  cfg.minutes = 9;
  cfg.fault_minutes = fault_minutes;
  cfg.seed = 2;
  auto written = sim::WriteSimulation(cfg, (dir / "scenario").string());
  ASSERT_TRUE(written.ok()) << written.message();
}

// Calls fn(signal, body) for each OTLP/JSON export request of DIR/scenario (one per line of
// traces.jsonl, logs.jsonl and metrics.jsonl), as a collector would send them; returns how many.
template <class Fn>
int ForEachRequest(const std::filesystem::path& dir, Fn fn) {
  int n = 0;
  for (const char* signal : {"traces", "logs", "metrics"}) {
    std::ifstream in(dir / "scenario" / (std::string(signal) + ".jsonl"));
    std::string line;
    while (std::getline(in, line)) {
      fn(std::string(signal), line);
      ++n;
    }
  }
  return n;
}

// A test server's options: any free HTTP port, no gRPC, DIR/model, DIR/state, and detection only
// when asked.
inline ServerOptions TestOptions(const std::filesystem::path& dir) {
  ServerOptions o;
  o.port = 0;
  o.grpc_port = -1;
  o.model_dir = dir / "model";
  o.state_dir = dir / "state";
  o.every_seconds = 0;
  return o;
}

// A server running on a thread of its own; stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(const ServerOptions& o) {
    auto s = Server::Create(o);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return;
    server = std::move(*s);
    thread = std::thread([this] { server->Run(); });
  }
  ~RunningServer() {
    if (!server) return;
    server->Stop();
    thread.join();
  }
  std::unique_ptr<Server> server;
  std::thread thread;
};

}  // namespace augur::serve::testing_util
