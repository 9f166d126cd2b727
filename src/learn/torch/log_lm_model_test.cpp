#include <gtest/gtest.h>

#include "learn/torch/log_lm_model.h"
#include "learn/torch/log_lm_tokenizer.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

const std::vector<std::string> kLines = {
    "INFO GET /cart received", "INFO loading items of customer <*>",
    "INFO cart <*> holds <*> items", "INFO GET /cart done in <*> ms"};

TEST(LogLmTokenizer, BothKindsRoundTripThroughAFile) {
  testing::TempDir dir;
  for (auto kind : {LogLmTokenizer::Kind::kSentencePiece, LogLmTokenizer::Kind::kWord}) {
    auto tok = LogLmTokenizer::Train(kind, kLines, {10, 10, 10, 10}, 40);
    ASSERT_TRUE(tok.ok()) << tok.message();
    auto ids = tok->Encode("INFO cart <*> holds <*> items");
    EXPECT_FALSE(ids.empty());
    for (int id : ids) {
      EXPECT_GT(id, 0);
      EXPECT_LT(id, tok->vocab_size());
    }
    auto path = dir.path() / "tok";
    ASSERT_TRUE(tok->Save(path).ok());
    auto back = LogLmTokenizer::Load(path);
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(back->Encode("INFO cart <*> holds <*> items"), ids);
    EXPECT_EQ(back->Encode("INFO cart <*> holds <*> items", 2).size(), 2u);
    EXPECT_FALSE(back->Encode("ÜNSEEN ☃ characters").empty());  // unknown pieces, not a failure
  }
  EXPECT_FALSE(LogLmTokenizer::Load(dir.path() / "missing").ok());
}

// A one-layer model of width `dim`, one thread, a sequence at every line.
LogLmModelOptions Tiny(int dim, int epochs) {
  LogLmModelOptions o;
  o.dim = dim;
  o.heads = 2;
  o.ff = 2 * dim;
  o.layers = 1;
  o.epochs = epochs;
  o.threads = 1;
  o.stride = 1;
  return o;
}

TEST(LogLmModel, LearnsARepeatingStreamAndGeneratesIt) {
  auto tok = LogLmTokenizer::Train(LogLmTokenizer::Kind::kWord, kLines, {}, 64);
  ASSERT_TRUE(tok.ok());
  std::vector<std::vector<int>> pieces(2);
  for (auto& l : kLines) pieces.push_back(tok->Encode(l));
  LogLmModelOptions o = Tiny(32, 30);
  auto m = LogLmModel::Create(o, tok->vocab_size(), pieces);
  ASSERT_TRUE(m.ok()) << m.message();
  std::vector<int> stream;
  for (int i = 0; i < 200; ++i) stream.push_back(2 + i % 4);
  auto fig = m->Train({stream});
  ASSERT_TRUE(fig.ok()) << fig.message();
  EXPECT_LT(fig->final_loss, fig->first_loss);

  // Context ...2 3 → the cycle continues 4 5 2 3 ...; an unseen context line is read from its
  // pieces.
  std::vector<int> unseen = tok->Encode("INFO something new");
  std::vector<LogLmLineRef> ctx = {{2, nullptr}, {3, nullptr}};
  std::vector<LogLmLineRef> odd = {{LogLmModel::kUnknownLine, &unseen}, {2, nullptr}, {3, nullptr}};
  auto gen = m->Generate({ctx, odd}, 6, {});
  ASSERT_EQ(gen.size(), 2u);
  EXPECT_EQ(gen[0], (std::vector<int>{4, 5, 2, 3, 4, 5}));
  EXPECT_EQ(gen[1].size(), 6u);
  LogLmDecodeOptions sample;
  sample.sample = true;
  auto s1 = m->Generate({ctx}, 10, sample), s2 = m->Generate({ctx}, 10, sample);
  EXPECT_EQ(s1, s2);  // same seed, same block

  testing::TempDir dir;
  ASSERT_TRUE(m->Save(dir.path() / "m.pt").ok());
  auto back = LogLmModel::Load(dir.path() / "m.pt", o, tok->vocab_size(), pieces);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->Generate({ctx}, 6, {})[0], gen[0]);
  o.dim = 16;
  EXPECT_FALSE(LogLmModel::Load(dir.path() / "m.pt", o, tok->vocab_size(), pieces).ok());
}

TEST(LogLmModel, StepCapCutsEpochsShort) {
  std::vector<std::vector<int>> pieces(6, std::vector<int>{3});
  LogLmModelOptions o = Tiny(16, 4);
  std::vector<int> stream;
  for (int i = 0; i < 300; ++i) stream.push_back(2 + i % 4);
  auto full = LogLmModel::Create(o, 8, pieces)->Train({stream});
  ASSERT_TRUE(full.ok()) << full.message();
  EXPECT_FALSE(full->stopped_by_steps);
  ASSERT_GT(full->steps, 7);
  o.max_train_steps = 7;
  auto capped = LogLmModel::Create(o, 8, pieces)->Train({stream});
  ASSERT_TRUE(capped.ok()) << capped.message();
  EXPECT_EQ(capped->steps, 7);
  EXPECT_TRUE(capped->stopped_by_steps);
  EXPECT_FALSE(capped->stopped_by_time);
  o.max_train_steps = 0;
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace augur::learn
