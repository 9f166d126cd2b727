// Fault-type diagnosis from the evidence of an incident's origin service. A transparent rule-based
// classifier: each anomaly votes for the fault types its signal is typical of, weighted by strength.
#pragma once

#include <string>
#include <vector>

#include "detect/anomaly.h"

namespace augur::diagnose {

struct FaultDiagnosis {
  std::string type = "unknown";  // cpu_contention, memory_stress, network_delay, pod_failure,
                                 // error_response (exceptions, wrong returns, 5xx), unknown
  double confidence = 0;         // share of the evidence weight behind `type`
  std::vector<std::pair<std::string, double>> scores;  // every type's share, highest first
};

// Classifies from the anomalies attributed to `service` (others are ignored).
FaultDiagnosis ClassifyFault(const std::vector<detect::Anomaly>& anomalies, const std::string& service);

}  // namespace augur::diagnose
