#include "diagnose/fault_classifier.h"

#include <gtest/gtest.h>

namespace augur::diagnose {
namespace {

using localize::EvidenceItem;

EvidenceItem Item(const char* kind, const char* what, double observed, double expected, double p) {
  EvidenceItem e;
  e.kind = kind;
  e.modality = std::string(kind) == "metric" ? "metric" : "trace";
  e.what = what;
  e.observed = observed;
  e.expected = expected;
  e.p_value = p;
  e.detail = what;
  return e;
}

detect::Anomaly A(const char* service, detect::Modality m, const char* summary, double score) {
  detect::Anomaly a;
  a.service = service;
  a.modality = m;
  a.summary = summary;
  a.score = score;
  a.threshold = 6;
  return a;
}

TEST(FaultClassifier, CpuUpAndSlowIsCpuContention) {
  auto d = ClassifyFault(
      {Item("metric", "cpu_usage", 0.19, 0.006, 2e-4), Item("metric", "latency_p50", 6, 2.4, 3e-3),
       Item("self_time", "GET /catalogue", 4.7, 0.9, 0.01)},
      {}, "catalogue");
  EXPECT_EQ(d.type, "cpu_contention");
  EXPECT_GT(d.confidence, 0.99);
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_EQ(d.reasons[0], "cpu: cpu_usage");
}

TEST(FaultClassifier, MemoryUpExplainsCpuAndSlowness) {
  // A memory hog burns CPU too; the CPU deviation is the stronger test, the memory one decides.
  auto d = ClassifyFault({Item("metric", "cpu_usage", 0.13, 0.007, 4e-4),
                          Item("metric", "latency_p50", 9.2, 2.7, 3e-3),
                          Item("metric", "memory_usage", 1.05e9, 4.6e8, 0.013)},
                         {}, "shipping");
  EXPECT_EQ(d.type, "memory_stress");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
  ASSERT_EQ(d.reasons.size(), 3u);
  EXPECT_EQ(d.reasons[0], "memory: memory_usage");  // the defining signal first
  EXPECT_EQ(d.reasons[1], "cpu: cpu_usage");
}

TEST(FaultClassifier, SlowWithoutResourcesIsNetworkDelay) {
  auto d = ClassifyFault(
      {Item("self_time", "publish", 202, 0.5, 1e-6), Item("metric", "latency_p90", 209, 3.4, 1e-5),
       Item("metric", "request_rate", 2, 10, 1e-3)},  // traffic: no vote
      {}, "shipping");
  EXPECT_EQ(d.type, "network_delay");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
}

TEST(FaultClassifier, UnreachableAndNotReadyIsPodFailure) {
  auto d = ClassifyFault({Item("unreached", "front-end GET /login", 145, 0.1, 1e-300),
                          Item("metric", "ready", 0, 1, 1e-6),
                          Item("metric", "memory_usage", 1e6, 1.1e7, 1e-3)},  // gone, not stressed
                         {}, "user");
  EXPECT_EQ(d.type, "pod_failure");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
}

// An HTTP abort of every GET fails the readiness probe too: the pod is taken out of service and
// its callers' calls stop reaching it, but nothing is gone (memory as normal, no restart).
TEST(FaultClassifier, NotReadyWhileRunningIsFailingRequestsNotAPodFailure) {
  auto d = ClassifyFault({Item("unreached", "orders POST /shipping", 64, 0, 1e-300),
                          Item("metric", "ready", 0, 1, 1e-6)},
                         {}, "shipping");
  EXPECT_EQ(d.type, "error_response");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_EQ(d.reasons.front().rfind("unreachable: ", 0), 0u) << d.reasons.front();
}

TEST(FaultClassifier, UnreachableWhileRunningIsPartition) {
  auto d = ClassifyFault({Item("unreached", "front-end GET session", 641, 0, 1e-300),
                          Item("metric", "request_rate", 0, 10.6, 1e-3)},
                         {}, "session-db");
  EXPECT_EQ(d.type, "network_partition");
}

TEST(FaultClassifier, ErrorsWinOverTheirSideEffects) {
  // An exception: error spans and lines, and the rest of the request's steps skipped.
  auto d = ClassifyFault({Item("error_template", "java.lang.NullPointerException", 63, 0, 1e-16),
                          Item("span_errors", "POST /items errors", 63, 0, 1e-16),
                          Item("steps", "update item per POST /items", 46, 109, 1e-11),
                          Item("template_low", "Adding item to cart", 46, 109, 1e-11)},
                         {}, "carts");
  EXPECT_EQ(d.type, "error_response");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
}

TEST(FaultClassifier, ConnectivityErrorsAreUnreachability) {
  EXPECT_EQ(ClassifyFault({Item("error_template", "dial tcp: connection refused", 40, 0, 1e-9)}, {},
                          "cart")
                .type,
            "network_partition");
  EXPECT_EQ(
      ClassifyFault({Item("error_template", "upstream request timed out", 40, 0, 1e-9)}, {}, "cart")
          .type,
      "network_delay");
}

TEST(FaultClassifier, ErrorHandlerRunningMoreIsAnError) {
  auto d =
      ClassifyFault({Item("steps", "BasicErrorController.error per /trips/left", 9, 0.3, 1e-10),
                     Item("template_low", "Calculate distance", 0, 20, 1e-15)},
                    {}, "travel");
  EXPECT_EQ(d.type, "error_response");
  // Fewer error-handler runs than usual is just another path.
  d = ClassifyFault({Item("steps", "BasicErrorController.error per /trips/left", 0, 8.6, 2e-4)}, {},
                    "travel2");
  EXPECT_EQ(d.type, "wrong_return");
}

TEST(FaultClassifier, OtherPathsAloneAreAWrongReturn) {
  auto d = ClassifyFault({Item("template_low", "Query price", 0, 30, 1e-5),
                          Item("steps", "HTTP POST per /preserve", 45, 27.9, 2e-3)},
                         {}, "price");
  EXPECT_EQ(d.type, "wrong_return");
  EXPECT_EQ(d.reasons.size(), 2u);
  d = ClassifyFault({Item("statements_apart", "t.s.TravelServiceImpl#366", 15, 0.05, 1e-15)}, {},
                    "travel2");
  EXPECT_EQ(d.type, "wrong_return");
}

TEST(FaultClassifier, AnomaliesAreTheFallback) {
  const std::vector<detect::Anomaly> anomalies = {
      A("pay", detect::Modality::kMetric, "pay CpuUsageRate(%) 90 (normal 5)", 30),
      A("other", detect::Modality::kLog, "errors", 50)};
  EXPECT_EQ(ClassifyFault({}, anomalies, "pay").type, "cpu_contention");
  // The localizer's tests, when there are any, decide.
  EXPECT_EQ(
      ClassifyFault({Item("span_errors", "POST /pay errors", 9, 0, 1e-9)}, anomalies, "pay").type,
      "error_response");
}

// A readiness series that fell votes for failing requests; "already" is not "ready".
TEST(FaultClassifier, ReadinessInAnomalyTextIsAWholeWord) {
  EXPECT_EQ(
      ClassifyFault({}, {A("pay", detect::Modality::kMetric, "pay ready 0 (normal 1)", 20)}, "pay")
          .type,
      "error_response");
  EXPECT_EQ(ClassifyFault({},
                          {A("pay", detect::Modality::kMetric,
                             "pay requests_already_queued 40 (normal 2)", 20)},
                          "pay")
                .type,
            "unknown");
}

TEST(FaultClassifier, NoEvidenceIsUnknown) {
  auto d = ClassifyFault({}, {}, "x");
  EXPECT_EQ(d.type, "unknown");
  EXPECT_EQ(d.confidence, 0);
  // Deviations that say nothing about the type (traffic, bytes) leave it unknown too.
  d = ClassifyFault({Item("metric", "NetworkReceiveBytes", 10, 100, 1e-4)}, {}, "x");
  EXPECT_EQ(d.type, "unknown");
}

TEST(FaultClassifier, InjectedTypesMapOntoDiagnosedOnes) {
  EXPECT_EQ(FaultTypeOfInjection("exception"), "error_response");
  EXPECT_EQ(FaultTypeOfInjection("return"), "wrong_return");
  EXPECT_EQ(FaultTypeOfInjection("cpu_stress"), "cpu_contention");
  EXPECT_EQ(FaultTypeOfInjection("cpu_consumed"), "cpu_contention");
  EXPECT_EQ(FaultTypeOfInjection("bandwidth_limit"), "network_delay");
  EXPECT_EQ(FaultTypeOfInjection("bad_deploy"), "");
}

TEST(FaultClassifier, DiagnoseCasesScoresTheMappedOnes) {
  localize::NezhaEvalResult r;
  localize::NezhaCase c;
  c.fault.service = "catalogue";
  c.fault.type = "cpu_stress";
  c.ranking = {"catalogue"};
  c.truth_evidence = c.top_evidence = {Item("metric", "cpu_usage", 0.19, 0.006, 2e-4)};
  r.cases.push_back(c);
  c.fault.type = "bad_deploy";  // no single type: not scored
  r.cases.push_back(c);
  c.fault.type = "memory_stress";
  r.cases.push_back(c);
  DiagnoseCases(r);
  EXPECT_EQ(r.type_cases, 2);
  EXPECT_DOUBLE_EQ(r.type_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(r.type_accuracy_top, 0.5);
  EXPECT_EQ(r.cases[0].diagnosed, "cpu_contention");
}

}  // namespace
}  // namespace augur::diagnose
