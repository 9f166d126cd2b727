// Health scores as seed 000's get_score defines them: start at 1.0, subtract a penalty per failed
// check (mean request duration, 2xx rate, p99, any 5xx, a recent deploy), clamp to [0, 1].
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "localize/service_graph.h"

namespace augur::localize {

// Seed 000 gives the checks and thresholds but not the penalty sizes; ours are chosen so that the
// two checks that mean "requests fail" (2xx rate, 5xx) weigh most, and all five together reach 0.
struct HealthConfig {
  double duration_threshold_ms = 1000;  // mean request duration above this: penalty
  double duration_penalty = 0.2;
  double success_threshold = 0.70;  // 2xx rate below this: penalty
  double success_penalty = 0.3;
  double p99_threshold_ms = 200;
  double p99_penalty = 0.2;
  double http_5xx_penalty = 0.2;   // any 5xx
  double deploy_ttl_minutes = 60;  // deployed less than this long ago: penalty
  double deploy_penalty = 0.1;
  Status Validate() const;
};

struct HealthScore {
  std::string service;
  double score = 1;
  uint64_t requests = 0;
  double mean_duration_ms = 0;
  double success_rate = 1;  // 2xx share of requests with an HTTP status; else the non-error share
  double p99_ms = 0;
  uint64_t http_5xx = 0;
  double deploy_age_minutes = -1;      // -1 when unknown
  std::vector<std::string> penalties;  // names of the checks that fired
};

// One score per service of the graph (services with no requests keep 1.0 and requests = 0).
// `deploy_times` maps a service to its last deploy (Unix ns); `now` is the end of the window.
std::vector<HealthScore> ComputeHealth(const ServiceGraph& graph, const HealthConfig& config,
                                       const std::map<std::string, TimeNs>& deploy_times,
                                       TimeNs now);

// service_scores.csv: service,score,requests,mean_duration_ms,success_rate,p99_ms,http_5xx,
// deploy_age_minutes,penalties
std::string ServiceScoresCsv(const std::vector<HealthScore>& scores);

}  // namespace augur::localize
