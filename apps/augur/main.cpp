// augur: the command-line front of the engine. Parses flags and dispatches to one cmd_<name>.cpp.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "pipeline/torch_models.h"
#include "ui.h"

namespace {

using Register = void (*)(CLI::App&, augur::app::Globals&);

// Every subcommand, in the order `augur --help` lists them (pipeline order, then tools).
constexpr Register kCommands[] = {
    augur::app::RegisterDemo,      augur::app::RegisterSimulate, augur::app::RegisterInspect,
    augur::app::RegisterParse,     augur::app::RegisterTrain,    augur::app::RegisterDetect,
    augur::app::RegisterServe,     augur::app::RegisterLocalize, augur::app::RegisterCompare,
    augur::app::RegisterIncidents, augur::app::RegisterEval,     augur::app::RegisterVersion,
};

}  // namespace

int main(int argc, char** argv) {
  // glibc malloc returns memory to the OS too eagerly for libtorch's allocation pattern
  // (see ../shared/design/dependencies.md): steps run 1.6-3x slower without this.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);

  augur::app::Globals g;
  CLI::App app{
      "augur: watches a microservice system through its logs, traces, metrics and trace "
      "events;\nlearns its healthy behaviour, flags anomalies, names the service at fault "
      "and explains it.",
      "augur"};
  app.require_subcommand(1);
  app.fallthrough();
  // Options from a file, for a service's settings: a [COMMAND] section per command, its long
  // option names as keys. A key augur does not know is an error, not silently ignored.
  // $AUGUR_CONFIG names a file to read when --config is not given (it must then exist).
  const char* config_env = std::getenv("AUGUR_CONFIG");
  CLI::Option* config = app.set_config(
      "--config", config_env ? config_env : "",
      "Read options from a TOML file: a [COMMAND] section per command (e.g. [serve]), keys the "
      "long option names (docs/cli.md, \"Config files\"); default $AUGUR_CONFIG",
      config_env != nullptr);
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_flag("-q,--quiet", g.quiet, "Print only results and errors");
#ifdef AUGUR_HAVE_TORCH
  std::string device = "auto";
  app.add_option("--device", device,
                 "Where the libtorch models train and score: auto (a CUDA GPU when this build's "
                 "libtorch has one, else the CPU), cpu, cuda, cuda:N")
      ->envname("AUGUR_DEVICE")
      ->capture_default_str()
      ->check([](const std::string& spec) {
        auto st = augur::pipeline::SetTorchDevice(spec);
        return st ? std::string() : st.message();
      });
#endif
#ifdef AUGUR_VERSION
  app.set_version_flag("--version",
                       "augur " AUGUR_VERSION " (`augur version` lists build options)");
#endif
  app.footer("Run `augur COMMAND --help` for a command's options and an example.");
  for (Register r : kCommands) r(app, g);
  app.parse_complete_callback([&] { augur::app::InstallConsoleSinks(g.quiet); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {  // CLI11 names the key, not the file
    std::fprintf(stderr,
                 "augur: %s: %s (sections are commands, keys their long option names: `augur "
                 "COMMAND --help` lists them)\n",
                 config->as<std::string>().c_str(), e.what());
    return augur::app::kExitUsage;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return augur::app::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "augur: %s\n", e.what());
    return augur::app::kExitUsage;
  }
  return g.exit_code;
}
