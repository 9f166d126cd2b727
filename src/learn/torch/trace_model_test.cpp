#include "learn/torch/trace_model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace augur::learn {
namespace {

// Two request types with fixed paths; each label has its own typical response time with noise.
std::vector<TraceSequence> Traces(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.05);
  std::vector<TraceSequence> out;
  for (int i = 0; i < n; ++i) {
    if (i % 2)
      out.push_back(
          {{"gw", 1000 * noise(rng)}, {"cart", 400 * noise(rng)}, {"db", 100 * noise(rng)}});
    else
      out.push_back({{"gw", 2000 * noise(rng)},
                     {"order", 800 * noise(rng)},
                     {"pay", 300 * noise(rng)},
                     {"db", 90 * noise(rng)}});
  }
  return out;
}

TraceModelConfig Tiny() {
  TraceModelConfig c;
  c.embed = 8;
  c.hidden = 16;
  c.max_epochs = 80;
  c.patience = 80;
  c.batch = 32;
  c.learning_rate = 1e-2;
  c.threads = 1;
  c.top_k = 2;
  c.rt_confidence = 0.999;
  return c;
}

TEST(TraceModel, FlagsWrongLabelAndSlowCallNotNormal) {
  TraceModel m;
  auto rep = m.Train(Traces(200, 1), Tiny());
  ASSERT_TRUE(rep.ok()) << rep.message();
  EXPECT_EQ(rep->labels, 5u);
  auto clean = m.Score(Traces(20, 2));
  int flagged = 0;
  for (const auto& s : clean) flagged += s.structural;
  EXPECT_EQ(flagged, 0);
  TraceSequence wrong = {{"gw", 1000}, {"pay", 300}, {"db", 100}};
  EXPECT_TRUE(m.Score(wrong).structural);
  TraceSequence slow = {{"gw", 1000}, {"cart", 400 * 40}, {"db", 100}};
  auto s = m.Score(slow);
  EXPECT_TRUE(s.events[1].response_time) << "z " << s.events[1].rt_z;
  auto next = m.PredictNext({{"gw", 1000}, {"cart", 400}}, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].first, "db");
  EXPECT_TRUE(m.Relation({{"gw", 1000}, {"cart", 400}}, 2).dependent);
}

// Scoring runs its own plain-C++ forward pass; the label probabilities must match libtorch's.
TEST(TraceModel, FastScoringMatchesLibtorch) {
  TraceModel m;
  auto c = Tiny();
  c.max_epochs = 5;
  ASSERT_TRUE(m.Train(Traces(60, 5), c).ok());
  for (const auto& t : Traces(4, 6)) {
    auto s = m.Score(t);
    ASSERT_EQ(s.events.size(), t.size() + 1);
    for (size_t j = 0; j <= t.size(); ++j) {
      TraceSequence prefix(t.begin(), t.begin() + j);
      auto all = m.PredictNext(prefix, (int)m.labels().size());
      const std::string want = j < t.size() ? t[j].label : "!0";
      float p = -1;
      int rank = 0;
      for (size_t k = 0; k < all.size(); ++k)
        if (all[k].first == want) p = all[k].second, rank = (int)k;
      EXPECT_NEAR(s.events[j].probability, p, 1e-5) << "event " << j;
      EXPECT_EQ(s.events[j].rank, rank) << "event " << j;
    }
  }
}

// A small input has few batches per epoch: min_steps trains on past max_epochs.
TEST(TraceModel, MinStepsTrainsPastMaxEpochs) {
  TraceModel m;
  auto c = Tiny();
  c.max_epochs = 2;
  c.patience = 1;
  c.min_steps = 30;
  c.validation_fraction = 0;
  auto rep = m.Train(Traces(64, 3), c);  // 2 batches of 32 per epoch
  ASSERT_TRUE(rep.ok()) << rep.message();
  EXPECT_GE(rep->epochs, 15);
  c.min_steps = -1;
  EXPECT_FALSE(m.Train(Traces(64, 3), c).ok());
}

// A validation trace with a label never seen in training is flagged at every floor; it must not
// drag the floor down to where only such labels are still structural anomalies.
TEST(TraceModel, LabelsNeverSeenDoNotPushTheProbabilityFloorDown) {
  TraceModel m;
  ASSERT_TRUE(m.Train(Traces(200, 1), Tiny()).ok());
  auto val = Traces(40, 4);
  val.push_back({{"gw", 1000}, {"audit", 50}, {"db", 100}});
  auto cal = m.Calibrate(val, 0.01, 0);
  EXPECT_EQ(cal.min_probability, 0.0);
  EXPECT_NEAR(cal.fpr_structural, 1.0 / 41, 1e-9);
  EXPECT_TRUE(m.Score(TraceSequence{{"gw", 1000}, {"pay", 300}, {"db", 100}}).structural);
}

TEST(TraceModel, SaveLoadRoundTrip) {
  augur::testing::TempDir dir;
  TraceModel m;
  auto rep = m.Train(Traces(60, 3), Tiny());
  ASSERT_TRUE(rep.ok());
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(m.Save(*bundle, "trace_lstm", *rep).ok());
  auto loaded = TraceModel::Load(*bundle, "trace_lstm");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  auto t = Traces(1, 4)[0];
  auto a = m.Score(t), b = loaded->Score(t);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_FLOAT_EQ(a.events[i].probability, b.events[i].probability);
    EXPECT_NEAR(a.events[i].rt_error, b.events[i].rt_error, 1e-9);
  }
}

// A steady label and a long-tailed one (log-normal, spread of a factor ~3) in the same traces.
std::vector<TraceSequence> SteadyAndWild(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> steady(0, 0.03), wild(0, 1.0);
  std::vector<TraceSequence> out;
  for (int i = 0; i < n; ++i)
    out.push_back({{"gw", 2000 * std::exp(steady(rng))},
                   {"steady", 500 * std::exp(steady(rng))},
                   {"wild", 300 * std::exp(wild(rng))},
                   {"db", 100 * std::exp(steady(rng))}});
  return out;
}

// The likelihood rule: doubling a steady call is far likelier under "slowed" than under "normal";
// tripling a call whose normal times already spread over a factor of three is not, however many
// deviations off it lies; a clean trace scores low.
TEST(TraceModel, LikelihoodRuleWeighsLabelsByTheirTails) {
  TraceModel m;
  auto c = Tiny();
  c.rt_spread = RtSpread::kLikelihood;
  ASSERT_TRUE(m.Train(SteadyAndWild(300, 1), c).ok());
  EXPECT_EQ(m.config().rt_spread, RtSpread::kLikelihood);
  m.SetRtZ(3.0);
  TraceSequence clean = {{"gw", 2000}, {"steady", 500}, {"wild", 300}, {"db", 100}};
  TraceSequence slow_steady = {{"gw", 2000}, {"steady", 1000}, {"wild", 300}, {"db", 100}};
  TraceSequence slow_wild = {{"gw", 2000}, {"steady", 500}, {"wild", 900}, {"db", 100}};
  auto a = m.Score(clean), b = m.Score(slow_steady), w = m.Score(slow_wild);
  EXPECT_FALSE(a.response_time) << "max score " << MaxRtZ(a);
  EXPECT_TRUE(b.events[1].response_time) << "score " << b.events[1].rt_z;
  EXPECT_FALSE(w.events[2].response_time) << "score " << w.events[2].rt_z;
  EXPECT_GT(b.events[1].rt_z, w.events[2].rt_z + 3);
  // Far beyond every training time the score of the long-tailed label stays bounded (exponential
  // tail), while a Gaussian rule's deviation grows without bound.
  TraceSequence very_wild = {{"gw", 2000}, {"steady", 500}, {"wild", 300 * 400}, {"db", 100}};
  EXPECT_LT(m.Score(very_wild).events[2].rt_z, 3.0);
  ASSERT_TRUE(m.SetRtRule(RtSpread::kRobust, false));
  m.SetRtZ(3.0);
  EXPECT_GT(m.Score(very_wild).events[2].rt_z, 3.0);
}

TEST(TraceModel, LikelihoodRuleSurvivesSaveLoad) {
  augur::testing::TempDir dir;
  TraceModel m;
  auto c = Tiny();
  c.max_epochs = 10;
  auto rep = m.Train(SteadyAndWild(60, 2), c);
  ASSERT_TRUE(rep.ok());
  ASSERT_TRUE(m.SetRtRule(RtSpread::kLikelihood, true));
  EXPECT_FALSE(m.config().rt_two_sided);  // slower only
  m.SetRtZ(4.5);
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(m.Save(*bundle, "trace_lstm", *rep).ok());
  auto loaded = TraceModel::Load(*bundle, "trace_lstm");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(loaded->config().rt_spread, RtSpread::kLikelihood);
  EXPECT_DOUBLE_EQ(loaded->rt_z(), 4.5);
  TraceSequence t = {{"gw", 2000}, {"steady", 1100}, {"wild", 300}, {"db", 100}};
  auto a = m.Score(t), b = loaded->Score(t);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i + 1 < a.events.size(); ++i) {
    EXPECT_NEAR(a.events[i].rt_z, b.events[i].rt_z, 1e-9) << "event " << i;
    EXPECT_EQ(a.events[i].response_time, b.events[i].response_time);
  }
}

// A bundle saved by an older augur (format 2: no densities) asks to be trained again.
TEST(TraceModel, OlderFormatAsksToTrainAgain) {
  augur::testing::TempDir dir;
  TraceModel m;
  auto c = Tiny();
  c.max_epochs = 2;
  auto rep = m.Train(Traces(20, 7), c);
  ASSERT_TRUE(rep.ok());
  auto bundle = ModelBundle::Create(dir.path());
  ASSERT_TRUE(m.Save(*bundle, "trace_lstm", *rep).ok());
  auto path = bundle->File("trace_lstm.json");
  nlohmann::json j;
  {
    std::ifstream in(path);
    in >> j;
  }
  j["format"] = 2;
  j.erase("rt_density");
  {
    std::ofstream out(path);
    out << j.dump();
  }
  auto loaded = TraceModel::Load(*bundle, "trace_lstm");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.message().find("train the bundle again"), std::string::npos) << loaded.message();
  EXPECT_NE(loaded.message().find("format 2"), std::string::npos) << loaded.message();
}

TEST(TraceLabels, MaskIdsAndOrderDepthFirst) {
  EXPECT_EQ(MaskIds("/api/v1/orders/4f2a9c31/items/17"), "/api/v1/orders/<*>/items/<*>");
  EXPECT_EQ(MaskIds("/api/v1/users/login"), "/api/v1/users/login");
  Span root, a, b, c;
  root.trace_id = *TraceId::FromHex("1");
  root.span_id = *SpanId::FromHex("1");
  root.service = "gw";
  root.name = "HTTP GET";
  root.start = 0;
  root.end = 5000;
  a = root;
  a.span_id = *SpanId::FromHex("2");
  a.parent_id = root.span_id;
  a.service = "cart";
  a.http_url = "http://cart:80/cart/123?x=1";
  a.http_status_code = 200;
  a.start = 2000;
  b = a;
  b.span_id = *SpanId::FromHex("3");
  b.service = "user";
  b.http_url.clear();
  b.http_status_code = 0;
  b.name = "GET /user";
  b.start = 1000;
  c = a;
  c.span_id = *SpanId::FromHex("4");
  c.parent_id = b.span_id;
  c.service = "db";
  c.http_url.clear();
  c.http_status_code = 0;
  c.name = "SELECT";
  c.start = 1500;
  auto traces = TracesFromSpans({a, c, root, b});
  ASSERT_EQ(traces.size(), 1u);
  ASSERT_EQ(traces[0].size(), 4u);
  EXPECT_EQ(traces[0][0].label, "0 gw HTTP GET");
  EXPECT_EQ(traces[0][1].label, "0 user GET /user");
  EXPECT_EQ(traces[0][2].label, "0 db SELECT");
  EXPECT_EQ(traces[0][3].label, "200 cart /cart/<*>");
  EXPECT_DOUBLE_EQ(traces[0][0].response_time, 5.0);
}

TEST(TraceModel, SpansInAParentCycleStillFormATrace) {
  // Bad data: a span that is its own parent, and two spans that are each other's parent. No root
  // reaches them; they must neither vanish nor loop.
  Span a;
  a.trace_id = *TraceId::FromHex("00000000000000000000000000000002");
  a.span_id = *SpanId::FromHex("1");
  a.parent_id = a.span_id;
  a.service = "svc";
  a.name = "self";
  a.start = 1000;
  a.end = 2000;
  Span b = a, c = a;
  b.trace_id = c.trace_id = *TraceId::FromHex("00000000000000000000000000000003");
  b.span_id = *SpanId::FromHex("2");
  c.span_id = *SpanId::FromHex("3");
  b.parent_id = c.span_id;
  c.parent_id = b.span_id;
  b.name = "b";
  c.name = "c";
  c.start = 1500;
  auto traces = TracesFromSpans({a, b, c});
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(traces[0].size(), 1u);
  ASSERT_EQ(traces[1].size(), 2u);
  EXPECT_EQ(traces[1][0].label, "0 svc b");
  EXPECT_EQ(traces[1][1].label, "0 svc c");
}

TEST(TraceModel, RtRuleNamesRoundTrip) {
  for (RtSpread s : {RtSpread::kStd, RtSpread::kRobust, RtSpread::kTail, RtSpread::kLikelihood})
    EXPECT_EQ(RtSpreadFromName(RtSpreadName(s)), s);
  EXPECT_FALSE(RtSpreadFromName("gaussian").has_value());
}

}  // namespace
}  // namespace augur::learn
