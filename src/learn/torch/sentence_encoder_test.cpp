// The TorchScript sentence encoder interface, with a tiny random-weight encoder checked in beside
// the script that made it (testdata/make_tiny_encoder.py).
#include "learn/torch/sentence_encoder.h"

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "learn/torch/log_lm_detector.h"
#include "learn/torch/log_lm_test_traffic.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

const std::string kTiny =
    (std::filesystem::path(__FILE__).parent_path() / "testdata" / "tiny_encoder.pt").string();

double Dot(const float* a, const float* b, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += double(a[i]) * b[i];
  return s;
}

TEST(SentenceEncoder, EmbedsTextsAsUnitVectorsAlikeInAndOutOfBatches) {
  auto e = SentenceEncoder::Load(kTiny);
  ASSERT_TRUE(e) << e.message();
  EXPECT_EQ(e->dim(), 16);
  std::vector<std::string> texts = {"INFO order <*> paid", "ERROR MongoDB timed out",
                                    "INFO order <*> paid", "", std::string(5000, 'a')};
  auto v = e->Embed(texts, 2);
  ASSERT_TRUE(v) << v.message();
  ASSERT_EQ(v->size(), texts.size() * 16);
  const int d = 16;
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_NEAR(Dot(v->data() + i * d, v->data() + i * d, d), 1.0, 1e-4);
  EXPECT_NEAR(Dot(v->data(), v->data() + 2 * d, d), 1.0, 1e-5);  // same text, other batch
  EXPECT_LT(Dot(v->data(), v->data() + d, d), 0.99);
  auto one = e->Embed({texts[1]});
  ASSERT_TRUE(one);
  for (int i = 0; i < d; ++i) EXPECT_NEAR((*one)[i], (*v)[d + i], 1e-5);  // padding is masked
}

TEST(SentenceEncoder, RefusesFilesThatAreNotEncodersNamingThem) {
  testing::TempDir dir;
  auto missing = SentenceEncoder::Load((dir.path() / "none.pt").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("none.pt"), std::string::npos);
  const auto junk = (dir.path() / "junk.pt").string();
  std::ofstream(junk) << "not a zip";
  auto bad = SentenceEncoder::Load(junk);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("junk.pt: not a TorchScript module"), std::string::npos)
      << bad.message();
}

TEST(SentenceEncoder, IsTheLogModelsEmbedderWhenNamed) {
  auto traffic = [](int n, bool faulty) {
    return detect::testing_traffic::ShopTraffic(n, faulty ? 5 : 4, faulty);
  };
  detect::LogLmConfig c;
  c.subword_vocab = 64;
  c.model.dim = 32;
  c.model.heads = 2;
  c.model.ff = 64;
  c.model.layers = 1;
  c.model.epochs = 3;
  c.model.threads = 1;
  c.decoding = "greedy";
  // Trained from a copy that is gone by the time the bundle is loaded: the bundle carries it.
  testing::TempDir dir, elsewhere;
  c.embedder = (elsewhere.path() / "encoder.pt").string();
  std::filesystem::copy_file(kTiny, c.embedder);
  {
    detect::LogLmDetector d(c);
    d.Learn(traffic(300, false));
    auto b = ModelBundle::Create(dir.path());
    auto st = d.FinishLearning(*b);
    ASSERT_TRUE(st) << st.message();
    ASSERT_TRUE(b->Save());
    EXPECT_EQ(d.figures().value("embedder", ""), c.embedder);
  }
  std::filesystem::remove(c.embedder);
  detect::LogLmDetector d(detect::LogLmConfig{});  // the bundle names its embedder
  auto b = ModelBundle::Open(dir.path());
  ASSERT_TRUE(d.Load(*b));
  double normal = 0, faulty = 0;
  int n = 0, f = 0;
  d.SetWindowSink([&](const detect::LogLmWindow& w) {
    EXPECT_EQ(w.least.size(), 3u);
    bool error = false;
    for (const auto& l : w.real) error |= l.find("ERROR") != std::string::npos;
    if (error) {
      ++f;
      faulty += w.similarity;
    } else {
      ++n;
      normal += w.similarity;
    }
  });
  std::vector<detect::Anomaly> out;
  d.Score(traffic(30, false), out);
  d.Score(traffic(30, true), out);
  d.Flush(out);
  ASSERT_GT(n, 0);
  ASSERT_GT(f, 0);
  EXPECT_GT(normal / n, 0.95);  // the encoder sees the generated normal block as the real one
  EXPECT_LT(faulty / f, normal / n);
}

}  // namespace
}  // namespace augur::learn
