// `augur demo`: the whole loop on the built-in sock-shop world, in a few minutes.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "core/time.h"
#include "pipeline/demo.h"
#include "sim/simulator.h"

namespace augur::app {

void RegisterDemo(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "demo", "Simulate normal traffic, train, inject a chaos fault, detect and explain it");
  auto o = std::make_shared<pipeline::DemoOptions>();
  auto scenario = std::make_shared<std::string>("shipping_network_delay");
  auto all = std::make_shared<bool>(false);
  cmd->add_option("--scenario", *scenario, "Chaos scenario (see `augur simulate --list`)")
      ->capture_default_str();
  cmd->add_flag("--all", *all, "Run every scenario of seed 000's Table 3 instead of one");
  cmd->add_option("-o,--out", o->out, "Output folder")->capture_default_str();
  cmd->add_option("--normal-minutes", o->normal_minutes, "Minutes of normal traffic to learn from")
      ->capture_default_str();
  cmd->add_option("--minutes", o->scenario_minutes,
                  "Minutes per scenario (baseline, fault, recovery in thirds)")
      ->capture_default_str();
  cmd->add_option("--rps", o->rps, "Requests per second")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed (same seed, same bytes)")
      ->capture_default_str()
      ->check(NonNegative());
  cmd->add_flag("--json", g.json, "Print one JSON object");
  cmd->footer(
      "Example:\n  augur demo\n  augur demo --scenario carts_db_io_failure --out /tmp/demo");
  cmd->callback([o, scenario, all, &g] {
    o->scenarios.clear();
    if (*all) {
      for (const auto& s : sim::Scenarios())
        if (!s.seed_table3.empty()) o->scenarios.push_back(s.name);
    } else {
      o->scenarios.push_back(*scenario);
    }
    auto r = pipeline::RunDemo(*o);
    if (!r) {
      std::fprintf(stderr, "augur demo: %s\n", r.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    if (g.json) {
      nlohmann::json j = {
          {"model", r->model_dir}, {"seconds", r->seconds}, {"scenarios", nlohmann::json::array()}};
      for (const auto& d : r->scenarios)
        j["scenarios"].push_back({{"scenario", d.scenario},
                                  {"injected",
                                   {{"type", d.fault_type},
                                    {"service", d.target},
                                    {"start", FormatIsoTime(d.fault_start)}}},
                                  {"incidents", d.incidents},
                                  {"origin", d.found_origin},
                                  {"probability", d.found_probability},
                                  {"fault_type", d.found_fault_type},
                                  {"rank", d.rank},
                                  {"report", d.report_html}});
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("augur demo: trained %zu model(s) on the normal period (%s)\n\n",
                r->train.models.size(), r->model_dir.c_str());
    int hits = 0;
    for (const auto& d : r->scenarios) {
      std::printf("Scenario %s: injected %s into %s at %s\n", d.scenario.c_str(),
                  d.fault_type.c_str(), d.target.c_str(), FormatIsoTime(d.fault_start).c_str());
      if (d.detected_at == 0) {
        std::printf("  augur found no incident during the fault (%zu incident(s) elsewhere)\n",
                    d.incidents);
      } else {
        std::printf("  %s\n", d.summary.c_str());
        std::printf("  %s the injected service is ranked %s\n", d.rank == 1 ? "✓" : "✗",
                    d.rank ? std::to_string(d.rank).c_str() : "nowhere");
        hits += d.rank == 1;
      }
      std::printf("  report: %s\n\n", d.report_html.c_str());
    }
    if (r->scenarios.size() > 1)
      std::printf("Origin ranked first in %d of %zu scenarios.\n", hits, r->scenarios.size());
    std::printf("Done in %.0f s. Stored incidents: augur incidents --db %s list\n", r->seconds,
                (o->out / "augur.db").c_str());
  });
}

}  // namespace augur::app
