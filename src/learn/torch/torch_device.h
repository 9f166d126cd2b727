// The device the libtorch models compute on, as libtorch names it; for src/learn/torch only (the
// rest of augur chooses it through compute_device.h). Modules move there when built or loaded,
// batches when made; what leaves for plain C++ is copied back with .cpu().
#pragma once

#include <c10/core/Device.h>

namespace augur::learn {

c10::Device TorchDevice();

}  // namespace augur::learn
