#include "diagnose/fault_classifier.h"

#include <gtest/gtest.h>

namespace augur::diagnose {
namespace {

detect::Anomaly A(const char* service, detect::Modality m, const char* summary, double score) {
  detect::Anomaly a;
  a.service = service;
  a.modality = m;
  a.summary = summary;
  a.score = score;
  a.threshold = 6;
  return a;
}

TEST(FaultClassifier, CpuMetricsPointToCpuContention) {
  auto d = ClassifyFault({A("pay", detect::Modality::kMetric, "pay CpuUsageRate(%) 90 (normal 5)", 30),
                          A("pay", detect::Modality::kTrace, "pay latency_p99_ms 900", 8),
                          A("other", detect::Modality::kLog, "errors", 50)},
                         "pay");
  EXPECT_EQ(d.type, "cpu_contention");
  EXPECT_GT(d.confidence, 0.5);
}

TEST(FaultClassifier, ErrorsPointToErrorResponse) {
  auto d = ClassifyFault({A("orders", detect::Modality::kTrace, "orders error_rate 0.4", 20),
                          A("orders", detect::Modality::kLog, "new template: NullPointerException", 10)},
                         "orders");
  EXPECT_EQ(d.type, "error_response");
}

TEST(FaultClassifier, NoEvidenceIsUnknown) {
  auto d = ClassifyFault({}, "x");
  EXPECT_EQ(d.type, "unknown");
  EXPECT_EQ(d.confidence, 0);
}

}  // namespace
}  // namespace augur::diagnose
