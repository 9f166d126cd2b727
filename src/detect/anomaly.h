// What every detector emits: an anomaly with where, when, how strong, and the evidence behind it.
#pragma once

#include <string>
#include <vector>

#include "core/event.h"

namespace augur::detect {

enum class Modality : uint8_t { kLog, kTrace, kMetric, kEvent };
std::string_view ModalityName(Modality m);  // "log", "trace", "metric", "event"

struct Anomaly {
  TimeNs start = 0;
  TimeNs end = 0;
  std::string service;   // "" when not attributable
  std::string instance;  // pod/host when known
  Modality modality = Modality::kLog;
  // Registered name of the detector, e.g. "log_lm", "next_key", "metric_deviation".
  std::string detector;
  double score = 0;                   // detector-specific; higher is more anomalous
  double threshold = 0;               // the score above which the detector calls it anomalous
  std::string summary;                // one sentence for people
  std::vector<std::string> evidence;  // actual log lines, span descriptions, metric values

  // How far past its threshold: score / threshold (the score itself where there is no threshold).
  double strength() const { return threshold > 0 ? score / threshold : score; }
};

}  // namespace augur::detect
