#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/time.h"
#include "ingest/otlp_json_writer.h"
#include "sim/log_styles.h"
#include "sim/random.h"

namespace augur::sim {
namespace {

enum Phase { kBase, kFault, kRecovery };

// Per service and phase aggregates of one run, gathered from the batches.
struct Observed {
  struct Cell {
    int server_spans = 0, server_errors = 0;
    int write_spans = 0, write_errors = 0;  // database writes
    int roots = 0, root_errors = 0, root_4xx = 0;
    std::vector<double> latency_ms;  // server spans
    int logs = 0, warn_logs = 0;
    std::map<std::string, std::vector<double>> metrics;
    std::map<std::string, std::vector<double>> client_ms;  // by operation name
  };
  std::map<std::pair<std::string, int>, Cell> cells;
  std::vector<std::string> log_bodies[3];
  std::set<std::string> log_services, span_services, pods;
  std::map<std::string, std::set<std::string>> versions_by_pod;
  TimeNs fault_start = 0, fault_end = 0;
  std::vector<FaultLabel> labels;
  std::vector<DeployLabel> deploys;
  SimStats stats;

  Phase PhaseOf(TimeNs t) const {
    if (t < fault_start) return kBase;
    return t < fault_end ? kFault : kRecovery;
  }
  Cell& At(const std::string& service, Phase p) { return cells[{service, p}]; }
  const Cell& Get(const std::string& service, Phase p) const {
    static const Cell kEmpty;
    auto it = cells.find({service, p});
    return it == cells.end() ? kEmpty : it->second;
  }
  bool AnyLog(Phase p, const std::string& needle) const {
    return std::any_of(log_bodies[p].begin(), log_bodies[p].end(),
                       [&](const std::string& b) { return b.find(needle) != std::string::npos; });
  }
  double MetricMax(const std::string& svc, Phase p, const std::string& name) const {
    const auto& v = Get(svc, p).metrics;
    auto it = v.find(name);
    if (it == v.end() || it->second.empty()) return 0;
    return *std::max_element(it->second.begin(), it->second.end());
  }
  double MetricMean(const std::string& svc, Phase p, const std::string& name) const {
    const auto& v = Get(svc, p).metrics;
    auto it = v.find(name);
    if (it == v.end() || it->second.empty()) return 0;
    double s = 0;
    for (double x : it->second) s += x;
    return s / it->second.size();
  }
  double WriteErrorShare(const std::string& svc, Phase p) const {
    const auto& c = Get(svc, p);
    return c.write_spans ? static_cast<double>(c.write_errors) / c.write_spans : 0;
  }
  double ErrorShare(const std::string& svc, Phase p) const {
    const auto& c = Get(svc, p);
    return c.server_spans ? static_cast<double>(c.server_errors) / c.server_spans : 0;
  }
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

SimConfig Short(const std::string& scenario, uint64_t seed = 1) {
  SimConfig c;
  c.scenario = scenario;
  c.minutes = 6;  // 2 baseline, 2 fault, 2 recovery
  c.rps = 8;
  c.seed = seed;
  return c;
}

Observed RunAndObserve(const SimConfig& config) {
  auto sim = Simulator::Create(config);
  EXPECT_TRUE(sim.ok()) << sim.message();
  Observed o;
  const double base = config.baseline_minutes >= 0 ? config.baseline_minutes : config.minutes / 3;
  const double fault = config.fault_minutes >= 0 ? config.fault_minutes : config.minutes / 3;
  o.fault_start = config.start + static_cast<TimeNs>(base * 60e9);
  o.fault_end = o.fault_start + static_cast<TimeNs>(fault * 60e9);
  Status s = (*sim)->Run([&](Batch& b) {
    for (const auto& sp : b.spans) {
      o.span_services.insert(sp.service);
      o.pods.insert(sp.instance);
      const Phase p = o.PhaseOf(sp.start);
      auto& c = o.At(sp.service, p);
      if (sp.kind == SpanKind::kServer || sp.kind == SpanKind::kConsumer) {
        ++c.server_spans;
        if (sp.is_error()) ++c.server_errors;
        c.latency_ms.push_back(sp.duration() / 1e6);
        if (sp.name.starts_with("update ") || sp.name.starts_with("insert ") ||
            sp.name.starts_with("delete ")) {
          ++c.write_spans;
          if (sp.is_error()) ++c.write_errors;
        }
      }
      if (sp.kind == SpanKind::kClient) c.client_ms[sp.name].push_back(sp.duration() / 1e6);
      if (sp.is_root()) {
        ++c.roots;
        if (sp.http_status_code >= 500) ++c.root_errors;
        if (sp.http_status_code >= 400 && sp.http_status_code < 500) ++c.root_4xx;
      }
    }
    for (const auto& r : b.logs) {
      o.log_services.insert(r.service);
      const Phase p = o.PhaseOf(r.time);
      auto& c = o.At(r.service, p);
      ++c.logs;
      if (r.severity >= Severity::kWarn) ++c.warn_logs;
      o.log_bodies[p].push_back(r.body);
    }
    for (const auto& m : b.metrics) {
      o.At(m.service, o.PhaseOf(m.time)).metrics[m.name].push_back(m.value);
      o.versions_by_pod[m.instance].insert((*sim)->VersionOf(m.instance));
    }
  });
  EXPECT_TRUE(s.ok()) << s.message();
  o.labels = (*sim)->Labels();
  o.deploys = (*sim)->Deploys();
  o.stats = (*sim)->stats();
  return o;
}

std::string Serialize(const SimConfig& config) {
  auto sim = Simulator::Create(config);
  EXPECT_TRUE(sim.ok());
  std::string out;
  ingest::OtlpJsonOptions opt;
  (void)(*sim)->Run([&](Batch& b) {
    ingest::AppendOtlpTracesJson(b.spans, opt, out);
    ingest::AppendOtlpLogsJson(b.logs, opt, out);
    ingest::AppendOtlpMetricsJson(b.metrics, opt, out);
  });
  out += (*sim)->LabelsJson();
  return out;
}

TEST(Random, DistributionsAreSaneAndFixed) {
  Rng r(42);
  Rng again(42);
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double x = r.Normal();
    EXPECT_EQ(x, again.Normal());
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0, 0.03);
  EXPECT_NEAR(sq / n, 1, 0.05);
  double ps = 0;
  for (int i = 0; i < n; ++i) ps += r.Poisson(3.5);
  EXPECT_NEAR(ps / n, 3.5, 0.08);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.Below(7), 7u);
  // mt19937_64's output is fixed by the standard: the 10000th value from the default seed.
  std::mt19937_64 e;
  e.discard(9999);
  EXPECT_EQ(e(), 9981545732273789042ULL);
}

TEST(Simulator, SameSeedSameBytesOtherSeedOtherBytes) {
  SimConfig c = Short("shipping_network_delay");
  c.minutes = 3;
  const std::string a = Serialize(c), b = Serialize(c);
  EXPECT_EQ(a, b);
  c.seed = 2;
  EXPECT_NE(a, Serialize(c));
}

TEST(Simulator, NormalRunIsHealthyAndCoversEveryComponent) {
  Observed o = RunAndObserve(Short("normal"));
  for (int p = 0; p < 3; ++p) {
    for (const auto& [key, cell] : o.cells) {
      EXPECT_EQ(cell.server_errors, 0) << key.first;
      EXPECT_EQ(cell.warn_logs, 0) << key.first;
    }
    for (const auto& b : o.log_bodies[p]) EXPECT_EQ(b.find("Exception"), std::string::npos) << b;
  }
  for (const auto& name : ComponentNames()) {
    EXPECT_TRUE(o.span_services.count(name)) << name << " has no spans";
    if (name != "istio-ingressgateway") {
      EXPECT_TRUE(o.log_services.count(name)) << name << " writes no logs";
    }
  }
  // About rps × seconds traces.
  EXPECT_NEAR(static_cast<double>(o.stats.traces), 8 * 360, 8 * 360 * 0.08);
  EXPECT_EQ(o.stats.error_traces, 0u);
  // Per-pod metrics every second: 15 components, payment has two pods.
  const auto& fe = o.Get("front-end", kFault).metrics;
  ASSERT_TRUE(fe.count("cpu_usage"));
  EXPECT_EQ(fe.at("cpu_usage").size(), 120u);
  for (const char* m : {"memory_usage", "request_rate", "error_rate", "latency_p50", "latency_p90",
                        "latency_p99", "network_rx_bytes", "network_tx_bytes", "restarts", "ready"})
    EXPECT_TRUE(fe.count(m)) << m;
  // Samples are stamped at the end of each second: the baseline holds 119 per pod.
  EXPECT_EQ(o.Get("payment", kBase).metrics.at("cpu_usage").size(), 2 * 119u);
}

TEST(Simulator, NormalRunsAreStableAcrossSeeds) {
  std::vector<double> p50, rate, logs;
  for (uint64_t seed : {3, 4, 5}) {
    Observed o = RunAndObserve(Short("normal", seed));
    const auto& fe = o.Get("front-end", kBase);
    p50.push_back(Quantile(fe.latency_ms, 0.5));
    rate.push_back(o.stats.traces);
    logs.push_back(o.stats.logs);
    EXPECT_EQ(o.stats.error_traces, 0u) << seed;
  }
  auto spread = [](const std::vector<double>& v) {
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return (*hi - *lo) / *hi;
  };
  EXPECT_LT(spread(p50), 0.25);
  EXPECT_LT(spread(rate), 0.1);
  EXPECT_LT(spread(logs), 0.15);
}

// Every scenario: nothing in the baseline, something during the fault, and a label that says so.
TEST(Simulator, EveryScenarioIsQuietBeforeAndLabelled) {
  for (const auto& s : Scenarios()) {
    Observed o = RunAndObserve(Short(s.name));
    for (const auto& [key, cell] : o.cells)
      if (key.second == kBase) {
        EXPECT_EQ(cell.server_errors, 0) << s.name << " " << key.first;
      }
    ASSERT_EQ(o.labels.size(), 1u) << s.name;
    const FaultLabel& l = o.labels[0];
    EXPECT_EQ(l.target_service, s.faults[0].target) << s.name;
    EXPECT_EQ(l.start, o.fault_start) << s.name;
    EXPECT_EQ(l.end, o.fault_end) << s.name;
    EXPECT_GE(l.recovered, l.end) << s.name;
    EXPECT_FALSE(l.target_pods.empty()) << s.name;
    EXPECT_GT(l.affected_traces, 0u) << s.name;
    EXPECT_LE(l.affected_error_traces, l.affected_traces) << s.name;
  }
}

TEST(Simulator, PodFailuresSilenceTheTargetAndFailItsCallers) {
  Observed o = RunAndObserve(Short("user_pod_failure"));
  EXPECT_EQ(o.Get("user", kFault).server_spans, 0);
  EXPECT_EQ(o.Get("user", kFault).logs, 0);
  EXPECT_GT(o.Get("front-end", kFault).server_errors, 50);
  EXPECT_EQ(o.Get("catalogue", kFault).server_errors, 0);  // only where it should
  EXPECT_EQ(o.MetricMax("user", kBase, "restarts"), 0);
  EXPECT_EQ(o.MetricMax("user", kRecovery, "restarts"), 1);
  EXPECT_EQ(o.MetricMax("user", kFault, "ready"), 1);  // until the probes notice
  EXPECT_LT(o.MetricMean("user", kFault, "ready"), 0.2);

  Observed fe = RunAndObserve(Short("front_end_pod_failure"));
  EXPECT_EQ(fe.Get("front-end", kFault).server_spans, 0);
  EXPECT_GT(fe.ErrorShare("istio-ingressgateway", kFault), 0.9);
  EXPECT_EQ(fe.Get("carts", kFault).server_errors, 0);

  Observed ship = RunAndObserve(Short("shipping_pod_failure"));
  EXPECT_EQ(ship.Get("shipping", kFault).server_spans, 0);
  EXPECT_GT(ship.Get("orders", kFault).server_errors, 5);
  EXPECT_TRUE(ship.AnyLog(kFault, "HttpServerErrorException: 503"));
  EXPECT_FALSE(ship.AnyLog(kBase, "HttpServerErrorException"));
  EXPECT_TRUE(ship.AnyLog(kRecovery, "Started ShippingServiceApplication"));
  EXPECT_EQ(ship.Get("user", kFault).server_errors, 0);

  // One payment pod of two: Envoy retries mask most of it.
  Observed pay = RunAndObserve(Short("payment_pod_failure"));
  EXPECT_LT(pay.Get("istio-ingressgateway", kFault).root_errors, 10);
  int restarted = 0;
  for (const auto& l : pay.labels) EXPECT_EQ(l.target_pods.size(), 1u);
  for (const auto& [pod, v] : pay.versions_by_pod) restarted += pod.starts_with("payment-");
  EXPECT_EQ(restarted, 2);
  EXPECT_GT(pay.MetricMax("payment", kRecovery, "restarts"), 0);
}

TEST(Simulator, PartitionsTimeOutOrQueue) {
  Observed s = RunAndObserve(Short("session_db_partition"));
  EXPECT_GT(s.ErrorShare("front-end", kFault), 0.9);
  EXPECT_GT(Quantile(s.Get("front-end", kFault).latency_ms, 0.5), 1900);
  EXPECT_TRUE(s.AnyLog(kFault, "Redis connection to session-db:6379 failed - connect ETIMEDOUT"));
  EXPECT_EQ(s.Get("session-db", kFault).server_spans, 0);
  EXPECT_LT(s.ErrorShare("front-end", kRecovery), 0.2);

  Observed r = RunAndObserve(Short("rabbitmq_partition"));
  EXPECT_EQ(r.Get("istio-ingressgateway", kFault).root_errors,
            0);  // asynchronous: users see nothing
  EXPECT_EQ(r.Get("queue-master", kFault).server_spans, 0);
  EXPECT_GT(r.MetricMax("rabbitmq", kFault, "queue_messages"), 20);
  EXPECT_LT(r.MetricMean("rabbitmq", kBase, "queue_messages"), 1);
  EXPECT_TRUE(r.AnyLog(kFault, "AmqpConnectException"));
  EXPECT_TRUE(r.AnyLog(kFault, "missed heartbeats from client"));
  EXPECT_GT(r.Get("queue-master", kRecovery).server_spans,
            r.Get("queue-master", kBase).server_spans);
}

TEST(Simulator, IoFailuresFailHalfTheDatabaseCalls) {
  Observed c = RunAndObserve(Short("carts_db_io_failure"));
  // Writes fail at the injected 50 %; reads mostly come from the cache.
  EXPECT_GT(c.ErrorShare("carts-db", kFault), 0.1);
  EXPECT_LT(c.ErrorShare("carts-db", kFault), 0.4);
  EXPECT_NEAR(c.WriteErrorShare("carts-db", kFault), 0.5, 0.15);
  EXPECT_EQ(c.ErrorShare("carts-db", kBase), 0);
  EXPECT_TRUE(c.AnyLog(kFault, "WiredTiger error (5)"));
  EXPECT_TRUE(c.AnyLog(kFault, "Input/output error' on server carts-db:27017"));
  EXPECT_EQ(c.Get("catalogue-db", kFault).server_errors, 0);
  EXPECT_EQ(c.Get("carts-db", kRecovery).server_errors, 0);

  Observed m = RunAndObserve(Short("catalogue_db_io_failure"));
  EXPECT_NEAR(m.ErrorShare("catalogue-db", kFault), 0.5, 0.12);
  EXPECT_TRUE(m.AnyLog(kFault, "InnoDB: Error number 5 means 'Input/output error'"));
  EXPECT_TRUE(m.AnyLog(kFault, "Error 1030: Got error 5 from storage engine"));
  EXPECT_EQ(m.Get("carts-db", kFault).server_errors, 0);
}

TEST(Simulator, NetworkFaultsAddLatencyWhereTheyShould) {
  auto shipping_call_p50 = [](const Observed& o, Phase p) {
    return Quantile(o.Get("orders", p).client_ms.count("POST /shipping")
                        ? o.Get("orders", p).client_ms.at("POST /shipping")
                        : std::vector<double>{},
                    0.5);
  };
  Observed d = RunAndObserve(Short("shipping_network_delay"));
  EXPECT_GT(shipping_call_p50(d, kFault), shipping_call_p50(d, kBase) + 150);
  EXPECT_LT(shipping_call_p50(d, kRecovery), shipping_call_p50(d, kBase) + 20);
  EXPECT_LT(Quantile(d.Get("catalogue", kFault).latency_ms, 0.9),
            Quantile(d.Get("catalogue", kBase).latency_ms, 0.9) * 1.5 + 1);
  EXPECT_EQ(d.Get("istio-ingressgateway", kFault).root_errors, 0);

  Observed b = RunAndObserve(Short("shipping_bandwidth_limit"));
  EXPECT_GT(shipping_call_p50(b, kFault), 5 * shipping_call_p50(b, kBase));
  EXPECT_GT(b.MetricMean("shipping", kFault, "latency_p99"),
            3 * b.MetricMean("shipping", kBase, "latency_p99"));

  Observed l = RunAndObserve(Short("orders_packet_loss"));
  EXPECT_GT(Quantile(l.Get("orders", kFault).latency_ms, 0.9),
            3 * Quantile(l.Get("orders", kBase).latency_ms, 0.9));

  Observed a = RunAndObserve(Short("shipping_http_abort"));
  EXPECT_EQ(a.MetricMax("shipping", kBase, "ready"), 1);
  EXPECT_LT(a.MetricMean("shipping", kFault, "ready"), 0.5);
  EXPECT_GT(a.Get("orders", kFault).server_errors, 5);
}

TEST(Simulator, StressMovesResourceMetrics) {
  Observed m = RunAndObserve(Short("shipping_memory_stress"));
  EXPECT_GT(m.MetricMax("shipping", kFault, "memory_usage"),
            1.5 * m.MetricMean("shipping", kBase, "memory_usage"));
  EXPECT_LT(m.MetricMean("orders", kFault, "memory_usage"),
            1.2 * m.MetricMean("orders", kBase, "memory_usage"));
  EXPECT_GT(m.MetricMean("shipping", kFault, "latency_p99"),
            2 * m.MetricMean("shipping", kBase, "latency_p99"));

  Observed c = RunAndObserve(Short("catalogue_cpu_stress"));
  EXPECT_GT(c.MetricMean("catalogue", kFault, "cpu_usage"),
            5 * c.MetricMean("catalogue", kBase, "cpu_usage"));
  EXPECT_GT(Quantile(c.Get("catalogue", kFault).latency_ms, 0.5),
            2 * Quantile(c.Get("catalogue", kBase).latency_ms, 0.5));
  EXPECT_LT(c.MetricMean("user", kFault, "cpu_usage"),
            2 * c.MetricMean("user", kBase, "cpu_usage"));
}

// A stressed pod the OOM killer took is down until its JVM has started again: the fault has not
// recovered before then, even when the kill came in its last seconds (its requests fail, touched
// by the fault, until the pod runs).
TEST(Simulator, RecoveryWaitsForThePodsAFaultKilled) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    SimConfig c = Short("shipping_memory_stress", seed);
    auto sim = Simulator::Create(c);
    ASSERT_TRUE(sim.ok()) << sim.message();
    std::vector<TimeNs> kills, starts;
    ASSERT_TRUE((*sim)
                    ->Run([&](Batch& b) {
                      for (const auto& r : b.logs) {
                        if (r.service != "shipping") continue;
                        if (r.body.find("Killed process") != std::string::npos)
                          kills.push_back(r.time);
                        if (r.body.find("Started ShippingServiceApplication") != std::string::npos)
                          starts.push_back(r.time);
                      }
                    })
                    .ok());
    const FaultLabel& l = (*sim)->Labels().at(0);
    std::sort(starts.begin(), starts.end());
    for (TimeNs k : kills) {
      if (k < l.start || k >= l.recovered) continue;
      auto up = std::upper_bound(starts.begin(), starts.end(), k);
      ASSERT_NE(up, starts.end()) << "seed " << seed;
      EXPECT_GE(l.recovered, *up - kNsPerSecond) << "seed " << seed;
    }
  }
}

TEST(Simulator, CodeFaultsChangeBehaviourNotInfrastructure) {
  Observed e = RunAndObserve(Short("carts_code_exception"));
  EXPECT_GT(e.Get("carts", kFault).server_errors, 20);
  EXPECT_TRUE(e.AnyLog(kFault, "java.lang.NullPointerException"));
  EXPECT_TRUE(e.AnyLog(kFault, "\tat works.weave.socks.cart.cart.CartResource.contents"));
  EXPECT_EQ(e.Get("carts-db", kFault).server_errors, 0);
  EXPECT_EQ(e.MetricMax("carts", kFault, "restarts"), 0);

  Observed w = RunAndObserve(Short("payment_wrong_return"));
  EXPECT_EQ(w.Get("payment", kFault).server_errors, 0);
  EXPECT_EQ(w.Get("istio-ingressgateway", kFault).root_errors, 0);
  EXPECT_GT(w.Get("istio-ingressgateway", kFault).root_4xx, 5);
  EXPECT_EQ(w.Get("istio-ingressgateway", kBase).root_4xx, 0);
  EXPECT_TRUE(w.AnyLog(kFault, "Payment declined"));

  Observed d = RunAndObserve(Short("carts_bad_deploy"));
  ASSERT_EQ(d.deploys.size(), 2u);  // the bad rollout and the rollback
  EXPECT_TRUE(d.deploys[0].bad);
  EXPECT_EQ(d.deploys[0].to_version, "0.4.9-rc1");
  EXPECT_EQ(d.deploys[1].to_version, "0.4.8");
  EXPECT_EQ(d.labels[0].target_pods, d.deploys[0].new_pods);
  EXPECT_TRUE(d.versions_by_pod.count(d.deploys[0].new_pods[0]));
  EXPECT_EQ(*d.versions_by_pod.at(d.deploys[0].new_pods[0]).begin(), "0.4.9-rc1");
  EXPECT_GT(d.Get("carts", kFault).server_errors, 3);
  EXPECT_TRUE(d.AnyLog(kFault, "Started CartApplication"));
  EXPECT_TRUE(d.AnyLog(kFault, "IllegalStateException"));
  // Every request the new version serves is slower, so it is touched, failed or not.
  EXPECT_GT(d.labels[0].affected_traces, 3 * d.labels[0].affected_error_traces);
}

TEST(Simulator, OverlappingFaultsBothShow) {
  Observed o = RunAndObserve(Short("user_pod_failure+catalogue_db_io_failure"));
  ASSERT_EQ(o.labels.size(), 2u);
  EXPECT_EQ(o.Get("user", kFault).server_spans, 0);
  EXPECT_GT(o.ErrorShare("catalogue-db", kFault), 0.3);
  EXPECT_GT(o.labels[0].affected_traces, 0u);
  EXPECT_GT(o.labels[1].affected_traces, 0u);
}

// The per-line truth: lines written for requests the fault touched, once it touched them (so on
// the call path back from the target, not in sibling calls made before) and inside the fault's
// window; a normal run has none.
TEST(Simulator, AffectedLogsAreTheLinesOfTouchedRequests) {
  auto sim = Simulator::Create(Short("shipping_http_abort"));
  ASSERT_TRUE(sim.ok()) << sim.message();
  std::map<std::pair<TimeNs, std::string>, std::string> service_of;  // (time, pod) → service
  ASSERT_TRUE((*sim)
                  ->Run([&](Batch& b) {
                    for (const auto& r : b.logs) service_of[{r.time, r.instance}] = r.service;
                  })
                  .ok());
  const auto& affected = (*sim)->AffectedLogs();
  ASSERT_FALSE(affected.empty());
  const FaultLabel& l = (*sim)->Labels().at(0);
  std::set<std::string> services;
  for (const auto& a : affected) {
    EXPECT_EQ(a.faults, 1u);
    auto it = service_of.find({a.time, a.instance});
    ASSERT_NE(it, service_of.end()) << a.instance << " " << a.time;
    services.insert(it->second);
    EXPECT_GE(a.time, l.start);
    EXPECT_LE(a.time, l.recovered + 30 * kNsPerSecond);
  }
  EXPECT_TRUE(services.count("front-end"));  // its access lines of the aborted orders
  for (const auto& s : services)
    EXPECT_TRUE(s == "front-end" || s == "orders" || s == "shipping") << s;
  EXPECT_LT(affected.size(), service_of.size() / 5);

  auto normal = Simulator::Create(Short("normal"));
  ASSERT_TRUE(normal.ok());
  ASSERT_TRUE((*normal)->Run([](Batch&) {}).ok());
  EXPECT_TRUE((*normal)->AffectedLogs().empty());
}

// Lines a fault writes outside any request are its affected lines too: queue-master's AMQP
// consumer, cut off from the broker, warns every few seconds.
TEST(Simulator, AffectedLogsHoldTheLinesAFaultWritesOutsideRequests) {
  auto sim = Simulator::Create(Short("rabbitmq_partition"));
  ASSERT_TRUE(sim.ok()) << sim.message();
  std::map<std::pair<TimeNs, std::string>, std::string> body_of;  // (time, pod) → line
  ASSERT_TRUE((*sim)
                  ->Run([&](Batch& b) {
                    for (const auto& r : b.logs)
                      if (r.service == "queue-master") body_of[{r.time, r.instance}] = r.body;
                  })
                  .ok());
  int consumer_warnings = 0;
  for (const auto& a : (*sim)->AffectedLogs()) {
    auto it = body_of.find({a.time, a.instance});
    if (it != body_of.end() && it->second.find("AmqpConnectException") != std::string::npos)
      ++consumer_warnings;
  }
  EXPECT_GT(consumer_warnings, 3);
}

TEST(Simulator, FaultWindowsCanBeGivenPerScenario) {
  SimConfig c = Short("user_pod_failure@1-2+catalogue_db_io_failure@1.5-3");
  auto sim = Simulator::Create(c);
  ASSERT_TRUE(sim.ok()) << sim.message();
  ASSERT_TRUE((*sim)->Run([](Batch&) {}).ok());
  const auto& l = (*sim)->Labels();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].start - c.start, 60 * kNsPerSecond);
  EXPECT_EQ(l[0].end - c.start, 120 * kNsPerSecond);
  EXPECT_EQ(l[1].start - c.start, 90 * kNsPerSecond);
  EXPECT_EQ(l[1].end - c.start, 180 * kNsPerSecond);
  for (const char* bad : {"user_pod_failure@3-1", "user_pod_failure@x", "user_pod_failure@1-2z"})
    EXPECT_FALSE(Simulator::Create(Short(bad)).ok()) << bad;
}

TEST(Simulator, RequestMixIsAParameter) {
  SimConfig c = Short("normal");
  c.minutes = 2;
  for (const char* name : {"index", "item", "tags", "add_to_cart", "remove_from_cart", "view_cart",
                           "address", "card", "orders"})
    ASSERT_TRUE(c.mix.Set(name, 0));
  EXPECT_FALSE(c.mix.Set("checkout", 1));
  Observed o = RunAndObserve(c);  // only browsing: nobody fills a cart, so nobody checks out
  EXPECT_GT(o.Get("catalogue", kBase).server_spans, 150);
  EXPECT_EQ(o.Get("orders", kBase).server_spans + o.Get("orders", kFault).server_spans, 0);
  c.mix.catalogue = 0;
  EXPECT_FALSE(Simulator::Create(c).ok());
}

TEST(Simulator, ScheduledDeployChangesVersionAndPods) {
  SimConfig c = Short("normal");
  c.deploys.push_back({"catalogue", "0.3.6", 60});
  Observed o = RunAndObserve(c);
  ASSERT_EQ(o.deploys.size(), 1u);
  EXPECT_FALSE(o.deploys[0].bad);
  EXPECT_EQ(o.deploys[0].from_version, "0.3.5");
  EXPECT_EQ(o.stats.error_traces, 0u);  // a rolling update with a ready old pod loses nothing
  EXPECT_TRUE(o.pods.count(o.deploys[0].new_pods[0]));
}

TEST(Simulator, LabelsJsonHasTheDocumentedFields) {
  auto sim = Simulator::Create(Short("shipping_pod_failure"));
  ASSERT_TRUE(sim.ok());
  ASSERT_TRUE((*sim)->Run([](Batch&) {}).ok());
  auto j = nlohmann::json::parse((*sim)->LabelsJson());
  EXPECT_EQ(j["scenario"], "shipping_pod_failure");
  ASSERT_EQ(j["faults"].size(), 1u);
  const auto& f = j["faults"][0];
  for (const char* k : {"name", "type", "target_service", "target_pods", "chaos_mesh", "start_ns",
                        "end_ns", "start", "end", "recovered", "affected_traces",
                        "affected_error_traces", "traces_in_window"})
    EXPECT_TRUE(f.contains(k)) << k;
  EXPECT_EQ(f["type"], "pod_failure");
  EXPECT_EQ(f["start"], "2024-11-18T20:02:00Z");
  EXPECT_EQ(f["end"], "2024-11-18T20:04:00Z");
  EXPECT_EQ(j["protocol"]["fault"][0], "2024-11-18T20:02:00Z");
}

TEST(Simulator, BadConfigsAreRejected) {
  EXPECT_FALSE(Simulator::Create(Short("no_such_fault")).ok());
  SimConfig c = Short("normal");
  c.rps = 0;
  EXPECT_FALSE(Simulator::Create(c).ok());
  c = Short("normal");
  c.baseline_minutes = 10;
  EXPECT_FALSE(Simulator::Create(c).ok());
  SimConfig bad = Short("normal");
  FaultSpec f;
  f.target = "mainframe";
  bad.extra_faults.push_back(f);
  auto r = Simulator::Create(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("mainframe"), std::string::npos);
  EXPECT_TRUE(FindScenario("cpu_stress"));    // short alias
  EXPECT_FALSE(FindScenario("pod_failure"));  // ambiguous
}

TEST(Simulator, OtlpJsonOutputIsValidJsonLines) {
  SimConfig c = Short("carts_db_io_failure");
  c.minutes = 1.5;
  auto sim = Simulator::Create(c);
  ASSERT_TRUE(sim.ok());
  std::string text;
  ingest::OtlpJsonOptions opt;
  ASSERT_TRUE((*sim)
                  ->Run([&](Batch& b) {
                    ingest::AppendOtlpTracesJson(b.spans, opt, text);
                    ingest::AppendOtlpLogsJson(b.logs, opt, text);
                    ingest::AppendOtlpMetricsJson(b.metrics, opt, text);
                  })
                  .ok());
  size_t pos = 0, docs = 0;
  const std::regex hex32("^[0-9a-f]{32}$"), hex16("^[0-9a-f]{16}$"), digits("^[0-9]+$");
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    auto doc = nlohmann::json::parse(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++docs;
    if (doc.contains("resourceSpans")) {
      for (const auto& rs : doc["resourceSpans"]) {
        EXPECT_EQ(rs["resource"]["attributes"][0]["key"], "service.name");
        for (const auto& s : rs["scopeSpans"][0]["spans"]) {
          EXPECT_TRUE(std::regex_match(s["traceId"].get<std::string>(), hex32));
          EXPECT_TRUE(std::regex_match(s["spanId"].get<std::string>(), hex16));
          EXPECT_TRUE(s["kind"].is_number_integer());
          EXPECT_TRUE(std::regex_match(s["startTimeUnixNano"].get<std::string>(), digits));
          EXPECT_TRUE(s["status"]["code"].is_number_integer());
        }
      }
    } else if (doc.contains("resourceLogs")) {
      for (const auto& rl : doc["resourceLogs"])
        for (const auto& r : rl["scopeLogs"][0]["logRecords"]) {
          EXPECT_TRUE(r["body"]["stringValue"].is_string());
          if (r.contains("severityNumber")) {
            EXPECT_TRUE(r["severityNumber"].is_number_integer());
          }
        }
    } else {
      ASSERT_TRUE(doc.contains("resourceMetrics"));
      for (const auto& rm : doc["resourceMetrics"])
        for (const auto& m : rm["scopeMetrics"][0]["metrics"]) {
          EXPECT_TRUE(m.contains("gauge") || m.contains("sum")) << m["name"];
          if (m.contains("sum")) {
            EXPECT_EQ(m["sum"]["aggregationTemporality"], 2);
            EXPECT_EQ(m["sum"]["isMonotonic"], true);
          }
        }
    }
  }
  EXPECT_GT(docs, 10u);
}

TEST(LogStyles, EachStackLooksLikeItself) {
  const TimeNs t = 1731960528123456789;
  EXPECT_EQ(logstyle::SpringTime(t), "2024-11-18 20:08:48.123");
  EXPECT_EQ(logstyle::GoTime(t), "2024-11-18T20:08:48.123456789Z");
  EXPECT_EQ(logstyle::MongoTime(t), "2024-11-18T20:08:48.123+0000");
  EXPECT_EQ(logstyle::MySqlTime(t), "2024-11-18T20:08:48.123456Z");
  EXPECT_EQ(logstyle::RedisTime(t), "18 Nov 2024 20:08:48.123");
  EXPECT_EQ(logstyle::Spring(t, "INFO", "carts", "ab", "cd", "nio-80-exec-1", "w.s.Logger", "hi"),
            "2024-11-18 20:08:48.123  INFO [carts,ab,cd,true] 1 --- [  nio-80-exec-1] w.s.Logger  "
            "                             : hi");
  EXPECT_EQ(logstyle::Mongo(t, 'I', "NETWORK", "conn1", "end connection"),
            "2024-11-18T20:08:48.123+0000 I NETWORK  [conn1] end connection");
  EXPECT_EQ(logstyle::Redis(t, 1, 'M', '*', "Ready to accept connections"),
            "1:M 18 Nov 2024 20:08:48.123 * Ready to accept connections");
}

}  // namespace
}  // namespace augur::sim
