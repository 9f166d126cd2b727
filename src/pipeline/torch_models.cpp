#include "pipeline/torch_models.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <regex>

#include "core/module.h"

namespace augur::pipeline {
namespace {

std::mutex g_mutex;
std::string g_device;  // empty: the module's default
std::once_flag g_once;
learn::TorchModels* g_models = nullptr;
std::string g_error;
std::string g_path;

// Settings that libtorch's libraries read when they are loaded, with the module: augur chooses
// them where the user did not, before main, while the process has one thread.

constexpr const char* kOpenBlas = "libopenblas.so.0";
constexpr const char* kSpinCount = "10000";

// Whether a library is loaded already, as in a program linked against libtorch (some tests): then
// it is too late to choose its settings.
bool Loaded(const char* library) {
  void* handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD);
  if (handle) dlclose(handle);
  return handle != nullptr;
}

// The same training gives other weights, and other figures, with other BLAS kernels: a sum's
// rounding depends on its order. OpenBLAS picks its kernels for the CPU it finds (Haswell's on an
// AVX2 CPU, SkylakeX's or Cooperlake's on AVX-512 ones), and the simulator's log-windows precision
// moved from 0.977 to 0.984 with them (docs/BENCHMARKS.md, "The same figures on every machine").
// So augur asks for the kernels every x86-64 CPU with AVX2 and FMA runs.
bool PinBlasKernels() {
#if defined(__x86_64__) && defined(AUGUR_HAVE_TORCH)
  if (std::getenv("OPENBLAS_CORETYPE") || Loaded(kOpenBlas)) return false;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  return setenv("OPENBLAS_CORETYPE", "Haswell", 0) == 0;
#else
  return false;
#endif
}
const bool g_blas_pinned = PinBlasKernels();

// libgomp's threads spin for about 300,000 rounds before they sleep; beside busy processes they
// take turns with them, and training slowed from 1.7 s to 66 s beside two busy loops on two cores.
// A short spin kept it at 6-14 s there, for 5-15 % on an idle machine (docs/cli.md, "On a busy
// machine"). OMP_WAIT_POLICY or GOMP_SPINCOUNT, when set, decide instead.
bool ShortenOpenMpSpin() {
#ifdef AUGUR_HAVE_TORCH
  if (std::getenv("GOMP_SPINCOUNT") || std::getenv("OMP_WAIT_POLICY") || Loaded("libgomp.so.1"))
    return false;
  return setenv("GOMP_SPINCOUNT", kSpinCount, 0) == 0;
#else
  return false;
#endif
}
const bool g_spin_shortened = ShortenOpenMpSpin();

void Load() {
#ifndef AUGUR_HAVE_TORCH
  g_error = "this augur was built without the libtorch models (cmake -DAUGUR_WITH_TORCH=ON)";
#else
  // Not RTLD_DEEPBIND: the module is to bind to the executable's copy of every augur function and
  // variable the executable has (CMakeLists.txt), and to libtorch for the rest.
  auto opened = OpenModule("libaugur_torch.so", "AUGUR_TORCH_MODULE", AUGUR_TORCH_MODULE_PATH,
                           RTLD_NOW | RTLD_LOCAL);
  if (!opened) {
    g_error = "the libtorch models: " + opened.message();
    return;
  }
  using Entry = learn::TorchModels* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(*opened, learn::kTorchModelsEntry));
  if (!entry) {
    g_error = std::string("the libtorch models: the module has no ") + learn::kTorchModelsEntry +
              " (it was built from another version of augur)";
    return;
  }
  learn::TorchModels* models = entry();
  std::string device;
  {
    std::lock_guard lock(g_mutex);
    device = g_device;
  }
  if (!device.empty())
    if (Status st = models->SelectComputeDevice(device); !st) {
      g_error = "--device: " + st.message();
      return;
    }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(entry), &info) && info.dli_fname) g_path = info.dli_fname;
  g_models = models;
#endif
}

}  // namespace

Status SetTorchDevice(const std::string& spec) {
  static const std::regex kSpec("auto|cpu|cuda(:[0-9]+)?");
  if (!std::regex_match(spec, kSpec))
    return Status::Error("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
  std::lock_guard lock(g_mutex);
  g_device = spec;
  return Status::Ok();
}

Result<learn::TorchModels*> Torch() {
  std::call_once(g_once, Load);
  if (!g_models) return Result<learn::TorchModels*>::Error(g_error);
  return g_models;
}

std::string TorchModulePath() {
  return g_models ? g_path : std::string();
}

std::string BlasKernels() {
  void* blas = dlopen(kOpenBlas, RTLD_LAZY | RTLD_NOLOAD);
  if (!blas) return {};
  using Text = char* (*)();
  auto config = reinterpret_cast<Text>(dlsym(blas, "openblas_get_config"));
  auto core = reinterpret_cast<Text>(dlsym(blas, "openblas_get_corename"));
  std::string out;
  if (config && core) {
    out = std::string(config()) + "; kernels " + core();
    const char* chosen = std::getenv("OPENBLAS_CORETYPE");
    out += g_blas_pinned ? " (chosen by augur: the same figures on every x86-64 CPU with AVX2)"
           : chosen      ? std::string(" (OPENBLAS_CORETYPE=") + chosen + ")"
                         : " (chosen by OpenBLAS for this CPU)";
  }
  dlclose(blas);
  return out;
}

std::string OpenMpWait() {
  if (g_spin_shortened) return std::string("GOMP_SPINCOUNT=") + kSpinCount + " (chosen by augur)";
  for (const char* name : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"})
    if (const char* v = std::getenv(name)) return std::string(name) + "=" + v;
  return "libgomp's default";
}

}  // namespace augur::pipeline
