#include "diagnose/fault_classifier.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace augur::diagnose {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Has(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

}  // namespace

FaultDiagnosis ClassifyFault(const std::vector<detect::Anomaly>& anomalies, const std::string& service) {
  std::map<std::string, double> votes;
  for (const auto& a : anomalies) {
    if (a.service != service) continue;
    double w = std::log1p(a.threshold > 0 ? a.score / a.threshold : a.score);
    std::string text = Lower(a.summary);
    for (const auto& e : a.evidence) {
      text += ' ';
      text += Lower(e);
    }
    switch (a.modality) {
      case detect::Modality::kMetric:
        if (Has(text, "cpu")) votes["cpu_contention"] += w;
        if (Has(text, "mem")) votes["memory_stress"] += w;
        if (Has(text, "restart") || Has(text, "up ")) votes["pod_failure"] += w;
        if (Has(text, "latency")) votes["network_delay"] += 0.5 * w;
        if (Has(text, "error") || Has(text, "success")) votes["error_response"] += 0.5 * w;
        break;
      case detect::Modality::kTrace:
        if (Has(text, "error")) votes["error_response"] += w;
        if (Has(text, "latency")) votes["network_delay"] += w;
        if (Has(text, "missing") || Has(text, "vanished")) votes["pod_failure"] += w;
        break;
      case detect::Modality::kLog:
        if (Has(text, "refused") || Has(text, "unreachable") || Has(text, "no route") ||
            Has(text, "connection reset"))
          votes["pod_failure"] += w;
        else if (Has(text, "timeout") || Has(text, "timed out"))
          votes["network_delay"] += w;
        else
          votes["error_response"] += w;
        break;
      case detect::Modality::kEvent:
        votes["cpu_contention"] += 0.5 * w;
        break;
    }
  }
  FaultDiagnosis d;
  double total = 0;
  for (auto& [t, v] : votes) total += v;
  if (total <= 0) return d;
  for (auto& [t, v] : votes) d.scores.push_back({t, v / total});
  std::sort(d.scores.begin(), d.scores.end(), [](auto& a, auto& b) { return a.second > b.second; });
  d.type = d.scores.front().first;
  d.confidence = d.scores.front().second;
  return d;
}

}  // namespace augur::diagnose
