// `augur version`: prints the version and the optional parts this binary was built with.
#include <cstdio>
#include <string>

#include "commands.h"
#include "ingest/ctf.h"
#include "pipeline/torch_models.h"

namespace augur::app {

void RegisterVersion(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print augur's version and build options");
  cmd->callback([&g] {
#ifdef AUGUR_VERSION
    std::printf("augur %s\n", AUGUR_VERSION);
#endif
    std::printf("libtorch models (next_key, trace_lstm, log_lm): %s\n",
                pipeline::kTorchBuilt ? "yes" : "no");
    if (pipeline::kTorchBuilt) {
      if (auto torch = pipeline::Torch()) {
        std::printf("libtorch module: %s\n", pipeline::TorchModulePath().c_str());
        std::printf("libtorch CUDA GPUs: %d; models compute on: %s\n", (*torch)->CudaDeviceCount(),
                    (*torch)->ComputeDeviceName().c_str());
        if (std::string blas = pipeline::BlasKernels(); !blas.empty())
          std::printf("libtorch BLAS: %s\n", blas.c_str());
        std::printf("libtorch OpenMP wait: %s\n", pipeline::OpenMpWait().c_str());
      } else {
        std::printf("libtorch module: not loaded: %s\n", torch.message().c_str());
      }
    }
    std::printf("LTTng CTF traces (libbabeltrace2): %s\n", ingest::CtfSupported() ? "yes" : "no");
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
