// `augur localize`: names the service at fault for a window of telemetry, with each service's
// probability of outage and of being the origin (exact Bayesian inference over the service graph).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "core/file.h"
#include "core/time.h"
#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "localize/localizer.h"
#include "normalize/counter_rates.h"
#include "store/redis_sink.h"

namespace augur::app {

namespace {}  // namespace

void RegisterLocalize(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "localize", "Name the service at fault: probability of outage and of origin per service");
  cmd->footer(
      "Example:\n"
      "  augur localize --model model/ --input incident/ --at 2023-01-29T08:45:08Z --out out/\n"
      "  augur localize --normal normal/ --input incident/ --json\n"
      "Writes service_scores.csv, outage_probabilities.csv, localization.json and nodegraph.json\n"
      "(Grafana Node Graph API shape) into --out. Colours: green 0-15 %, yellow 16-45 %, red 46-99 "
      "%.");
  struct Opts {
    std::string model;
    std::vector<std::string> normal, input;
    std::string at, out, redis, topology, format;
    double window_s = 60;
    int top = 10;
    bool json = false;
    bool hosts = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Model bundle written by `augur train`");
  cmd->add_option("--normal", o->normal,
                  "Learn normal behaviour from these paths instead of --model");
  cmd->add_option("--input", o->input, "Files or folders holding the window to explain")
      ->required();
  cmd->add_option("--at", o->at, "End of the window (ISO time; default: the latest record)");
  cmd->add_option("--window", o->window_s, "Window length in seconds (0 = all input)")
      ->capture_default_str()
      ->check(NonNegative());
  cmd->add_option("--out", o->out, "Folder for the CSV and JSON outputs");
  cmd->add_option("--redis", o->redis, "Also write the result to Redis (redis://host:port/db)");
  cmd->add_option("--topology", o->topology,
                  "Extra caller,callee edges (CSV or JSON), e.g. from a service mesh");
  cmd->add_option("--format", o->format, "Force the input format (see `augur inspect --help`)");
  cmd->add_option("--top", o->top, "Services to print")->capture_default_str()->check(Positive());
  cmd->add_flag("--json", o->json, "Print the result as one JSON object");
  cmd->add_flag("--hosts", o->hosts,
                "Add host nodes where the data names each pod's host (k8s.node.name, host.name, "
                "Nezha's log Node column): a machine's failure as a shared cause");
  cmd->callback([o, &g] {
    auto fail = [&](int code, const std::string& msg) {
      std::fprintf(stderr, "augur localize: %s\n", msg.c_str());
      g.exit_code = code;
    };
    if (o->model.empty() == o->normal.empty())
      return fail(kExitUsage, "give exactly one of --model or --normal");
    localize::LocalizerConfig config;
    config.hosts = o->hosts;
    localize::Localizer loc(config);
    ingest::ReadOptions ropt;
    ropt.format = o->format;
    if (!o->model.empty()) {
      auto bundle = learn::ModelBundle::Open(o->model);
      if (!bundle) return fail(kExitUnreadable, bundle.message());
      if (Status s = loc.Load(*bundle); !s) return fail(kExitUnreadable, s.message());
    } else {
      auto normal = ingest::ReadAll(o->normal, ropt);
      if (!normal) return fail(kExitUnreadable, normal.message());
      if (normal->empty())
        return fail(kExitUnreadable,
                    "no telemetry record in the --normal paths (`augur inspect` "
                    "shows what it finds)");
      normalize::CounterRates().Apply(*normal);
      loc.Learn(*normal);
      loc.FinishLearning();
    }
    if (!o->topology.empty())
      if (Status s = loc.AddTopologyFile(o->topology); !s)
        return fail(kExitUnreadable, s.message());
    ingest::ReadReport report;
    auto window = ingest::ReadAll(o->input, ropt, &report);
    if (!window) return fail(kExitUnreadable, window.message());
    normalize::CounterRates().Apply(*window);
    const TimeNs latest = window->LatestTime();
    TimeNs at = latest;
    if (!o->at.empty()) {
      auto t = ParseIsoTime(o->at);
      if (!t) return fail(kExitUsage, "--at \"" + o->at + "\" is not an ISO time");
      at = *t;
    }
    if (window->empty())
      return fail(kExitUnreadable,
                  "no telemetry record in the --input paths (`augur inspect` "
                  "shows what it finds)");
    if (o->window_s > 0 && at > 0) {
      window->KeepWindow(at - static_cast<TimeNs>(o->window_s * 1e9), at + 1);  // [at - w, at]
      if (window->empty())
        return fail(kExitUnreadable,
                    fmt::format("no record of the input lies in the {:g} s before --at {} (its "
                                "latest is at {})",
                                o->window_s, FormatIsoTime(at), FormatIsoTime(latest)));
    }
    auto r = loc.Localize(*window);
    if (!r) return fail(kExitUnreadable, r.message());

    if (!o->out.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(o->out, ec);
      std::filesystem::path dir(o->out);
      for (const auto& [name, text] :
           {std::pair<const char*, std::string>{"service_scores.csv",
                                                localize::ServiceScoresCsv(r->health)},
            {"outage_probabilities.csv", localize::OutageProbabilitiesCsv(*r)},
            {"localization.json", localize::ToJson(*r).dump(2) + "\n"},
            {"nodegraph.json", localize::NodeGraphJson(*r).dump(2) + "\n"}})
        if (Status s = WriteFileAtomic(dir / name, text); !s)
          return fail(kExitUnreadable, s.message());
    }
    if (!o->redis.empty()) {
      auto target = store::ParseRedisUrl(o->redis);
      if (!target) return fail(kExitUsage, target.message());
      const std::string run = FormatIsoTime(r->end > 0 ? r->end : at);
      if (Status s = store::WriteToRedis(*target, *r, run); !s)
        return fail(kExitUnreadable, s.message());
    }
    if (o->json) {
      std::printf("%s\n", localize::ToJson(*r).dump().c_str());
    } else {
      std::printf("window %s .. %s, confidence %.2f\n",
                  r->start ? FormatIsoTime(r->start).c_str() : "-",
                  r->end ? FormatIsoTime(r->end).c_str() : "-", r->confidence);
      for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
      std::printf("\n%-4s %-36s %9s %9s %-7s %s\n", "rank", "service", "P(origin)", "P(outage)",
                  "colour", "strongest evidence");
      for (size_t i = 0; i < r->ranking.size() && static_cast<int>(i) < o->top; ++i) {
        const auto& c = r->ranking[i];
        std::printf("%-4zu %-36s %8.1f%% %8.1f%% %-7s %s\n", i + 1, c.service.c_str(),
                    100 * c.p_origin, 100 * c.p_outage, c.colour.c_str(),
                    c.evidence.empty() ? "" : c.evidence[0].detail.c_str());
        if (!c.pod.empty())  // a service with several pods: the one the failure most likely is in
          std::printf("     pod %s%s%s: %.1f%% of P(origin)\n", c.pod.c_str(),
                      c.pods[0].host.empty() ? "" : " on ", c.pods[0].host.c_str(),
                      c.p_origin > 0 ? 100 * c.pods[0].p_origin / c.p_origin : 0.0);
      }
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
