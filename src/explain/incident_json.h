// incident.json: the documented, stable JSON form of incidents (schema in docs/incident-schema.md).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "explain/incident.h"

namespace augur::explain {

constexpr int kIncidentSchemaVersion = 1;

nlohmann::json AnomalyToJson(const detect::Anomaly& a);
nlohmann::json IncidentToJson(const Incident& incident);

}  // namespace augur::explain
