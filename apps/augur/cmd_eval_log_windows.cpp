// `augur eval log-windows`: seed 000's log language-model detector on labelled log streams.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "learn/torch/log_windows_eval.h"

namespace augur::app {
namespace {

nlohmann::json MetricsJson(const learn::WindowMetrics& m) {
  return {{"accuracy", m.accuracy()},
          {"precision", m.precision()},
          {"recall", m.recall()},
          {"f1", m.f1()},
          {"windows", m.windows()}};
}

struct LogWindowsArgs {
  learn::LogWindowsEvalOptions opt;
  std::string svg = "log-windows-heatmap.svg";
  bool json = false;
  double threshold = -2;
};

}  // namespace

void RegisterEvalLogWindows(CLI::App& eval, Globals& g) {
  auto a = std::make_shared<LogWindowsArgs>();
  auto& c = a->opt.config;
  // One thread by default: two OpenMP threads spin badly when other processes share the cores.
  c.model.threads = 1;
  auto* cmd =
      eval.add_subcommand("log-windows",
                          "Seed 000's log language model: train on normal logs, generate the next "
                          "10 lines of each stream, flag "
                          "blocks whose similarity to the real ones is below the threshold");
  cmd->footer(
      "Example:\n  augur eval log-windows --data ../shared/datasets/loghub-2k/BGL --json\n"
      "  augur eval log-windows --data sim-out --llm-url http://127.0.0.1:8080 --embedder "
      "mpnet.pt\n"
      "DIR may be a simulator output folder, a Nezha folder (rca_data/ + construct_data/) or a "
      "LogHub folder whose\n"
      "<name>.log has per-line labels; the command says which it found.");
  cmd->add_option("--data", a->opt.data, "Labelled log data folder")->required();
  cmd->add_flag("--json", a->json, "Print one JSON object instead of the table");
  cmd->add_option("--svg", a->svg, "Where to write the heatmap (SVG)")->capture_default_str();
  cmd->add_option("--threshold", a->threshold, "Similarity threshold (default 0.8, seed 000)");
  cmd->add_option(
         "--calibrate-fpr", c.calibrate_fpr,
         "Pick the threshold that flags this fraction of held-out normal windows (0 = off)")
      ->capture_default_str();
  cmd->add_option(
         "--service-fpr", c.service_fpr,
         "Lower a service's threshold where more than this fraction of its held-out normal "
         "windows would be flagged (0 = the one threshold for all)")
      ->capture_default_str();
  cmd->add_option("--novelty-fpr", c.novelty_fpr,
                  "A service uses the novelty rule only if at most this fraction of its held-out "
                  "normal windows hold a line never seen in training")
      ->capture_default_str();
  cmd->add_option("--slow-fpr", c.slow_fpr,
                  "Slow rule: per service, the fewest slow lines per window that at most this "
                  "fraction of its held-out normal windows reach (0 = off)")
      ->capture_default_str();
  cmd->add_option("--slow-quantile", c.slow_quantile,
                  "A duration above this quantile of its statement's normal durations is slow")
      ->capture_default_str();
  cmd->add_option("--drift-run", c.drift_run,
                  "Drift rule: a line is anomalous when the median of its statement's last this "
                  "many durations in its stream is above any such median of the normal logs "
                  "times --drift-margin (0 = off)")
      ->capture_default_str();
  cmd->add_option("--drift-margin", c.drift_margin,
                  "Drift rule: how far above the normal logs' highest recent median")
      ->capture_default_str();
  cmd->add_option("--tokenizer", c.tokenizer, "sentencepiece | word")->capture_default_str();
  cmd->add_option("--embedder", c.embedder,
                  "tfidf | model (the generator's pooled line vectors) | FILE: a TorchScript "
                  "sentence encoder (docs/log-lm.md)")
      ->capture_default_str();
  AddLlmFlags(cmd, c.llm);
  AddLogLmFlags(cmd, c.magnitudes, c.novelty);
  cmd->add_option("--tfidf-features", c.tfidf_features,
                  "What the tfidf embedder counts: pieces,lines,transitions")
      ->capture_default_str();
  cmd->add_option("--decoding", c.decoding, "greedy | sample")->capture_default_str();
  cmd->add_option("--samples", c.samples,
                  "Sampled blocks per window (best kept) with --decoding sample")
      ->capture_default_str();
  cmd->add_option("--epochs", c.model.epochs, "Training epochs")->capture_default_str();
  cmd->add_option("--dim", c.model.dim, "Model width")->capture_default_str();
  cmd->add_option("--max-train-steps", c.model.max_train_steps,
                  "Training step cap (big inputs: epochs are cut short, the learning rate decays "
                  "to it)")
      ->capture_default_str();
  cmd->add_option("--max-train-seconds", c.model.max_train_seconds, "Training time cap")
      ->capture_default_str();
  cmd->add_option("--threads", c.model.threads, "libtorch threads")->capture_default_str();
  cmd->add_option("--seed", c.model.seed, "Random seed")->capture_default_str();
  cmd->add_option(
         "--nezha-fault-minutes", a->opt.nezha_fault_minutes,
         "Nezha: minutes after inject_time during which the faulty service's windows are anomalous")
      ->capture_default_str();
  cmd->add_option("--sim-labels", a->opt.sim_labels,
                  "Simulator: which windows of a fault interval are anomalous: requests (the "
                  "faulty pods' and those holding a line of a request the fault touched) or "
                  "services (every window of the target and the services upstream of it)")
      ->check(CLI::IsMember({"requests", "services"}))
      ->capture_default_str();
  cmd->add_option("--save-model", a->opt.save_bundle,
                  "Keep the trained model bundle in this folder");
  cmd->add_option(
      "--windows-out", a->opt.windows_out,
      "Write every scored window (real and generated block, similarity, truth) as JSON lines");
  cmd->callback([a, &g] {
    learn::TorchModels* torch = TorchModelsFor("augur eval log-windows", g.exit_code);
    if (!torch) return;
    if (a->threshold > -2) {
      a->opt.config.threshold = a->threshold;
      a->opt.config.keep_threshold = true;
    }
    ApplyLlmEnvironment(a->opt.config.llm);
    auto r = torch->EvalLogWindows(a->opt);
    if (!r) {
      std::fprintf(stderr, "augur eval log-windows: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (!a->svg.empty()) {
      std::ofstream out(a->svg);
      out << learn::WindowMetricsHeatmapSvg(
          r->scenarios, r->overall,
          fmt::format("log_lm window detection ({}), threshold {:.3f}", r->kind, r->threshold));
      if (!out) std::fprintf(stderr, "augur eval log-windows: cannot write %s\n", a->svg.c_str());
    }
    if (r->windows_failed > 0)
      std::fprintf(stderr,
                   "augur eval log-windows: %llu window(s) could not be generated and are left "
                   "out of the metrics; first failure: %s\n",
                   static_cast<unsigned long long>(r->windows_failed), r->first_error.c_str());
    if (r->overall.windows() == 0 && r->windows_failed > 0) {
      g.exit_code = kExitUnreadable;
      return;
    }
    const bool llm = !a->opt.config.llm.url.empty();
    if (a->json) {
      nlohmann::json j = {{"scenarios", nlohmann::json::object()},
                          {"overall", MetricsJson(r->overall)}};
      for (auto& [name, m] : r->scenarios) j["scenarios"][name] = MetricsJson(m);
      if (llm) {
        j["llm_requests"] = r->llm_requests;
        j["llm_empty"] = r->llm_empty;
        j["windows_failed"] = r->windows_failed;
      }
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("found: %s data (%s)\n", r->kind.c_str(), r->description.c_str());
      std::printf(
          "threshold %.3f; trained on %llu lines in %.1f s; scored %llu lines in %.1f s (%.0f "
          "lines/s)\n",
          r->threshold, static_cast<unsigned long long>(r->train_lines), r->train_seconds,
          static_cast<unsigned long long>(r->score_lines), r->score_seconds,
          r->score_seconds > 0 ? r->score_lines / r->score_seconds : 0.0);
      if (llm)
        std::printf(
            "generated through %s: %llu completion requests while scoring (%llu empty), "
            "%llu window(s) not generated\n",
            a->opt.config.llm.url.c_str(), static_cast<unsigned long long>(r->llm_requests),
            static_cast<unsigned long long>(r->llm_empty),
            static_cast<unsigned long long>(r->windows_failed));
      std::printf("%-28s %9s %9s %9s %9s %8s %6s %6s %6s %6s\n", "scenario", "accuracy",
                  "precision", "recall", "f1", "windows", "tp", "fp", "tn", "fn");
      auto row = [](const std::string& name, const learn::WindowMetrics& m) {
        std::printf("%-28s %9.3f %9.3f %9.3f %9.3f %8llu %6llu %6llu %6llu %6llu\n", name.c_str(),
                    m.accuracy(), m.precision(), m.recall(), m.f1(),
                    static_cast<unsigned long long>(m.windows()),
                    static_cast<unsigned long long>(m.tp), static_cast<unsigned long long>(m.fp),
                    static_cast<unsigned long long>(m.tn), static_cast<unsigned long long>(m.fn));
      };
      for (auto& [name, m] : r->scenarios) row(name, m);
      row("overall", r->overall);
      if (!a->svg.empty()) std::printf("heatmap: %s\n", a->svg.c_str());
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
