#include "pipeline/torch_models.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/log.h"
#include "pipeline/detectors.h"

namespace augur::pipeline {
namespace {

TEST(TorchModels, ADeviceOfAnotherFormIsRefusedBeforeAnythingLoads) {
  auto st = SetTorchDevice("gpu0");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("expected auto, cpu, cuda or cuda:N"), std::string::npos);
  EXPECT_FALSE(SetTorchDevice("cuda:x").ok());
  EXPECT_TRUE(SetTorchDevice("cpu").ok());
}

// The module is loaded on first use and makes the pipeline's libtorch detectors.
TEST(TorchModels, TheModuleLoadsOnFirstUseAndMakesTheDetectors) {
  if (!kTorchBuilt) GTEST_SKIP() << "built without libtorch";
  auto torch = Torch();
  ASSERT_TRUE(torch.ok()) << torch.message();
  EXPECT_NE(TorchModulePath().find("libaugur_torch.so"), std::string::npos) << TorchModulePath();
  EXPECT_EQ((*torch)->MakeNextKeyDetector()->name(), "next_key");
  int torch_factories = 0;
  for (const auto& f : DetectorFactories()) {
    if (!f.torch) continue;
    ++torch_factories;
    auto made = f.make(DetectorSettings{});
    ASSERT_TRUE(made.ok()) << f.name << ": " << made.message();
    EXPECT_EQ((*made)->name(), f.name);
  }
  EXPECT_EQ(torch_factories, 3);
}

// The module binds to this executable's copy of augur's code: what it logs reaches the sink set
// here (with a copy of its own it would log into a sink nobody set).
TEST(TorchModels, TheModuleLogsThroughTheExecutablesSink) {
  if (!kTorchBuilt) GTEST_SKIP() << "built without libtorch";
  std::vector<std::string> lines;
  SetLogSink([&](LogLevel, std::string_view m) { lines.emplace_back(m); });
  auto torch = Torch();
  ASSERT_TRUE(torch.ok()) << torch.message();
  std::vector<std::vector<std::string>> seqs;
  for (int i = 0; i < 8; ++i) seqs.push_back({"open", i % 2 ? "read" : "write", "close"});
  learn::NextKeyEvalOptions o;
  o.folds = 2;
  o.model.window = 2;
  o.model.embed = 4;
  o.model.hidden = 4;
  o.model.layers = 1;
  o.model.max_epochs = 1;
  o.model.min_steps = 0;
  o.model.threads = 1;
  auto r = (*torch)->EvalNextKey(seqs, o);
  SetLogSink(nullptr);
  ASSERT_TRUE(r.ok()) << r.message();
  bool fold_logged = false;
  for (const auto& l : lines) fold_logged |= l.find("next-key eval: fold 1/2") != std::string::npos;
  EXPECT_TRUE(fold_logged) << lines.size() << " lines logged";
}

}  // namespace
}  // namespace augur::pipeline
