#include "localize/evidence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "core/text.h"

namespace augur::localize {

namespace {

// "1 line", "3 lines".
std::string Lines(uint64_t n) {
  return fmt::format("{} line{}", n, n == 1 ? "" : "s");
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + m, v.end());
  double hi = v[m];
  if (v.size() % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + m);
  return (lo + hi) / 2;
}

double PoissonCdf(uint64_t x, double lambda) {
  if (lambda <= 0) return 1;
  double s = 0;
  const double log_lambda = std::log(lambda);
  for (uint64_t k = 0; k <= x; ++k) {
    s += std::exp(-lambda + k * log_lambda - std::lgamma(k + 1.0));
    if (s >= 1) return 1;
  }
  return s;
}

// A window's count against the normal rate per unit of exposure (spans of the operation): Poisson
// with the normal rate, floored at half a line over the normal exposure so that a template never
// seen in normal data still has a finite expectation.
struct CountTest {
  double expected;
  double p_low;   // P(X <= observed)
  double p_high;  // P(X >= observed)
};
// Negative binomial with mean m and variance phi * m (phi > 1): the quasi-Poisson count model.
double OverdispersedCdf(uint64_t x, double m, double phi) {
  if (phi <= 1.0001) return PoissonCdf(x, m);
  const double r = m / (phi - 1), q = 1 / phi;
  double s = 0;
  for (uint64_t k = 0; k <= x; ++k) {
    s += std::exp(std::lgamma(k + r) - std::lgamma(r) - std::lgamma(k + 1.0) + r * std::log(q) +
                  k * std::log1p(-q));
    if (s >= 1) return 1;
  }
  return s;
}

CountTest TestCount(uint64_t count_n, double exposure_n, uint64_t observed, double exposure_w,
                    double phi = 1) {
  CountTest t;
  t.expected = std::max(static_cast<double>(count_n), 0.5) * exposure_w / exposure_n;
  t.p_low = std::min(1.0, OverdispersedCdf(observed, t.expected, phi));
  t.p_high = observed == 0
                 ? 1.0
                 : std::clamp(1.0 - OverdispersedCdf(observed - 1, t.expected, phi), 1e-300, 1.0);
  return t;
}

// The instance under which a metric's samples of every pod of a service are pooled.
constexpr const char* kAnyInstance = "*";

// p-value given to a constant normal series that dropped to zero (see Score).
constexpr double kVanishedP = 1e-6;
constexpr size_t kItemsPerModality = 6;  // supporting items kept per service and modality

// P(X >= v) for X ~ Binomial(n, eps).
double BinomialUpperTail(uint64_t n, uint64_t v, double eps) {
  if (v == 0) return 1;
  if (v > n) return 0;
  const double nd = static_cast<double>(n), le = std::log(eps), l1 = std::log1p(-eps);
  double p = 0;
  for (uint64_t k = v; k <= n; ++k) {
    const double kd = static_cast<double>(k);
    const double term = std::exp(std::lgamma(nd + 1) - std::lgamma(kd + 1) -
                                 std::lgamma(nd - kd + 1) + kd * le + (nd - kd) * l1);
    p += term;
    if (kd > nd * eps && term < p * 1e-17) break;  // past the mode the terms only shrink
  }
  return std::clamp(p, 1e-300, 1.0);
}

// The statement a log key counts under: its code location, or the key itself when it has none.
std::string StatementKey(const std::string& key) {
  const std::string_view loc = StatementOf(key);
  return loc.empty() ? key : std::string(loc);
}

double Cantelli(double z) {
  return z <= 0 ? 1.0 : 1.0 / (1.0 + z * z);
}

struct SpanKey {
  TraceId t;
  SpanId s;
  bool operator==(const SpanKey&) const = default;
};
struct SpanKeyHash {
  size_t operator()(const SpanKey& k) const {
    return TraceIdHash{}(k.t) * 31 + std::hash<uint64_t>{}(k.s.value);
  }
};

// Self time of each span (duration minus its children's), in ms; and an index span → (service, op).
struct SpanIndex {
  std::unordered_map<SpanKey, size_t, SpanKeyHash> index;
  std::vector<double> self_ms;
  std::vector<std::string_view> caller;  // the calling service ("" for entry spans), into `spans`
  std::vector<int64_t> parent;           // index of the parent span, -1 when not in the batch
  std::vector<int64_t> entry;  // the span through which the request entered this span's service
  explicit SpanIndex(const std::vector<Span>& spans) {
    index.reserve(spans.size());
    self_ms.resize(spans.size());
    for (size_t i = 0; i < spans.size(); ++i) {
      index.emplace(SpanKey{spans[i].trace_id, spans[i].span_id}, i);
      self_ms[i] = static_cast<double>(std::max<TimeNs>(0, spans[i].duration())) / 1e6;
    }
    parent.assign(spans.size(), -1);
    for (size_t i = 0; i < spans.size(); ++i)
      if (!spans[i].parent_id.empty())
        if (auto it = index.find(SpanKey{spans[i].trace_id, spans[i].parent_id});
            it != index.end() && it->second != i)
          parent[i] = static_cast<int64_t>(it->second);
    for (size_t i = 0; i < spans.size(); ++i)
      if (parent[i] >= 0)
        self_ms[parent[i]] -= static_cast<double>(std::max<TimeNs>(0, spans[i].duration())) / 1e6;
    for (double& v : self_ms) v = std::max(0.0, v);
    // Calling context: the nearest ancestor in another service.
    caller.assign(spans.size(), {});
    entry.assign(spans.size(), -1);
    std::vector<uint8_t> state(spans.size(), 0);  // 0 new, 1 on the current path, 2 done
    std::vector<size_t> path;
    for (size_t i = 0; i < spans.size(); ++i) {
      size_t j = i;
      path.clear();
      while (state[j] == 0) {
        state[j] = 1;
        path.push_back(j);
        const int64_t p = parent[j];
        if (p < 0 || state[p] == 1) break;  // a root, or a malformed parent cycle
        if (spans[p].service != spans[j].service) {
          caller[j] = spans[p].service;
          break;
        }
        j = static_cast<size_t>(p);
      }
      // The path's spans are in one service up to its end: they share its caller.
      for (size_t k = path.size(); k-- > 0;) {
        const size_t v = path[k];
        const int64_t p = parent[v];
        const bool inherit = p >= 0 && state[p] == 2 && spans[p].service == spans[v].service;
        if (caller[v].empty() && inherit) caller[v] = caller[p];
        entry[v] = inherit ? entry[p] : static_cast<int64_t>(v);
        state[v] = 2;
      }
    }
  }
  // Where the log counts of a span are kept: its operation within its calling context, so that a
  // change in who calls (one caller failing) is not read as a change in how the callee behaves.
  std::string ContextOp(const std::vector<Span>& spans, size_t i) const {
    return caller[i].empty() ? spans[i].name : spans[i].name + " <- " + std::string(caller[i]);
  }
};

// Where a failed span's error comes from. A span whose child failed passes the child's error on
// (propagated): counting it against the caller would blame every service on the failing path. A
// client span that failed with no server span under it never reached its callee (partition, pod
// down, connection refused): that is evidence about the callee, named by peer.service.
enum class ErrorKind : uint8_t { kNone, kOwn, kPropagated, kCallee };

std::vector<ErrorKind> ClassifyErrors(const std::vector<Span>& spans, const SpanIndex& idx) {
  std::vector<uint8_t> has_child(spans.size(), 0), failing_child(spans.size(), 0);
  for (size_t i = 0; i < spans.size(); ++i) {
    const int64_t p = idx.parent[i];
    if (p < 0) continue;
    has_child[p] = 1;
    if (spans[i].is_error()) failing_child[p] = 1;
  }
  std::vector<ErrorKind> kind(spans.size(), ErrorKind::kNone);
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    if (!s.is_error()) continue;
    if (failing_child[i]) {
      kind[i] = ErrorKind::kPropagated;
    } else if ((s.kind == SpanKind::kClient || s.kind == SpanKind::kProducer) && !has_child[i]) {
      const std::string* peer = FindAttribute(s.attributes, "peer.service");
      kind[i] = peer && !peer->empty() && *peer != s.service ? ErrorKind::kCallee : ErrorKind::kOwn;
    } else {
      kind[i] = ErrorKind::kOwn;
    }
  }
  return kind;
}

// The steps of each request inside a service: (service, the entry span's operation in its
// context, the operation of a span under it in the same service, the entry span's index) for every
// non-entry span.
template <typename F>
void ForEachStep(const std::vector<Span>& spans, const SpanIndex& idx, F&& f) {
  for (size_t i = 0; i < spans.size(); ++i) {
    const int64_t e = idx.entry[i];
    if (e < 0 || static_cast<size_t>(e) == i || spans[i].service.empty()) continue;
    f(spans[i].service, idx.ContextOp(spans, static_cast<size_t>(e)), spans[i].name,
      static_cast<size_t>(e));
  }
}

std::string OpOfLog(const LogRecord& l, const std::vector<Span>& spans, const SpanIndex& idx) {
  if (!l.span_id.empty())
    if (auto it = idx.index.find(SpanKey{l.trace_id, l.span_id});
        it != idx.index.end() && spans[it->second].service == l.service)
      return idx.ContextOp(spans, it->second);
  return "*";
}

// A value worth testing for: a word (`true`, `Authorise`, `DECLINED`), no number. Numbers that
// take few values in the normal sample (months, small counts) take others on another day.
bool IsWord(std::string_view v) {
  return !v.empty() &&
         std::none_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Where a template's i-th variable sits, for people: its token (`result=<*>`), with the token
// before it when the variable stands alone (`is <*>]`).
std::string VariableAt(std::string_view tmpl, size_t i) {
  size_t p = tmpl.find("<*>");
  for (size_t k = 0; k < i && p != std::string_view::npos; ++k) p = tmpl.find("<*>", p + 3);
  if (p == std::string_view::npos) return fmt::format("variable {}", i + 1);
  size_t b = tmpl.rfind(' ', p);
  b = b == std::string_view::npos ? 0 : b + 1;
  size_t e = tmpl.find(' ', p + 3);
  if (e == std::string_view::npos) e = tmpl.size();
  if (e - b <= 4 && b >= 2) {  // the variable alone (perhaps with a bracket): add the word before
    const size_t before = tmpl.rfind(' ', b - 2);
    b = before == std::string_view::npos ? 0 : before + 1;
  }
  return std::string(tmpl.substr(b, e - b));
}

}  // namespace

// Host metrics describe every pod on the machine alike: they are no evidence about the one service
// whose pod row they were reported with, only about the machine (HostEvidence).
bool IsHostMetric(std::string_view name) {
  for (std::string_view p : {"node_", "Node", "system.", "host.", "k8s.node."})
    if (name.substr(0, p.size()) == p) return true;
  return false;
}

const std::string* HostAttribute(const Attributes& attrs) {
  for (const char* k : {"k8s.node.name", "host.name", "node"})
    if (const std::string* v = FindAttribute(attrs, k); v && !v->empty()) return v;
  return nullptr;
}

void Placement::Add(const Batch& batch) {
  auto add = [&](const std::string& service, const std::string& pod, const Attributes& attrs) {
    if (service.empty() || pod.empty()) return;
    service_pods[service].insert(pod);
    if (const std::string* h = HostAttribute(attrs)) pod_host[pod] = *h;
  };
  for (const Span& s : batch.spans) add(s.service, s.instance, s.attributes);
  for (const LogRecord& l : batch.logs) add(l.service, l.instance, l.attributes);
  for (const MetricPoint& m : batch.metrics) add(m.service, m.instance, m.labels);
}

void Placement::Merge(const Placement& o) {
  for (const auto& [pod, host] : o.pod_host) pod_host[pod] = host;
  for (const auto& [svc, pods] : o.service_pods) service_pods[svc].insert(pods.begin(), pods.end());
}

std::map<std::string, double> Placement::HostsOf(const std::string& service) const {
  std::map<std::string, double> out;
  auto it = service_pods.find(service);
  if (it == service_pods.end()) return out;
  size_t placed = 0;
  for (const std::string& pod : it->second)
    if (auto h = pod_host.find(pod); h != pod_host.end()) {
      out[h->second] += 1;
      ++placed;
    }
  for (auto& [h, n] : out) n /= static_cast<double>(placed);
  return out;
}

nlohmann::json Placement::ToJson() const {
  return {{"pod_host", pod_host}, {"service_pods", service_pods}};
}

Placement Placement::FromJson(const nlohmann::json& j) {
  Placement p;
  if (!j.is_object()) return p;
  if (j.contains("pod_host") && j["pod_host"].is_object())
    for (const auto& [k, v] : j["pod_host"].items())
      if (v.is_string()) p.pod_host[k] = v.get<std::string>();
  if (j.contains("service_pods") && j["service_pods"].is_object())
    for (const auto& [k, v] : j["service_pods"].items())
      if (v.is_array())
        for (const auto& pod : v)
          if (pod.is_string()) p.service_pods[k].insert(pod.get<std::string>());
  return p;
}

namespace {
// Calls f(location) for each code location among the space-separated tokens of `text`, in order,
// until f returns false.
template <class F>
void ForEachStatement(std::string_view text, F&& f) {
  for (size_t i = 0; i < text.size();) {
    const size_t j = std::min(text.find(' ', i), text.size());
    if (auto loc = normalize::CodeLocationIn(text.substr(i, j - i)); !loc.empty() && !f(loc))
      return;
    i = j + 1;
  }
}
}  // namespace

std::string_view StatementOf(std::string_view key) {
  std::string_view first;
  ForEachStatement(key, [&](std::string_view loc) {
    first = loc;
    return false;
  });
  return first;
}

std::vector<std::string_view> StatementsIn(std::string_view text) {
  std::vector<std::string_view> all;
  ForEachStatement(text, [&](std::string_view loc) {
    all.push_back(loc);
    return true;
  });
  return all;
}

std::string NewLineKey(std::string_view masked_line, size_t max_tokens) {
  std::string masked(masked_line);
  for (size_t at = 0, tokens = 0; (at = masked.find(' ', at)) != std::string::npos; ++at)
    if (++tokens >= max_tokens) {
      masked.resize(at);
      break;
    }
  return "(new) " + masked;
}

bool IsErrorLog(const LogRecord& log) {
  if (log.severity >= Severity::kWarn) return true;
  if (log.severity != Severity::kUnspecified) return false;
  std::string_view b(log.body);
  b = b.substr(0, 200);
  return b.find("ERROR") != std::string_view::npos || b.find("WARN") != std::string_view::npos ||
         b.find("Exception") != std::string_view::npos || b.find("FATAL") != std::string_view::npos;
}

uint64_t NormalProfile::JoinKey(const TraceId& t, const SpanId& s) {
  uint64_t h = TraceIdHash{}(t) ^ (s.value * 0x9E3779B97F4A7C15ULL);
  h ^= h >> 31;
  return h * 0xBF58476D1CE4E5B9ULL;
}

uint32_t NormalProfile::Intern(const std::string& name) {
  auto [it, fresh] = learn_name_ids_.emplace(name, static_cast<uint32_t>(learn_names_.size()));
  if (fresh) learn_names_.push_back(name);
  return it->second;
}

std::string NormalProfile::KeyOf(const normalize::TemplateMatch& m, std::string_view body,
                                 std::string* masked) const {
  if (m.template_id != 0)
    if (auto info = miner_.Get(m.template_id)) return info->text;
  std::string line = miner_.Mask(body);
  std::string key = NewLineKey(line);
  if (masked) *masked = std::move(line);
  return key;
}

Status NormalProfile::LoadTemplates(const std::filesystem::path& path) {
  auto m = normalize::TemplateMiner::Load(path, MinerConfig());
  if (!m) return m.status();
  miner_ = std::move(*m);
  return Status::Ok();
}

double BayesFactorFromP(double p) {
  p = std::clamp(p, 1e-300, 1.0);
  if (p >= 1.0 / M_E) return 1.0;
  return 1.0 / (-M_E * p * std::log(p));
}

double ServiceEvidence::anomaly_probability() const {
  double bf = std::pow(10.0, std::min(300.0, log10_bf));
  return bf / (1 + bf);
}

void NormalProfile::Learn(const Batch& batch) {
  SpanIndex idx(batch.spans);
  const std::vector<ErrorKind> errors = ClassifyErrors(batch.spans, idx);
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const Span& s = batch.spans[i];
    if (s.service.empty()) continue;
    std::string context_op = idx.ContextOp(batch.spans, i);
    // Requests and their steps, kept until Finish knows which failed (error logs may come later).
    if (learn_span_ops_.size() < kMaxJoinSpans) {
      SpanJoin join{(uint64_t{Intern(s.service)} << 32) | Intern(context_op)};
      if (const int64_t e = idx.entry[i]; e >= 0) {
        const Span& entry = batch.spans[static_cast<size_t>(e)];
        join.entry = JoinKey(entry.trace_id, entry.span_id);
        join.has_entry = true;
        LearnRequest& r = learn_requests_[join.entry];
        if (static_cast<size_t>(e) == i) {
          r.op = join.op;
          r.entered = true;
        } else {
          ++r.steps[Intern(s.name)];
        }
        if (errors[i] == ErrorKind::kOwn) r.failed = true;
      }
      learn_span_ops_.emplace(JoinKey(s.trace_id, s.span_id), join);
    }
    ++context_spans_[{s.service, std::move(context_op)}];
    Op& op = ops_[{s.service, s.name}];
    ++op.spans;
    if (errors[i] == ErrorKind::kOwn) ++op.errors;
    if (errors[i] == ErrorKind::kCallee) ++op.callee_errors;
    op.self_ms.samples.push_back(idx.self_ms[i]);
    ++service_spans_[s.service];
  }
  for (const LogRecord& l : batch.logs) {
    if (l.service.empty()) continue;
    const uint32_t id = miner_.Add(l.body).template_id;
    const bool error = IsErrorLog(l);
    learn_error_ids_[id] = learn_error_ids_[id] || error;
    Sample& sample = learn_samples_[{l.service, id}];
    ++sample.seen;
    if (sample.bodies.size() < kValueSample) {
      sample.bodies.push_back(l.body);
    } else {  // reservoir sampling, seeded by the line's rank: reproducible
      uint64_t r = sample.seen * 0x9E3779B97F4A7C15ULL + id;
      r = (r ^ (r >> 31)) * 0xBF58476D1CE4E5B9ULL;
      if (const uint64_t slot = (r ^ (r >> 29)) % sample.seen; slot < kValueSample)
        sample.bodies[slot] = l.body;
    }
    const bool joined = !l.span_id.empty();
    const uint64_t join = joined ? JoinKey(l.trace_id, l.span_id) : 0;
    if (joined && error) learn_error_spans_.push_back({join, l.service});
    if (joined) {
      const uint32_t svc = Intern(l.service);
      const uint64_t key = join ^ (uint64_t{svc} * 0xD6E8FEB86659FD93ULL);
      auto it = learn_sessions_.find(key);
      if (it == learn_sessions_.end() && learn_sessions_.size() < kMaxSessions)
        it = learn_sessions_.emplace(key, LearnSession{svc, false, {}}).first;
      if (it != learn_sessions_.end()) {
        LearnSession& session = it->second;
        session.failed = session.failed || error;
        auto c = std::find_if(session.ids.begin(), session.ids.end(),
                              [&](const auto& x) { return x.first == id; });
        if (c == session.ids.end())
          session.ids.push_back({id, 1});
        else
          ++c->second;
      }
    }
    std::string op = OpOfLog(l, batch.spans, idx);
    if (op == "*" && joined)  // its span may come in a later batch (another file)
      learn_pending_logs_.push_back({join, l.service, id});
    else
      ++learn_ids_[{l.service, std::move(op), id}];
  }
  for (const MetricPoint& m : batch.metrics) {
    if (!std::isfinite(m.value)) continue;
    const std::string* instance = &m.instance;
    if (m.service.empty()) {
      // A host-level exporter (node_exporter): the series is keyed by the host it names.
      instance = IsHostMetric(m.name) ? HostAttribute(m.labels) : nullptr;
      if (!instance) continue;
    }
    metrics_[{m.service, *instance, m.name}].samples.push_back(m.value);
    // Pods come and go (restarts, deploys, scaling): the service's pooled series judges new ones.
    if (!m.service.empty() && !m.instance.empty())
      metrics_[{m.service, kAnyInstance, m.name}].samples.push_back(m.value);
  }
}

void NormalProfile::Finish() {
  auto finish = [](Robust& r) {
    if (r.samples.empty()) return;
    r.n = r.samples.size();
    r.median = Median(r.samples);
    std::vector<double> dev;
    dev.reserve(r.samples.size());
    for (double x : r.samples) dev.push_back(std::abs(x - r.median));
    const double mad = Median(dev);
    std::vector<double>& v = r.samples;
    std::sort(v.begin(), v.end());
    const double q05 = v[static_cast<size_t>(0.05 * (v.size() - 1))];
    const double q95 = v[static_cast<size_t>(0.95 * (v.size() - 1))];
    r.sigma = std::max(1.4826 * mad, (q95 - q05) / 3.29);
    r.floor = 0.01 * std::max(std::abs(v.front()), std::abs(v.back()));
    r.samples.clear();
    r.samples.shrink_to_fit();
  };
  for (auto& [k, op] : ops_) finish(op.self_ms);
  // Logs whose span was not in their batch: joined against every span seen, as a window would be.
  for (const PendingLog& l : learn_pending_logs_) {
    std::string op = "*";
    if (auto it = learn_span_ops_.find(l.key);
        it != learn_span_ops_.end() && learn_names_[it->second.op >> 32] == l.service)
      op = learn_names_[it->second.op & 0xffffffffu];
    ++learn_ids_[{l.service, std::move(op), l.id}];
  }
  learn_pending_logs_ = {};
  // Requests that wrote an error log in their service failed; the others give the steps.
  for (const auto& [key, service] : learn_error_spans_)
    if (auto it = learn_span_ops_.find(key); it != learn_span_ops_.end() && it->second.has_entry &&
                                             learn_names_[it->second.op >> 32] == service)
      learn_requests_[it->second.entry].failed = true;
  for (const auto& [key, r] : learn_requests_) {
    if (r.failed || !r.entered) continue;
    const std::string& svc = learn_names_[r.op >> 32];
    const std::string& op = learn_names_[r.op & 0xffffffffu];
    ++step_requests_[{svc, op}];
    for (const auto& [step, n] : r.steps) {
      Step& st = steps_[{svc, op, learn_names_[step]}];
      st.spans += n;
      st.sum_sq += uint64_t{n} * n;
    }
  }
  learn_requests_ = {};
  learn_error_spans_ = {};
  learn_span_ops_ = {};
  LearnTogether();
  learn_names_ = {};
  learn_name_ids_ = {};
  for (const auto& [k, c] : learn_ids_) {
    auto info = miner_.Get(miner_.Resolve(std::get<2>(k)));
    if (!info) continue;  // evicted by the miner's cap
    log_keys_[{std::get<0>(k), std::get<1>(k), info->text}] += c;
    error_key_[info->text] = error_key_[info->text] || learn_error_ids_[std::get<2>(k)];
  }
  learn_ids_.clear();
  learn_error_ids_.clear();
  LearnValues();
  for (auto& [k, m] : metrics_) finish(m);
}

void NormalProfile::LearnTogether() {
  // service → statement → (span, lines) for every span without an error log that wrote it.
  using Signature = std::vector<std::pair<uint64_t, uint32_t>>;
  std::map<std::string, std::map<std::string, Signature>> written;
  for (const auto& [key, session] : learn_sessions_) {
    if (session.failed) continue;
    std::map<std::string, uint32_t> lines;
    for (const auto& [id, n] : session.ids)
      if (auto info = miner_.Get(miner_.Resolve(id))) lines[StatementKey(info->text)] += n;
    auto& by_statement = written[learn_names_[session.service]];
    for (const auto& [statement, n] : lines) by_statement[statement].push_back({key, n});
  }
  learn_sessions_ = {};
  // Statements with the same (span, lines) list are written together.
  for (auto& [svc, by_statement] : written) {
    std::map<Signature, std::vector<std::string>> groups;
    for (auto& [statement, sig] : by_statement) {
      if (sig.size() < kMinTogether) continue;
      std::sort(sig.begin(), sig.end());
      groups[std::move(sig)].push_back(statement);
    }
    for (auto& [sig, statements] : groups)
      if (statements.size() >= 2) together_[svc].push_back({std::move(statements), sig.size()});
  }
}

void NormalProfile::LearnValues() {
  // The sampled lines are matched against the final templates (merges add variables), and the
  // values of each variable counted.
  std::map<std::pair<std::string, std::string>, std::map<size_t, Values>> all;
  for (const auto& [k, sample] : learn_samples_)
    for (const std::string& body : sample.bodies) {
      const normalize::TemplateMatch m = miner_.Match(body);
      auto info = m.template_id ? miner_.Get(m.template_id) : std::nullopt;
      if (!info) continue;
      auto& vars = all[{k.first, info->text}];
      for (size_t i = 0; i < m.params.size(); ++i) {
        Values& v = vars[i];
        ++v.lines;
        ++v.counts[std::string(m.params[i])];
      }
    }
  learn_samples_ = {};
  for (auto& [k, vars] : all)
    for (auto& [i, v] : vars) {
      if (v.lines >= kMinValueLines && v.counts.size() <= kMaxValues) values_[k][i] = std::move(v);
    }
}

nlohmann::json NormalProfile::ToJson() const {
  nlohmann::json ops = nlohmann::json::array(), logs = nlohmann::json::array(),
                 mets = nlohmann::json::array();
  for (const auto& [k, op] : ops_)
    ops.push_back({k.first, k.second, op.spans, op.errors, op.self_ms.median, op.self_ms.sigma,
                   op.self_ms.n, op.self_ms.floor, op.callee_errors});
  for (const auto& [k, c] : log_keys_) {
    auto it = error_key_.find(std::get<2>(k));
    logs.push_back(
        {std::get<0>(k), std::get<1>(k), std::get<2>(k), c, it != error_key_.end() && it->second});
  }
  nlohmann::json ctx = nlohmann::json::array();
  for (const auto& [k, c] : context_spans_) ctx.push_back({k.first, k.second, c});
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& [k, c] : steps_)
    steps.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), c.spans, c.sum_sq});
  nlohmann::json step_requests = nlohmann::json::array();
  for (const auto& [k, c] : step_requests_) step_requests.push_back({k.first, k.second, c});
  for (const auto& [k, m] : metrics_)
    mets.push_back(
        {std::get<0>(k), std::get<1>(k), std::get<2>(k), m.median, m.sigma, m.n, m.floor});
  nlohmann::json together = nlohmann::json::array();
  for (const auto& [svc, groups] : together_)
    for (const Together& t : groups) together.push_back({svc, t.statements, t.spans});
  nlohmann::json values = nlohmann::json::array();
  for (const auto& [k, vars] : values_)
    for (const auto& [i, v] : vars) values.push_back({k.first, k.second, i, v.lines, v.counts});
  return {{"operations", ops},
          {"log_keys", logs},
          {"metrics", mets},
          {"service_spans", service_spans_},
          {"context_spans", ctx},
          {"steps", steps},
          {"step_requests", step_requests},
          {"log_values", values},
          {"log_together", together}};
}

Result<NormalProfile> NormalProfile::FromJson(const nlohmann::json& j) {
  NormalProfile p;
  try {
    for (const auto& o : j.at("operations")) {
      Op& op = p.ops_[{o.at(0).get<std::string>(), o.at(1).get<std::string>()}];
      op.spans = o.at(2).get<uint64_t>();
      op.errors = o.at(3).get<uint64_t>();
      op.self_ms.median = o.at(4).get<double>();
      op.self_ms.sigma = o.at(5).get<double>();
      op.self_ms.floor = o.at(7).get<double>();
      op.self_ms.n = o.at(6).get<uint64_t>();
      if (o.size() > 8) op.callee_errors = o.at(8).get<uint64_t>();
    }
    for (const auto& l : j.at("log_keys")) {
      std::string key = l.at(2).get<std::string>();
      p.log_keys_[{l.at(0).get<std::string>(), l.at(1).get<std::string>(), key}] =
          l.at(3).get<uint64_t>();
      p.error_key_[key] = p.error_key_[key] || l.at(4).get<bool>();
    }
    for (const auto& m : j.at("metrics")) {
      Robust& r = p.metrics_[{m.at(0).get<std::string>(), m.at(1).get<std::string>(),
                              m.at(2).get<std::string>()}];
      r.median = m.at(3).get<double>();
      r.sigma = m.at(4).get<double>();
      r.floor = m.at(6).get<double>();
      r.n = m.at(5).get<uint64_t>();
    }
    p.service_spans_ = j.at("service_spans").get<std::map<std::string, uint64_t>>();
    if (j.contains("context_spans"))
      for (const auto& c : j.at("context_spans"))
        p.context_spans_[{c.at(0).get<std::string>(), c.at(1).get<std::string>()}] =
            c.at(2).get<uint64_t>();
    if (j.contains("steps"))
      for (const auto& c : j.at("steps")) {
        Step& st = p.steps_[{c.at(0).get<std::string>(), c.at(1).get<std::string>(),
                             c.at(2).get<std::string>()}];
        st.spans = c.at(3).get<uint64_t>();
        // Profiles before the per-request spread have none: Poisson spread, sum_sq = spans.
        st.sum_sq = c.size() > 4 ? c.at(4).get<uint64_t>() : st.spans;
      }
    if (!j.contains("step_requests"))  // profiles before it judged steps against all requests
      p.step_requests_ = p.context_spans_;
    else
      for (const auto& c : j.at("step_requests"))
        p.step_requests_[{c.at(0).get<std::string>(), c.at(1).get<std::string>()}] =
            c.at(2).get<uint64_t>();
    if (j.contains("log_values"))  // profiles before the value test have none
      for (const auto& c : j.at("log_values")) {
        Values& v = p.values_[{c.at(0).get<std::string>(), c.at(1).get<std::string>()}]
                             [c.at(2).get<size_t>()];
        v.lines = c.at(3).get<uint64_t>();
        v.counts = c.at(4).get<std::map<std::string, uint64_t>>();
      }
    if (j.contains("log_together"))  // profiles before the test have none
      for (const auto& c : j.at("log_together")) {
        Together t{c.at(1).get<std::vector<std::string>>(), c.at(2).get<uint64_t>()};
        if (t.statements.size() < 2)
          throw std::invalid_argument("log_together: a group needs two statements or more");
        p.together_[c.at(0).get<std::string>()].push_back(std::move(t));
      }
  } catch (const std::exception& e) {
    return Result<NormalProfile>::Error(std::string("normal profile: malformed JSON: ") + e.what());
  }
  return p;
}

std::map<std::string, ServiceEvidence> NormalProfile::Score(
    const Batch& w, const Placement* placement, std::map<std::string, HostEvidence>* hosts) const {
  std::map<std::string, ServiceEvidence> out;
  auto ev = [&](const std::string& s) -> ServiceEvidence& {
    ServiceEvidence& e = out[s];
    e.service = s;
    return e;
  };
  struct Best {
    double p = 1;
    std::vector<EvidenceItem> items;
  };
  std::map<std::pair<std::string, std::string>, Best> best;  // (service, modality)
  auto consider = [&](const std::string& service, EvidenceItem item) {
    ServiceEvidence& e = ev(service);
    ++e.tests[item.modality];
    if (item.p_value >= 0.05) return;  // keep the supporting list short: only notable deviations
    Best& b = best[{service, item.modality}];
    b.p = std::min(b.p, item.p_value);
    b.items.push_back(std::move(item));
  };

  // Per (service, pod): the smallest p-value and the number of tests per modality, for the pod
  // split of a service's origin probability.
  struct PodAcc {
    std::map<std::string, std::pair<double, int>> by_modality;  // modality → (min p, tests)
    void Add(const std::string& modality, double p) {
      auto& [best_p, tests] = by_modality.try_emplace(modality, 1.0, 0).first->second;
      best_p = std::min(best_p, p);
      ++tests;
    }
  };
  std::map<std::pair<std::string, std::string>, PodAcc> pods;
  std::map<std::string, std::set<std::string>> window_pods;

  // Traces: self time and errors per operation.
  SpanIndex idx(w.spans);
  const std::vector<ErrorKind> errors = ClassifyErrors(w.spans, idx);
  struct WinOp {
    std::vector<double> self_ms;
    uint64_t errors = 0;
    std::map<std::string, uint64_t>
        callee_errors;  // peer service → failed calls that never arrived
  };
  std::map<std::pair<std::string, std::string>, WinOp> wops;
  std::map<std::string, uint64_t> wspans;
  std::map<std::pair<std::string, std::string>, uint64_t> wctx;  // (service, context op) → spans
  // (service, operation, pod) → self times, for the pod split.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> wpod_self;
  for (size_t i = 0; i < w.spans.size(); ++i) {
    const Span& s = w.spans[i];
    if (s.service.empty()) continue;
    WinOp& o = wops[{s.service, s.name}];
    o.self_ms.push_back(idx.self_ms[i]);
    if (!s.instance.empty()) window_pods[s.service].insert(s.instance);
    if (errors[i] == ErrorKind::kOwn) ++o.errors;
    if (errors[i] == ErrorKind::kCallee)
      ++o.callee_errors[*FindAttribute(s.attributes, "peer.service")];
    ++wspans[s.service];
    ++wctx[{s.service, idx.ContextOp(w.spans, i)}];
    ev(s.service).observed = true;
  }
  // Scale of a self-time z: the robust spread, plus 5 % of the median and 0.1 ms (timer
  // resolution) so that operations with near-constant timings do not turn jitter into huge z.
  auto self_time_z = [](const Op& n, double med) {
    return (med - n.self_ms.median) / (n.self_ms.sigma + 0.05 * n.self_ms.median + 0.1);
  };
  for (size_t i = 0; i < w.spans.size(); ++i) {
    const Span& s = w.spans[i];
    if (s.service.empty() || s.instance.empty()) continue;
    if (auto it = window_pods.find(s.service); it != window_pods.end() && it->second.size() >= 2)
      wpod_self[{s.service, s.name, s.instance}].push_back(idx.self_ms[i]);
  }
  for (const auto& [k, v] : wpod_self) {
    if (v.size() < 2) continue;
    auto it = ops_.find({std::get<0>(k), std::get<1>(k)});
    if (it == ops_.end() || it->second.self_ms.n < 3) continue;
    pods[{std::get<0>(k), std::get<2>(k)}].Add("trace",
                                               Cantelli(self_time_z(it->second, Median(v))));
  }
  for (const auto& [k, o] : wops) {
    auto it = ops_.find(k);
    if (it == ops_.end()) continue;
    const Op& n = it->second;
    if (n.self_ms.n >= 3 && o.self_ms.size() >= 2) {
      const double med = Median(o.self_ms);
      const double z = self_time_z(n, med);
      consider(k.first,
               {"trace", "self_time", k.second, "", med, n.self_ms.median, Cantelli(z),
                fmt::format("{} self time median {:.1f} ms (normal {:.1f} ms, z {:.1f}, {} spans)",
                            k.second, med, n.self_ms.median, z, o.self_ms.size())});
    }
    CountTest t = TestCount(n.errors, static_cast<double>(n.spans), o.errors,
                            static_cast<double>(o.self_ms.size()));
    if (o.errors > 0 && o.errors > t.expected)
      consider(k.first, {"trace", "span_errors", k.second + " errors", "",
                         static_cast<double>(o.errors), t.expected, t.p_high,
                         fmt::format("{}: {} of {} spans failed (expected {:.1f})", k.second,
                                     o.errors, o.self_ms.size(), t.expected)});
    for (const auto& [peer, x] : o.callee_errors) {
      CountTest c = TestCount(n.callee_errors, static_cast<double>(n.spans), x,
                              static_cast<double>(o.self_ms.size()));
      if (x > c.expected)
        consider(peer, {"caller", "unreached", k.first + " " + k.second, "", static_cast<double>(x),
                        c.expected, c.p_high,
                        fmt::format("{} calls from {} ({}) failed without reaching {} "
                                    "(expected {:.1f})",
                                    x, k.first, k.second, peer, c.expected)});
    }
  }

  // Logs: per (service, operation) template counts against the operation's traffic.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> wkeys;
  std::map<std::string, bool> werror;
  // Never-seen lines: key → the first such line, masked (shown whole; the key holds its head).
  std::map<std::string, std::string> wnew_lines;
  // (service, template key) → variable index → (lines, value → count), for categorical variables.
  std::map<std::pair<std::string, std::string>, std::map<size_t, Values>> wvalues;
  struct WinSession {  // a span's lines in a service
    bool failed = false;
    std::map<std::string, uint64_t> lines;  // statement → lines
  };
  std::map<std::pair<uint64_t, std::string>, WinSession> wsessions;
  // Requests (by entry span) that failed: an error log in one of their spans in the service here,
  // a failed span of their own below (request steps).
  std::vector<bool> failed_request(w.spans.size(), false);
  for (const LogRecord& l : w.logs) {
    if (l.service.empty()) continue;
    const normalize::TemplateMatch m = miner_.Match(l.body);
    std::string masked;
    std::string key = KeyOf(m, l.body, &masked);
    if (!masked.empty()) wnew_lines.try_emplace(key, std::move(masked));
    if (auto it = values_.find({l.service, key}); it != values_.end())
      for (const auto& [i, normal] : it->second) {
        if (i >= m.params.size()) continue;
        Values& v = wvalues[it->first][i];
        ++v.lines;
        ++v.counts[std::string(m.params[i])];
      }
    const bool error = IsErrorLog(l);
    if (error) werror[key] = true;
    if (!l.span_id.empty()) {
      WinSession& session = wsessions[{JoinKey(l.trace_id, l.span_id), l.service}];
      session.failed = session.failed || error;
      ++session.lines[StatementKey(key)];
      if (error)
        if (auto it = idx.index.find(SpanKey{l.trace_id, l.span_id});
            it != idx.index.end() && w.spans[it->second].service == l.service &&
            idx.entry[it->second] >= 0)
          failed_request[idx.entry[it->second]] = true;
    }
    ++wkeys[{l.service, OpOfLog(l, w.spans, idx), key}];
    ev(l.service).observed = true;
  }
  auto exposure = [&](const std::string& svc, const std::string& op, bool normal) -> double {
    if (op == "*") {
      const auto& m = normal ? service_spans_ : wspans;
      auto it = m.find(svc);
      return it == m.end() ? 0 : static_cast<double>(it->second);
    }
    const auto& m = normal ? context_spans_ : wctx;
    auto it = m.find({svc, op});
    return it == m.end() ? 0 : static_cast<double>(it->second);
  };
  // Overdispersion of template counts in this window (quasi-Poisson): most templates of most
  // services behave normally, so the median squared Pearson residual over all templates with an
  // expectation of at least one line, against its Poisson value (0.455, the median of chi-square
  // with one degree of freedom), measures how much more the counts vary than Poisson. Request mixes
  // that differ from the normal data's inflate it, and every count test is widened accordingly.
  double phi = 1;
  {
    std::vector<double> r2;
    for (const auto& [k, c] : log_keys_) {
      const auto& [svc, op, key] = k;
      const double en = exposure(svc, op, true), ew = exposure(svc, op, false);
      if (en <= 0 || ew <= 0) continue;
      const double lambda = c * ew / en;
      if (lambda < 1) continue;
      auto it = wkeys.find(k);
      const double x = it == wkeys.end() ? 0.0 : static_cast<double>(it->second);
      r2.push_back((x - lambda) * (x - lambda) / lambda);
    }
    if (r2.size() >= 10) phi = std::max(1.0, Median(r2) / 0.4549);
  }
  // Vanished or shrunk templates: the normal keys of operations that ran in the window. Fewer
  // errors than usual is no symptom of a failure, so error templates are left out. Templates that
  // carry a code location are counted per statement (all templates with that location): the miner
  // splits one statement's lines by the words they hold (a train type), and what a failure changes
  // is whether the statement runs. The statement of an error template is left out whole.
  struct Low {
    uint64_t normal = 0, window = 0;
    std::string shown;  // a template of it, for the detail
    int templates = 0;  // normal templates of it
    bool error = false;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Low> lows;
  auto low_of = [&](const std::string& svc, const std::string& op, const std::string& key) -> Low& {
    const std::string_view loc = StatementOf(key);
    Low& l = lows[{svc, op, loc.empty() ? key : std::string(loc)}];
    if (l.shown.empty()) l.shown = key;
    if (auto e = error_key_.find(key); e != error_key_.end() && e->second) l.error = true;
    return l;
  };
  for (const auto& [k, c] : log_keys_) {
    auto it = wkeys.find(k);
    Low& l = low_of(std::get<0>(k), std::get<1>(k), std::get<2>(k));
    ++l.templates;
    l.normal += c;
    l.window += it == wkeys.end() ? 0 : it->second;
  }
  // Window lines of a known statement under a template normal data never had (a new train type).
  for (const auto& [k, x] : wkeys) {
    const std::string_view loc = StatementOf(std::get<2>(k));
    if (loc.empty() || log_keys_.count(k)) continue;
    if (auto it = lows.find({std::get<0>(k), std::get<1>(k), std::string(loc)}); it != lows.end())
      it->second.window += x;
  }
  for (const auto& [k, l] : lows) {
    const auto& [svc, op, key] = k;
    if (l.error) continue;
    const double en = exposure(svc, op, true), ew = exposure(svc, op, false);
    if (en <= 0 || ew <= 0) continue;
    CountTest t = TestCount(l.normal, en, l.window, ew, phi);
    if (static_cast<double>(l.window) >= t.expected) continue;
    const std::string what = l.templates == 1
                                 ? fmt::format("template \"{}\"", l.shown)
                                 : fmt::format("log statement {} ({} templates, e.g. \"{}\")", key,
                                               l.templates, l.shown);
    consider(
        svc,
        {"log", "template_low", key, "", static_cast<double>(l.window), t.expected, t.p_low,
         fmt::format("{} in {}: {} (expected {:.1f})", what, op, Lines(l.window), t.expected)});
  }
  // Statements every normal span writes together, written apart.
  {
    std::map<std::pair<std::string, size_t>, std::pair<uint64_t, uint64_t>>
        apart;  // → (spans, apart)
    for (const auto& [k, session] : wsessions) {
      auto groups = together_.find(k.second);
      if (session.failed || groups == together_.end()) continue;
      for (size_t g = 0; g < groups->second.size(); ++g) {
        uint64_t least = UINT64_MAX, most = 0;  // lines of the group's statements in the span
        for (const std::string& statement : groups->second[g].statements) {
          auto it = session.lines.find(statement);
          const uint64_t n = it == session.lines.end() ? 0 : it->second;
          least = std::min(least, n);
          most = std::max(most, n);
        }
        if (most == 0) continue;
        auto& [spans, apart_spans] = apart[{k.second, g}];
        ++spans;
        if (least != most) ++apart_spans;
      }
    }
    for (const auto& [k, a] : apart) {
      const Together& t = together_.at(k.first)[k.second];
      const double eps = 1.0 / static_cast<double>(t.spans + 2);
      const auto& [spans, apart_spans] = a;
      std::string names = t.statements[0] + ", " + t.statements[1];
      if (t.statements.size() > 2) names += fmt::format(" and {} more", t.statements.size() - 2);
      consider(k.first,
               {"log", "statements_apart", t.statements[0], "", static_cast<double>(apart_spans),
                eps * static_cast<double>(spans), BinomialUpperTail(spans, apart_spans, eps),
                fmt::format("log statements {}, written together in each of {} normal spans, "
                            "came apart in {} of {} spans",
                            names, t.spans, apart_spans, spans)});
    }
  }
  // How each request runs inside its service: the steps (internal, client and database spans) per
  // request of an entry operation. Steps that vanish or multiply (an exception skipping the rest,
  // retries, a loop) say the service's own code took another path.
  {
    // As in the normal profile, only requests that did not fail (no failed span or error log of
    // their own in the service; the error logs were marked above) are counted.
    for (size_t i = 0; i < w.spans.size(); ++i)
      if (errors[i] == ErrorKind::kOwn && idx.entry[i] >= 0) failed_request[idx.entry[i]] = true;
    std::map<std::pair<std::string, std::string>, uint64_t> wrequests;
    for (size_t i = 0; i < w.spans.size(); ++i)
      if (idx.entry[i] == static_cast<int64_t>(i) && !failed_request[i] &&
          !w.spans[i].service.empty())
        ++wrequests[{w.spans[i].service, idx.ContextOp(w.spans, i)}];
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> wsteps;
    ForEachStep(w.spans, idx,
                [&](const std::string& svc, std::string op, const std::string& step, size_t e) {
                  if (!failed_request[e]) ++wsteps[{svc, std::move(op), step}];
                });
    auto requests = [](const auto& m, const std::string& svc, const std::string& op) {
      auto it = m.find({svc, op});
      return it == m.end() ? 0.0 : static_cast<double>(it->second);
    };
    // A step's count over the window's requests varies as much as it does from one normal request
    // to the next: a step that runs 0 to 3 times depending on the request's input (the trips a
    // search finds) spreads wider than Poisson, one every request runs exactly once narrower. The
    // window's overdispersion stays the floor.
    auto test = [&](const std::string& svc, const std::string& op, const std::string& step,
                    const Step& c, uint64_t x) {
      const double en = requests(step_requests_, svc, op), ew = requests(wrequests, svc, op);
      if (en <= 0 || ew <= 0) return;
      double spread = phi;
      if (c.spans > 0) {
        const double mean = static_cast<double>(c.spans) / en;
        const double var = static_cast<double>(c.sum_sq) / en - mean * mean;
        spread = std::max(spread, var / mean);
      }
      CountTest t = TestCount(c.spans, en, x, ew, spread);
      const double xd = static_cast<double>(x);
      if (xd == t.expected) return;
      consider(svc, {"trace", "steps", step + " per " + op, "", xd, t.expected,
                     xd < t.expected ? t.p_low : t.p_high,
                     fmt::format("{} ran {} {} times (expected {:.1f})", op, step, x, t.expected)});
    };
    for (const auto& [k, c] : steps_) {
      auto it = wsteps.find(k);
      test(std::get<0>(k), std::get<1>(k), std::get<2>(k), c, it == wsteps.end() ? 0 : it->second);
    }
    for (const auto& [k, x] : wsteps)
      if (!steps_.count(k)) test(std::get<0>(k), std::get<1>(k), std::get<2>(k), Step{}, x);
  }

  // New or surging error templates.
  for (const auto& [k, x] : wkeys) {
    const auto& [svc, op, key] = k;
    auto is_err = werror.find(key);
    auto was_err = error_key_.find(key);
    if ((is_err == werror.end() || !is_err->second) &&
        (was_err == error_key_.end() || !was_err->second))
      continue;
    const double en = exposure(svc, op, true), ew = exposure(svc, op, false);
    if (en <= 0 || ew <= 0) continue;  // operation never seen in normal data: no expectation
    auto it = log_keys_.find(k);
    const uint64_t c = it == log_keys_.end() ? 0 : it->second;
    CountTest t = TestCount(c, en, x, ew, phi);
    if (static_cast<double>(x) > t.expected) {
      // A line no template matches is keyed "(new) <masked line>" (NewLineKey).
      auto line = wnew_lines.find(key);
      const std::string text =
          line != wnew_lines.end()
              ? fmt::format("never-seen error lines like \"{}\"", CutUtf8(line->second, 200))
              : fmt::format("{} error template \"{}\"", c ? "surging" : "new", key);
      consider(svc,
               {"log", "error_template", key, "", static_cast<double>(x), t.expected, t.p_high,
                fmt::format("{} in {}: {} (expected {:.1f})", text, op, Lines(x), t.expected)});
    }
  }

  // Values of categorical variables: lines whose variable took a word it never took in the sample
  // of normal lines (a wrong return: `result=false` where it was always `true` or `1`). How often
  // normal lines bring an unseen value is estimated as Good and Turing do, by the share of sampled
  // values seen once. Not tested:
  //  - known values that grow more frequent: the mix of requests moves them (a caller's outage
  //    leaves a service only its health checks);
  //  - a new word that several services log: an input travelling with the requests (a station
  //    name no normal request asked for), not an answer one service got wrong.
  auto is_new = [](const Values& normal, const std::string& value) {
    return IsWord(value) && !normal.counts.count(value);
  };
  std::map<std::string, std::set<std::string>> new_in;  // new word → services logging it
  for (const auto& [k, vars] : wvalues) {
    const auto& normal_vars = values_.at(k);
    for (const auto& [i, v] : vars) {
      const Values& normal = normal_vars.at(i);
      for (const auto& [value, n] : v.counts)
        if (is_new(normal, value)) new_in[value].insert(k.first);
    }
  }
  for (const auto& [k, vars] : wvalues) {
    const auto& normal_vars = values_.at(k);
    for (const auto& [i, v] : vars) {
      const Values& normal = normal_vars.at(i);
      uint64_t x = 0, singletons = 0;
      std::string first;
      for (const auto& [value, n] : v.counts)
        if (is_new(normal, value) && new_in.at(value).size() == 1) {
          x += n;
          if (first.empty()) first = value;
        }
      if (x == 0) continue;
      for (const auto& [value, n] : normal.counts) singletons += n == 1;
      CountTest t =
          TestCount(singletons, static_cast<double>(normal.lines), x, static_cast<double>(v.lines));
      if (static_cast<double>(x) <= t.expected) continue;
      consider(k.first,
               {"log", "template_value", k.second, "", static_cast<double>(x), t.expected, t.p_high,
                fmt::format("new value \"{}\" at \"{}\" in template \"{}\": {} of {} lines "
                            "(expected {:.1f})",
                            first, VariableAt(k.second, i), k.second, x, v.lines, t.expected)});
    }
  }

  // Metrics: window median per series against the normal median / MAD.
  using MetricKey = std::tuple<std::string, std::string, std::string>;  // service, instance, name
  std::map<MetricKey, std::vector<double>> wmet;
  std::map<MetricKey, std::pair<std::string, std::vector<double>>> whost;  // → (host, values)
  for (const MetricPoint& m : w.metrics) {
    if (!std::isfinite(m.value)) continue;
    if (!m.service.empty() && !m.instance.empty()) window_pods[m.service].insert(m.instance);
    if (!IsHostMetric(m.name)) {
      if (!m.service.empty()) wmet[{m.service, m.instance, m.name}].push_back(m.value);
      continue;
    }
    if (!hosts) continue;
    // The machine: named by the point itself, else by where its pod runs.
    const std::string* host = HostAttribute(m.labels);
    if (!host && placement)
      if (auto it = placement->pod_host.find(m.instance); it != placement->pod_host.end())
        host = &it->second;
    if (!host || (m.service.empty() && !HostAttribute(m.labels))) continue;
    auto& [h, v] = whost[{m.service, m.service.empty() ? *host : m.instance, m.name}];
    h = *host;
    v.push_back(m.value);
  }
  auto metric_test = [&](const MetricKey& k,
                         const std::vector<double>& v) -> std::optional<EvidenceItem> {
    auto it = metrics_.find(k);
    if (it == metrics_.end() && !std::get<0>(k).empty())
      it = metrics_.find({std::get<0>(k), kAnyInstance, std::get<2>(k)});
    if (it == metrics_.end() || it->second.n < 5) return std::nullopt;
    const Robust& r = it->second;
    const double med = Median(v);
    const double scale = std::max(r.sigma + 0.05 * std::abs(r.median), r.floor);
    if (scale <= 0) return std::nullopt;  // the series never varied: no scale to judge a change by
    const double z = std::abs(med - r.median) / scale;
    // A series that never moved in the normal data (readiness, replicas, `up`) and now sits at zero
    // for the whole window says the component is gone: far stronger evidence than the
    // distribution-free bound on a deviation. (Traffic-driven series also drop to zero downstream
    // of a failure, so a series that varied in normal data never gets this.)
    const bool vanished = r.sigma == 0 && r.median > 0 && v.size() >= 3 &&
                          std::all_of(v.begin(), v.end(), [](double x) { return x == 0; });
    return EvidenceItem{
        "metric",
        "metric",
        std::get<2>(k),
        std::get<1>(k),
        med,
        r.median,
        vanished ? kVanishedP : Cantelli(z),
        vanished ? fmt::format("{} {} = 0 for the whole window (always {:.4g} in normal data)",
                               std::get<1>(k), std::get<2>(k), r.median)
                 : fmt::format("{} {} = {:.4g} (normal {:.4g}, |z| {:.1f})", std::get<1>(k),
                               std::get<2>(k), med, r.median, z)};
  };
  for (const auto& [k, v] : wmet) {
    ev(std::get<0>(k)).observed = true;
    auto item = metric_test(k, v);
    if (!item) continue;
    if (!std::get<1>(k).empty())
      pods[{std::get<0>(k), std::get<1>(k)}].Add("metric", item->p_value);
    consider(std::get<0>(k), std::move(*item));
  }
  if (hosts) {
    std::map<std::string, double> best_p;
    for (const auto& [k, hv] : whost) {
      const auto& [h, v] = hv;
      HostEvidence& he = (*hosts)[h];
      he.host = h;
      he.observed = true;
      auto item = metric_test(k, v);
      if (!item) continue;
      ++he.tests;
      if (item->p_value >= 0.05) continue;
      auto [bp, fresh] = best_p.try_emplace(h, item->p_value);
      if (!fresh) bp->second = std::min(bp->second, item->p_value);
      he.items.push_back(std::move(*item));
    }
    // As for services: the smallest p-value, Bonferroni-corrected by the series tested (every pod
    // on a machine reports the machine's series: they count as separate tests, conservatively).
    for (auto& [h, he] : *hosts) {
      if (auto b = best_p.find(h); b != best_p.end())
        he.log10_bf = std::log10(BayesFactorFromP(std::min(1.0, b->second * he.tests)));
      std::sort(he.items.begin(), he.items.end(),
                [](const auto& a, const auto& c) { return a.p_value < c.p_value; });
      if (he.items.size() > 3) he.items.resize(3);
    }
  }
  for (const LogRecord& l : w.logs)
    if (!l.service.empty() && !l.instance.empty()) window_pods[l.service].insert(l.instance);
  for (const auto& [svc, ps] : window_pods) {
    ServiceEvidence& e = ev(svc);
    for (const std::string& pod : ps) {
      double l10 = 0;
      if (auto it = pods.find({svc, pod}); it != pods.end())
        for (const auto& [m, bt] : it->second.by_modality)
          l10 += std::log10(BayesFactorFromP(std::min(1.0, bt.first * bt.second)));
      e.pod_log10_bf[pod] = l10;
    }
  }

  for (auto& [key, b] : best) {
    ServiceEvidence& e = out[key.first];
    const int tests = std::max(1, e.tests[key.second]);
    const double p_adj = std::min(1.0, b.p * tests);
    const double l10 = std::log10(BayesFactorFromP(p_adj));
    e.modality_log10_bf[key.second] = l10;
    (key.second == "caller" ? e.callers_log10_bf : e.log10_bf) += l10;
    std::sort(b.items.begin(), b.items.end(),
              [](const auto& a, const auto& c) { return a.p_value < c.p_value; });
    // A few per modality: enough for the fault-type diagnosis to see every kind of signal.
    if (b.items.size() > kItemsPerModality) b.items.resize(kItemsPerModality);
    for (auto& it : b.items) e.items.push_back(std::move(it));
  }
  for (auto& [s, e] : out)
    std::stable_sort(e.items.begin(), e.items.end(),
                     [](const auto& a, const auto& c) { return a.p_value < c.p_value; });
  return out;
}

}  // namespace augur::localize
