#include "pipeline/demo.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"
#include "sim/simulator.h"

namespace augur::pipeline {

Result<DemoResult> RunDemo(const DemoOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  DemoResult result;
  for (const auto& s : o.scenarios)
    if (!sim::FindScenario(s))
      return Status::Error("unknown scenario '" + s + "' (see `augur simulate --list`)");

  // 1. The normal period, and everything augur learns from it.
  sim::SimConfig normal;
  normal.scenario = "normal";
  normal.minutes = o.normal_minutes;
  normal.rps = o.rps;
  normal.seed = o.seed;
  const auto normal_dir = o.out / "normal";
  LogInfo("Simulating {:g} minutes of normal sock-shop traffic into {}", o.normal_minutes,
          normal_dir.string());
  auto w = sim::WriteSimulation(normal, normal_dir.string());
  if (!w) return w.status();

  TrainOptions train;
  train.inputs = {normal_dir.string()};
  train.model_dir = o.out / "model";
  LogInfo("Training on the normal period into {}", train.model_dir.string());
  auto trained = Train(train);
  if (!trained) return trained.status();
  result.train = std::move(*trained);
  result.model_dir = train.model_dir.string();

  // 2. Each chaos scenario: simulate (later, other seed), detect, compare with the ground truth.
  for (size_t i = 0; i < o.scenarios.size(); ++i) {
    const std::string& name = o.scenarios[i];
    DemoScenario d;
    d.scenario = name;
    sim::SimConfig cfg;
    cfg.scenario = name;
    cfg.minutes = o.scenario_minutes;
    cfg.rps = o.rps;
    cfg.seed = o.seed + 1 + i;
    cfg.start =
        normal.start + static_cast<TimeNs>((o.normal_minutes + 60 * (i + 1)) * 60) * kNsPerSecond;
    d.data_dir = (o.out / name / "telemetry").string();
    d.report_dir = (o.out / name / "report").string();
    LogInfo("Simulating scenario {} into {}", name, d.data_dir);
    auto written = sim::WriteSimulation(cfg, d.data_dir);
    if (!written) return written.status();

    DetectOptions det;
    det.inputs = {d.data_dir};
    det.model_dir = train.model_dir;
    det.out_dir = d.report_dir;
    det.db = o.out / "augur.db";
    LogInfo("Detecting incidents in {}", name);
    auto found = Detect(det);
    if (!found) return found.status();
    d.detect = std::move(*found);
    d.incidents = d.detect.incidents.size();
    d.report_html = (o.out / name / "report" / "report.html").string();

    // Ground truth: the simulator's labels.json.
    nlohmann::json labels;
    try {
      std::ifstream in(std::filesystem::path(d.data_dir) / "labels.json");
      in >> labels;
    } catch (const std::exception& e) {
      return Status::Error(d.data_dir + "/labels.json: " + e.what());
    }
    if (labels.contains("faults") && !labels["faults"].empty()) {
      const auto& label = labels["faults"][0];
      d.fault_type = label.value("type", "");
      d.target = label.value("target_service", "");
      d.fault_start = label.value("start_ns", TimeNs{0});
      d.fault_end = label.value("recovered_ns", TimeNs{0});
      for (const auto& inc : d.detect.incidents) {
        if (inc.end < d.fault_start || inc.start > d.fault_end) continue;
        d.detected_at = inc.start;
        d.summary = inc.summary;
        d.found_fault_type = inc.fault_type;
        if (!inc.ranking.empty()) {
          d.found_origin = inc.ranking.front().service;
          d.found_probability = inc.ranking.front().probability;
        }
        for (size_t k = 0; k < inc.ranking.size(); ++k)
          if (inc.ranking[k].service == d.target) d.rank = static_cast<int>(k) + 1;
        break;
      }
    }
    result.scenarios.push_back(std::move(d));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace augur::pipeline
