// Pins the incident.json schema with a golden file. Regenerate after an intended change with
//   AUGUR_UPDATE_GOLDEN=1 build/src/explain/augur_explain_test
// and review the diff (docs/incident-schema.md must change with it).
#include "explain/incident_json.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace augur::explain {
namespace {

Incident Sample() {
  Incident inc;
  inc.id = "inc-1";
  inc.start = 1674981784000000000;
  inc.end = 1674981904000000000;
  detect::Anomaly a;
  a.start = inc.start;
  a.end = inc.start + 30'000'000'000;
  a.service = "shipping";
  a.instance = "shipping-7d9f8c6b5d-x2x9q";
  a.modality = detect::Modality::kTrace;
  a.detector = "span_deviation";
  a.score = 14.5;
  a.threshold = 6;
  a.summary = "shipping latency_p99_ms 412 (normal 12, z +14.5)";
  a.evidence = {"latency_p99_ms: 412 against normal 12 [9, 15], z +14.5"};
  inc.anomalies = {a, a};
  inc.anomalies[1].service = "orders";
  inc.services = {"shipping", "orders"};
  inc.ranking = {{"shipping", 0.82, "red", {"latency up"}}, {"orders", 0.18, "yellow", {}}};
  inc.fault_type = "network_delay";
  inc.fault_confidence = 0.7;
  Explain(inc);
  return inc;
}

TEST(IncidentJson, MatchesGoldenSchema) {
  std::string got = IncidentToJson(Sample()).dump(2) + "\n";
  std::string path = std::string(AUGUR_TESTDATA) + "/incident.golden.json";
  if (std::getenv("AUGUR_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "golden file rewritten: " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " missing; run with AUGUR_UPDATE_GOLDEN=1 to create it";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "incident.json changed; if intended, regenerate the golden file";
}

TEST(IncidentJson, NarrativeNamesOriginAndEvidence) {
  Incident inc = Sample();
  EXPECT_NE(inc.summary.find("shipping is the likely origin (82 %, outage level red)"),
            std::string::npos)
      << inc.summary;
  EXPECT_NE(inc.narrative.find("latency up"), std::string::npos);
  EXPECT_NE(inc.narrative.find("network_delay"), std::string::npos);
}

// The headline names the first service as firmly as its probability allows.
TEST(IncidentJson, HeadlineWeighsTheOriginProbability) {
  auto headline = [](double p) {
    Incident inc = Sample();
    inc.ranking[0].probability = p;
    inc.ranking[1].probability = p / 2;
    Explain(inc);
    return inc.summary;
  };
  EXPECT_NE(headline(0.5).find("shipping is the likely origin (50 %"), std::string::npos);
  EXPECT_NE(headline(0.3).find("shipping is a possible origin (30 %"), std::string::npos);
  EXPECT_NE(headline(0.02).find("no service stands out as the origin, shipping ranks first (2 %"),
            std::string::npos)
      << headline(0.02);
}

TEST(Grouping, SplitsOnGapsAndDropsLoneWindows) {
  std::vector<detect::Anomaly> as;
  auto add = [&](TimeNs t, const char* svc) {
    detect::Anomaly a;
    a.start = t * 1'000'000'000;
    a.end = a.start + 30'000'000'000;
    a.service = svc;
    a.score = 10;
    a.threshold = 5;
    as.push_back(a);
  };
  add(0, "a");
  add(30, "b");
  add(60, "a");
  add(1000, "c");  // alone, far away
  add(5000, "d");
  add(5030, "d");
  auto inc = GroupAnomalies(as);
  ASSERT_EQ(inc.size(), 2u);
  EXPECT_EQ(inc[0].anomalies.size(), 3u);
  EXPECT_EQ(inc[0].services.front(), "a");
  EXPECT_EQ(inc[1].services, std::vector<std::string>{"d"});
  EXPECT_EQ(inc[1].id, "inc-2");
}

TEST(Grouping, NoIncidentSpansASilence) {
  std::vector<detect::Anomaly> as;
  auto add = [&](TimeNs sec) {
    detect::Anomaly a;
    a.start = sec * 1'000'000'000;
    a.end = a.start + 30'000'000'000;
    a.service = "s";
    as.push_back(a);
  };
  for (TimeNs t : {0, 30, 60, 150, 180}) add(t);  // 90 s apart at most: one incident by the gap
  GroupingConfig config;
  EXPECT_EQ(GroupAnomalies(as, config).size(), 1u);
  config.silences = {{90'000'000'000, 120'000'000'000}};  // no telemetry from 90 s to 120 s
  auto inc = GroupAnomalies(as, config);
  ASSERT_EQ(inc.size(), 2u);
  EXPECT_EQ(inc[0].anomalies.size(), 3u);
  EXPECT_EQ(inc[1].anomalies.size(), 2u);
  // A silence before the first anomaly or after the last splits nothing.
  config.silences = {{-60'000'000'000, -30'000'000'000}, {300'000'000'000, 330'000'000'000}};
  EXPECT_EQ(GroupAnomalies(as, config).size(), 1u);
}

TEST(Grouping, OnsetSkipsStrayEarlyAnomalies) {
  Incident inc;
  auto add = [&](TimeNs sec, const char* detector, const char* svc) {
    detect::Anomaly a;
    a.start = sec * 1'000'000'000;
    a.end = a.start + 1'000'000'000;
    a.detector = detector;
    a.service = svc;
    inc.anomalies.push_back(a);
  };
  add(5, "log_lm", "user");  // a stray false alarm that the gap joined
  add(100, "log_lm", "user");
  for (const char* d : {"span_deviation", "metric_deviation", "trace_lstm"})
    for (const char* s : {"shipping", "orders"}) add(245, d, s);
  inc.start = 5'000'000'000;
  inc.end = 400'000'000'000;
  EXPECT_EQ(OnsetOf(inc, 60'000'000'000), 245'000'000'000);  // slice 4 from the start at 5 s
  EXPECT_EQ(OnsetOf(inc, 0), inc.start);
  // The narrative says where it took hold.
  inc.ranking.push_back({"shipping", 0.9, "red", {}, 0.95});
  Explain(inc);
  EXPECT_NE(inc.narrative.find("It took hold at 1970-01-01T00:04:05Z; the 2 window(s) before "
                               "were isolated alarms."),
            std::string::npos)
      << inc.narrative;
  // So does the headline, to the second, and it counts the minutes from there.
  EXPECT_EQ(inc.summary.rfind("1970-01-01T00:04:05Z (isolated alarms from 1970-01-01T00:00:05Z): "
                              "shipping is the likely origin",
                              0),
            0u)
      << inc.summary;
  EXPECT_NE(inc.summary.find("over 2.6 min"), std::string::npos) << inc.summary;
  // An incident that takes hold at once keeps its start, without the fraction of a second.
  inc.start += 123'456'789;
  inc.onset = inc.start + 30'000'000'000;
  Explain(inc);
  EXPECT_EQ(inc.summary.rfind("1970-01-01T00:00:05Z: shipping", 0), 0u) << inc.summary;
}

TEST(OutageLevel, SeedColours) {
  EXPECT_EQ(OutageLevel(0.10), "green");
  EXPECT_EQ(OutageLevel(0.15), "green");
  EXPECT_EQ(OutageLevel(0.30), "yellow");
  EXPECT_EQ(OutageLevel(0.46), "red");
}

}  // namespace
}  // namespace augur::explain
