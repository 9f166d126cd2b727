// A TorchScript sentence encoder supplied by the user (seed 000 uses MPNet): the log language
// model's optional block embedder, in place of the TF-IDF vectors learned from normal logs.
//
// The file is a TorchScript module saved with torch.jit.save, whose
//   forward(input_ids: LongTensor[B, T], attention_mask: LongTensor[B, T]) -> Tensor[B, D]
// returns one sentence vector per row (pooled; augur normalizes it), and which carries an extra
// file "augur_encoder.json" (torch.jit.save(..., _extra_files=...)) describing its WordPiece
// tokenizer: {"vocab": [token of id 0, 1, ...], "lowercase": true, "cls_token": "<s>",
// "sep_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "max_length": 384}.
// docs/log-lm.md has the script that exports all-mpnet-base-v2 this way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "learn/wordpiece.h"

namespace augur::learn {

class SentenceEncoder {
 public:
  // Fails with a message naming the file: unreadable, not TorchScript, no augur_encoder.json, a
  // forward that does not answer [B, D] for a test sentence.
  static Result<SentenceEncoder> Load(const std::string& path, int threads = 1);
  SentenceEncoder(SentenceEncoder&&) noexcept;
  SentenceEncoder& operator=(SentenceEncoder&&) noexcept;
  ~SentenceEncoder();

  // Unit vectors, one per text, row-major [texts.size(), dim()]; batched `batch` texts at a time.
  Result<std::vector<float>> Embed(const std::vector<std::string>& texts, size_t batch = 32) const;
  int dim() const;
  const std::string& path() const;

 private:
  SentenceEncoder();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::learn
