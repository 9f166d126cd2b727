#include "cli_util.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "commands.h"
#include "diagnose/fault_classifier.h"
#include "pipeline/detectors.h"

namespace augur::app {

void AddReadFlags(CLI::App* cmd, ingest::ReadOptions& read) {
  std::string formats;
  for (const auto& f : ingest::FormatNames()) formats += (formats.empty() ? "" : ", ") + f;
  cmd->add_option("--format", read.format, "Force a format instead of detecting it: " + formats)
      ->check(CLI::IsMember(ingest::FormatNames()));
  cmd->add_flag("--strict", read.strict, "Stop at the first rejected record (exit code 1)");
  cmd->add_option("--service", read.service_override,
                  "Give every record this service (overrides the data)");
  cmd->add_flag("--multiline", read.multiline,
                "Plain text logs: a line without a time of its own continues the record before "
                "it (stack traces), instead of being a record");
}

namespace {

CLI::Validator NumberCheck(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || std::isnan(v))
          return "'" + text + "' is not a number";
        if (v < 0 || (!allow_zero && v == 0) || std::isinf(v))
          return "'" + text + "': must be " + (allow_zero ? "0 or more" : "greater than 0") +
                 " (and finite)";
        return "";
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}

}  // namespace

CLI::Validator Positive() {
  return NumberCheck(false);
}
CLI::Validator NonNegative() {
  return NumberCheck(true);
}

void AddSelectionFlags(CLI::App* cmd, SelectionFlags& flags,
                       const std::vector<std::string>& stages) {
  std::vector<std::string> detectors;
  for (const auto& f : pipeline::DetectorFactories()) detectors.emplace_back(f.name);
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  cmd->add_option("--detectors", flags.only, "Run only these detectors (" + list(detectors) + ")")
      ->delimiter(',')
      ->check(CLI::IsMember(detectors));
  cmd->add_option("--skip-detectors", flags.skip, "Do not run these detectors")
      ->delimiter(',')
      ->check(CLI::IsMember(detectors));
  cmd->add_option("--skip-stage", flags.skip_stages,
                  "Switch pipeline stages off (" + list(stages) + ")")
      ->delimiter(',')
      ->check(CLI::IsMember(stages));
}

void SelectionFlags::Apply(pipeline::DetectorSelection& sel,
                           std::set<std::string>& disabled) const {
  sel.only.insert(only.begin(), only.end());
  sel.skip.insert(skip.begin(), skip.end());
  disabled.insert(skip_stages.begin(), skip_stages.end());
}

void AddLlmFlags(CLI::App* cmd, learn::LlmClientOptions& llm) {
  cmd->add_option("--llm-url", llm.url,
                  "Generate the next lines with an OpenAI-compatible completion server "
                  "(llama.cpp, Ollama, vLLM), e.g. http://127.0.0.1:8080");
  cmd->add_option("--llm-model", llm.model, "The \"model\" field sent to --llm-url");
  cmd->add_option("--llm-timeout", llm.timeout_s, "Seconds a completion may take")
      ->capture_default_str();
  cmd->add_option("--llm-concurrency", llm.concurrency, "Completion requests in flight")
      ->capture_default_str();
  cmd->add_option("--llm-max-tokens", llm.max_tokens, "Tokens per completion (10 lines)")
      ->capture_default_str();
  cmd->add_option("--llm-temperature", llm.temperature, "Sampling temperature (0 = greedy)")
      ->capture_default_str();
}

void AddLogLmFlags(CLI::App* cmd, bool& magnitudes, bool& novelty) {
  cmd->add_option("--log-lm-magnitudes", magnitudes,
                  "log_lm: on = a duration (\"took=2.4ms\", \"5 seconds\") keeps its order of "
                  "magnitude (<*ms:e0>), off = every number is <*> (docs/log-lm.md)")
      ->check(CLI::IsMember({"on", "off", "true", "false"}))
      ->default_str(magnitudes ? "on" : "off");
  cmd->add_option("--log-lm-novelty", novelty,
                  "log_lm: on = a window holding a line its service never wrote in normal logs is "
                  "anomalous, for the services whose held-out normal windows seldom hold one")
      ->check(CLI::IsMember({"on", "off", "true", "false"}))
      ->default_str(novelty ? "on" : "off");
}

void ApplyLlmEnvironment(learn::LlmClientOptions& llm) {
  if (const char* key = std::getenv("AUGUR_LLM_API_KEY")) llm.api_key = key;
}

nlohmann::json StagesJson(const std::vector<pipeline::StageTiming>& stages) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : stages)
    j.push_back({{"stage", s.name}, {"seconds", s.seconds}, {"ran", s.ran}, {"note", s.note}});
  return j;
}

void PrintStages(const std::vector<pipeline::StageTiming>& stages) {
  std::printf("Stages:\n");
  for (const auto& s : stages)
    std::printf("  %-28s %8.2f s%s%s\n", s.name.c_str(), s.seconds, s.note.empty() ? "" : "  ",
                s.ran ? s.note.c_str() : ("skipped: " + s.note).c_str());
}

void PrintSkipped(const std::vector<std::pair<std::string, std::string>>& skipped) {
  for (const auto& [d, why] : skipped) {
    const bool named = why.rfind(d + ": ", 0) == 0;  // messages usually name the detector
    std::printf("  skipped  %s%s%s\n", named ? "" : d.c_str(), named ? "" : ": ", why.c_str());
  }
}

void PrintRejects(const ingest::RejectStats& rejected) {
  if (!rejected.count) return;
  std::printf("%llu record(s) rejected:\n", (unsigned long long)rejected.count);
  for (size_t i = 0; i < rejected.first.size() && i < 5; ++i)
    std::printf("  %s\n", rejected.first[i].c_str());
}

void NextKeyModelFlags::Add(CLI::App* cmd, const std::string& epochs_help,
                            const std::string& seed_help) {
  cmd->add_option("--window", window, "Keys of context (alpha)")->capture_default_str();
  cmd->add_option("--epochs", epochs, epochs_help)->capture_default_str();
  cmd->add_option("--seed", seed, seed_help)->capture_default_str();
  cmd->add_option("--threads", threads, "libtorch threads")->capture_default_str();
}

void PrintLocalizationEval(const localize::NezhaEvalResult& r, bool json,
                           const std::string& title) {
  if (json) {
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& c : r.cases)
      cases.push_back({{"inject_time", c.fault.inject_time},
                       {"truth", c.fault.service},
                       {"type", c.fault.type},
                       {"ranking", c.ranking},
                       {"diagnosed_type", c.diagnosed},
                       {"diagnosed_type_truth", c.diagnosed_truth},
                       {"inner_label", c.inner_label},
                       {"inner_rank", c.inner_rank},
                       {"rank", c.rank},
                       {"note", c.note}});
    nlohmann::json j = {
        {"faults", r.cases.size()},
        {"as1", r.as1},
        {"as3", r.as3},
        {"as5", r.as5},
        {"fault_type",
         {{"cases", r.type_cases},
          {"accuracy", r.type_accuracy},
          {"accuracy_top_ranked", r.type_accuracy_top}}},
        {"inner_service", {{"cases", r.inner_cases}, {"hit1", r.inner1}, {"hit3", r.inner3}}},
        {"cases", cases}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s, learned in %.1f s, %.1f s in all\n\n", title.c_str(), r.learn_seconds,
              r.seconds);
  std::printf("%-30s %-16s %-34s %5s %-30s %-18s %7s\n", "inject_time", "type", "truth", "rank",
              "top-ranked", "diagnosed (truth)", "seconds");
  for (const auto& c : r.cases)
    std::printf("%-30s %-16s %-34s %5s %-30s %-18s %7.2f%s%s\n", c.fault.inject_time.c_str(),
                c.fault.type.c_str(), c.fault.service.c_str(),
                c.rank ? std::to_string(c.rank).c_str() : "-",
                c.ranking.empty() ? "-" : c.ranking[0].c_str(), c.diagnosed_truth.c_str(),
                c.seconds, c.note.empty() ? "" : "  ", c.note.c_str());
  bool header = false;
  for (const auto& c : r.cases) {
    if (c.rank == 1 || c.top.empty()) continue;
    if (!header)
      std::printf(
          "\nWhere the truth was not ranked first, the top of the ranking and the truth:\n");
    header = true;
    std::printf("  %s %s (%s):\n", c.fault.inject_time.c_str(), c.fault.service.c_str(),
                c.fault.type.c_str());
    for (const auto& t : c.top) std::printf("    %.200s\n", t.c_str());
  }
  std::printf("\n  AS@1  %.3f\n  AS@3  %.3f\n  AS@5  %.3f\n", r.as1, r.as3, r.as5);
  std::printf(
      "  fault type right in %.3f of %d case(s) from the true service's evidence, %.3f "
      "from the top-ranked service's\n",
      r.type_accuracy, r.type_cases, r.type_accuracy_top);
  if (r.inner_cases > 0)
    std::printf(
        "  inner-service root cause named by the true service's first evidence item in %.3f of %d "
        "labelled case(s), by one of its first three in %.3f\n",
        r.inner1, r.inner_cases, r.inner3);
  // Host nodes (not scored: AS@k ranks services): how often a machine was put first.
  int host_first = 0, host_ahead = 0;
  for (const auto& c : r.cases) {
    host_first += !c.top_host.empty();
    host_ahead += c.hosts_ahead > 0;
  }
  std::printf("  host node ranked first in %d case(s), above the true service in %d\n", host_first,
              host_ahead);
  // Per fault type: which kinds of fault the localizer finds, and which it does not.
  // faults, at rank 1, in the top 3, type diagnosed right (from the true service's evidence)
  std::map<std::string, std::array<int, 4>> by_type;
  for (const auto& c : r.cases) {
    auto& t = by_type[c.fault.type];
    ++t[0];
    t[1] += c.rank == 1;
    t[2] += c.rank >= 1 && c.rank <= 3;
    t[3] += c.diagnosed_truth == diagnose::FaultTypeOfInjection(c.fault.type);
  }
  std::printf("\n  %-18s %6s %6s %6s %6s  %s\n", "by type", "faults", "AS@1", "AS@3", "type",
              "type to diagnose");
  for (const auto& [type, t] : by_type) {
    const std::string want = diagnose::FaultTypeOfInjection(type);
    std::printf("  %-18s %6d %6.3f %6.3f %6s  %s\n", type.c_str(), t[0], double(t[1]) / t[0],
                double(t[2]) / t[0],
                want.empty() ? "-" : fmt::format("{:.3f}", double(t[3]) / t[0]).c_str(),
                want.empty() ? "(no single type)" : want.c_str());
  }
}

learn::TorchModels* TorchModelsFor(const char* command, int& exit_code) {
  auto models = pipeline::Torch();
  if (models) return *models;
  std::fprintf(stderr, "%s: %s\n", command, models.message().c_str());
  exit_code = kExitUsage;
  return nullptr;
}

}  // namespace augur::app
