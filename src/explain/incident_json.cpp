#include "explain/incident_json.h"

#include "core/time.h"

namespace augur::explain {

nlohmann::json AnomalyToJson(const detect::Anomaly& a) {
  return {{"start", FormatIsoTime(a.start)},
          {"end", FormatIsoTime(a.end)},
          {"start_ns", a.start},
          {"end_ns", a.end},
          {"service", a.service},
          {"instance", a.instance},
          {"modality", detect::ModalityName(a.modality)},
          {"detector", a.detector},
          {"score", a.score},
          {"threshold", a.threshold},
          {"summary", a.summary},
          {"evidence", a.evidence}};
}

nlohmann::json IncidentToJson(const Incident& inc) {
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& r : inc.ranking)
    ranking.push_back(
        {{"service", r.service},
         {"probability", r.probability},
         {"level", r.level},
         {"outage_probability", r.outage < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.outage)},
         {"evidence", r.evidence}});
  nlohmann::json anomalies = nlohmann::json::array();
  for (const auto& a : inc.anomalies) anomalies.push_back(AnomalyToJson(a));
  return {{"id", inc.id},
          {"start", FormatIsoTime(inc.start)},
          {"end", FormatIsoTime(inc.end)},
          {"start_ns", inc.start},
          {"end_ns", inc.end},
          {"onset", FormatIsoTime(inc.onset ? inc.onset : inc.start)},
          {"onset_ns", inc.onset ? inc.onset : inc.start},
          {"services", inc.services},
          {"root_cause", inc.ranking.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json(inc.ranking.front().service)},
          {"ranking", ranking},
          {"localization_confidence", inc.localization_confidence},
          {"fault_type", inc.fault_type},
          {"fault_confidence", inc.fault_confidence},
          {"fault_reason", inc.fault_reason},
          {"summary", inc.summary},
          {"narrative", inc.narrative},
          {"anomalies", anomalies}};
}

}  // namespace augur::explain
