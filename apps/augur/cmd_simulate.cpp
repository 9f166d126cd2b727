// `augur simulate`: the built-in sock-shop world (src/sim) written as OTLP/JSON lines plus labels.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "core/time.h"
#include "sim/simulator.h"

namespace augur::app {
namespace {

struct SimulateOptions {
  std::string scenario = "normal";
  std::string out;
  double minutes = 30;
  double normal_minutes = -1;
  double baseline_minutes = -1;
  double fault_minutes = -1;
  double rps = 10;
  int users = 50;
  int replicas = 1;
  uint64_t seed = 1;
  std::string start;
  double metrics_interval = 1;
  double diurnal = 0;
  std::vector<std::string> deploys;
  std::vector<std::string> mix;
  bool gzip = false;
  bool list = false;
  bool no_ingress = false;
};

// "carts=0.4.9@12.5" → service carts, version 0.4.9, at minute 12.5.
bool ParseDeploy(const std::string& text, sim::DeployEvent& out) {
  const size_t eq = text.find('='), at = text.find('@');
  if (eq == std::string::npos || at == std::string::npos || at < eq) return false;
  out.service = text.substr(0, eq);
  out.version = text.substr(eq + 1, at - eq - 1);
  try {
    out.at_s = std::stod(text.substr(at + 1)) * 60;
  } catch (...) {
    return false;
  }
  return !out.service.empty() && !out.version.empty() && out.at_s >= 0;
}

int RunSimulate(const SimulateOptions& o) {
  if (o.list) {
    std::printf("%-26s %s\n", "normal", "no fault: the training run (Locust workflow only)");
    for (const auto& s : sim::Scenarios())
      std::printf("%-26s %s\n", s.name.c_str(), s.description.c_str());
    return kExitOk;
  }
  if (o.out.empty()) {
    std::fprintf(stderr, "augur simulate: --out DIR is required (or --list)\n");
    return kExitUsage;
  }
  sim::SimConfig base;
  base.minutes = o.minutes;
  base.baseline_minutes = o.baseline_minutes;
  base.fault_minutes = o.fault_minutes;
  base.rps = o.rps;
  base.users = o.users;
  base.replicas = o.replicas;
  base.seed = o.seed;
  base.metrics_interval_s = o.metrics_interval;
  base.diurnal_amplitude = o.diurnal;
  base.ingress_spans = !o.no_ingress;
  if (!o.start.empty()) {
    auto t = ParseIsoTime(o.start);
    if (!t) {
      std::fprintf(stderr, "augur simulate: --start '%s' is not an ISO 8601 time\n",
                   o.start.c_str());
      return kExitUsage;
    }
    base.start = *t;
  }
  for (const auto& m : o.mix) {
    const size_t eq = m.find('=');
    bool ok = eq != std::string::npos;
    if (ok) {
      try {
        ok = base.mix.Set(m.substr(0, eq), std::stod(m.substr(eq + 1)));
      } catch (...) {
        ok = false;
      }
    }
    if (!ok) {
      std::fprintf(stderr,
                   "augur simulate: --mix '%s' is not NAME=WEIGHT (names: index, catalogue, item, "
                   "tags, add_to_cart, remove_from_cart, view_cart, address, card, orders)\n",
                   m.c_str());
      return kExitUsage;
    }
  }
  for (const auto& d : o.deploys) {
    sim::DeployEvent e;
    if (!ParseDeploy(d, e)) {
      std::fprintf(stderr, "augur simulate: --deploy '%s' is not SERVICE=VERSION@MINUTE\n",
                   d.c_str());
      return kExitUsage;
    }
    base.deploys.push_back(e);
  }

  // One folder per run: with `all`, the normal run and every scenario side by side.
  std::vector<std::pair<std::string, sim::SimConfig>> runs;
  if (o.scenario == "all") {
    sim::SimConfig normal = base;
    normal.scenario = "normal";
    if (o.normal_minutes > 0) normal.minutes = o.normal_minutes;
    runs.emplace_back((std::filesystem::path(o.out) / "normal").string(), normal);
    for (const auto& s : sim::Scenarios()) {
      sim::SimConfig c = base;
      c.scenario = s.name;
      runs.emplace_back((std::filesystem::path(o.out) / s.name).string(), c);
    }
  } else {
    sim::SimConfig c = base;
    c.scenario = o.scenario;
    if (o.scenario == "normal" && o.normal_minutes > 0) c.minutes = o.normal_minutes;
    runs.emplace_back(o.out, c);
  }
  for (auto& [dir, c] : runs) {
    if (Status s = c.Validate(); !s.ok()) {
      std::fprintf(stderr, "augur simulate: %s\n", s.message().c_str());
      return kExitUsage;
    }
  }
  bool header = false;  // printed before the first row, not before an error
  for (auto& [dir, c] : runs) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = sim::WriteSimulation(c, dir, o.gzip);
    if (!r.ok()) {
      std::fprintf(stderr, "augur simulate: %s\n", r.message().c_str());
      return r.message().starts_with("unknown scenario") ? kExitUsage : kExitUnreadable;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::exchange(header, true))
      std::printf("%-40s %10s %10s %10s %10s %9s %7s\n", "folder", "traces", "spans", "logs",
                  "metrics", "MB", "faults");
    std::printf("%-40s %10llu %10llu %10llu %10llu %9.1f %7zu  (%.1f s)\n", dir.c_str(),
                (unsigned long long)r->stats.traces, (unsigned long long)r->stats.spans,
                (unsigned long long)r->stats.logs, (unsigned long long)r->stats.metric_points,
                r->bytes / 1e6, r->faults, secs);
  }
  return kExitOk;
}

}  // namespace

void RegisterSimulate(CLI::App& app, Globals& g) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate",
                                 "Generate sock-shop telemetry (OTLP/JSON traces, logs, metrics) "
                                 "with chaos faults and labels");
  cmd->footer(
      "Examples:\n"
      "  augur simulate --list\n"
      "  augur simulate --scenario shipping_pod_failure --minutes 30 --rps 10 --seed 7 --out "
      "runs/ship\n"
      "  augur simulate --scenario all --out runs/seed000      # normal + every scenario\n"
      "  augur simulate --scenario user_pod_failure+carts_db_io_failure --out runs/overlap\n"
      "  augur simulate --scenario user_pod_failure@10-20+carts_db_io_failure@15-25 --out runs/o2\n"
      "Protocol (seed 000): a third baseline, a third fault, a third recovery. Writes "
      "traces.jsonl,\n"
      "logs.jsonl, metrics.jsonl (one OTLP/JSON export request per line) and labels.json.");
  cmd->add_option("--scenario", o->scenario,
                  "normal, all, a scenario name (see --list), or names joined with '+'")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Output folder (one sub-folder per run with --scenario all)");
  cmd->add_option("--minutes", o->minutes, "Simulated minutes per run")->capture_default_str();
  cmd->add_option("--normal-minutes", o->normal_minutes,
                  "Minutes of the normal (training) run (default: --minutes)");
  cmd->add_option("--baseline-minutes", o->baseline_minutes,
                  "Minutes before the fault (default: a third)");
  cmd->add_option("--fault-minutes", o->fault_minutes, "Minutes of fault (default: a third)");
  cmd->add_option("--rps", o->rps, "Mean Locust requests per second")->capture_default_str();
  cmd->add_option("--users", o->users, "Simulated Locust users")->capture_default_str();
  cmd->add_option("--replicas", o->replicas, "Pods per stateless service")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed (same seed, same bytes)")
      ->capture_default_str()
      ->check(NonNegative());
  cmd->add_option("--start", o->start, "Start time, ISO 8601 (default 2024-11-18T20:00:00Z)");
  cmd->add_option("--metrics-interval", o->metrics_interval, "Seconds between metric samples")
      ->capture_default_str();
  cmd->add_option("--diurnal", o->diurnal, "Daily load swing amplitude, 0..0.9");
  cmd->add_option("--deploy", o->deploys, "Schedule a version change: SERVICE=VERSION@MINUTE");
  cmd->add_option("--mix", o->mix,
                  "Request mix weight, NAME=WEIGHT (e.g. catalogue=0.5); repeat for several");
  cmd->add_flag("--gzip", o->gzip, "Write .jsonl.gz");
  cmd->add_flag("--no-ingress", o->no_ingress, "Root traces at front-end, not the ingress gateway");
  cmd->add_flag("--list", o->list, "List the scenarios and exit");
  cmd->callback([o, &g] { g.exit_code = RunSimulate(*o); });
}

}  // namespace augur::app
