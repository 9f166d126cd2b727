#include "localize/health.h"

#include <algorithm>

#include <fmt/format.h>

namespace augur::localize {

Status HealthConfig::Validate() const {
  for (double p :
       {duration_penalty, success_penalty, p99_penalty, http_5xx_penalty, deploy_penalty})
    if (p < 0 || p > 1) return Status::Error("health penalties must lie in [0, 1]");
  if (success_threshold < 0 || success_threshold > 1)
    return Status::Error("health success_threshold must lie in [0, 1]");
  if (duration_threshold_ms <= 0 || p99_threshold_ms <= 0 || deploy_ttl_minutes < 0)
    return Status::Error("health thresholds must be positive");
  return Status::Ok();
}

std::vector<HealthScore> ComputeHealth(const ServiceGraph& graph, const HealthConfig& c,
                                       const std::map<std::string, TimeNs>& deploy_times,
                                       TimeNs now) {
  std::vector<HealthScore> out;
  for (const auto& [name, node] : graph.services()) {
    HealthScore h;
    h.service = name;
    const CallStats& r = node.requests;
    h.requests = r.count;
    if (auto it = deploy_times.find(name); it != deploy_times.end() && it->second > 0)
      h.deploy_age_minutes = static_cast<double>(now - it->second) / 60e9;
    if (r.count > 0) {
      h.mean_duration_ms = r.MeanLatency();
      h.p99_ms = r.Percentile(0.99);
      h.http_5xx = r.http_5xx;
      h.success_rate =
          r.http_any > 0 ? static_cast<double>(r.http_2xx) / r.http_any : 1.0 - r.error_rate();
      if (h.mean_duration_ms > c.duration_threshold_ms) {
        h.score -= c.duration_penalty;
        h.penalties.push_back("duration");
      }
      if (h.success_rate < c.success_threshold) {
        h.score -= c.success_penalty;
        h.penalties.push_back("success_rate");
      }
      if (h.p99_ms > c.p99_threshold_ms) {
        h.score -= c.p99_penalty;
        h.penalties.push_back("p99");
      }
      if (h.http_5xx > 0) {
        h.score -= c.http_5xx_penalty;
        h.penalties.push_back("http_5xx");
      }
    }
    if (h.deploy_age_minutes >= 0 && h.deploy_age_minutes < c.deploy_ttl_minutes) {
      h.score -= c.deploy_penalty;
      h.penalties.push_back("recent_deploy");
    }
    h.score = std::clamp(h.score, 0.0, 1.0);
    out.push_back(std::move(h));
  }
  return out;
}

std::string ServiceScoresCsv(const std::vector<HealthScore>& scores) {
  std::string out =
      "service,score,requests,mean_duration_ms,success_rate,p99_ms,http_5xx,deploy_age_minutes,"
      "penalties\n";
  for (const HealthScore& h : scores) {
    std::string pen;
    for (const auto& p : h.penalties) pen += (pen.empty() ? "" : ";") + p;
    out += fmt::format("{},{:.4f},{},{:.3f},{:.4f},{:.3f},{},{:.1f},{}\n", h.service, h.score,
                       h.requests, h.mean_duration_ms, h.success_rate, h.p99_ms, h.http_5xx,
                       h.deploy_age_minutes, pen);
  }
  return out;
}

}  // namespace augur::localize
