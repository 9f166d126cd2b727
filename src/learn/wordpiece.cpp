#include "learn/wordpiece.h"

#include <algorithm>
#include <cctype>

namespace augur::learn {
namespace {

// BERT's basic tokenizer splits at every ASCII punctuation character (and keeps it as a token).
bool IsPunct(unsigned char c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

constexpr size_t kMaxWordBytes = 100;  // longer words become the unknown token, as in BERT

}  // namespace

Result<WordPiece> WordPiece::Create(WordPieceOptions options) {
  WordPiece w;
  w.opt_ = std::move(options);
  if (w.opt_.max_length < 3) return Result<WordPiece>::Error("wordpiece: max_length must be >= 3");
  for (size_t i = 0; i < w.opt_.vocab.size(); ++i)
    w.ids_.emplace(w.opt_.vocab[i], static_cast<int64_t>(i));
  auto need = [&](const std::string& tok, int64_t& id, const char* role) -> Status {
    auto it = w.ids_.find(tok);
    if (it == w.ids_.end())
      return Status::Error("wordpiece: the vocabulary has no " + std::string(role) + " token \"" +
                           tok + "\"");
    id = it->second;
    return Status::Ok();
  };
  if (auto st = need(w.opt_.cls_token, w.cls_, "cls"); !st) return st;
  if (auto st = need(w.opt_.sep_token, w.sep_, "sep"); !st) return st;
  if (auto st = need(w.opt_.pad_token, w.pad_, "pad"); !st) return st;
  if (auto st = need(w.opt_.unk_token, w.unk_, "unknown"); !st) return st;
  return w;
}

void WordPiece::Word(std::string_view word, std::vector<int64_t>& out) const {
  if (word.size() > kMaxWordBytes) {
    out.push_back(unk_);
    return;
  }
  // Greedy longest match first; a word with any unmatched rest is one unknown token.
  const size_t mark = out.size();
  size_t start = 0;
  std::string piece;
  while (start < word.size()) {
    size_t end = word.size();
    int64_t found = -1;
    while (end > start) {
      piece.assign(start > 0 ? "##" : "");
      piece.append(word.substr(start, end - start));
      auto it = ids_.find(piece);
      if (it != ids_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) {
      out.resize(mark);
      out.push_back(unk_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

std::vector<int64_t> WordPiece::Encode(std::string_view text) const {
  std::vector<int64_t> out{cls_};
  const size_t room = static_cast<size_t>(opt_.max_length) - 1;  // keep the place of [sep]
  std::string word;
  auto flush = [&] {
    if (!word.empty() && out.size() < room) Word(word, out);
    word.clear();
  };
  for (unsigned char c : text) {
    if (out.size() >= room) break;
    if (std::isspace(c) || c < 32 || c == 127) {
      flush();
    } else if (IsPunct(c)) {
      flush();
      word.push_back(static_cast<char>(c));
      flush();
    } else {
      word.push_back(opt_.lowercase && c < 128 ? static_cast<char>(std::tolower(c))
                                               : static_cast<char>(c));
    }
  }
  flush();
  if (out.size() > room) out.resize(room);
  out.push_back(sep_);
  return out;
}

}  // namespace augur::learn
