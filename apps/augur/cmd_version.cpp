// `augur version`: prints the version and the optional parts this binary was built with.
#include <cstdio>

#include "commands.h"

namespace augur::app {

void RegisterVersion(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print augur's version and build options");
  cmd->callback([&g] {
#ifdef AUGUR_VERSION
    std::printf("augur %s\n", AUGUR_VERSION);
#endif
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
