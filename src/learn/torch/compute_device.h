// Where the libtorch models compute: the CPU, or a CUDA GPU when augur is built against a CUDA
// build of libtorch (docs/gpu.md). No libtorch include: the CLI and the benchmarks use it.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace augur::learn {

// Chooses the device for every model trained or loaded afterwards: "auto" (the first CUDA GPU
// when this libtorch has CUDA and sees one, else the CPU), "cpu", "cuda" or "cuda:N". Call it at
// start-up, before any model exists. Errors name the spec and why (this libtorch has no CUDA; no
// such GPU). Without a call, the first model reads AUGUR_DEVICE from the environment ("auto" when
// unset; a bad value falls back to the CPU with a warning).
Status SelectComputeDevice(std::string_view spec);

// The device in use, as libtorch names it ("cpu", "cuda:0").
std::string ComputeDeviceName();

// How many CUDA GPUs this libtorch sees (0 for a CPU-only libtorch such as Debian's).
int CudaDeviceCount();

// Sets libtorch's intra-op CPU thread count for the process (the tests use 1); <= 0 leaves it.
void SetTorchThreads(int threads);

}  // namespace augur::learn
