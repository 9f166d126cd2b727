// `augur eval ...`: the built-in evaluations on public data. Each prints a human table by default
// and one JSON object with --json (field names documented in docs/eval.md; scripts read them).
#include "commands.h"

namespace augur::app {
namespace {

using EvalRegistration = void (*)(CLI::App&, Globals&);

// Every evaluation, one line each.
constexpr EvalRegistration kEvals[] = {
    nullptr,
    RegisterEvalLoghub,
    RegisterEvalHdfsSessions,
    RegisterEvalTraceInjection,
    RegisterEvalNextKey,
    RegisterEvalLogWindows,
    RegisterEvalNezha,
    RegisterEvalSim,
};

}  // namespace

void RegisterEval(CLI::App& app, Globals& g) {
  auto* eval =
      app.add_subcommand("eval", "Evaluate augur on public or simulated data (--json for scripts)");
  eval->require_subcommand(1);
  for (EvalRegistration r : kEvals)
    if (r) r(*eval, g);
}

}  // namespace augur::app
