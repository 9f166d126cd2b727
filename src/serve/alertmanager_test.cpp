// Incidents as Alertmanager alerts: labels that route, a firing alert while the incident is open,
// a resolved one once it is finished.
#include "serve/alertmanager.h"

#include <gtest/gtest.h>

namespace augur::serve {
namespace {

TEST(Alertmanager, AnOpenIncidentFiresAndAFinishedOneIsResolved) {
  const auto incidents = nlohmann::json::parse(R"([
    {"start": "2024-11-18T20:03:00Z", "end": "2024-11-18T20:07:00Z", "open": false, "store_id": 7,
     "fault_type": "network_delay", "summary": "shipping is the likely origin", "narrative": "n",
     "ranking": [{"service": "shipping", "probability": 0.94, "level": "red"},
                 {"service": "orders", "probability": 0.03, "level": "yellow"}]},
    {"start": "2024-11-18T21:00:00Z", "end": "2024-11-18T21:01:00Z", "open": true,
     "store_id": null, "fault_type": "unknown", "summary": "s", "narrative": "",
     "ranking": [{"service": "carts", "probability": 0.12, "level": "yellow"}]},
    {"start": "2024-11-18T22:00:00Z", "end": "2024-11-18T22:01:00Z", "open": true,
     "fault_type": "unknown", "summary": "", "narrative": "", "ranking": []}])");
  const TimeNs now = *ParseIsoTime("2026-11-25T02:00:00Z");
  auto alerts = IncidentAlerts(incidents, now, 240);
  ASSERT_EQ(alerts.size(), 3u);

  EXPECT_EQ(alerts[0]["labels"], nlohmann::json::parse(R"({"alertname": "AugurIncident",
    "incident": "2024-11-18T20:03:00Z", "service": "shipping", "fault_type": "network_delay",
    "severity": "critical"})"));
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "shipping is the likely origin");
  EXPECT_EQ(alerts[0]["annotations"]["probability"], "94 %");
  EXPECT_EQ(alerts[0]["annotations"]["store_id"], "7");
  EXPECT_EQ(alerts[0]["startsAt"], "2024-11-18T20:03:00Z");
  EXPECT_EQ(alerts[0]["endsAt"], "2024-11-18T20:07:00Z");  // finished: resolved

  EXPECT_EQ(alerts[1]["labels"]["severity"], "warning");
  EXPECT_FALSE(alerts[1]["annotations"].contains("store_id"));
  EXPECT_EQ(alerts[1]["endsAt"], FormatIsoTime(now + 240'000'000'000LL));  // open: firing

  EXPECT_FALSE(alerts[2]["labels"].contains("service"));  // nothing ranked
  EXPECT_EQ(alerts[2]["labels"]["severity"], "info");
}

TEST(Alertmanager, RefusesAUrlItCannotUse) {
  EXPECT_NE(AlertmanagerClient::Create("localhost:9093").message().find("no scheme"),
            std::string::npos);
  EXPECT_NE(AlertmanagerClient::Create("ftp://h").message().find("http or https"),
            std::string::npos);
  EXPECT_TRUE(AlertmanagerClient::Create("http://127.0.0.1:9093/am/").ok());
}

}  // namespace
}  // namespace augur::serve
