// The epoch loop shared by the LSTM models (next-key, trace): train an epoch, measure the
// validation loss, keep the best weights, stop when the validation loss stays flat. Includes
// libtorch: for src/learn/torch only.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/result.h"
#include "learn/torch/torch_device.h"

namespace augur::learn {

struct EpochLoopOptions {
  std::string what;  // "trace model": names the model in the log and the progress line
  int max_epochs = 60;
  int patience = 5;  // epochs without a validation improvement before stopping
  // A minimum number of optimizer steps (`steps_per_epoch` in each epoch): training goes on past
  // max_epochs, and does not stop early, until it has taken them. The epochs they need count in
  // the progress total, so that progress and its time estimate stay true.
  int64_t min_steps = 0;
  int64_t steps_per_epoch = 1;
};

struct EpochLoopResult {
  int epochs = 0;
  double train_loss = 0;       // of the last epoch
  double validation_loss = 0;  // the best, whose weights `net` holds on return
};

// Runs epochs of `train_epoch` (returns the epoch's training loss, net in train mode) and
// `validation_loss` (given that training loss, for models without a validation set; net in eval
// mode), then loads the weights of the best validation epoch back into `net` (in eval mode).
EpochLoopResult RunEpochs(torch::nn::Module& net, const EpochLoopOptions& options,
                          const std::function<double()>& train_epoch,
                          const std::function<double(double train_loss)>& validation_loss);

// A module's weights to or from a libtorch archive file; errors name the file and the reason.
// Loading reads the tensors onto the CPU, whatever device saved them, then moves the module to
// TorchDevice(): a bundle trained on a GPU loads on a machine without one.
Status SaveWeights(const torch::nn::Module& net, const std::filesystem::path& file);
Status LoadWeights(torch::nn::Module& net, const std::filesystem::path& file);

}  // namespace augur::learn
