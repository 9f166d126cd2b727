// `augur train`: learn everything the normal data supports into one model bundle.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "pipeline/pipeline.h"

namespace augur::app {

void RegisterTrain(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("train", "Learn normal behaviour from telemetry into a model bundle");
  auto o = std::make_shared<pipeline::TrainOptions>();
  auto sel = std::make_shared<SelectionFlags>();
  cmd->add_option("-i,--input", o->inputs,
                  "Files or folders of normal telemetry (any supported format)")
      ->required();
  cmd->add_option("-m,--model", o->model_dir, "Model bundle folder to write")->required();
  AddReadFlags(cmd, o->read);
  AddSelectionFlags(cmd, *sel, pipeline::TrainStages());
  AddLlmFlags(cmd, o->detectors.settings.log_lm_llm);
  cmd->add_option("--embedder", o->detectors.settings.log_lm_embedder,
                  "log_lm: a TorchScript sentence encoder FILE as the block embedder "
                  "(docs/log-lm.md)");
  AddLogLmFlags(cmd, o->detectors.settings.log_lm_magnitudes, o->detectors.settings.log_lm_novelty);
  cmd->add_flag("--json", g.json, "Print one JSON object instead of the summary");
  cmd->footer(
      "Example:\n  augur simulate --scenario normal --minutes 30 --out sim/normal\n"
      "  augur train --input sim/normal --model model/\n"
      "  augur train --input sim/normal --model model/ --llm-url http://127.0.0.1:8080 "
      "--embedder mpnet.pt");
  cmd->callback([o, sel, &g] {
    sel->Apply(o->detectors, o->disabled_stages);
    ApplyLlmEnvironment(o->detectors.settings.log_lm_llm);
    ingest::ReadReport read;
    auto r = pipeline::Train(*o, &read);
    if (!r) {
      std::fprintf(stderr, "augur train: %s\n", r.message().c_str());
      g.exit_code = o->read.strict && read.rejected.count ? kExitRejected : kExitUnreadable;
      return;
    }
    if (g.json) {
      nlohmann::json j = {{"model", o->model_dir.string()},      {"models", r->models},
                          {"skipped", nlohmann::json::object()}, {"stages", StagesJson(r->stages)},
                          {"rejected", r->read.rejected.count},  {"manifest", r->manifest}};
      for (auto& [d, why] : r->skipped) j["skipped"][d] = why;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      const auto& data = r->manifest["data"];
      std::printf(
          "Trained %zu model(s) into %s from %zu file(s): %llu spans, %llu log lines, %llu metric "
          "points.\n",
          r->models.size(), o->model_dir.c_str(), r->read.files.size(),
          (unsigned long long)data.value("spans", 0ULL),
          (unsigned long long)data.value("logs", 0ULL),
          (unsigned long long)data.value("metric_points", 0ULL));
      for (const auto& m : r->models) std::printf("  trained  %s\n", m.c_str());
      PrintSkipped(r->skipped);
      PrintStages(r->stages);
      PrintRejects(r->read.rejected);
    }
    g.exit_code = (o->read.strict && r->read.rejected.count) ? kExitRejected : kExitOk;
  });
}

}  // namespace augur::app
