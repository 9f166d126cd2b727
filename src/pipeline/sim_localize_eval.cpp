#include "pipeline/sim_localize_eval.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "core/time.h"
#include "normalize/counter_rates.h"
#include "sim/simulator.h"

namespace augur::pipeline {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<localize::NezhaEvalResult> EvalSimLocalization(const SimLocalizeOptions& o) {
  using Out = Result<localize::NezhaEvalResult>;
  const auto t_start = std::chrono::steady_clock::now();
  if (Status s = o.config.Validate(); !s) return Out::Error(s.message());
  if (o.minute_offset < 1) return Out::Error("minute offset must be at least 1");
  std::vector<std::string> names = o.scenarios;
  if (names.empty())
    for (const auto& s : sim::Scenarios())
      if (!s.seed_table3.empty()) names.push_back(s.name);
  for (const auto& n : names)
    if (n == "normal" || n == "all")
      return Out::Error("'" + n + "' is not a fault scenario (see `augur simulate --list`; " +
                        "without --scenario, seed 000's table runs)");
    else if (!sim::FindScenario(n))
      return Out::Error("unknown scenario '" + n + "' (see `augur simulate --list`)");

  localize::NezhaEvalResult result;
  localize::Localizer loc(o.config);
  sim::SimConfig normal;
  normal.scenario = "normal";
  normal.minutes = o.normal_minutes;
  normal.rps = o.rps;
  normal.seed = o.seed;
  {
    auto s = sim::Simulator::Create(normal);
    if (!s) return Out::Error(s.message());
    LogInfo("eval sim: learning from {:g} minutes of normal traffic", o.normal_minutes);
    normalize::CounterRates rates;
    if (Status st = (*s)->Run([&](Batch& b) {
          rates.Apply(b);
          loc.Learn(b);
        });
        !st)
      return Out::Error(st.message());
    loc.FinishLearning();
  }
  result.learn_seconds = SecondsSince(t_start);

  for (size_t i = 0; i < names.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    sim::SimConfig cfg;
    cfg.scenario = names[i];
    cfg.minutes = o.minutes;
    cfg.rps = o.rps;
    cfg.seed = o.seed + 1 + i;
    cfg.start =
        normal.start + static_cast<TimeNs>((o.normal_minutes + 60 * (i + 1)) * 60) * kNsPerSecond;
    auto s = sim::Simulator::Create(cfg);
    if (!s) return Out::Error(names[i] + ": " + s.message());
    // The window is known only from the labels, complete after the run: keep the run's records.
    Batch all;
    normalize::CounterRates rates;
    Status st = (*s)->Run([&](Batch& b) {
      rates.Apply(b);
      std::move(b.spans.begin(), b.spans.end(), std::back_inserter(all.spans));
      std::move(b.logs.begin(), b.logs.end(), std::back_inserter(all.logs));
      std::move(b.metrics.begin(), b.metrics.end(), std::back_inserter(all.metrics));
    });
    if (!st) return Out::Error(names[i] + ": " + st.message());
    const auto& labels = (*s)->Labels();
    if (labels.empty()) return Out::Error(names[i] + ": the simulator injected no fault");
    const sim::FaultLabel& f = labels.front();
    localize::NezhaCase c;
    c.fault.day = names[i];
    c.fault.time = f.start;
    c.fault.inject_time = FormatIsoTime(f.start);
    c.fault.pod = f.target_pods.empty() ? f.target_service : f.target_pods.front();
    c.fault.service = f.target_service;
    c.fault.type = std::string(sim::FaultTypeName(f.type));
    const TimeNs hi = f.start + static_cast<TimeNs>(o.minute_offset) * 60 * kNsPerSecond;
    const TimeNs lo = hi - 60 * kNsPerSecond;
    all.KeepWindow(lo, hi);
    localize::LocalizeCase(loc, all, c);
    all = Batch{};
    c.seconds = SecondsSince(t0);
    result.days.push_back(names[i]);
    result.cases.push_back(std::move(c));
    Progress::Update("eval sim", static_cast<double>(i + 1), static_cast<double>(names.size()),
                     "scenarios");
  }
  Progress::Finish("eval sim");
  localize::ScoreCases(result);
  result.seconds = SecondsSince(t_start);
  return result;
}

}  // namespace augur::pipeline
