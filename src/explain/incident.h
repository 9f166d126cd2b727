// An incident: anomalies grouped in time and across services, the ranked root cause, the fault
// type, and the words a person on call reads.
#pragma once

#include <string>
#include <vector>

#include "detect/anomaly.h"

namespace augur::explain {

// Seed 000's colour levels for a probability of outage: green 0-15 %, yellow 16-45 %, red 46-99 %.
std::string_view OutageLevel(double probability);
// "a" or "an" before `word` ("an error_response fault").
std::string_view Article(std::string_view word);

struct RankedService {
  std::string service;
  double probability = 0;  // probability that this service is the origin
  std::string level;       // green / yellow / red, of `outage`
  std::vector<std::string> evidence;
  double outage = -1;  // probability that the service is failing (origin or not); -1 unknown
};

struct Incident {
  std::string id;
  TimeNs start = 0;
  TimeNs end = 0;
  TimeNs onset = 0;  // when it took hold (OnsetOf; set by the pipeline), 0 until then
  std::vector<detect::Anomaly> anomalies;
  std::vector<std::string> services;   // every service with an anomaly, most anomalous first
  std::vector<RankedService> ranking;  // most probable origin first
  std::vector<std::pair<std::string, std::string>> edges;  // caller → callee the localizer used
  double localization_confidence = 0;  // 0..1: how much of the system the data covered
  std::string fault_type;              // "unknown" when the evidence does not say
  double fault_confidence = 0;
  std::string fault_reason;  // the strongest signal behind fault_type, for the narrative
  std::string summary;       // one line: when, which service, how sure, why
  std::string narrative;     // a few sentences grounded in the evidence
};

struct GroupingConfig {
  TimeNs gap = 120LL * 1'000'000'000;  // anomalies closer than this belong to one incident
  size_t min_anomalies = 2;            // a lone anomalous window is noise, not an incident
  // Stretches [from, to) with no telemetry (pipeline::Recorder::Silences): no incident spans one;
  // what was anomalous before and after it cannot be told to be one thing.
  std::vector<std::pair<TimeNs, TimeNs>> silences;
};

// Groups anomalies (any order) into incidents, in time order, with ids "inc-<n>".
std::vector<Incident> GroupAnomalies(std::vector<detect::Anomaly> anomalies,
                                     const GroupingConfig& config = {});

// When the incident took hold: the start of the first `bin`-long slice (from the incident's start)
// with at least half as many distinct (detector, service) anomalies as the busiest slice. Stray
// early anomalies that the grouping gap joined to the incident do not move it.
TimeNs OnsetOf(const Incident& incident, TimeNs bin);

// Fills summary and narrative from the ranking, fault type and anomalies (and onset, from
// one-minute slices, where the pipeline has not set it).
void Explain(Incident& incident);

}  // namespace augur::explain
