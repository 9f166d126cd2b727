// `augur eval nezha`: root-cause localization on a Nezha-style folder, AS@1/3/5 at service level.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "diagnose/fault_classifier.h"
#include "localize/nezha_eval.h"

namespace augur::app {

void RegisterEvalNezha(CLI::App& eval, Globals& g) {
  auto* cmd =
      eval.add_subcommand("nezha",
                          "Root-cause localization on Nezha-style data: learn from construct_data, "
                          "localize each fault of rca_data, report AS@1/3/5");
  cmd->footer(
      "Example:\n  augur eval nezha --data ../shared/datasets/nezha-trainticket --json\n"
      "Each fault is localized from the minute file at inject_time + 2 minutes (Nezha's "
      "protocol).");
  struct Opts {
    std::string data, day;
    int offset = 2;
    double propagation = localize::LocalizerConfig{}.propagation;
    double health_bf = localize::LocalizerConfig{}.health_max_bf;
    bool json = false;
    bool hosts = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data, "Folder holding construct_data/ and rca_data/")->required();
  cmd->add_option("--day", o->day, "Only this day (folder name under rca_data)");
  cmd->add_option("--minute-offset", o->offset,
                  "Minute file after inject_time to localize from (Nezha's files reach 2 minutes "
                  "past it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  cmd->add_option("--propagation", o->propagation,
                  "Noisy-OR weight of a failing callee on its caller (0 = rank by each service's "
                  "own evidence)")
      ->capture_default_str();
  cmd->add_option("--health-bf", o->health_bf,
                  "Bayes factor of a health score falling from its normal value to 0, as evidence "
                  "of outage (1 = the seed's health score is shown but not used)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_flag("--hosts", o->hosts,
                "Add host nodes (pods placed by the logs' Node column); AS@k still ranks services");
  cmd->callback([o, &g] {
    localize::NezhaEvalOptions opt;
    opt.day = o->day;
    opt.minute_offset = o->offset;
    opt.config.propagation = o->propagation;
    opt.config.health_max_bf = o->health_bf;
    opt.config.hosts = o->hosts;
    auto r = localize::EvalNezha(o->data, opt);
    if (!r) {
      std::fprintf(stderr, "augur eval nezha: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    diagnose::DiagnoseCases(*r);
    PrintLocalizationEval(
        *r, o->json,
        fmt::format("Nezha root-cause localization, {} faults ({})", r->cases.size(),
                    r->days.size() == 1 ? r->days[0] : "several days"));
    if (!o->json)
      std::printf(
          "  (Nezha, published: TrainTicket AS@1 0.867, AS@3 0.978; Online Boutique AS@1 0.929, "
          "AS@3 0.964)\n");
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
