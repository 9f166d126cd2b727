// `augur eval sim`: root-cause localization on the simulator's chaos scenarios, AS@1/3/5 at service
// level (the figures of `augur eval nezha`).
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "diagnose/fault_classifier.h"
#include "pipeline/sim_localize_eval.h"

namespace augur::app {

void RegisterEvalSim(CLI::App& eval, Globals& g) {
  auto* cmd = eval.add_subcommand(
      "sim", "Root-cause localization on the simulator's chaos scenarios: report AS@1/3/5");
  cmd->footer(
      "Example:\n  augur eval sim --json\n  augur eval sim --scenario shipping_network_delay "
      "--scenario carts_db_io_failure\n"
      "Learns from a normal run, then localizes each scenario (a later seed) from the minute that "
      "ends --minute-offset\nminutes after the fault starts. Default: the 12 scenarios of seed "
      "000's Table 3.");
  auto o = std::make_shared<pipeline::SimLocalizeOptions>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--scenario", o->scenarios,
                  "Scenario to run (repeat; see `augur simulate --list`)");
  cmd->add_option("--normal-minutes", o->normal_minutes, "Minutes of normal traffic to learn from")
      ->capture_default_str()
      ->check(Positive());
  cmd->add_option("--minutes", o->minutes,
                  "Minutes per scenario (baseline, fault, recovery in thirds)")
      ->capture_default_str()
      ->check(Positive());
  cmd->add_option("--rps", o->rps, "Requests per second")->capture_default_str()->check(Positive());
  cmd->add_option("--seed", o->seed, "Random seed of the normal run (scenarios use the next ones)")
      ->capture_default_str();
  cmd->add_option("--minute-offset", o->minute_offset,
                  "Localize from the minute ending this many minutes after the fault starts")
      ->capture_default_str()
      ->check(Positive());
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->callback([o, json, &g] {
    auto r = pipeline::EvalSimLocalization(*o);
    if (!r) {
      std::fprintf(stderr, "augur eval sim: %s\n", r.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    diagnose::DiagnoseCases(*r);
    PrintLocalizationEval(*r, *json,
                          fmt::format("Simulator root-cause localization, {} scenario{}",
                                      r->cases.size(), r->cases.size() == 1 ? "" : "s"));
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
