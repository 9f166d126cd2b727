// `augur eval loghub`: template mining accuracy (GA, PA, FGA, FTA) and speed on LogHub's 2k sets
// and LogHub-2.0's full sets with the default miner configuration; JSON fields are documented in
// docs/eval.md.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/log.h"
#include "normalize/loghub_eval.h"

namespace augur::app {

void RegisterEvalLoghub(CLI::App& eval, Globals& g) {
  struct Opts {
    std::string data;
    std::string truth = "corrected";
    std::string input = "raw";
    std::vector<std::string> systems;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = eval.add_subcommand("loghub",
                                  "Log template mining accuracy on LogHub sets (GA, PA, FGA, FTA)");
  cmd->add_option("--data", o->data,
                  "Folder with <System>/<System>_<2k|full>.log beside its *_structured.csv, one "
                  "system's folder, or one such .log file")
      ->required();
  cmd->add_option("--truth", o->truth, "corrected (LogHub-2.0 truth where present) or original")
      ->check(CLI::IsMember({"corrected", "original"}));
  cmd->add_option("--input", o->input,
                  "raw: mine the .log lines, header split off by the detector; content: the "
                  "truth's Content column")
      ->check(CLI::IsMember({"raw", "content"}));
  cmd->add_option("--system", o->systems,
                  "Only these systems (repeatable; a system name or a set name such as "
                  "Apache_full)");
  cmd->add_flag("--json", g.json, "Print one JSON object");
  cmd->footer(
      "Examples:\n  augur eval loghub --data ../shared/datasets/loghub-2k --json\n  augur eval "
      "loghub --data loghub-2.0/Apache/Apache_full.log");
  cmd->callback([o, &g] {
    auto sets = normalize::FindLoghubSets(o->data);
    if (!o->systems.empty()) {
      std::vector<normalize::LoghubSet> chosen;
      for (const auto& want : o->systems) {
        size_t before = chosen.size();
        for (const auto& s : sets)
          if (s.name == want || s.system == want) chosen.push_back(s);
        if (chosen.size() == before)
          std::fprintf(stderr, "augur eval loghub: no set of system %s under %s\n", want.c_str(),
                       o->data.c_str());
      }
      sets = std::move(chosen);
    }
    if (sets.empty()) {
      std::fprintf(stderr,
                   "augur eval loghub: no <System>_<tag>.log with a <System>_<tag>.log_structured"
                   ".csv beside it under %s\n",
                   o->data.c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    normalize::LoghubEvalOptions opt;
    opt.corrected = o->truth == "corrected";
    opt.raw = o->input == "raw";
    nlohmann::json out = {{"systems", nlohmann::json::object()}};
    double sum[8] = {0};
    size_t done = 0;
    int width = 10;
    for (const auto& s : sets) width = std::max(width, static_cast<int>(s.name.size()));
    if (!g.json)
      std::printf("%-*s %6s %6s %6s %6s %6s %6s %6s %8s  %s\n", width, "system", "GA", "PA", "FGA",
                  "FTA", "lines", "truth", "found", "seconds",
                  "header (agreement with truth Content)");
    for (const auto& set : sets) {
      const std::string& s = set.name;
      auto r = normalize::EvaluateLoghubSet(set, opt);
      if (!r) {
        // One unreadable system does not cost the others their scores.
        std::fprintf(stderr, "augur eval loghub: %s: skipped: %s\n", s.c_str(),
                     r.message().c_str());
        out["failed"][s] = r.message();
        continue;
      }
      const auto& sc = r->scores;
      out["systems"][s] = {{"ga", sc.ga},
                           {"pa", sc.pa},
                           {"fga", sc.fga},
                           {"fta", sc.fta},
                           {"lines", sc.lines},
                           {"templates_truth", sc.templates_truth},
                           {"templates_found", sc.templates_found},
                           {"seconds", r->seconds},
                           {"lines_skipped", r->lines_skipped}};
      double v[8] = {sc.ga,
                     sc.pa,
                     sc.fga,
                     sc.fta,
                     (double)sc.lines,
                     (double)sc.templates_truth,
                     (double)sc.templates_found,
                     r->seconds};
      for (int k = 0; k < 8; ++k) sum[k] += v[k];
      ++done;
      LogInfo("{}: truth {}, header {}, content agreement {:.3f}", s, r->truth_file, r->header,
              r->header_agreement);
      if (!g.json)
        std::printf("%-*s %6.3f %6.3f %6.3f %6.3f %6zu %6zu %6zu %8.3f  %s (%.3f)\n", width,
                    s.c_str(), sc.ga, sc.pa, sc.fga, sc.fta, sc.lines, sc.templates_truth,
                    sc.templates_found, r->seconds, r->header.c_str(), r->header_agreement);
      if (r->lines_skipped > 0)
        LogWarn(
            "{}: {} raw lines have no truth row (the truth's parser dropped them); they were "
            "not scored",
            s, r->lines_skipped);
    }
    if (done == 0) {
      std::fprintf(stderr, "augur eval loghub: no system could be scored\n");
      g.exit_code = kExitUnreadable;
      return;
    }
    for (double& x : sum) x /= done;
    out["average"] = {{"ga", sum[0]},
                      {"pa", sum[1]},
                      {"fga", sum[2]},
                      {"fta", sum[3]},
                      {"lines", sum[4]},
                      {"templates_truth", sum[5]},
                      {"templates_found", sum[6]},
                      {"seconds", sum[7]}};
    if (g.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("%-*s %6.3f %6.3f %6.3f %6.3f %6.0f %6.1f %6.1f %8.3f\n", width, "average",
                  sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]);
    }
    g.exit_code = out.contains("failed") ? kExitUnreadable : kExitOk;
  });
}

}  // namespace augur::app
