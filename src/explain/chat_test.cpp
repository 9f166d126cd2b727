#include "explain/chat.h"

#include <gtest/gtest.h>

#include <fstream>

namespace augur::explain {
namespace {

// The golden incident of incident_json_test: shipping first (82 %, red), orders 18 %,
// network_delay at 70 %, two trace anomalies.
nlohmann::json Golden() {
  std::ifstream in(std::string(AUGUR_TESTDATA) + "/incident.golden.json");
  return nlohmann::json::parse(in);
}

bool Has(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

TEST(Chat, RecognisesWhatIsAsked) {
  const auto inc = Golden();
  EXPECT_EQ(AnswerQuestion(inc, "Which service is the root cause?").intent, "origin");
  EXPECT_EQ(AnswerQuestion(inc, "why shipping?").intent, "why");
  EXPECT_EQ(AnswerQuestion(inc, "What kind of fault is it").intent, "type");
  EXPECT_EQ(AnswerQuestion(inc, "When did it start?").intent, "when");
  EXPECT_EQ(AnswerQuestion(inc, "Which services are affected?").intent, "impact");
  EXPECT_EQ(AnswerQuestion(inc, "How sure are you?").intent, "confidence");
  EXPECT_EQ(AnswerQuestion(inc, "What should I do to fix it?").intent, "action");
  EXPECT_EQ(AnswerQuestion(inc, "hello").intent, "overview");
}

TEST(Chat, AnswersFromTheRecord) {
  const auto inc = Golden();
  auto a = AnswerQuestion(inc, "which service?");
  EXPECT_TRUE(Has(a.text, "shipping (82 %, red)")) << a.text;
  EXPECT_TRUE(Has(a.text, "orders (18 %)")) << a.text;
  a = AnswerQuestion(inc, "why?");
  EXPECT_TRUE(Has(a.text, "- latency up")) << a.text;
  EXPECT_TRUE(Has(a.text, "latency_p99_ms 412")) << a.text;  // the detectors' anomaly about it
  a = AnswerQuestion(inc, "what type of fault?");
  EXPECT_TRUE(Has(a.text, "network_delay fault (70 %")) << a.text;
  auto reasoned = inc;
  reasoned["fault_reason"] = "slow: shipping latency_p99_ms 412 (normal 12)";
  a = AnswerQuestion(reasoned, "what type of fault?");
  EXPECT_TRUE(Has(a.text, "Strongest signal: slow: shipping latency_p99_ms 412 (normal 12)."))
      << a.text;
  a = AnswerQuestion(inc, "when?");
  EXPECT_TRUE(Has(a.text, "2023-01-29T08:43:04Z")) << a.text;
  EXPECT_TRUE(Has(a.text, "(2.0 min)")) << a.text;
  EXPECT_FALSE(Has(a.text, "took hold")) << a.text;  // onset = start
  auto later = inc;
  later["onset_ns"] = inc["start_ns"].get<int64_t>() + 90'000'000'000;
  later["onset"] = "2023-01-29T08:44:34Z";
  a = AnswerQuestion(later, "when?");
  EXPECT_TRUE(Has(a.text, "It took hold at 2023-01-29T08:44:34Z")) << a.text;
  a = AnswerQuestion(inc, "what is affected?");
  EXPECT_TRUE(Has(a.text, "2 service(s)")) << a.text;
  EXPECT_TRUE(Has(a.text, "- orders: 1 (1 trace)")) << a.text;
  a = AnswerQuestion(inc, "what do I do?");
  EXPECT_TRUE(Has(a.text, "paths to shipping")) << a.text;
}

TEST(Chat, AnswersAboutANamedService) {
  const auto inc = Golden();
  auto a = AnswerQuestion(inc, "Is orders OK?");
  EXPECT_EQ(a.intent, "service");
  EXPECT_TRUE(Has(a.text, "orders ranks 2 of 2 as the origin (P(origin) 18 %)")) << a.text;
  EXPECT_TRUE(Has(a.text, "1 anomaly (1 trace)")) << a.text;
  EXPECT_TRUE(Has(a.text, "- shipping latency_p99_ms 412")) << a.text;
  // About the most probable origin, the intent's answer; a name inside a longer word is no name.
  EXPECT_EQ(AnswerQuestion(inc, "why shipping?").intent, "why");
  EXPECT_EQ(AnswerQuestion(inc, "what about ordersdb").intent, "overview");
  EXPECT_EQ(AnswerQuestion(inc, "and orders.").intent, "service");
  // A ranked service without anomalies says so.
  auto quiet = inc;
  quiet["ranking"].push_back({{"service", "payment"}, {"probability", 0.01}});
  a = AnswerQuestion(quiet, "what about payment");
  EXPECT_TRUE(Has(a.text, "payment ranks 3 of 3")) << a.text;
  EXPECT_TRUE(Has(a.text, "payment raised no anomaly here.")) << a.text;
  // Times to the second.
  auto fine = inc;
  fine["start"] = "2023-01-29T08:43:04.394227111Z";
  EXPECT_TRUE(Has(AnswerQuestion(fine, "when?").text, "started at 2023-01-29T08:43:04Z and"));
}

TEST(Chat, NeverInventsWhatTheRecordLacks) {
  nlohmann::json bare = {{"id", "inc-9"}, {"summary", "something happened"}};
  EXPECT_EQ(AnswerQuestion(bare, "which service").text,
            "No service was ranked for this incident (there was no localization).");
  EXPECT_EQ(AnswerQuestion(bare, "what kind of fault").text,
            "The evidence does not say what kind of fault it is.");
  EXPECT_EQ(AnswerQuestion(bare, "affected?").text, "No anomaly is recorded with this incident.");
  EXPECT_TRUE(Has(AnswerQuestion(bare, "hi").text, "something happened"));
  // Wrong types in the record are skipped, not thrown on.
  nlohmann::json odd = {{"ranking", {{{"service", 3}, {"probability", "x"}}}}, {"start", 5}};
  EXPECT_NO_THROW(AnswerQuestion(odd, "which service"));
  EXPECT_NO_THROW(AnswerQuestion(odd, "when"));
}

TEST(Chat, PromptCarriesTheRecordAndTheQuestion) {
  auto inc = Golden();
  for (int i = 0; i < 40; ++i) inc["anomalies"].push_back(inc["anomalies"][0]);
  const std::string p = ChatPrompt(inc, "why shipping?");
  EXPECT_TRUE(Has(p, "\"fault_type\":\"network_delay\""));
  EXPECT_TRUE(p.ends_with("Question: why shipping?\nAnswer:"));
  // The anomaly list is cut to the strongest eight, and says how many there were.
  const auto at = p.find('{');
  const auto json_end = p.find("\n\nQuestion:");
  auto record = nlohmann::json::parse(p.substr(at, json_end - at));
  EXPECT_EQ(record["anomalies"].size(), 8u);
  EXPECT_EQ(record["anomalies_in_all"], 42);
  EXPECT_EQ(record["ranking"][0]["service"], "shipping");
}

// Strings are cut at a character boundary: a cut inside "：" (three bytes, as TrainTicket writes
// it) left invalid UTF-8, and writing the record threw.
TEST(Chat, PromptCutsLongStringsBetweenCharacters) {
  auto inc = Golden();
  inc["anomalies"][0]["summary"] = std::string(159, 'x') + "：" + std::string(50, 'y');
  std::string p;
  ASSERT_NO_THROW(p = ChatPrompt(inc, "why?"));
  EXPECT_NE(p.find(std::string(159, 'x') + "…"), std::string::npos) << p;
}

}  // namespace
}  // namespace augur::explain
