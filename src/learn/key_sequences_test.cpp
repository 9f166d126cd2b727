#include "learn/key_sequences.h"

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace augur::learn {
namespace {

// Text files: one sequence per line, keys separated by spaces; blank lines are no sequence, and a
// folder's files are read in name order.
TEST(KeySequences, ReadsTextFilesInNameOrder) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "b.txt", "c d\n");
  testing::WriteFile(dir.path() / "a.txt", "a  b a\n\n   \nb\n");
  auto seqs = ReadKeySequences(dir.path().string());
  ASSERT_TRUE(seqs.ok()) << seqs.message();
  ASSERT_EQ(seqs->size(), 3u);
  EXPECT_EQ((*seqs)[0], (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_EQ((*seqs)[1], (std::vector<std::string>{"b"}));
  EXPECT_EQ((*seqs)[2], (std::vector<std::string>{"c", "d"}));
}

TEST(KeySequences, NamesThePathThatHoldsNone) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "empty.txt", "\n\n");
  auto none = ReadKeySequences(dir.path().string());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("no key sequences found"), std::string::npos) << none.message();
  EXPECT_FALSE(ReadKeySequences((dir.path() / "absent").string()).ok());
}

}  // namespace
}  // namespace augur::learn
