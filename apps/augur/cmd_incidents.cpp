// `augur incidents list|show ID`: read incidents back from the SQLite store.
#include <cstdio>

#include "commands.h"
#include "core/time.h"
#include "store/store.h"

namespace augur::app {

void RegisterIncidents(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("incidents", "List or show incidents stored by `augur detect`");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>("out/augur.db");
  cmd->add_option("--db", *db, "SQLite database (default out/augur.db)");
  cmd->add_flag("--json", g.json, "Print JSON");
  cmd->footer("Example:\n  augur incidents --db out/augur.db list\n  augur incidents --db out/augur.db show 1");

  auto open = [db, &g]() -> std::unique_ptr<store::Store> {
    if (!std::filesystem::exists(*db)) {
      std::fprintf(stderr, "augur incidents: %s: no such database (run `augur detect` first)\n", db->c_str());
      g.exit_code = kExitUnreadable;
      return nullptr;
    }
    auto s = store::Store::Open(*db);
    if (!s) {
      std::fprintf(stderr, "augur incidents: %s\n", s.message().c_str());
      g.exit_code = kExitUnreadable;
      return nullptr;
    }
    return std::move(*s);
  };

  auto* list = cmd->add_subcommand("list", "List the most recent incidents");
  auto limit = std::make_shared<size_t>(50);
  list->add_option("-n,--limit", *limit, "How many (default 50)");
  list->callback([open, limit, &g] {
    auto s = open();
    if (!s) return;
    auto rows = s->ListIncidents(*limit);
    if (!rows) {
      std::fprintf(stderr, "augur incidents: %s\n", rows.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (g.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : *rows)
        j.push_back({{"id", r.id}, {"run_id", r.run_id}, {"incident", r.incident_id}, {"start", FormatIsoTime(r.start)},
                     {"end", FormatIsoTime(r.end)}, {"root_cause", r.root_cause}, {"probability", r.probability},
                     {"fault_type", r.fault_type}, {"summary", r.summary}});
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    if (rows->empty()) std::printf("No incidents stored.\n");
    for (const auto& r : *rows)
      std::printf("%4lld  run %-4lld %-8s %s\n", (long long)r.id, (long long)r.run_id, r.incident_id.c_str(),
                  r.summary.c_str());
  });

  auto* show = cmd->add_subcommand("show", "Show one incident in full");
  auto id = std::make_shared<int64_t>(0);
  show->add_option("ID", *id, "Incident number from `augur incidents list`")->required();
  show->callback([open, id, &g] {
    auto s = open();
    if (!s) return;
    auto inc = s->GetIncident(*id);
    if (!inc) {
      std::fprintf(stderr, "augur incidents: %s\n", inc.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (!inc->has_value()) {
      std::fprintf(stderr, "augur incidents: no incident %lld\n", (long long)*id);
      g.exit_code = kExitUsage;
      return;
    }
    const auto& j = **inc;
    if (g.json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("Incident %lld (%s of run %lld)\n%s\n\n%s\n\nRanking:\n", (long long)*id,
                j.value("id", "").c_str(), (long long)j.value("run_id", 0LL), j.value("summary", "").c_str(),
                j.value("narrative", "").c_str());
    for (const auto& r : j["ranking"])
      std::printf("  %-28s %5.1f %%  %s\n", r.value("service", "").c_str(), 100 * r.value("probability", 0.0),
                  r.value("level", "").c_str());
    std::printf("\nAnomalies (%zu):\n", j["anomalies"].size());
    size_t n = 0;
    for (const auto& a : j["anomalies"]) {
      if (++n > 20) break;
      std::printf("  %s %-24s %-16s %s\n", a.value("start", "").c_str(), a.value("service", "").c_str(),
                  a.value("detector", "").c_str(), a.value("summary", "").c_str());
    }
  });
}

}  // namespace augur::app
