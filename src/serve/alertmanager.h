// Incidents as Prometheus Alertmanager alerts, so that the paging an SRE team already routes
// through Alertmanager (PagerDuty, Slack, e-mail receivers, silences, inhibition) carries augur's
// incidents too.
//
// After every detection run, each incident of the run is posted to Alertmanager's API v2
// (POST URL/api/v2/alerts) as one alert:
//   labels       alertname="AugurIncident", incident=<its start, ISO 8601>, service=<most likely
//                origin>, fault_type, severity ("critical" when the origin's outage level is red,
//                "warning" when yellow, else "info")
//   annotations  summary (the incident's headline), description (its narrative), probability
//                (P(origin) in %), store_id (once stored)
//   startsAt     the incident's start; endsAt: its end once finished (Alertmanager resolves it),
//                else now + `refresh_seconds` (it stays firing while later runs re-send it, and
//                resolves on its own if augur stops).
// A later run that names another origin changes the labels, and so the alert: the old one then
// ends at its endsAt.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"

namespace augur::serve {

// The alerts for the incidents of a run (as GET /api/incidents serves them: incident JSON with
// `open` and `store_id`), at wall-clock time `now`.
nlohmann::json IncidentAlerts(const nlohmann::json& incidents, TimeNs now, double refresh_seconds);

class AlertmanagerClient {
 public:
  // URL: http(s)://HOST[:PORT][/PREFIX], Alertmanager's own address (its API is under it).
  static Result<std::unique_ptr<AlertmanagerClient>> Create(const std::string& url);
  ~AlertmanagerClient();

  // Posts the alerts (nothing when there are none); 5 s to connect and to answer. Thread-safe.
  Status Send(const nlohmann::json& alerts);
  // {"url", "posts", "alerts", "failures", "last_error"}
  nlohmann::json StatusJson() const;

  struct Impl;

 private:
  explicit AlertmanagerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::serve
