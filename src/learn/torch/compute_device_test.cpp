// Unit tests of the compute-device choice: what a CPU-only libtorch (Debian's) accepts and refuses,
// and what a CUDA one accepts; the device in use is restored after each.
#include "learn/torch/compute_device.h"

#include <gtest/gtest.h>

namespace augur::learn {
namespace {

class ComputeDevice : public ::testing::Test {
 protected:
  void SetUp() override { before_ = ComputeDeviceName(); }
  void TearDown() override { EXPECT_TRUE(SelectComputeDevice(before_).ok()); }
  std::string before_;
};

TEST_F(ComputeDevice, CpuIsAlwaysThereAndAutoPrefersAGpu) {
  ASSERT_TRUE(SelectComputeDevice("cpu").ok());
  EXPECT_EQ(ComputeDeviceName(), "cpu");
  ASSERT_TRUE(SelectComputeDevice("auto").ok());
  EXPECT_EQ(ComputeDeviceName(), CudaDeviceCount() > 0 ? "cuda:0" : "cpu");
}

TEST_F(ComputeDevice, CudaIsRefusedWithAReasonWhereThereIsNone) {
  const int gpus = CudaDeviceCount();
  auto st = SelectComputeDevice("cuda");
  if (gpus == 0) {
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("device 'cuda': this libtorch has no CUDA GPU"), std::string::npos)
        << st.message();
  } else {
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(ComputeDeviceName(), "cuda:0");
  }
  auto beyond = SelectComputeDevice("cuda:" + std::to_string(gpus));
  ASSERT_FALSE(beyond.ok());
  if (gpus > 0) {
    EXPECT_NE(beyond.message().find("there is no such GPU"), std::string::npos);
  }
}

TEST_F(ComputeDevice, BadSpecsAreNamed) {
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU"}) {
    auto st = SelectComputeDevice(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find(std::string("device '") + bad + "'"), std::string::npos)
        << st.message();
  }
  EXPECT_EQ(ComputeDeviceName(), before_);  // a refused spec changes nothing
}

}  // namespace
}  // namespace augur::learn
