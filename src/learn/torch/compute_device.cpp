// The compute device of the libtorch models (learn/torch/compute_device.h).
#include "learn/torch/compute_device.h"

#include <torch/torch.h>

#include <cstdlib>
#include <mutex>
#include <optional>

#include "core/log.h"
#include "learn/torch/torch_device.h"

namespace augur::learn {
namespace {

std::mutex g_mutex;
std::optional<torch::Device> g_device;  // set by SelectComputeDevice or on first use

Result<torch::Device> Resolve(std::string_view spec) {
  using R = Result<torch::Device>;
  const std::string s(spec);
  const int gpus = CudaDeviceCount();
  if (s == "auto" || s.empty())
    return gpus > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (s == "cpu") return torch::Device(torch::kCPU);
  if (s == "cuda" || s.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      return R::Error("device '" + s +
                      "': this libtorch has no CUDA GPU to use (Debian's libtorch is built for "
                      "the CPU only; docs/gpu.md says how to build against a CUDA libtorch)");
    int index = 0;
    if (s.size() > 5) {
      char* end = nullptr;
      const long v = std::strtol(s.c_str() + 5, &end, 10);
      if (*end != '\0' || end == s.c_str() + 5 || v < 0)
        return R::Error("device '" + s + "': expected cuda:N with N a GPU number");
      index = static_cast<int>(v);
    }
    if (index >= gpus)
      return R::Error("device '" + s + "': there is no such GPU (" + std::to_string(gpus) +
                      " seen)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  return R::Error("device '" + s + "': expected auto, cpu, cuda or cuda:N");
}

}  // namespace

Status SelectComputeDevice(std::string_view spec) {
  auto d = Resolve(spec);
  if (!d) return d.status();
  std::lock_guard lock(g_mutex);
  g_device = *d;
  return Status::Ok();
}

torch::Device TorchDevice() {
  std::lock_guard lock(g_mutex);
  if (!g_device) {
    const char* env = std::getenv("AUGUR_DEVICE");
    auto d = Resolve(env ? env : "auto");
    if (!d) LogWarn("AUGUR_DEVICE: {}; using the CPU", d.message());
    g_device = d ? *d : torch::Device(torch::kCPU);
  }
  return *g_device;
}

std::string ComputeDeviceName() {
  return TorchDevice().str();
}

int CudaDeviceCount() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

void SetTorchThreads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

}  // namespace augur::learn
