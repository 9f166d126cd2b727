// The subcommands of the augur binary. Each lives in cmd_<name>.cpp and registers itself through
// one function listed in main.cpp (an explicit list, no static self-registration).
#pragma once

#include <CLI/CLI.hpp>

namespace augur::app {

// Options every command shares.
struct Globals {
  bool quiet = false;
  bool json = false;
  int exit_code = 0;  // set by the command that ran
};

// Exit codes, documented in docs/cli.md.
constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

void RegisterInspect(CLI::App& app, Globals& g);
void RegisterTrain(CLI::App& app, Globals& g);
void RegisterDetect(CLI::App& app, Globals& g);
void RegisterServe(CLI::App& app, Globals& g);
void RegisterIncidents(CLI::App& app, Globals& g);
void RegisterDemo(CLI::App& app, Globals& g);
void RegisterVersion(CLI::App& app, Globals& g);
void RegisterEval(CLI::App& app, Globals& g);
void RegisterParse(CLI::App& app, Globals& g);
void RegisterSimulate(CLI::App& app, Globals& g);
void RegisterLocalize(CLI::App& app, Globals& g);
void RegisterCompare(CLI::App& app, Globals& g);

// `augur eval` subcommands (registered in cmd_eval.cpp), each in cmd_eval_<name>.cpp.
void RegisterEvalLoghub(CLI::App& eval, Globals& g);
void RegisterEvalHdfsSessions(CLI::App& eval, Globals& g);
void RegisterEvalTraceInjection(CLI::App& eval, Globals& g);
void RegisterEvalNextKey(CLI::App& eval, Globals& g);
void RegisterEvalLogWindows(CLI::App& eval, Globals& g);
void RegisterEvalNezha(CLI::App& eval, Globals& g);
void RegisterEvalSim(CLI::App& eval, Globals& g);

}  // namespace augur::app
