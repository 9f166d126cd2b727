// `augur eval trace-injection`: seed 002's protocol (multimodal trace LSTM) on real traces.
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "core/time.h"
#include "ingest/read.h"
#include "learn/torch/trace_injection_eval.h"

namespace augur::app {

void RegisterEvalTraceInjection(CLI::App& eval, Globals& g) {
  auto* cmd = eval.add_subcommand("trace-injection",
                                  "Multimodal trace LSTM (seed 002): inject wrong labels and slow "
                                  "responses into held-out traces");
  cmd->footer(
      "Examples:\n  augur eval trace-injection --data ../shared/datasets/nezha-trainticket --json\n"
      "  augur eval trace-injection --data ../shared/datasets/nezha-trainticket --rt-rule "
      "likelihood\n"
      "Spans are read from the folder (for Nezha: every trace/*.csv). Traces that start within 5 "
      "minutes\n"
      "after a fault of a Nezha fault list, or inside a fault of a simulator run's labels.json "
      "(until its\n"
      "recovery), are left out. Traces are split by time: 60 % train, 10 % validation (rule "
      "calibration),\n"
      "30 % test (each injected once with a wrong label, once with a slow response).");
  struct Opts {
    std::string data;
    int epochs = 60, max_length = 128, threads = 2;
    int min_steps = 1000;  // learn::TraceInjectionOptions's (its header needs libtorch)
    uint64_t seed = 1;
    bool json = false;
    std::string events_out, rt_rule = "auto";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data, "Folder (or file) of spans in any format augur reads")
      ->required();
  cmd->add_option("--epochs", o->epochs, "Most training epochs (early stopping on validation)")
      ->capture_default_str();
  cmd->add_option("--min-steps", o->min_steps,
                  "Fewest optimizer steps, whatever --epochs and early stopping say (small "
                  "inputs have few batches per epoch)")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  cmd->add_option("--max-length", o->max_length,
                  "Events per trace kept (longer traces are truncated)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "libtorch threads")->capture_default_str();
  cmd->add_option("--events-out", o->events_out,
                  "Write every scored trace (train, validation, test; clean and slowed) as a JSON "
                  "line");
  cmd->add_option("--rt-rule", o->rt_rule,
                  "Response-time rule: auto (the Gaussian rule that detects most slow-downs on "
                  "validation), or one of std, robust, tail (two-sided; -one-sided: slower only), "
                  "likelihood (docs/seq.md)")
      ->check(CLI::IsMember({"auto", "std", "std-one-sided", "robust", "robust-one-sided", "tail",
                             "tail-one-sided", "likelihood"}))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &g] {
    learn::TorchModels* torch = TorchModelsFor("augur eval trace-injection", g.exit_code);
    if (!torch) return;
    namespace fs = std::filesystem;
    // Nezha keeps logs and metrics beside the traces: read only the trace files when there are
    // some.
    std::vector<std::string> paths;
    std::error_code ec;
    if (fs::is_directory(o->data, ec))
      for (auto it = fs::recursive_directory_iterator(o->data, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().parent_path().filename() == "trace")
          paths.push_back(it->path().string());
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) paths.push_back(o->data);
    std::vector<Span> spans;
    auto rep = ingest::ReadPaths(paths, {}, [&](Batch& b) {
      for (auto& s : b.spans) spans.push_back(std::move(s));
    });
    if (!rep) {
      std::fprintf(stderr, "augur: %s\n", rep.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    learn::TraceInjectionOptions opt;
    opt.model.max_epochs = o->epochs;
    opt.model.min_steps = o->min_steps;
    opt.model.max_length = o->max_length;
    opt.model.threads = o->threads;
    opt.model.seed = o->seed;
    opt.seed = o->seed;
    opt.events_out = o->events_out;
    if (o->rt_rule != "auto") {
      const std::string& n = o->rt_rule;
      const bool one_sided = n.size() > 10 && n.substr(n.size() - 10) == "-one-sided";
      const std::string base = one_sided ? n.substr(0, n.size() - 10) : n;
      opt.rt_rules = {
          {learn::RtSpreadFromName(base).value_or(learn::RtSpread::kRobust), !one_sided}};
    }
    if (fs::is_directory(o->data, ec))
      opt.exclude = learn::FaultWindows(o->data, 300 * kNsPerSecond);
    auto r = torch->EvalTraceInjection(spans, opt);
    if (!r) {
      std::fprintf(stderr, "augur: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"structural", {{"k1", r->k1}, {"k3", r->k3}, {"k5", r->k5}}},
                          {"response_time", r->response_time},
                          {"false_positive_rate", r->false_positive_rate},
                          {"traces", r->traces}};
      std::printf("%s\n", j.dump().c_str());
      g.exit_code = kExitOk;
      return;
    }
    std::printf(
        "Trace injection, multimodal LSTM: %zu spans, %d training traces (%d epochs, %.1f s), %d "
        "labels,\n"
        "%d traces left out near faults, %d held-out test traces\n",
        spans.size(), r->train_traces, r->train.epochs, r->train.seconds, r->labels, r->excluded,
        r->traces);
    std::printf(
        "rules from validation: structural = outside top-k and p < %g; response time %s beyond z "
        "%.2f\n",
        r->min_probability, r->rt_rule.c_str(), r->rt_z);
    for (const auto& l : r->rt_rules) std::printf("  candidate %s\n", l.c_str());
    std::printf("\n");
    std::printf("  structural accuracy  k=1 %.3f  k=3 %.3f  k=5 %.3f\n", r->k1, r->k3, r->k5);
    std::printf(
        "  response-time accuracy %.3f (flagged at the slowed event itself: %.3f; on validation: "
        "%.3f)\n",
        r->response_time, r->response_time_at_event, r->validation_response_time);
    std::printf(
        "  false-positive rate on clean traces %.3f (structural %.3f, response time %.3f)\n",
        r->false_positive_rate, r->fpr_structural, r->fpr_response_time);
    std::printf(
        "  seed's literal 95 %% rule per event: response-time accuracy %.3f at false-positive rate "
        "%.3f\n",
        r->response_time_at_95, r->fpr_response_time_at_95);
    if (r->likelihood_response_time >= 0)
      std::printf(
          "  likelihood rule instead (bound %.2f from validation): accuracy %.3f at false-positive "
          "rate %.3f (response time %.3f)\n",
          r->likelihood_rt_z, r->likelihood_response_time, r->likelihood_fpr,
          r->likelihood_fpr_response_time);
    std::printf(
        "  model-free baseline (per-label response-time quantiles, bound from validation): "
        "accuracy %.3f\n"
        "    (at the slowed event %.3f) at false-positive rate %.3f\n",
        r->marginal_response_time, r->marginal_at_event, r->marginal_fpr);
    std::printf(
        "  ceilings at 5 %% false positives, bound set on the clean test traces (not a rule): "
        "baseline %.3f\n"
        "    (false-positive rate %.3f), model's rule %.3f (false-positive rate %.3f)\n\n",
        r->marginal_ceiling, r->marginal_ceiling_fpr, r->model_ceiling, r->model_ceiling_fpr);
    auto table = [](const char* title, const std::vector<learn::InjectionBucket>& rows) {
      std::printf("%-10s %6s %6s %6s %6s %6s\n", title, "n", "k=1", "k=3", "k=5", "rt");
      for (const auto& b : rows)
        std::printf("%-10s %6d %6.3f %6.3f %6.3f %6.3f\n", b.name.c_str(), b.structural_n, b.k1,
                    b.k3, b.k5, b.response_time);
      std::printf("\n");
    };
    table("length", r->by_length);
    table("position", r->by_position);
    if (!r->relations.empty()) {
      std::printf("Next-event relations (seed 002 III-D):\n");
      for (const auto& l : r->relations) std::printf("  %s\n", l.c_str());
    }
    if (!r->false_alarms.empty()) {
      std::printf("False alarms on clean traces (first few):\n");
      for (const auto& l : r->false_alarms) std::printf("  %s\n", l.c_str());
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
