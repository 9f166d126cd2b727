// `augur eval nezha`: root-cause localization on a Nezha-style folder, AS@1/3/5 at service level.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
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
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data, "Folder holding construct_data/ and rca_data/")->required();
  cmd->add_option("--day", o->day, "Only this day (folder name under rca_data)");
  cmd->add_option("--minute-offset", o->offset, "Minute file after inject_time to localize from")
      ->capture_default_str();
  cmd->add_option("--propagation", o->propagation,
                  "Noisy-OR weight of a failing callee on its caller (0 = rank by each service's "
                  "own evidence)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &g] {
    localize::NezhaEvalOptions opt;
    opt.day = o->day;
    opt.minute_offset = o->offset;
    opt.config.propagation = o->propagation;
    auto r = localize::EvalNezha(o->data, opt);
    if (!r) {
      std::fprintf(stderr, "augur eval nezha: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (o->json) {
      nlohmann::json cases = nlohmann::json::array();
      for (const auto& c : r->cases)
        cases.push_back({{"inject_time", c.fault.inject_time},
                         {"truth", c.fault.service},
                         {"type", c.fault.type},
                         {"ranking", c.ranking}});
      nlohmann::json j = {{"faults", r->cases.size()},
                          {"as1", r->as1},
                          {"as3", r->as3},
                          {"as5", r->as5},
                          {"cases", cases}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf(
          "Nezha root-cause localization, %zu faults (%s), learned in %.1f s, %.1f s in all\n\n",
          r->cases.size(), r->days.size() == 1 ? r->days[0].c_str() : "several days",
          r->learn_seconds, r->seconds);
      std::printf("%-20s %-16s %-34s %5s %-30s %7s\n", "inject_time", "type", "truth", "rank",
                  "top-ranked", "seconds");
      for (const auto& c : r->cases)
        std::printf("%-20s %-16s %-34s %5s %-30s %7.2f%s%s\n", c.fault.inject_time.c_str(),
                    c.fault.type.c_str(), c.fault.service.c_str(),
                    c.rank ? std::to_string(c.rank).c_str() : "-",
                    c.ranking.empty() ? "-" : c.ranking[0].c_str(), c.seconds,
                    c.note.empty() ? "" : "  ", c.note.c_str());
      std::printf("\n  AS@1  %.3f\n  AS@3  %.3f\n  AS@5  %.3f\n", r->as1, r->as3, r->as5);
      std::printf("  (Nezha, published, TrainTicket: AS@1 0.867, AS@3 0.978)\n");
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
