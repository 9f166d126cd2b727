// `augur eval hdfs-sessions`: the DeepLog protocol (next-key LSTM) on HDFS block sessions.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#ifdef AUGUR_HAVE_TORCH
#include "learn/torch/hdfs_sessions_eval.h"
#endif

namespace augur::app {

void RegisterEvalHdfsSessions(CLI::App& eval, Globals& g) {
  auto* cmd = eval.add_subcommand("hdfs-sessions",
                                  "Next-key LSTM (DeepLog) on HDFS block sessions: train on normal "
                                  "train sessions, report P/R/F1 on test");
  cmd->footer(
      "Example:\n  augur eval hdfs-sessions --data ../shared/datasets/hdfs-100k-sessions --json\n"
      "The detection rule (top-k or probability threshold) is chosen on a validation split of the "
      "train\n"
      "sessions; the test split is only scored.");
  struct Opts {
    std::string data;
    NextKeyModelFlags model;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data, "Folder holding hdfs_100k_sessions.csv")->required();
  o->model.Add(cmd, "Most training epochs (early stopping on validation)",
               "Random seed (split, initialisation, batches)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &g] {
#ifndef AUGUR_HAVE_TORCH
    std::fprintf(stderr, "augur: this binary was built without libtorch (AUGUR_WITH_TORCH=OFF)\n");
    g.exit_code = kExitUsage;
#else
    learn::HdfsEvalOptions opt;
    o->model.ApplyTo(opt.model);
    if (Status s = opt.model.Validate(); !s) {
      std::fprintf(stderr, "augur: %s\n", s.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    auto r = learn::EvalHdfsSessions(o->data, opt);
    if (!r) {
      std::fprintf(stderr, "augur: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"precision", r->precision},
                          {"recall", r->recall},
                          {"f1", r->f1},
                          {"tp", r->tp},
                          {"fp", r->fp},
                          {"fn", r->fn},
                          {"tn", r->tn},
                          {"train_seconds", r->train_seconds}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf(
          "HDFS sessions, next-key LSTM (window %d, %zu keys, %d epochs, %.1f s training on %zu "
          "sessions)\n",
          o->model.window, r->train.vocabulary, r->train.epochs, r->train_seconds,
          r->train.train_sequences);
      if (r->top_k > 0)
        std::printf("rule chosen on validation: top-%d (validation P %.3f R %.3f F1 %.3f)\n",
                    r->top_k, r->validation_precision, r->validation_recall, r->validation_f1);
      else
        std::printf(
            "rule chosen on validation: probability < %g (validation P %.3f R %.3f F1 %.3f)\n",
            r->threshold, r->validation_precision, r->validation_recall, r->validation_f1);
      std::printf("\n  precision  %.3f\n  recall     %.3f\n  F1         %.3f\n", r->precision,
                  r->recall, r->f1);
      std::printf("  TP %d  FP %d  FN %d  TN %d\n\n", r->tp, r->fp, r->fn, r->tn);
      std::printf(
          "%d of %d test anomalies have exactly the event sequence of a normal training session:\n"
          "no sequence detector can flag them (best possible recall %.3f).\n",
          r->identical_to_normal, r->tp + r->fn,
          r->tp + r->fn ? 1.0 - (double)r->identical_to_normal / (r->tp + r->fn) : 0.0);
      if (!r->missed.empty()) {
        std::printf("Other anomalies missed:\n");
        for (const auto& m : r->missed) std::printf("  %s\n", m.c_str());
      }
      if (!r->false_alarms.empty()) {
        std::printf("False alarms:\n");
        for (const auto& m : r->false_alarms) std::printf("  %s\n", m.c_str());
      }
    }
    g.exit_code = kExitOk;
#endif
  });
}

}  // namespace augur::app
