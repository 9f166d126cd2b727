#include "learn/torch/next_key_model.h"

#include <fstream>

#include "learn/torch/next_key_eval.h"

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace augur::learn {
namespace {

// A small grammar: open, then one of two bodies, then close; bodies repeat 1-3 times.
std::vector<std::vector<std::string>> Grammar(int n) {
  std::vector<std::vector<std::string>> out;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> s{"open"};
    for (int r = 0; r <= i % 3; ++r) {
      if (i % 2)
        s.insert(s.end(), {"read", "parse"});
      else
        s.insert(s.end(), {"write", "flush"});
    }
    s.push_back("close");
    out.push_back(s);
  }
  return out;
}

NextKeyConfig Tiny() {
  NextKeyConfig c;
  c.window = 4;
  c.embed = 8;
  c.hidden = 16;
  c.max_epochs = 60;
  c.patience = 60;
  c.threads = 1;
  c.top_k = 1;
  return c;
}

bool AnyUnexpected(const std::vector<KeyScore>& s) {
  for (const auto& k : s)
    if (k.unexpected) return true;
  return false;
}

TEST(NextKeyModel, LearnsGrammarAndFlagsBreaks) {
  NextKeyModel m;
  auto rep = m.Train(Grammar(60), Tiny());
  ASSERT_TRUE(rep.ok()) << rep.message();
  EXPECT_EQ(rep->vocabulary, 6u);
  EXPECT_GT(rep->epochs, 0);
  // Under top-1 the first body key is a coin toss, so judge with top-2.
  m.SetRule(2, 0);
  auto normal = m.ScoreSequences({m.Encode({"open", "read", "parse", "close"})});
  EXPECT_FALSE(AnyUnexpected(normal[0]));
  EXPECT_EQ(normal[0].size(), 5u);  // four keys and the end
  auto swapped = m.ScoreSequences({m.Encode({"open", "parse", "read", "close"})});
  EXPECT_TRUE(swapped[0][1].unexpected);
  auto truncated = m.ScoreSequences({m.Encode({"open", "read"})});
  EXPECT_TRUE(truncated[0].back().unexpected) << "a session that stops early is unexpected";
  auto unseen = m.ScoreSequences({m.Encode({"open", "read", "boom", "close"})});
  EXPECT_TRUE(unseen[0][2].unseen);
  EXPECT_TRUE(unseen[0][2].unexpected);
  auto top = m.Predict({m.Id("open"), m.Id("read")}, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(m.keys()[top[0].first], "parse");
}

TEST(NextKeyModel, SaveLoadRoundTripAndSeedReproducible) {
  augur::testing::TempDir dir;
  NextKeyModel a, b;
  auto ra = a.Train(Grammar(30), Tiny());
  auto rb = b.Train(Grammar(30), Tiny());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_DOUBLE_EQ(ra->validation_loss, rb->validation_loss);
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(bundle.ok());
  ASSERT_TRUE(a.Save(*bundle, "next_key", *ra).ok());
  ASSERT_TRUE(bundle->Save().ok());
  auto opened = ModelBundle::Open(dir.path());
  ASSERT_TRUE(opened.ok());
  auto loaded = NextKeyModel::Load(*opened, "next_key");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  auto seq = a.Encode({"open", "write", "flush", "close"});
  auto sa = a.ScoreSequences({seq})[0];
  auto sl = loaded->ScoreSequences({loaded->Encode({"open", "write", "flush", "close"})})[0];
  ASSERT_EQ(sa.size(), sl.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_FLOAT_EQ(sa[i].probability, sl[i].probability);
  EXPECT_FALSE(NextKeyModel::Load(*opened, "absent").ok());
}

TEST(NextKeyModel, RejectsBadConfigAndEmptyInput) {
  NextKeyConfig c = Tiny();
  c.window = 0;
  EXPECT_FALSE(c.Validate().ok());
  NextKeyModel m;
  EXPECT_FALSE(m.Train({}, Tiny()).ok());
  EXPECT_TRUE(m.ScoreWindows({}, {}).empty());
}

}  // namespace
}  // namespace augur::learn

namespace augur::learn {
namespace {

TEST(NextKeyEval, KFoldOnTextSequences) {
  augur::testing::TempDir dir;
  {
    std::ofstream out(dir.path() / "seqs.txt");
    for (const auto& s : Grammar(40)) {
      for (const auto& k : s) out << k << ' ';
      out << '\n';
    }
  }
  auto seqs = ReadKeySequences(dir.path().string());
  ASSERT_TRUE(seqs.ok()) << seqs.message();
  EXPECT_EQ(seqs->size(), 40u);
  NextKeyEvalOptions o;
  o.model = Tiny();
  o.folds = 2;
  auto r = EvalNextKey(*seqs, o);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->keys, 6u);
  EXPECT_GT(r->accuracy, 0.7);
  EXPECT_GT(r->f_score, 0.5);
  EXPECT_FALSE(ReadKeySequences((dir.path() / "absent").string()).ok());
}

}  // namespace
}  // namespace augur::learn
