// `augur version`: prints the version and the optional parts this binary was built with.
#include <cstdio>

#include "commands.h"
#include "ingest/ctf.h"
#ifdef AUGUR_HAVE_TORCH
#include "learn/torch/compute_device.h"
#endif

namespace augur::app {

void RegisterVersion(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print augur's version and build options");
  cmd->callback([&g] {
#ifdef AUGUR_VERSION
    std::printf("augur %s\n", AUGUR_VERSION);
#endif
#ifdef AUGUR_HAVE_TORCH
    constexpr bool torch = true;
#else
    constexpr bool torch = false;
#endif
    std::printf("libtorch models (next_key, trace_lstm, log_lm): %s\n", torch ? "yes" : "no");
#ifdef AUGUR_HAVE_TORCH
    std::printf("libtorch CUDA GPUs: %d; models compute on: %s\n", learn::CudaDeviceCount(),
                learn::ComputeDeviceName().c_str());
#endif
    std::printf("LTTng CTF traces (libbabeltrace2): %s\n", ingest::CtfSupported() ? "yes" : "no");
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
