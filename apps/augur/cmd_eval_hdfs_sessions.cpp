// `augur eval hdfs-sessions`: the DeepLog protocol (next-key LSTM) on HDFS block sessions.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "learn/torch/hdfs_sessions_eval.h"

namespace augur::app {

void RegisterEvalHdfsSessions(CLI::App& eval, Globals& g) {
  auto* cmd = eval.add_subcommand("hdfs-sessions",
                                  "Next-key LSTM (DeepLog) on HDFS block sessions: train on normal "
                                  "train sessions, report P/R/F1 on test");
  cmd->footer(
      "Examples:\n  augur eval hdfs-sessions --data ../shared/datasets/hdfs-100k-sessions --json\n"
      "  augur eval hdfs-sessions --data HDFS_v1   (HDFS.log + anomaly_label.csv, parsed by "
      "augur)\n"
      "  augur eval hdfs-sessions --data HDFS_v1/preprocessed/Event_traces.csv\n"
      "The detection rule (top-k or probability threshold) is chosen on a validation split of the "
      "train\n"
      "sessions; the test split is only scored.");
  struct Opts {
    std::string data;
    NextKeyModelFlags model;
    double train_ratio = 0.8;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data,
                  "A sessions CSV (split,BlockId,Label,EventSequence), LogHub's HDFS.log with "
                  "anomaly_label.csv, or its Event_traces.csv; or the folder holding one")
      ->required();
  cmd->add_option("--train-ratio", o->train_ratio,
                  "Inputs without a split: the share of sessions, in order of appearance, that "
                  "is the train split")
      ->check(CLI::Range(0.05, 0.95));
  o->model.Add(cmd, "Most training epochs (early stopping on validation)",
               "Random seed (split, initialisation, batches)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &g] {
    learn::TorchModels* torch = TorchModelsFor("augur eval hdfs-sessions", g.exit_code);
    if (!torch) return;
    learn::HdfsEvalOptions opt;
    o->model.ApplyTo(opt.model);
    opt.train_ratio = o->train_ratio;
    if (Status s = opt.model.Validate(); !s) {
      std::fprintf(stderr, "augur: %s\n", s.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    auto r = torch->EvalHdfsSessions(o->data, opt);
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
      std::printf("input: %s (%s; %zu train, %zu test sessions%s; read in %.1f s)\n",
                  r->files.c_str(), r->layout.c_str(), r->train_sessions, r->test_sessions,
                  r->split_given ? "" : ", split by order of appearance", r->read_seconds);
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
      // At most 20 of each: a full HDFS run has thousands.
      auto list = [](const char* title, const std::vector<std::string>& items) {
        if (items.empty()) return;
        std::printf("%s (%zu):\n", title, items.size());
        for (size_t i = 0; i < items.size() && i < 20; ++i) std::printf("  %s\n", items[i].c_str());
        if (items.size() > 20) std::printf("  ... and %zu more\n", items.size() - 20);
      };
      list("Other anomalies missed", r->missed);
      list("False alarms", r->false_alarms);
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
