// Per-service evidence beyond the health score: metric, log and trace deviations of a window
// against a profile learned from normal data, each turned into a p-value and then a likelihood
// ratio.
//
// Statistics (see docs/localize.md):
//  - counts (log templates per operation in its calling context, errors per operation, steps per
//    request) are Poisson with the normal rate per span of the operation (floored at half a line
//    over the normal exposure); a template that vanishes, or an error template that appears or
//    surges, gets its Poisson tail probability; so do the lines whose log variable took a word its
//    normal sample never showed (against the Good-Turing rate of unseen values);
//  - magnitudes (operation self time, metrics) get a robust z (median and robust spread of the
//    normal data) and the distribution-free Cantelli bound p <= 1 / (1 + z^2);
//  - each modality's smallest p-value is Bonferroni-corrected by the number of tests in that
//    service and turned into a Bayes factor by the Sellke-Bayarri-Berger bound
//    BF = 1 / (-e p ln p), p < 1/e.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/result.h"
#include "normalize/template_miner.h"

namespace augur::localize {

// The log key of a line no learned template matches: "(new) " and the first `max_tokens` tokens of
// the line as the miner masks it (TemplateMiner::Mask), so that never-seen lines differing only in
// values (times, ids, hex addresses) share one key. Lines a template matches are keyed by the
// template's text.
std::string NewLineKey(std::string_view masked_line, size_t max_tokens = 8);
bool IsErrorLog(const LogRecord& log);
// The code location in a template's text (normalize::IsCodeLocation), naming the log statement the
// template's lines come from; empty when it has none.
std::string_view StatementOf(std::string_view template_text);
// Every code location in `text` (a template, a line, an evidence detail), in order.
std::vector<std::string_view> StatementsIn(std::string_view text);

struct EvidenceItem {
  std::string modality;  // "log", "trace", "metric", "caller" (callers' failed calls)
  // What was tested, for programs reading the evidence (the fault-type diagnosis): "self_time",
  // "span_errors", "steps" (steps per request of an operation), "unreached" (callers' calls that
  // never arrived), "template_low" (a normal log template, or all templates of one log
  // statement, shrank or vanished), "error_template" (a new or surging error template),
  // "template_value" (a template's variable took a word new to it: `result=false` where it was
  // always `true`), "statements_apart" (log statements every normal span writes together, written
  // apart), "metric".
  std::string kind;
  std::string what;      // template key or statement's code location, operation, metric name
  std::string instance;  // pod when known
  double observed = 0;
  double expected = 0;
  double p_value = 1;
  std::string detail;  // one sentence for people
};

// Where pods run: pod → host, from the records' host attributes (`k8s.node.name`, `host.name`, or
// the `node` column of Nezha's logs), and the pods seen per service. Learned from normal data and
// extended by each window (pods are rescheduled).
struct Placement {
  std::map<std::string, std::string> pod_host;
  std::map<std::string, std::set<std::string>> service_pods;
  void Add(const Batch& batch);
  void Merge(const Placement& other);
  // host → share of the service's placed pods on that host (empty when no pod of it is placed).
  std::map<std::string, double> HostsOf(const std::string& service) const;
  nlohmann::json ToJson() const;
  static Placement FromJson(const nlohmann::json& j);
};
// The host a record names in its attributes or labels, or nullptr.
const std::string* HostAttribute(const Attributes& attrs);
// Metrics of the machine a pod runs on: node_exporter `node_*`, OpenTelemetry `system.*`, `host.*`,
// `k8s.node.*`, Nezha's `Node*` columns.
bool IsHostMetric(std::string_view name);

// Evidence about a machine: its host metrics (as reported by any pod on it, or by a host-level
// exporter) against their normal values.
struct HostEvidence {
  std::string host;
  bool observed = false;  // the window had host metrics for it
  double log10_bf = 0;
  int tests = 0;
  std::vector<EvidenceItem> items;  // strongest first, at most 3
};

struct ServiceEvidence {
  std::string service;
  bool observed = false;  // the window had any data for the service
  double log10_bf = 0;    // log10 Bayes factor of the service's own behaviour being abnormal
  // log10 Bayes factor from its callers' side: calls to it that failed without ever reaching it.
  // A symptom of its outage, not of its own behaviour (it may have no data of its own at all).
  double callers_log10_bf = 0;
  std::map<std::string, double> modality_log10_bf;  // per modality
  std::map<std::string, int> tests;                 // tests run per modality
  std::vector<EvidenceItem> items;                  // strongest first, at most a few per modality
  // Per pod seen in the window: log10 Bayes factor of the pod's own tests (its metric series, the
  // self time of its spans); says which pod, given that the service is at fault.
  std::map<std::string, double> pod_log10_bf;
  double anomaly_probability() const;  // BF / (1 + BF): the evidence alone at even prior odds
};

// What normal looks like, learned from normal batches.
class NormalProfile {
 public:
  void Learn(const Batch& batch);
  void Finish();  // computes medians / MADs; call after the last Learn
  nlohmann::json ToJson() const;
  static Result<NormalProfile> FromJson(const nlohmann::json& j);
  bool empty() const { return ops_.empty() && metrics_.empty(); }
  size_t operations() const { return ops_.size(); }
  size_t metric_series() const { return metrics_.size(); }
  size_t log_keys() const { return log_keys_.size(); }
  size_t statement_groups() const {
    size_t n = 0;
    for (const auto& [svc, groups] : together_) n += groups.size();
    return n;
  }

  // The template miner behind the log keys (saved beside the profile).
  Status SaveTemplates(const std::filesystem::path& path) const { return miner_.Save(path); }
  Status LoadTemplates(const std::filesystem::path& path);

  // Scores a window; services maps every service seen in the window or the profile. With
  // `placement` and `hosts`, host metrics are scored per host (pods mapped to hosts by placement;
  // host metrics of unplaced pods are left out, as they say nothing about the pod itself).
  std::map<std::string, ServiceEvidence> Score(
      const Batch& window, const Placement* placement = nullptr,
      std::map<std::string, HostEvidence>* hosts = nullptr) const;

 private:
  struct Robust {
    double median = 0;
    double sigma = 0;  // robust spread: max(1.4826 MAD, (q95 - q05) / 3.29), normal-equivalent
    double floor =
        0;  // 1 % of the largest |value| seen: the resolution below which changes are noise
    uint64_t n = 0;
    std::vector<double> samples;  // only while learning
  };
  struct Op {
    uint64_t spans = 0;
    uint64_t errors = 0;         // failed spans whose error is their own (no failing child)
    uint64_t callee_errors = 0;  // failed client spans that never reached their peer service
    Robust self_ms;
  };
  std::map<std::pair<std::string, std::string>, Op> ops_;  // (service, operation)
  // (service, operation or "*" for logs not joined to a span, key) → count; `*` counts use service
  // spans.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> log_keys_;
  std::map<std::string, bool> error_key_;  // key → is an error template
  // The values a template's variable takes in a service, where they are few (`true`, `Authorise`,
  // `1`): counted in a sample of the normal lines. Variables with many values (ids, timestamps,
  // durations) are left out; only values without a digit are tested in a window.
  struct Values {
    uint64_t lines = 0;  // sampled lines of the template in the service
    std::map<std::string, uint64_t> counts;
  };
  // (service, template key) → variable index → values.
  std::map<std::pair<std::string, std::string>, std::map<size_t, Values>> values_;
  static constexpr size_t kValueSample = 256;  // lines sampled per service and template
  static constexpr size_t kMaxValues = 8;      // a variable with more values is not categorical
  static constexpr uint64_t kMinValueLines = 50;
  std::map<std::string, uint64_t> service_spans_;
  // Spans per (service, operation in its calling context): the exposure of the log counts.
  std::map<std::pair<std::string, std::string>, uint64_t> context_spans_;
  // Steps of requests inside a service: (service, entry operation in context, step operation) →
  // spans, and the sum over requests of the squared count per request (how much the number of
  // times a step runs varies from request to request: 0 for a step every request runs once).
  // Learned from the requests that did not fail (no error log or failed span of their own in the
  // service): the steps describe how a request runs when it succeeds, and failures are the error
  // tests' to judge. Normal data with failing requests (Nezha's normal minute: every preserve
  // request logs an exception) would otherwise make a window where requests succeed look abnormal.
  struct Step {
    uint64_t spans = 0, sum_sq = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Step> steps_;
  // Requests that did not fail per (service, entry operation in context): the steps' exposure.
  std::map<std::pair<std::string, std::string>, uint64_t> step_requests_;
  // Log statements written together: per service, groups of statements (code locations, or
  // templates without one) whose line counts are equal in every normal span that writes any of
  // them (a span's lines in the service; spans with an error log left out), in at least
  // kMinTogether spans: `Calculate distance` always followed by `Calculated`. A window's spans
  // where they come apart (an exception between them, swallowed without a log) are counted against
  // the Laplace estimate 1 / (spans + 2) of that happening in a normal span.
  struct Together {
    std::vector<std::string> statements;  // sorted
    uint64_t spans = 0;                   // normal spans that wrote them
  };
  std::map<std::string, std::vector<Together>> together_;  // service → groups
  static constexpr uint64_t kMinTogether = 3;
  normalize::TemplateMiner miner_{MinerConfig()};
  static normalize::TemplateMinerConfig MinerConfig() {
    normalize::TemplateMinerConfig c;
    c.word_variable_threshold = 2;
    return c;
  }
  // While learning: counts by template id (resolved through merges in Finish).
  std::map<std::tuple<std::string, std::string, uint32_t>, uint64_t> learn_ids_;
  std::map<uint32_t, bool> learn_error_ids_;
  struct Sample {
    uint64_t seen = 0;
    std::vector<std::string> bodies;  // a uniform sample (reservoir) of the lines seen
  };
  std::map<std::pair<std::string, uint32_t>, Sample> learn_samples_;  // (service, template id)
  void LearnValues();
  // Logs and spans arrive in different batches when read from different files: a log whose span
  // is not in its own batch waits for Finish, which joins it against every span seen (up to a cap).
  struct PendingLog {
    uint64_t key;
    std::string service;
    uint32_t id;
  };
  static constexpr size_t kMaxJoinSpans = 4'000'000;
  static uint64_t JoinKey(const TraceId& t, const SpanId& s);
  uint32_t Intern(const std::string& name);
  std::vector<PendingLog> learn_pending_logs_;
  // Join key of each span → its (service, operation in context) name ids and its request's entry
  // span's join key (for logs, and error logs marking requests failed, arriving in another batch).
  struct SpanJoin {
    uint64_t op = 0;
    uint64_t entry = 0;
    bool has_entry = false;
  };
  std::unordered_map<uint64_t, SpanJoin> learn_span_ops_;
  // Requests seen while learning, by their entry span's join key: (service, entry operation) name
  // ids, failed, and the steps run (step name id → times); and the spans error logs were written
  // in.
  struct LearnRequest {
    uint64_t op = 0;       // valid when `entered`
    bool entered = false;  // its entry span was seen
    bool failed = false;
    std::map<uint32_t, uint32_t> steps;
  };
  std::unordered_map<uint64_t, LearnRequest> learn_requests_;
  // Each span's lines per service while learning (template id → lines), by the span's join key
  // mixed with the service's name id; at most kMaxSessions spans.
  struct LearnSession {
    uint32_t service = 0;
    bool failed = false;  // wrote an error log
    std::vector<std::pair<uint32_t, uint32_t>> ids;
  };
  std::unordered_map<uint64_t, LearnSession> learn_sessions_;
  static constexpr size_t kMaxSessions = 1'000'000;
  void LearnTogether();
  std::vector<std::pair<uint64_t, std::string>> learn_error_spans_;  // (join key, log's service)
  std::vector<std::string> learn_names_;
  std::unordered_map<std::string, uint32_t> learn_name_ids_;
  // The line's key: its template's text, or NewLineKey(); `masked` receives the masked line for a
  // line no template matches (left as it is otherwise).
  std::string KeyOf(const normalize::TemplateMatch& m, std::string_view body,
                    std::string* masked = nullptr) const;
  std::map<std::tuple<std::string, std::string, std::string>, Robust>
      metrics_;  // (service, instance, name)
};

// p-value → Bayes factor (Sellke-Bayarri-Berger upper bound); 1 for p >= 1/e.
double BayesFactorFromP(double p);

}  // namespace augur::localize
