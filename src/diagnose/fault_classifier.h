// Fault-type diagnosis of an incident's origin service. A transparent rule-based classifier over
// the localizer's tests of that service (what deviated from normal, which way, how strongly): each
// test is read as a signal (pod down, unreachable from its callers, errors, CPU, memory, slowness,
// another code path) and the signals vote for the fault types they are typical of
// (docs/diagnose.md). Detector anomalies are used only where the localizer had no test to offer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detect/anomaly.h"
#include "localize/evidence.h"
#include "localize/nezha_eval.h"

namespace augur::diagnose {

// The types augur names. Chaos experiments map onto them by FaultTypeOfInjection.
//   pod_failure        the service's pods are down (not ready, no memory, callers cannot reach it)
//   network_partition  callers cannot reach it while it runs
//   network_delay      it answers slowly without using more CPU or memory (delay, loss, bandwidth)
//   cpu_contention     it uses more CPU and slows down
//   memory_stress      it uses more memory
//   error_response     it fails requests: error spans, error log lines, falling success rate
//   wrong_return       no errors, but its code takes other paths (log templates, steps per request)
//   unknown            no evidence
struct FaultDiagnosis {
  std::string type = "unknown";
  double confidence = 0;                               // share of the evidence weight behind `type`
  std::vector<std::pair<std::string, double>> scores;  // every type's share, highest first
  std::vector<std::string> reasons;  // the strongest signals behind `type`, for people
};

// Classifies from the localizer's `evidence` about `service` (RootCause::evidence); when that is
// empty, from the detector anomalies attributed to `service` (others are ignored).
FaultDiagnosis ClassifyFault(const std::vector<localize::EvidenceItem>& evidence,
                             const std::vector<detect::Anomaly>& anomalies,
                             const std::string& service);

// The type an injected fault should be diagnosed as, for evaluations: the simulator's and Nezha's
// fault names (pod_failure, network_partition, io_failure, bandwidth_limit, http_abort,
// memory_stress, network_delay, cpu_stress, packet_loss, code_exception, wrong_return, exception,
// return, cpu_contention, cpu_consumed) to the types above; "" for faults with no single type
// (bad_deploy).
std::string FaultTypeOfInjection(std::string_view injected);

// Diagnoses every case of a localization evaluation (`augur eval nezha`, `augur eval sim`) from
// its top-ranked and its true service's evidence, and fills the result's type figures.
void DiagnoseCases(localize::NezhaEvalResult& result);

}  // namespace augur::diagnose
