// Terminal output for the CLI: progress bars on a terminal, plain lines otherwise, quiet mode.
#pragma once

#include <string_view>

namespace augur::app {

// Installs the log and progress sinks of the engine (core/log.h) on stderr.
void InstallConsoleSinks(bool quiet);

bool StdoutIsTerminal();

}  // namespace augur::app
