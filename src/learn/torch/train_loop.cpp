// The shared LSTM epoch loop (learn/torch/train_loop.h).
#include "learn/torch/train_loop.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "core/log.h"
#include "learn/torch/torch_error.h"

namespace augur::learn {

EpochLoopResult RunEpochs(torch::nn::Module& net, const EpochLoopOptions& o,
                          const std::function<double()>& train_epoch,
                          const std::function<double(double)>& validation_loss) {
  auto keep = [&net](std::stringstream& into) {
    into.str("");
    torch::serialize::OutputArchive a;
    net.save(a);
    a.save_to(into);
  };
  const int64_t per_epoch = std::max<int64_t>(1, o.steps_per_epoch);
  const int64_t min_epochs = (std::max<int64_t>(0, o.min_steps) + per_epoch - 1) / per_epoch;
  const int64_t max_epochs = std::max<int64_t>(o.max_epochs, min_epochs);
  EpochLoopResult r;
  r.validation_loss = std::numeric_limits<double>::infinity();
  std::stringstream best_state;
  keep(best_state);  // a loss that never improves (NaN) leaves the initial weights
  const std::string progress = "training " + o.what;
  int bad = 0;
  for (int epoch = 1; epoch <= max_epochs; ++epoch) {
    net.train();
    r.train_loss = train_epoch();
    net.eval();
    r.epochs = epoch;
    double vloss = validation_loss(r.train_loss);
    LogInfo("{}: epoch {} loss {:.4f} validation {:.4f}", o.what, epoch, r.train_loss, vloss);
    Progress::Update(progress, epoch, static_cast<double>(max_epochs), "epochs");
    if (vloss < r.validation_loss - 1e-4) {
      r.validation_loss = vloss;
      bad = 0;
      keep(best_state);
    } else if (++bad >= o.patience && epoch >= min_epochs) {
      LogInfo("{}: validation loss flat for {} epochs, stopping early", o.what, bad);
      break;
    }
  }
  Progress::Finish(progress);
  torch::serialize::InputArchive in;
  in.load_from(best_state);
  net.load(in);
  net.eval();
  return r;
}

std::string TorchErrorText(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 ? c10->what_without_backtrace() : e.what();
  if (auto at = text.find("Exception raised from"); at != std::string::npos) text.resize(at);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > 300) text = text.substr(0, 297) + "...";
  return text;
}

Status SaveWeights(const torch::nn::Module& net, const std::filesystem::path& file) {
  try {
    torch::serialize::OutputArchive a;
    net.save(a);
    a.save_to(file.string());
  } catch (const std::exception& e) {
    return Status::Error(file.string() + ": cannot write weights: " + TorchErrorText(e));
  }
  return Status::Ok();
}

Status LoadWeights(torch::nn::Module& net, const std::filesystem::path& file) {
  try {
    torch::serialize::InputArchive in;
    in.load_from(file.string(), torch::Device(torch::kCPU));
    net.load(in);
    net.to(TorchDevice());
    net.eval();
  } catch (const std::exception& e) {
    return Status::Error(file.string() + ": cannot load weights: " + TorchErrorText(e));
  }
  return Status::Ok();
}

}  // namespace augur::learn
