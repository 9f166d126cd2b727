// Root-cause localization: the library API `augur localize`, `augur train`, `augur detect` and
// `augur eval nezha` call. Learns the normal topology and profile, then for a window of telemetry
// builds the service graph, health scores and evidence, and answers each service's probability of
// outage and of being the origin by exact inference on a noisy-OR Bayesian network
// (docs/localize.md).
//
// Use:
//   localize::Localizer loc;                       // config defaults are the documented model
//   for (batch : normal data) loc.Learn(batch);    // training: normal traffic only
//   loc.FinishLearning();
//   loc.Save(bundle);                              // writes localize.json into the model bundle
//   ...
//   loc.Load(bundle);                              // detection side
//   auto r = loc.Localize(window, &anomalies);     // window: the batch of the minutes to explain
//   r->ranking[0].service, r->ranking[0].p_origin  // most likely origin first
// Localize may be called repeatedly (sliding windows): while the graph keeps its shape, the
// compiled junction tree is reused and only the evidence is propagated again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/result.h"
#include "detect/anomaly.h"
#include "learn/model_bundle.h"
#include "localize/bayes_net.h"
#include "localize/evidence.h"
#include "localize/health.h"
#include "localize/service_graph.h"

namespace augur::localize {

struct LocalizerConfig {
  HealthConfig health;
  double origin_prior = 0.01;  // P(a given service is the origin of a failure) before evidence
  double propagation =
      0.5;              // P(a caller shows failure | its callee fails), per edge (noisy-OR weight)
  double leak = 0.001;  // P(a service shows failure with no failing cause in the model)
  double health_max_bf = 10;  // Bayes factor of a health score dropping from its normal value to 0
  // P(a failing service shows its failure in the data we observe). An observed service whose tests
  // all look normal gets likelihood ratio 1 - sensitivity; one with evidence (1 - s) + s * BF.
  double sensitivity = 0.5;
  // P(a service's own behaviour turns abnormal | it fails only because a callee fails): how often a
  // propagated failure makes the caller's own code log new errors, slow down or burn CPU.
  double own_from_propagation = 0.1;
  // Host nodes (where the data says which host each pod runs on): a machine's failure is a shared
  // cause of the failure of the services whose pods run on it. Opt-in: on the Nezha day (pod-level
  // faults only) they take probability from the true pod's service (docs/localize.md).
  bool hosts = false;
  // P(a service whose pods all run on a failing machine fails; and, separately, that its own
  // behaviour turns abnormal), scaled by the share of its pods on that machine.
  double host_effect = 0.5;
  // P(a failing pod shows in its machine's metrics), scaled by the share of the service's pods on
  // it: a pod burning CPU loads its machine too, so host metrics alone do not blame the machine.
  double host_load = 0.5;
  EliminationHeuristic heuristic = EliminationHeuristic::kMinFill;
  int max_cluster_vars = 22;  // beyond this the weakest edges are dropped (reported in notes)
  std::map<std::string, TimeNs> deploy_times;  // service → last deploy, for the health score
  Status Validate() const;
};

// Seed 000's colour levels: green 0-15 %, yellow 16-45 %, red 46-99 %.
std::string_view ColourOf(double probability);

// A pod's share of its service's origin probability.
struct PodCause {
  std::string pod;
  std::string host;     // "" when not known
  double p_origin = 0;  // P(the failure started in this pod | evidence)
  double log10_bf = 0;  // strength of the pod's own tests
};

struct RootCause {
  std::string kind = "service";  // "service" or "host"
  std::string service;           // the service; for a host "host NAME"
  std::string host;              // the host (for a service: when all its placed pods are on one)
  std::string pod;               // the most likely pod of a service with several pods ("" else)
  std::vector<PodCause> pods;    // a service's pods, or the pods on a host
  double p_origin = 0;           // P(this service is where the failure started | evidence)
  double p_outage = 0;  // P(this service is failing, started here or propagated | evidence)
  std::string colour;   // of p_outage
  double health = 1;
  double log10_bf = 0;  // strength of the service's own evidence
  bool observed = false;
  std::vector<EvidenceItem> evidence;
};

struct Localization {
  TimeNs start = 0, end = 0;
  std::vector<RootCause> ranking;  // every service and host node, by p_origin descending
  std::vector<HealthScore> health;
  std::vector<std::pair<std::string, std::string>> edges;  // caller → callee used in the network
  std::map<std::pair<std::string, std::string>, CallStats> edge_stats;
  std::vector<std::pair<std::string, std::string>> host_edges;  // host → service in the network
  double confidence = 0;  // 0..1: share of services observed, discounted for unjoinable spans
  std::vector<std::string> notes;  // data-quality statements (empty window, dropped edges, ...)
  InferenceStats inference;
  bool reused_structure = false;  // the junction tree was reused (incremental update)
  double seconds = 0;
};

class Localizer {
 public:
  explicit Localizer(LocalizerConfig config = {});

  // Training on normal data (any number of batches, in time order), then FinishLearning.
  void Learn(const Batch& batch);
  void FinishLearning();
  // Adds edges from a topology file (service-mesh data) to the learned topology.
  Status AddTopologyFile(const std::string& path);

  // Bundle I/O: model "localize", file localize.json (topology + normal profile).
  Status Save(learn::ModelBundle& bundle) const;
  Status Load(const learn::ModelBundle& bundle);

  // Localizes a window. Never fails on data: an empty or partial window gives a result with low
  // confidence and notes; fails only when inference itself is impossible.
  Result<Localization> Localize(const Batch& window,
                                const std::vector<detect::Anomaly>* anomalies = nullptr);

  const ServiceGraph& topology() const { return topology_; }
  const NormalProfile& profile() const { return profile_; }
  const Placement& placement() const { return placement_; }
  const LocalizerConfig& config() const { return config_; }

 private:
  double CallShare(const std::string& caller, const std::string& callee,
                   const ServiceGraph& window) const;

  LocalizerConfig config_;
  ServiceGraph topology_;
  ServiceGraph learn_graph_;
  NormalProfile profile_;
  Placement placement_;
  std::map<std::string, double> normal_health_;
  std::map<std::string, uint64_t> normal_requests_;  // entry spans per service in the normal data
  // Cached network for incremental updates.
  std::string structure_key_;
  BayesNet net_;
  std::optional<JunctionTree> tree_;
  std::vector<std::string> net_services_;
  std::vector<int> origin_var_, outage_var_, own_var_;
  std::vector<std::pair<std::string, std::string>> net_edges_;
  std::vector<std::string> net_hosts_;
  std::vector<int> host_var_, hostobs_var_;
  std::vector<std::pair<std::string, std::string>> net_host_edges_;
  std::vector<std::string> net_notes_;
};

// Outputs.
// service,p_outage,p_origin,colour,health,kind,pod,host: a row per service and host node, and per
// pod of services with several pods (kind "pod": service is its service, p_origin its share).
std::string OutageProbabilitiesCsv(const Localization& r);
nlohmann::json ToJson(const Localization& r, size_t max_evidence = 5);
// Grafana Node Graph API: {"fields": {nodes_fields, edges_fields}, "data": {nodes, edges}}.
nlohmann::json NodeGraphJson(const Localization& r);

}  // namespace augur::localize
