// `augur eval next-key`: seed 001's protocol (k-fold macro precision/recall/F of next-key
// prediction).
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "learn/torch/next_key_eval.h"

namespace augur::app {

void RegisterEvalNextKey(CLI::App& eval, Globals& g) {
  auto* cmd = eval.add_subcommand(
      "next-key",
      "Next-key LSTM (seed 001): k-fold macro precision/recall/F of next-key prediction");
  cmd->footer(
      "Example:\n  augur eval next-key --data ../shared/datasets/hdfs-100k-sessions --folds 5\n"
      "DATA is HDFS sessions (normal ones are used) or text files with one key sequence per line.");
  struct Opts {
    std::string data;
    int folds = 5;
    NextKeyModelFlags model;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->model.window = 17;
  cmd->add_option("--data", o->data, "Key sequences (folder or file)")->required();
  cmd->add_option("--folds", o->folds, "Cross-validation folds")->capture_default_str();
  o->model.Add(cmd, "Most training epochs per fold", "Random seed");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &g] {
    learn::TorchModels* torch = TorchModelsFor("augur eval next-key", g.exit_code);
    if (!torch) return;
    auto seqs = learn::ReadKeySequences(o->data);
    if (!seqs) {
      std::fprintf(stderr, "augur: %s\n", seqs.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    learn::NextKeyEvalOptions opt;
    o->model.ApplyTo(opt.model);
    opt.folds = o->folds;
    if (Status s = opt.model.Validate(); !s) {
      std::fprintf(stderr, "augur: %s\n", s.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    auto r = torch->EvalNextKey(*seqs, opt);
    if (!r) {
      std::fprintf(stderr, "augur: %s\n", r.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"precision", r->precision},
                          {"recall", r->recall},
                          {"f_score", r->f_score},
                          {"accuracy", r->accuracy},
                          {"sequences", r->sequences},
                          {"predictions", r->predictions},
                          {"keys", r->keys},
                          {"folds", r->folds},
                          {"train_seconds", r->train_seconds}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf(
          "Next-key prediction, %d-fold cross-validation: %zu sequences, %zu keys, %zu "
          "predictions\n",
          r->folds, r->sequences, r->keys, r->predictions);
      std::printf(
          "  macro precision %.4f\n  macro recall    %.4f\n  macro F-score   %.4f\n  top-1 "
          "accuracy  %.4f\n",
          r->precision, r->recall, r->f_score, r->accuracy);
      std::printf("  training %.1f s over all folds\n", r->train_seconds);
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
