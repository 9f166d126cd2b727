#include "learn/wordpiece.h"

#include <gtest/gtest.h>

namespace augur::learn {
namespace {

WordPiece Make(int max_length = 16) {
  WordPieceOptions o;
  o.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "time", "##out", "##s", "/", "error", "db", "."};
  o.max_length = max_length;
  auto w = WordPiece::Create(o);
  EXPECT_TRUE(w) << w.message();
  return std::move(*w);
}

TEST(WordPiece, SplitsWordsPunctuationAndPieces) {
  auto w = Make();
  // [CLS] error / db timeout ##s . [SEP]: "timeouts" is time ##out ##s; "Error" lowercased.
  EXPECT_EQ(w.Encode("Error /db timeouts."), (std::vector<int64_t>{2, 8, 7, 9, 4, 5, 6, 10, 3}));
  // A word with an unmatched rest is one unknown token.
  EXPECT_EQ(w.Encode("timex"), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(w.Encode(""), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.pad_id(), 0);
}

TEST(WordPiece, CutsToMaxLengthKeepingSep) {
  auto w = Make(5);
  auto ids = w.Encode("db db db db db db db");
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids.front(), 2);
  EXPECT_EQ(ids.back(), 3);
  // Odd bytes and very long words do not break it.
  auto odd = Make().Encode(std::string(500, 'x') + "\xff\xfe\x01 db");
  EXPECT_EQ(odd, (std::vector<int64_t>{2, 1, 9, 3}));
}

TEST(WordPiece, RefusesAVocabularyWithoutItsSpecialTokens) {
  WordPieceOptions o;
  o.vocab = {"[PAD]", "[UNK]", "[CLS]"};
  auto w = WordPiece::Create(o);
  ASSERT_FALSE(w);
  EXPECT_NE(w.message().find("[SEP]"), std::string::npos);
}

}  // namespace
}  // namespace augur::learn
