#include "serve/alertmanager.h"

#include <httplib.h>

#include <mutex>

#include <fmt/format.h>

#include "core/text.h"
#include "core/url.h"

namespace augur::serve {

nlohmann::json IncidentAlerts(const nlohmann::json& incidents, TimeNs now, double refresh_seconds) {
  nlohmann::json alerts = nlohmann::json::array();
  const TimeNs refresh = static_cast<TimeNs>(refresh_seconds * 1e9);
  for (const auto& inc : incidents) {
    nlohmann::json labels = {{"alertname", "AugurIncident"},
                             {"incident", inc.value("start", "")},
                             {"fault_type", inc.value("fault_type", "unknown")}};
    nlohmann::json annotations = {{"summary", inc.value("summary", "")},
                                  {"description", inc.value("narrative", "")}};
    const auto& ranking = inc.value("ranking", nlohmann::json::array());
    std::string severity = "info";
    if (!ranking.empty()) {
      const auto& top = ranking.front();
      labels["service"] = top.value("service", "");
      const std::string level = top.value("level", "");
      severity = level == "red" ? "critical" : level == "yellow" ? "warning" : "info";
      annotations["probability"] = fmt::format("{:.0f} %", 100 * top.value("probability", 0.0));
    }
    labels["severity"] = severity;
    if (inc.contains("store_id") && inc["store_id"].is_number())
      annotations["store_id"] = std::to_string(inc["store_id"].get<int64_t>());
    const bool open = inc.value("open", false);
    alerts.push_back({{"labels", labels},
                      {"annotations", annotations},
                      {"startsAt", inc.value("start", "")},
                      {"endsAt", open ? FormatIsoTime(now + refresh) : inc.value("end", "")}});
  }
  return alerts;
}

struct AlertmanagerClient::Impl {
  std::string url;
  HttpUrl parsed;
  mutable std::mutex mutex;  // one post at a time; the counters
  std::unique_ptr<httplib::Client> client;
  uint64_t posts = 0, alerts = 0, failures = 0;
  std::string last_error;
};

AlertmanagerClient::AlertmanagerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlertmanagerClient::~AlertmanagerClient() = default;

Result<std::unique_ptr<AlertmanagerClient>> AlertmanagerClient::Create(const std::string& url) {
  auto parsed = ParseHttpUrl(url);
  if (!parsed)
    return Status::Error(fmt::format("--alertmanager \"{}\": {}", url, parsed.message()));
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->parsed = *parsed;
  impl->client = std::make_unique<httplib::Client>(parsed->SchemeHostPort());
  if (!impl->client->is_valid())
    return Status::Error(fmt::format("--alertmanager \"{}\": unusable URL", url));
  impl->client->set_connection_timeout(5, 0);
  impl->client->set_read_timeout(5, 0);
  impl->client->set_write_timeout(5, 0);
  return std::unique_ptr<AlertmanagerClient>(new AlertmanagerClient(std::move(impl)));
}

Status AlertmanagerClient::Send(const nlohmann::json& alerts) {
  if (alerts.empty()) return Status::Ok();
  std::lock_guard lock(impl_->mutex);
  const std::string path = impl_->parsed.path + "/api/v2/alerts";
  auto res = impl_->client->Post(path, alerts.dump(), "application/json");
  std::string error;
  if (!res)
    error = fmt::format("{}: cannot reach it ({})", impl_->url, httplib::to_string(res.error()));
  else if (res->status != 200)
    error = fmt::format("{}{}: HTTP {}: {}", impl_->url, path, res->status,
                        CutUtf8(ReplaceInvalidUtf8(res->body), 300));
  ++impl_->posts;
  if (!error.empty()) {
    ++impl_->failures;
    impl_->last_error = error;
    return Status::Error("Alertmanager: " + error);
  }
  impl_->alerts += alerts.size();
  return Status::Ok();
}

nlohmann::json AlertmanagerClient::StatusJson() const {
  std::lock_guard lock(impl_->mutex);
  return {{"url", impl_->url},
          {"posts", impl_->posts},
          {"alerts", impl_->alerts},
          {"failures", impl_->failures},
          {"last_error", impl_->last_error}};
}

}  // namespace augur::serve
