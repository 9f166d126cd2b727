#include "learn/torch/sentence_encoder.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "learn/torch/compute_device.h"
#include "learn/torch/torch_device.h"
#include "learn/torch/torch_error.h"

namespace augur::learn {

constexpr const char* kEncoderMeta = "augur_encoder.json";

struct SentenceEncoder::Impl {
  std::string path;
  mutable torch::jit::Module module;
  std::unique_ptr<WordPiece> tok;
  int dim = 0;

  // One forward pass over a padded batch; [n, dim] on success.
  Result<torch::Tensor> Forward(const std::vector<std::string>& texts, size_t lo, size_t hi) const {
    std::vector<std::vector<int64_t>> ids;
    size_t longest = 0;
    for (size_t i = lo; i < hi; ++i) {
      ids.push_back(tok->Encode(texts[i]));
      longest = std::max(longest, ids.back().size());
    }
    const auto n = static_cast<int64_t>(ids.size());
    auto input = torch::full({n, static_cast<int64_t>(longest)}, tok->pad_id(), torch::kLong);
    auto mask = torch::zeros({n, static_cast<int64_t>(longest)}, torch::kLong);
    auto in_a = input.accessor<int64_t, 2>();
    auto mask_a = mask.accessor<int64_t, 2>();
    for (int64_t r = 0; r < n; ++r)
      for (size_t c = 0; c < ids[r].size(); ++c) {
        in_a[r][c] = ids[r][c];
        mask_a[r][c] = 1;
      }
    try {
      torch::NoGradGuard no_grad;
      const auto dev = TorchDevice();
      auto out = module.forward({input.to(dev), mask.to(dev)});
      if (!out.isTensor())
        return Result<torch::Tensor>::Error(path + ": forward did not return a tensor");
      auto t = out.toTensor().to(torch::kFloat).contiguous().cpu();
      if (t.dim() != 2 || t.size(0) != n)
        return Result<torch::Tensor>::Error(path + ": forward must return [batch, dim], returned " +
                                            std::to_string(t.dim()) + " dimensions");
      return t;
    } catch (const std::exception& e) {
      return Result<torch::Tensor>::Error(path + ": forward failed: " + TorchErrorText(e));
    }
  }
};

SentenceEncoder::SentenceEncoder() : impl_(std::make_unique<Impl>()) {}
SentenceEncoder::SentenceEncoder(SentenceEncoder&&) noexcept = default;
SentenceEncoder& SentenceEncoder::operator=(SentenceEncoder&&) noexcept = default;
SentenceEncoder::~SentenceEncoder() = default;

Result<SentenceEncoder> SentenceEncoder::Load(const std::string& path, int threads) {
  using R = Result<SentenceEncoder>;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return R::Error(path + ": no such encoder file");
  SentenceEncoder e;
  e.impl_->path = path;
  torch::jit::ExtraFilesMap extra{{kEncoderMeta, ""}};
  try {
    SetTorchThreads(threads);
    e.impl_->module = torch::jit::load(path, TorchDevice(), extra);
    e.impl_->module.eval();
  } catch (const std::exception& ex) {
    return R::Error(path + ": not a TorchScript module: " + TorchErrorText(ex));
  }
  if (extra[kEncoderMeta].empty())
    return R::Error(path + ": no " + std::string(kEncoderMeta) +
                    " inside (save it with torch.jit.save(m, path, _extra_files={...}); see "
                    "docs/log-lm.md)");
  WordPieceOptions wp;
  try {
    auto j = nlohmann::json::parse(extra[kEncoderMeta]);
    wp.vocab = j.at("vocab").get<std::vector<std::string>>();
    wp.lowercase = j.value("lowercase", true);
    wp.cls_token = j.value("cls_token", wp.cls_token);
    wp.sep_token = j.value("sep_token", wp.sep_token);
    wp.pad_token = j.value("pad_token", wp.pad_token);
    wp.unk_token = j.value("unk_token", wp.unk_token);
    wp.max_length = j.value("max_length", wp.max_length);
  } catch (const std::exception& ex) {
    return R::Error(path + ": bad " + std::string(kEncoderMeta) + ": " + ex.what());
  }
  auto tok = WordPiece::Create(std::move(wp));
  if (!tok) return R::Error(path + ": " + tok.message());
  e.impl_->tok = std::make_unique<WordPiece>(std::move(*tok));
  // A test sentence finds the output width and checks the interface once, up front.
  auto probe = e.impl_->Forward({"connection refused"}, 0, 1);
  if (!probe) return probe.status();
  e.impl_->dim = static_cast<int>(probe->size(1));
  if (e.impl_->dim < 1) return R::Error(path + ": forward returned an empty vector");
  return e;
}

Result<std::vector<float>> SentenceEncoder::Embed(const std::vector<std::string>& texts,
                                                  size_t batch) const {
  std::vector<float> out;
  out.reserve(texts.size() * static_cast<size_t>(impl_->dim));
  batch = std::max<size_t>(batch, 1);
  for (size_t lo = 0; lo < texts.size(); lo += batch) {
    const size_t hi = std::min(texts.size(), lo + batch);
    auto t = impl_->Forward(texts, lo, hi);
    if (!t) return t.status();
    if (t->size(1) != impl_->dim)
      return Result<std::vector<float>>::Error(impl_->path + ": forward changed its width");
    const float* p = t->data_ptr<float>();
    for (size_t r = 0; r < hi - lo; ++r) {
      const float* row = p + r * impl_->dim;
      double n = 0;
      for (int i = 0; i < impl_->dim; ++i) n += double(row[i]) * row[i];
      n = std::sqrt(n);
      for (int i = 0; i < impl_->dim; ++i)
        out.push_back(n > 0 ? static_cast<float>(row[i] / n) : 0.f);
    }
  }
  return out;
}

int SentenceEncoder::dim() const {
  return impl_->dim;
}
const std::string& SentenceEncoder::path() const {
  return impl_->path;
}

}  // namespace augur::learn
