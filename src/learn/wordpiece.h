// WordPiece tokenization (BERT's, and MPNet's): how a TorchScript sentence encoder exported from
// Hugging Face reads text, so augur can feed such an encoder without Python.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace augur::learn {

struct WordPieceOptions {
  std::vector<std::string> vocab;  // token of each id; continuation pieces start with "##"
  bool lowercase = true;
  std::string cls_token = "[CLS]";  // MPNet: <s>
  std::string sep_token = "[SEP]";  // MPNet: </s>
  std::string pad_token = "[PAD]";  // MPNet: <pad>
  std::string unk_token = "[UNK]";  // MPNet: <unk>
  int max_length = 128;             // ids per text, the two special tokens included
};

class WordPiece {
 public:
  // Fails when the vocabulary lacks one of the special tokens, naming it.
  static Result<WordPiece> Create(WordPieceOptions options);

  // [cls] pieces… [sep], cut to max_length.
  std::vector<int64_t> Encode(std::string_view text) const;
  int64_t pad_id() const { return pad_; }
  const WordPieceOptions& options() const { return opt_; }

 private:
  WordPieceOptions opt_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t cls_ = 0, sep_ = 0, pad_ = 0, unk_ = 0;
  void Word(std::string_view word, std::vector<int64_t>& out) const;
};

}  // namespace augur::learn
