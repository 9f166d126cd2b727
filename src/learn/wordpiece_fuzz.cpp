// libFuzzer target: WordPiece encodes any bytes into [cls] … [sep] within max_length.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "learn/wordpiece.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const augur::learn::WordPiece kWp = [] {
    augur::learn::WordPieceOptions o;
    o.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "ab", "##b", ".", "x"};
    o.max_length = 32;
    return std::move(*augur::learn::WordPiece::Create(o));
  }();
  auto ids = kWp.Encode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (ids.size() < 2 || ids.size() > 32 || ids.front() != 2 || ids.back() != 3) __builtin_trap();
  return 0;
}
