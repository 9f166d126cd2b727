// The built-in sock-shop world of seed 000: 14 components under Locust-like load, with Chaos Mesh
// style faults, producing traces, logs and per-pod metrics in simulated time plus ground-truth
// labels. Same config and seed ⇒ same records, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"

namespace augur::sim {

enum class FaultType : uint8_t {
  kPodFailure,
  kNetworkPartition,
  kIoFailure,
  kBandwidthLimit,
  kHttpAbort,
  kMemoryStress,
  kNetworkDelay,
  kCpuStress,
  kPacketLoss,
  kCodeException,
  kWrongReturn,
  kBadDeploy,
};
std::string_view FaultTypeName(FaultType t);  // "pod_failure", ...

// One injected fault. Times are seconds from the start of the run; negative start/end mean "the
// fault window of the protocol" (baseline, fault, recovery).
struct FaultSpec {
  FaultType type = FaultType::kPodFailure;
  std::string target;    // service (component) name
  std::string peer;      // network partition: the other side
  bool one_pod = false;  // only the first pod of the target (Chaos Mesh mode "one")
  double start_s = -1;
  double end_s = -1;
  double value = 0;  // delay ms | bandwidth kbps | loss % | io error % | MB per worker | cpu load %
  int workers = 0;   // stress workers
  std::string method;      // HTTP abort / exception: matching method ("" = any)
  std::string path;        // HTTP abort / exception: path prefix or route
  double probability = 1;  // exception / wrong return: share of matching requests
  std::string version;     // bad deploy: the new version
};

struct ScenarioInfo {
  std::string name;         // lower_snake
  std::string description;  // one line
  std::string seed_table3;  // the row of seed 000's Table 3 it reproduces ("" for extra scenarios)
  std::vector<FaultSpec> faults;
};

// Every fault scenario (not "normal"), in a fixed order: the 12 of seed 000's Table 3, then the
// extras.
const std::vector<ScenarioInfo>& Scenarios();
const ScenarioInfo* FindScenario(std::string_view name);

// The components of seed 000's Table 2 plus the ingress gateway that roots every trace.
std::vector<std::string> ComponentNames();

// A version change rolled out at `at_s` seconds (new pods replace the old ones).
struct DeployEvent {
  std::string service;
  std::string version;
  double at_s = 0;
};

// Weights of the randomized part of the Locust workflow (Figure 6's blue boxes). Register, login
// and checkout are sequential steps of each user's round and are not weighted.
struct RequestMix {
  double index = 0.10;
  double catalogue = 0.22;
  double item = 0.16;
  double tags = 0.05;
  double add_to_cart = 0.20;
  double remove_from_cart = 0.05;
  double view_cart = 0.10;
  double address = 0.04;
  double card = 0.04;
  double orders = 0.04;
  // Sets one weight by name ("catalogue", "add_to_cart", ...); false for an unknown name.
  bool Set(std::string_view name, double weight);
};

struct SimConfig {
  // "normal", a scenario name, or names joined with '+' (overlap); "name@A-B" runs that fault from
  // minute A to minute B instead of the protocol's fault window.
  std::string scenario = "normal";
  std::vector<FaultSpec> extra_faults;
  std::vector<DeployEvent> deploys;
  double minutes = 30;
  double baseline_minutes = -1;  // default: a third of `minutes`
  double fault_minutes = -1;     // default: a third of `minutes`
  double rps = 10;               // mean Locust requests per second
  int users = 50;                // simulated Locust users walking the workflow
  RequestMix mix;
  int replicas = 1;  // pods per stateless service (payment has at least 2)
  uint64_t seed = 1;
  TimeNs start =
      1731960000LL * 1'000'000'000;  // 2024-11-18T20:00:00Z, the week of seed 000's traces
  double metrics_interval_s = 1;
  double batch_s = 10;           // simulated seconds per emitted Batch
  double diurnal_amplitude = 0;  // 0..0.9: rate × (1 + a·sin(2πt/period))
  double diurnal_period_minutes = 1440;
  bool ingress_spans = true;  // root every trace at the Istio ingress gateway

  Status Validate() const;
};

// Ground truth for one fault: what, where, when, and how many traces it touched.
struct FaultLabel {
  std::string name;  // scenario name it came from
  FaultType type;
  std::string target_service;
  std::vector<std::string> target_pods;
  std::string peer;
  std::string description;
  std::string chaos_mesh;  // the Chaos Mesh experiment this mimics
  TimeNs start = 0;
  TimeNs end = 0;
  TimeNs recovered = 0;          // end plus the recovery lag (restart, reconnect, queue drain)
  uint64_t affected_traces = 0;  // traces the fault changed (latency, error, retry, missing hop)
  uint64_t affected_error_traces = 0;  // of those, traces whose root ended in error
  uint64_t traces_in_window = 0;       // all traces started in [start, recovered)
};

// A log line written for a request that a fault touched (`faults`: bit i = Labels()[i]). Lines
// are told apart by time and pod, so the telemetry itself carries no trace of the truth.
struct AffectedLog {
  TimeNs time = 0;
  std::string instance;
  uint64_t faults = 0;
};

struct DeployLabel {
  std::string service;
  std::string from_version;
  std::string to_version;
  std::vector<std::string> new_pods;
  TimeNs time = 0;
  bool bad = false;  // part of a bad_deploy fault
};

struct SimStats {
  uint64_t traces = 0;
  uint64_t error_traces = 0;
  uint64_t spans = 0;
  uint64_t logs = 0;
  uint64_t metric_points = 0;
};

class Simulator {
 public:
  static Result<std::unique_ptr<Simulator>> Create(SimConfig config);
  ~Simulator();

  // Runs the whole simulation once, handing over a Batch per `batch_s` of simulated time (records
  // in event-time order within a batch; spans by end time). The callee may move records out.
  Status Run(const std::function<void(Batch&)>& on_batch);

  const SimConfig& config() const;
  const std::vector<FaultLabel>& Labels() const;  // complete after Run
  const std::vector<DeployLabel>& Deploys() const;
  const std::vector<AffectedLog>& AffectedLogs() const;  // complete after Run, in write order
  const SimStats& stats() const;
  // labels.json: scenario, seed, run window, protocol phases, faults and deploys.
  std::string LabelsJson() const;
  // The version of each pod's service, for the OTLP resource attribute service.version.
  std::string VersionOf(std::string_view pod) const;

  struct Impl;

 private:
  explicit Simulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a simulation into DIR/traces.jsonl, logs.jsonl, metrics.jsonl (OTLP/JSON lines, ".gz" when
// gzip), DIR/labels.json and DIR/affected_logs.json (one
// AffectedLog per entry: [time_ns, pod, [indices into labels.json's "faults"]]).
struct WriteSummary {
  std::string dir;
  SimStats stats;
  uint64_t bytes = 0;
  size_t faults = 0;
};
Result<WriteSummary> WriteSimulation(const SimConfig& config, const std::string& dir,
                                     bool gzip = false);

}  // namespace augur::sim
