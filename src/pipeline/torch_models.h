// The libtorch models (next_key, trace_lstm, log_lm, their evaluations, `augur compare`), from the
// module libaugur_torch.so, loaded the first time a command asks for them: the commands that need
// none start without libtorch (docs/BENCHMARKS.md, "What every command pays to start").
#pragma once

#include <string>

#include "core/result.h"
#include "learn/torch/torch_models.h"

namespace augur::pipeline {

// Whether this augur was built with the libtorch models (cmake -DAUGUR_WITH_TORCH=ON).
#ifdef AUGUR_HAVE_TORCH
inline constexpr bool kTorchBuilt = true;
#else
inline constexpr bool kTorchBuilt = false;
#endif

// The device the models are to compute on (--device: auto, cpu, cuda, cuda:N), chosen when the
// module loads; a device it cannot use (no such GPU) is then Torch()'s error. A spec of another
// form is an error now. Without a call the module reads AUGUR_DEVICE on first use. Call it before
// Torch().
Status SetTorchDevice(const std::string& spec);

// The models. Loads the module on the first call (thread-safe); an error names the module file
// and why it could not be loaded (not built, not found, the device refused), the same on every
// call. $AUGUR_TORCH_MODULE names the file when it is not beside the executable nor in the build.
Result<learn::TorchModels*> Torch();

// The file the module was loaded from; empty until Torch() has loaded it.
std::string TorchModulePath();

// The BLAS the loaded module computes with and its kernels, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH
// NO_AFFINITY Haswell MAX_THREADS=64; kernels Haswell (chosen by augur: ...)"; empty when no
// OpenBLAS is loaded. On x86-64 CPUs with AVX2 and FMA augur asks OpenBLAS for its Haswell kernels
// unless OPENBLAS_CORETYPE is set, so that trained models do not depend on the machine.
std::string BlasKernels();

// How long libtorch's OpenMP threads spin before they sleep: augur sets GOMP_SPINCOUNT=10000
// unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set, so that training beside busy processes does not
// slow down many times over. Returns the setting in force, e.g.
// "GOMP_SPINCOUNT=10000 (chosen by augur)".
std::string OpenMpWait();

}  // namespace augur::pipeline
