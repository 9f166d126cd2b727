// The subword tokenizer of the log language model, learned from normal log lines: Debian's
// SentencePiece (unigram) or a simpler learned word vocabulary. Plain header: no SentencePiece or
// torch.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace augur::learn {

class LogLmTokenizer {
 public:
  enum class Kind { kSentencePiece, kWord };
  static constexpr int kPad = 0;  // never produced by Encode; pads batches

  // Learns a vocabulary of about `vocab_size` pieces from prepared lines (learn/log_lm_text.h).
  // Lines are distinct texts; `counts` (same length, may be empty) weighs them.
  static Result<LogLmTokenizer> Train(Kind kind, const std::vector<std::string>& lines,
                                      const std::vector<uint64_t>& counts, int vocab_size);
  static Result<LogLmTokenizer> Load(const std::filesystem::path& file);
  Status Save(const std::filesystem::path& file) const;

  LogLmTokenizer(LogLmTokenizer&&) noexcept;
  LogLmTokenizer& operator=(LogLmTokenizer&&) noexcept;
  ~LogLmTokenizer();

  Kind kind() const;
  // Ids in [1, vocab_size()); id 0 is padding. Unknown pieces and characters map to the unknown id.
  // At most `max_pieces` ids (the head of the line).
  std::vector<int> Encode(std::string_view line, size_t max_pieces = 64) const;
  int vocab_size() const;
  int unknown_id() const;

 private:
  struct Impl;
  explicit LogLmTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::learn
