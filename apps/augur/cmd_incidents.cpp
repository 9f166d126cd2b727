// `augur incidents list|show ID|ask ID QUESTION`: read incidents back from the SQLite store and
// answer questions about them.
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "core/time.h"
#include "learn/llm_client.h"
#include "pipeline/ask.h"
#include "store/store.h"

namespace augur::app {

void RegisterIncidents(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("incidents", "List, show or ask about incidents stored by `augur detect`");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>("out/augur.db");
  cmd->add_option("--db", *db, "SQLite database (default out/augur.db)");
  cmd->add_flag("--json", g.json, "Print JSON");
  cmd->footer(
      "Example:\n"
      "  augur incidents --db out/augur.db list\n"
      "  augur incidents --db out/augur.db show 1\n"
      "  augur incidents --db out/augur.db ask 1 why");

  auto open = [db, &g]() -> std::unique_ptr<store::Store> {
    if (!std::filesystem::exists(*db)) {
      std::fprintf(stderr, "augur incidents: %s: no such database (run `augur detect` first)\n",
                   db->c_str());
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
  list->add_option("-n,--limit", *limit, "How many (default 50)")->check(Positive());
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
      for (const auto& r : *rows) j.push_back(store::IncidentRowJson(r));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    if (rows->empty()) std::printf("No incidents stored.\n");
    for (const auto& r : *rows)
      std::printf("%4lld  run %-4lld %-8s %s\n", (long long)r.id, (long long)r.run_id,
                  r.incident_id.c_str(), r.summary.c_str());
  });

  // One stored incident's record, or nullopt after saying why.
  auto load = [open, &g](int64_t id) -> std::optional<nlohmann::json> {
    auto s = open();
    if (!s) return std::nullopt;
    auto inc = s->GetIncident(id);
    if (!inc) {
      std::fprintf(stderr, "augur incidents: %s\n", inc.message().c_str());
      g.exit_code = kExitUnreadable;
      return std::nullopt;
    }
    if (!inc->has_value()) {
      std::fprintf(stderr, "augur incidents: no incident %lld\n", (long long)id);
      g.exit_code = kExitUsage;
    }
    return *inc;
  };

  auto* show = cmd->add_subcommand("show", "Show one incident in full");
  auto id = std::make_shared<int64_t>(0);
  show->add_option("ID", *id, "Incident number from `augur incidents list`")->required();
  show->callback([load, id, &g] {
    auto inc = load(*id);
    if (!inc) return;
    const auto& j = *inc;
    if (g.json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("Incident %lld (%s of run %lld)\n%s\n\n%s\n\nRanking:\n", (long long)*id,
                j.value("id", "").c_str(), (long long)j.value("run_id", 0LL),
                j.value("summary", "").c_str(), j.value("narrative", "").c_str());
    for (const auto& r : j["ranking"]) {
      const auto outage = r.find("outage_probability");
      std::string level = r.value("level", "");
      if (outage != r.end() && outage->is_number())
        level = fmt::format("{:.0f} % {}", 100 * outage->get<double>(), level);
      std::printf("  %-28s origin %5.1f %%  outage %s\n", r.value("service", "").c_str(),
                  100 * r.value("probability", 0.0), level.c_str());
    }
    std::printf("\nAnomalies (%zu):\n", j["anomalies"].size());
    size_t n = 0;
    for (const auto& a : j["anomalies"]) {
      if (++n > 20) break;
      std::printf("  %s %-24s %-16s %s\n", a.value("start", "").c_str(),
                  a.value("service", "").c_str(), a.value("detector", "").c_str(),
                  a.value("summary", "").c_str());
    }
  });

  // The on-call's verdict on an incident, and how augur did by all verdicts so far.
  struct LabelOpts {
    store::Label label;
    bool confirmed = false, false_alarm = false;
  };
  auto lo = std::make_shared<LabelOpts>();
  auto* label = cmd->add_subcommand("label", "Record the on-call's verdict on one incident");
  label->add_option("ID", lo->label.incident, "Incident number from `augur incidents list`")
      ->required();
  auto* confirmed = label->add_flag("--confirmed", lo->confirmed, "It was a real fault");
  label->add_flag("--false-alarm", lo->false_alarm, "It was no fault")->excludes(confirmed);
  label->add_option("--root-cause", lo->label.root_cause,
                    "The service at fault, as found (with --confirmed)");
  label->add_option("--note", lo->label.note, "What was found");
  label->footer(
      "Examples:\n  augur incidents --db state/augur.db label 12 --confirmed --root-cause carts "
      "--note 'db pool exhausted'\n  augur incidents --db state/augur.db label 13 --false-alarm\n"
      "A later label of the same incident replaces the earlier one in `augur incidents accuracy`.");
  label->callback([open, lo, &g] {
    if (lo->confirmed == lo->false_alarm) {
      std::fprintf(stderr, "augur incidents label: say --confirmed or --false-alarm\n");
      g.exit_code = kExitUsage;
      return;
    }
    lo->label.verdict = lo->confirmed ? "confirmed" : "false_alarm";
    auto s = open();
    if (!s) return;
    auto added = s->AddLabel(lo->label);
    if (!added) {
      std::fprintf(stderr, "augur incidents label: %s\n", added.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    if (g.json) {
      std::printf("%s\n", store::LabelJson(*added).dump(2).c_str());
      return;
    }
    std::string what = lo->label.verdict;
    if (!lo->label.root_cause.empty()) what += ", root cause " + lo->label.root_cause;
    std::printf("Incident %lld labelled %s.\n", (long long)lo->label.incident, what.c_str());
  });

  auto* accuracy =
      cmd->add_subcommand("accuracy", "How augur did, by the verdicts given with `label`");
  accuracy->callback([open, &g] {
    auto s = open();
    if (!s) return;
    auto a = s->Accuracy();
    if (!a) {
      std::fprintf(stderr, "augur incidents accuracy: %s\n", a.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (g.json) {
      std::printf("%s\n", store::LabelAccuracyJson(*a).dump(2).c_str());
      return;
    }
    auto pct = [](int64_t n, int64_t of) {
      return of ? fmt::format("{:.0f} % ({} of {})", 100.0 * n / of, n, of) : std::string("-");
    };
    std::printf("Incidents stored:       %lld, labelled %lld\n", (long long)a->incidents,
                (long long)a->labelled);
    std::printf("Precision:              %s real faults; %lld false alarm(s)\n",
                pct(a->confirmed, a->labelled).c_str(), (long long)a->false_alarms);
    std::printf("Root cause ranked 1st:  %s\n", pct(a->root_cause_at1, a->with_root_cause).c_str());
    std::printf("Root cause in the top 3: %s\n",
                pct(a->root_cause_at3, a->with_root_cause).c_str());
  });

  // Questions about one incident (seed 000's chatbot): answered from its record, or by a language
  // model given that record (docs/cli.md).
  struct AskOpts {
    int64_t id = 0;
    std::vector<std::string> words;
    learn::LlmClientOptions llm;
  };
  auto ask_o = std::make_shared<AskOpts>();
  ask_o->llm.max_tokens = 300;
  ask_o->llm.concurrency = 1;
  auto* ask = cmd->add_subcommand("ask", "Ask a question about one incident");
  ask->add_option("ID", ask_o->id, "Incident number from `augur incidents list`")->required();
  ask->add_option("QUESTION", ask_o->words, "The question, e.g. \"why shipping?\"")->required();
  ask->add_option("--llm-url", ask_o->llm.url,
                  "Answer with an OpenAI-compatible completion server (llama.cpp, Ollama, vLLM) "
                  "given the incident's record, e.g. http://127.0.0.1:8080; without it, augur's "
                  "built-in answerer replies");
  ask->add_option("--llm-model", ask_o->llm.model, "The \"model\" field sent to --llm-url");
  ask->add_option("--llm-timeout", ask_o->llm.timeout_s, "Seconds the answer may take")
      ->capture_default_str();
  ask->add_option("--llm-max-tokens", ask_o->llm.max_tokens, "Tokens in the answer")
      ->capture_default_str();
  ask->footer(
      "Examples:\n  augur incidents --db out/augur.db ask 1 which service is failing\n"
      "  augur incidents --db out/augur.db ask 1 why\n"
      "  augur incidents --db out/augur.db ask 1 what should I do --llm-url http://127.0.0.1:8080\n"
      "The built-in answerer knows: which service, why, what kind of fault, when, what else is "
      "affected, how sure, what to do.");
  ask->callback([load, ask_o, &g] {
    auto inc = load(ask_o->id);
    if (!inc) return;
    std::string question;
    for (const auto& w : ask_o->words) question += (question.empty() ? "" : " ") + w;
    ApplyLlmEnvironment(ask_o->llm);
    auto a = pipeline::AskIncident(*inc, question, ask_o->llm);
    if (!a) {
      std::fprintf(stderr, "augur incidents ask: %s\n", a.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    if (!a->warning.empty()) std::fprintf(stderr, "augur incidents ask: %s\n", a->warning.c_str());
    if (g.json) {
      std::printf("%s\n", pipeline::AnswerJson(ask_o->id, question, *a).dump(2).c_str());
      return;
    }
    std::printf("%s\n", a->text.c_str());
  });
}

}  // namespace augur::app
