#include "diagnose/fault_classifier.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <string_view>

#include "core/text.h"

namespace augur::diagnose {
namespace {

bool Has(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

// `word` in `s` not inside a longer word ("ready", not "already").
bool HasWord(const std::string& s, std::string_view word) {
  auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  for (size_t at = s.find(word); at != std::string::npos; at = s.find(word, at + 1)) {
    const size_t end = at + word.size();
    if ((at == 0 || !letter(s[at - 1])) && (end == s.size() || !letter(s[end]))) return true;
  }
  return false;
}

// Error text about connectivity: the peer could not be reached at all.
bool Unreachable(const std::string& lower) {
  return Has(lower, "refused") || Has(lower, "unreachable") || Has(lower, "no route") ||
         Has(lower, "connection reset") || Has(lower, "broken pipe");
}

bool Timeout(const std::string& lower) {
  return Has(lower, "timeout") || Has(lower, "timed out");
}

// What a deviation says about the service, independent of the fault type.
enum Signal : int { kDown, kUnready, kUnreached, kErrors, kCpu, kMemory, kSlow, kPath, kSignals };
constexpr std::array<const char*, kSignals> kSignalNames = {
    "down", "unready", "unreachable", "errors", "cpu", "memory", "slow", "other path"};

constexpr double kMaxWeight = 8;  // one test cannot outweigh the rest by more than p = 1e-8

// Signal of one metric deviation, or -1 when the series says nothing about the fault type
// (traffic, bytes, system calls: they move with any fault and with load).
int MetricSignal(const localize::EvidenceItem& e) {
  const std::string n = AsciiLower(e.what);
  const bool up = e.observed > e.expected;
  // `up` 0: the scrape target is gone. Not ready (or not available): the pods may still run
  // and fail their health checks; the process is gone only where something else says so.
  if (n == "up" || Has(n, "running")) return up ? -1 : kDown;
  if (Has(n, "ready") || Has(n, "available")) return up ? -1 : kUnready;
  if (Has(n, "restart")) return up ? kDown : -1;
  if (Has(n, "mem")) {
    if (up) return kMemory;
    // A container that is gone reports (next to) nothing.
    return e.observed < 0.2 * e.expected ? kDown : -1;
  }
  if (Has(n, "cpu")) return up ? kCpu : -1;
  if (Has(n, "latency") || Has(n, "duration") || Has(n, "response_time")) return up ? kSlow : -1;
  if (Has(n, "success")) return up ? -1 : kErrors;
  if (Has(n, "error") || Has(n, "fail") || Has(n, "5xx")) return up ? kErrors : -1;
  return -1;
}

int ItemSignal(const localize::EvidenceItem& e) {
  if (e.kind == "metric") return MetricSignal(e);
  if (e.kind == "unreached") return kUnreached;
  if (e.kind == "span_errors") return kErrors;
  if (e.kind == "self_time") return e.observed > e.expected ? kSlow : -1;
  if (e.kind == "error_template") {
    const std::string t = AsciiLower(e.what);
    return Unreachable(t) ? kUnreached : Timeout(t) ? kSlow : kErrors;
  }
  if (e.kind == "steps") {
    // An error handler running more often (Spring's BasicErrorController.error, an exception
    // mapper) is a failing request; any other step running more or less often is another path.
    const std::string t = AsciiLower(e.what.substr(0, e.what.find(" per ")));
    if (e.observed > e.expected && (Has(t, "error") || Has(t, "exception"))) return kErrors;
    return kPath;
  }
  // A normal template shrinking, a variable taking a value it never took, or statements always
  // written together written apart: the code took another path, or returned another answer.
  if (e.kind == "template_low" || e.kind == "template_value" || e.kind == "statements_apart")
    return kPath;
  return -1;
}

int AnomalySignal(const detect::Anomaly& a) {
  std::string text = AsciiLower(a.summary);
  for (const auto& e : a.evidence) text += ' ' + AsciiLower(e);
  switch (a.modality) {
    case detect::Modality::kMetric:
      if (Has(text, "mem")) return kMemory;
      if (Has(text, "cpu")) return kCpu;
      if (Has(text, "restart")) return kDown;
      if (HasWord(text, "ready")) return kUnready;
      if (Has(text, "error") || Has(text, "success")) return kErrors;
      if (Has(text, "latency")) return kSlow;
      return -1;
    case detect::Modality::kTrace:
      if (Has(text, "error")) return kErrors;
      if (Has(text, "latency") || Has(text, "slow")) return kSlow;
      if (Has(text, "missing") || Has(text, "vanished")) return kPath;
      return -1;
    case detect::Modality::kLog:
      return Unreachable(text) ? kUnreached : Timeout(text) ? kSlow : kErrors;
    case detect::Modality::kEvent:
      return kCpu;
  }
  return -1;
}

struct Reading {
  int signal;
  double weight;
  std::string detail;
};

}  // namespace

FaultDiagnosis ClassifyFault(const std::vector<localize::EvidenceItem>& evidence,
                             const std::vector<detect::Anomaly>& anomalies,
                             const std::string& service) {
  std::vector<Reading> readings;
  for (const auto& e : evidence) {
    const int s = ItemSignal(e);
    if (s < 0) continue;
    const double w = std::min(kMaxWeight, -std::log10(std::max(e.p_value, 1e-300)));
    if (w > 0) readings.push_back({s, w, e.detail});
  }
  if (readings.empty())
    for (const auto& a : anomalies) {
      if (a.service != service) continue;
      const int s = AnomalySignal(a);
      const double w = std::min(kMaxWeight, std::log1p(a.strength()));
      if (s >= 0 && w > 0) readings.push_back({s, w, a.summary});
    }
  // A signal's strength: its strongest reading plus a quarter of the others (many tests of one
  // kind — six shrunk templates — are one observation more than six).
  std::sort(readings.begin(), readings.end(),
            [](const Reading& a, const Reading& b) { return a.weight > b.weight; });
  std::array<double, kSignals> strength{};
  for (const Reading& r : readings)
    strength[r.signal] += strength[r.signal] == 0 ? r.weight : 0.25 * r.weight;

  // Signals → types. Slowness goes to a resource the service uses more of, else to the network;
  // "unreachable" to a pod failure when the pods are down, to failing requests when they run but
  // fail their health checks (not ready, nothing gone), else to a partition; another code path
  // is a wrong return only where nothing else explains it, and counts half.
  std::map<std::string, double> votes;
  std::map<int, std::string> type_of;  // signal → the type it voted for
  auto vote = [&](int s, const std::string& type, double share = 1) {
    if (strength[s] <= 0) return;
    votes[type] += share * strength[s];
    type_of[s] = type;
  };
  const bool down = strength[kDown] > 0, unready = strength[kUnready] > 0;
  vote(kDown, "pod_failure");
  vote(kUnready, down ? "pod_failure" : "error_response");
  vote(kUnreached, down ? "pod_failure" : unready ? "error_response" : "network_partition");
  vote(kErrors, "error_response");
  // Memory pressure explains more CPU use (allocating workers, garbage collection) and slowness;
  // CPU load does not explain more memory. So with memory up, CPU and slowness vote for it.
  const bool memory = strength[kMemory] > 0;
  vote(kMemory, "memory_stress");
  vote(kCpu, memory ? "memory_stress" : "cpu_contention");
  vote(kSlow, memory ? "memory_stress" : strength[kCpu] > 0 ? "cpu_contention" : "network_delay");
  if (strength[kErrors] > 0)
    vote(kPath, "error_response", 0.5);
  else if (strength[kDown] + strength[kUnready] + strength[kUnreached] > 0)
    vote(kPath, type_of[down ? kDown : unready ? kUnready : kUnreached], 0.5);
  else
    vote(kPath, "wrong_return", 0.5);

  FaultDiagnosis d;
  double total = 0;
  for (auto& [t, v] : votes) total += v;
  if (total <= 0) return d;
  for (auto& [t, v] : votes) d.scores.push_back({t, v / total});
  std::stable_sort(d.scores.begin(), d.scores.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  d.type = d.scores.front().first;
  d.confidence = d.scores.front().second;
  // Reasons: the readings that voted for the type, those of its defining signal first (a memory
  // stress is told by its memory reading, even where the CPU reading is stronger).
  static const std::map<std::string, int> kDefining = {
      {"pod_failure", kDown},   {"network_partition", kUnreached}, {"error_response", kErrors},
      {"cpu_contention", kCpu}, {"memory_stress", kMemory},        {"network_delay", kSlow},
      {"wrong_return", kPath}};
  const int defining = kDefining.at(d.type);
  std::stable_partition(readings.begin(), readings.end(),
                        [&](const Reading& r) { return r.signal == defining; });
  for (const Reading& r : readings) {
    if (d.reasons.size() == 3) break;
    if (type_of[r.signal] == d.type)
      d.reasons.push_back(std::string(kSignalNames[r.signal]) + ": " + r.detail);
  }
  return d;
}

std::string FaultTypeOfInjection(std::string_view injected) {
  static const std::map<std::string, std::string, std::less<>> kMap = {
      {"pod_failure", "pod_failure"},       {"network_partition", "network_partition"},
      {"io_failure", "error_response"},     {"http_abort", "error_response"},
      {"code_exception", "error_response"}, {"exception", "error_response"},
      {"bandwidth_limit", "network_delay"}, {"network_delay", "network_delay"},
      {"packet_loss", "network_delay"},     {"memory_stress", "memory_stress"},
      {"cpu_stress", "cpu_contention"},     {"cpu_contention", "cpu_contention"},
      {"wrong_return", "wrong_return"},     {"return", "wrong_return"},
      {"cpu_consumed", "cpu_contention"},  // a Nezha fault kind of its OnlineBoutique days
  };
  auto it = kMap.find(injected);
  return it == kMap.end() ? std::string() : it->second;
}

void DiagnoseCases(localize::NezhaEvalResult& result) {
  int n = 0, right = 0, right_top = 0;
  for (auto& c : result.cases) {
    c.diagnosed_truth = ClassifyFault(c.truth_evidence, {}, c.fault.service).type;
    c.diagnosed =
        c.ranking.empty() ? "unknown" : ClassifyFault(c.top_evidence, {}, c.ranking[0]).type;
    const std::string truth = FaultTypeOfInjection(c.fault.type);
    if (truth.empty()) continue;
    ++n;
    right += c.diagnosed_truth == truth;
    right_top += c.diagnosed == truth;
  }
  result.type_cases = n;
  result.type_accuracy = n ? static_cast<double>(right) / n : 0;
  result.type_accuracy_top = n ? static_cast<double>(right_top) / n : 0;
}

}  // namespace augur::diagnose
