#include "localize/localizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <set>

#include "core/time.h"
#include "localize/nezha_eval.h"
#include "testing/testing.h"

namespace augur::localize {
namespace {

constexpr TimeNs kMs = 1'000'000;

// A tiny shop: frontend → orders → {payment, shipping}; shipping → db. Each request is one trace.
// `slow` multiplies the self time of one service; `fail` marks one service's spans as errors with
// 500s.
Batch Traffic(TimeNs t0, int requests, uint64_t seed, const std::string& slow = "",
              const std::string& fail = "") {
  Batch b;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  uint64_t next_id = seed * 1000000 + 1;
  for (int r = 0; r < requests; ++r) {
    TraceId trace;
    trace.bytes[0] = 1;
    uint64_t tid = seed * 100000 + r + 1;
    for (int i = 0; i < 8; ++i) trace.bytes[8 + i] = static_cast<uint8_t>(tid >> (8 * i));
    TimeNs start = t0 + r * 100 * kMs;
    // Recursive builder: returns end time.
    std::function<TimeNs(const std::string&, SpanId, TimeNs)> call =
        [&](const std::string& svc, SpanId parent, TimeNs at) -> TimeNs {
      Span s;
      s.trace_id = trace;
      s.span_id = SpanId{next_id++};
      s.parent_id = parent;
      s.service = svc;
      s.instance = svc + "-pod-1";
      s.name = "handle-" + svc;
      s.kind = SpanKind::kServer;
      s.start = at;
      double self = 2.0 * jitter(rng) * (svc == slow ? 20 : 1);
      TimeNs t = at + static_cast<TimeNs>(self * kMs / 2);
      std::vector<std::string> callees;
      if (svc == "frontend") callees = {"orders"};
      if (svc == "orders") callees = {"payment", "shipping"};
      if (svc == "shipping") callees = {"db"};
      for (const auto& c : callees) t = call(c, s.span_id, t) + kMs / 10;
      s.end = t + static_cast<TimeNs>(self * kMs / 2);
      s.http_status_code = svc == fail ? 500 : 200;
      if (svc == fail) s.status = StatusCode::kError;
      b.spans.push_back(s);
      LogRecord l;
      l.time = at;
      l.service = svc;
      l.trace_id = trace;
      l.span_id = s.span_id;
      l.severity = Severity::kInfo;
      l.body = "handled request " + std::to_string(r) + " in " + svc;
      b.logs.push_back(l);
      return s.end;
    };
    call("frontend", SpanId{}, start);
  }
  return b;
}

Localizer Trained() {
  Localizer loc;
  loc.Learn(Traffic(0, 300, 1));
  loc.FinishLearning();
  return loc;
}

TEST(ServiceGraph, EdgesFromParentChildAcrossServices) {
  ServiceGraph g;
  g.AddSpans(Traffic(0, 10, 3).spans);
  auto callees = g.Callees("orders");
  EXPECT_EQ(callees, (std::vector<std::string>{"payment", "shipping"}));
  EXPECT_EQ(g.edges().size(), 4u);
  EXPECT_EQ(g.edges().at({"frontend", "orders"}).stats.count, 10u);
  EXPECT_EQ(g.quality().missing_parent, 0u);
  auto j = g.ToJson();
  auto back = ServiceGraph::FromJson(j, "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->edges().size(), 4u);
}

TEST(ServiceGraph, SlidingWindowDropsOldCalls) {
  ServiceGraph g(10 * kNsPerSecond);
  g.AddSpans(Traffic(0, 10, 3).spans);
  g.AddSpans(Traffic(60 * kNsPerSecond, 5, 4).spans);
  g.Advance(65 * kNsPerSecond);
  EXPECT_EQ(g.edges().at({"frontend", "orders"}).stats.count, 5u);
}

TEST(ServiceGraph, LoadsCsvTopologyAndRejectsBadLines) {
  testing::TempDir dir;
  auto path = (dir.path() / "topo.csv").string();
  std::ofstream(path) << "caller,callee,calls\na,b,3\nb,c\n";
  auto g = ServiceGraph::LoadFile(path);
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_EQ(g->edges().size(), 2u);
  std::ofstream(path) << "a,b\nonly-one-cell\n";
  auto bad = ServiceGraph::LoadFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("topo.csv:2"), std::string::npos) << bad.message();
}

TEST(Health, SeedPenalties) {
  ServiceGraph g;
  g.AddSpans(Traffic(0, 20, 5, "", "payment").spans);
  auto scores = ComputeHealth(g, {}, {{"db", 1}}, 30 * 60 * kNsPerSecond);
  std::map<std::string, HealthScore> by;
  for (auto& h : scores) by[h.service] = h;
  EXPECT_DOUBLE_EQ(by["frontend"].score, 1.0);
  // payment: 0 % 2xx and 5xx → 1 - 0.3 - 0.2.
  EXPECT_NEAR(by["payment"].score, 0.5, 1e-9);
  EXPECT_EQ(by["payment"].http_5xx, 20u);
  // db deployed 30 minutes before `now`.
  EXPECT_NEAR(by["db"].score, 0.9, 1e-9);
  std::string csv = ServiceScoresCsv(scores);
  EXPECT_EQ(csv.rfind("service,score,requests", 0), 0u);
  EXPECT_NE(csv.find("payment,0.5000"), std::string::npos);
}

TEST(Localizer, SlowLeafIsTheOriginAndExplainsItsCallers) {
  Localizer loc = Trained();
  auto r = loc.Localize(Traffic(100 * kNsPerSecond, 60, 9, "shipping"));
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_FALSE(r->ranking.empty());
  EXPECT_EQ(r->ranking[0].service, "shipping");
  EXPECT_EQ(r->ranking[0].colour, "red");
  EXPECT_GT(r->ranking[0].p_origin, 0.3);
  for (const auto& c : r->ranking)
    if (c.service == "frontend") {
      EXPECT_LT(c.p_origin, 0.15);
    }
  EXPECT_FALSE(r->ranking[0].evidence.empty());
}

TEST(Localizer, FailingServiceWithErrorsRanksFirst) {
  Localizer loc = Trained();
  auto r = loc.Localize(Traffic(100 * kNsPerSecond, 60, 10, "", "payment"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "payment");
}

// Puts a client span of shipping between shipping and each db span (as an instrumented database
// client does). With `cut`, db is unreachable: its spans are gone, the client spans fail, and the
// failure propagates as errors up to frontend.
Batch WithDbClient(Batch b, bool cut) {
  std::vector<Span> out;
  std::map<uint64_t, size_t> by_id;  // span id → index in out
  std::map<uint64_t, uint64_t> parent_of;
  uint64_t next = 900'000'000;
  for (const Span& s : b.spans) parent_of[s.span_id.value] = s.parent_id.value;
  for (Span s : b.spans) {
    if (s.service != "db") {
      out.push_back(s);
      continue;
    }
    Span c = s;
    c.span_id = SpanId{next++};
    c.service = "shipping";
    c.instance = "shipping-pod-1";
    c.name = "GET db";
    c.kind = SpanKind::kClient;
    c.attributes.push_back({"peer.service", "db"});
    if (cut) {
      c.status = StatusCode::kError;
      for (uint64_t a = s.parent_id.value; a; a = parent_of[a])
        for (Span& o : out)
          if (o.span_id.value == a) o.status = StatusCode::kError;
    } else {
      s.parent_id = c.span_id;
      out.push_back(s);
    }
    out.push_back(c);
  }
  // Ancestors may come after their descendants in the batch: mark them in a second pass.
  if (cut)
    for (const Span& c : out)
      if (c.kind == SpanKind::kClient)
        for (uint64_t a = c.parent_id.value; a; a = parent_of[a])
          for (Span& o : out)
            if (o.span_id.value == a) o.status = StatusCode::kError;
  b.spans = std::move(out);
  std::erase_if(b.logs, [&](const LogRecord& l) { return cut && l.service == "db"; });
  return b;
}

TEST(Localizer, UnreachableCalleeIsBlamedNotTheCallersWhoseCallsFailed) {
  Localizer loc;
  loc.Learn(WithDbClient(Traffic(0, 300, 1), false));
  loc.FinishLearning();
  auto r = loc.Localize(WithDbClient(Traffic(100 * kNsPerSecond, 60, 10), true));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "db");
  // The callers' errors all come from the failed calls: none is the callers' own.
  for (const auto& c : r->ranking) {
    if (c.service == "db") continue;
    for (const auto& e : c.evidence)
      EXPECT_EQ(e.what.find("errors"), std::string::npos) << c.service;
  }
}

TEST(Localizer, NormalWindowIsGreen) {
  Localizer loc = Trained();
  auto r = loc.Localize(Traffic(100 * kNsPerSecond, 60, 11));
  ASSERT_TRUE(r.ok());
  for (const auto& c : r->ranking) EXPECT_EQ(c.colour, "green") << c.service << " " << c.p_outage;
  EXPECT_NEAR(r->confidence, 1.0, 1e-9);
}

TEST(Localizer, IncrementalUpdateReusesStructure) {
  Localizer loc = Trained();
  ASSERT_TRUE(loc.Localize(Traffic(100 * kNsPerSecond, 60, 12)).ok());
  auto r = loc.Localize(Traffic(200 * kNsPerSecond, 60, 13, "db"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->reused_structure);
  EXPECT_EQ(r->ranking[0].service, "db");
}

TEST(Localizer, EmptyAndPartialWindowsNeverCrash) {
  Localizer loc = Trained();
  auto empty = loc.Localize(Batch{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->confidence, 0);
  EXPECT_FALSE(empty->notes.empty());
  // Untrained localizer, empty window.
  Localizer blank;
  auto nothing = blank.Localize(Batch{});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->ranking.empty());
  // Missing parents, skewed clocks, a span without a service.
  Batch b = Traffic(100 * kNsPerSecond, 20, 14, "shipping");
  for (size_t i = 0; i < b.spans.size(); i += 3) b.spans[i].parent_id = SpanId{0xdeadbeef};
  b.spans[1].start = b.spans[1].end + 5 * kNsPerSecond;
  b.spans[2].service.clear();
  auto partial = loc.Localize(b);
  ASSERT_TRUE(partial.ok());
  EXPECT_LT(partial->confidence, 1.0);
  bool noted = false;
  for (const auto& n : partial->notes) noted |= n.find("parent") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Localizer, CyclesAreBrokenNotFatal) {
  Localizer loc;
  ServiceGraph dummy;
  testing::TempDir dir;
  auto path = (dir.path() / "topo.json").string();
  std::ofstream(path)
      << R"({"edges":[{"caller":"a","callee":"b"},{"caller":"b","callee":"a"},{"caller":"b","callee":"c"}]})";
  ASSERT_TRUE(loc.AddTopologyFile(path).ok());
  auto r = loc.Localize(Batch{});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->ranking.size(), 3u);
  EXPECT_EQ(r->edges.size(), 2u);
}

TEST(Localizer, SaveLoadRoundTrip) {
  testing::TempDir dir;
  auto bundle = learn::ModelBundle::Create(dir.path() / "model");
  ASSERT_TRUE(bundle.ok());
  Localizer loc = Trained();
  ASSERT_TRUE(loc.Save(*bundle).ok());
  ASSERT_TRUE(bundle->Save().ok());
  auto opened = learn::ModelBundle::Open(dir.path() / "model");
  ASSERT_TRUE(opened.ok());
  Localizer back;
  ASSERT_TRUE(back.Load(*opened).ok());
  EXPECT_EQ(back.topology().edges().size(), loc.topology().edges().size());
  Batch w = Traffic(100 * kNsPerSecond, 60, 15, "payment");
  auto a = loc.Localize(w), b = back.Localize(w);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->ranking.size(), b->ranking.size());
  for (size_t i = 0; i < a->ranking.size(); ++i) {
    EXPECT_EQ(a->ranking[i].service, b->ranking[i].service);
    EXPECT_NEAR(a->ranking[i].p_origin, b->ranking[i].p_origin, 1e-9);
  }
  Localizer none;
  auto empty_bundle = learn::ModelBundle::Create(dir.path() / "empty");
  EXPECT_FALSE(none.Load(*empty_bundle).ok());
}

// Read from files, logs and spans come in separate batches (logs first): learning must join them as
// a window holding both does, or every template looks vanished from its operation.
TEST(Localizer, LogsAndSpansInSeparateBatchesLearnLikeOneBatch) {
  Batch all = Traffic(0, 300, 1);
  Batch logs, spans;
  logs.logs = all.logs;
  spans.spans = all.spans;
  Localizer split;
  split.Learn(logs);
  split.Learn(spans);
  split.FinishLearning();
  Localizer whole = Trained();
  EXPECT_EQ(split.profile().ToJson()["log_keys"], whole.profile().ToJson()["log_keys"]);
  auto r = split.Localize(Traffic(100 * kNsPerSecond, 60, 15));
  ASSERT_TRUE(r.ok());
  for (const auto& rc : r->ranking)
    for (const auto& e : rc.evidence)
      EXPECT_NE(e.modality, "log") << rc.service << ": " << e.detail;
}

TEST(Localizer, OutputsHaveTheDocumentedShape) {
  Localizer loc = Trained();
  auto r = loc.Localize(Traffic(100 * kNsPerSecond, 30, 16, "shipping"));
  ASSERT_TRUE(r.ok());
  std::string csv = OutageProbabilitiesCsv(*r);
  EXPECT_EQ(csv.rfind("service,p_outage,p_origin,colour,health,kind,pod,host\nshipping,", 0), 0u)
      << csv;
  auto ng = NodeGraphJson(*r);
  EXPECT_TRUE(ng["fields"]["nodes_fields"].is_array());
  EXPECT_EQ(ng["data"]["nodes"].size(), 5u);
  EXPECT_EQ(ng["data"]["edges"].size(), 4u);
  EXPECT_EQ(ng["data"]["edges"][0].count("source"), 1u);
  auto j = ToJson(*r);
  EXPECT_EQ(j["ranking"][0]["service"], "shipping");
  ASSERT_FALSE(j["ranking"][0]["evidence"].empty());
  EXPECT_EQ(j["ranking"][0]["evidence"][0]["kind"], "self_time");
}

TEST(Colour, SeedLevels) {
  EXPECT_EQ(ColourOf(0.0), "green");
  EXPECT_EQ(ColourOf(0.15), "green");
  EXPECT_EQ(ColourOf(0.16), "yellow");
  EXPECT_EQ(ColourOf(0.45), "yellow");
  EXPECT_EQ(ColourOf(0.46), "red");
  EXPECT_EQ(ColourOf(0.99), "red");
}

// A pod's own CPU counts as evidence about its service; the CPU of the machine it runs on, reported
// on the same row (Nezha's Node* columns), does not.
TEST(Evidence, HostMetricsAreNoEvidenceAboutAService) {
  auto series = [](const std::string& name, double base, double last) {
    std::vector<MetricPoint> out;
    for (int i = 0; i < 30; ++i) {
      MetricPoint m;
      m.name = name;
      m.service = "orders";
      m.instance = "orders-pod-1";
      m.time = i * 10'000 * kMs;
      m.value = i == 29 ? last : base + (i % 3);
      out.push_back(m);
    }
    return out;
  };
  for (const char* name : {"CpuUsage(m)", "NodeCpuUsageRate(%)", "node_cpu_seconds_total",
                           "system.cpu.utilization", "k8s.node.cpu.usage"}) {
    Batch normal, window;
    auto s = series(name, 10, 500);
    normal.metrics.assign(s.begin(), s.end() - 1);
    window.metrics.assign(s.end() - 1, s.end());
    NormalProfile p;
    p.Learn(normal);
    p.Finish();
    const auto ev = p.Score(window);
    const bool pod_level = std::string(name) == "CpuUsage(m)";
    auto it = ev.find("orders");
    EXPECT_EQ(it != ev.end() && it->second.modality_log10_bf.count("metric") > 0, pod_level)
        << name;
  }
}

// Hosts and pods. frontend (on h2) calls a, b, c (one pod each, all on h1) and d (two pods, d-1 on
// h2 and d-2 on h3, taking turns). Placement comes from the spans' `k8s.node.name`; the metric rows
// carry no host (as Nezha's), so host metrics reach their machine through the placement. Every
// second each pod reports its own `cpu_usage` and its machine's `node_cpu_usage`.
struct HostFault {
  std::set<std::string> slow_pods;                  // self time x10
  std::map<std::string, double> pod_cpu, host_cpu;  // replaced values
};

Batch HostTraffic(TimeNs t0, int requests, uint64_t seed, const HostFault& f = {}) {
  const std::map<std::string, std::string> host_of = {{"frontend-1", "h2"}, {"a-1", "h1"},
                                                      {"b-1", "h1"},        {"c-1", "h1"},
                                                      {"d-1", "h2"},        {"d-2", "h3"}};
  Batch b;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  uint64_t next_id = seed * 1000000 + 1;
  for (int r = 0; r < requests; ++r) {
    TraceId trace;
    trace.bytes[0] = 2;
    const uint64_t tid = seed * 100000 + r + 1;
    for (int i = 0; i < 8; ++i) trace.bytes[8 + i] = static_cast<uint8_t>(tid >> (8 * i));
    auto span = [&](const std::string& pod, SpanId parent, TimeNs at, TimeNs children) {
      Span s;
      s.trace_id = trace;
      s.span_id = SpanId{next_id++};
      s.parent_id = parent;
      s.instance = pod;
      s.service = pod.substr(0, pod.find('-'));
      s.name = "handle-" + s.service;
      s.kind = SpanKind::kServer;
      s.attributes.push_back({"k8s.node.name", host_of.at(pod)});
      const double self = 2.0 * jitter(rng) * (f.slow_pods.count(pod) ? 10 : 1);
      s.start = at;
      s.end = at + static_cast<TimeNs>(self * kMs) + children;
      return s;
    };
    const TimeNs start = t0 + r * 100 * kMs;
    Span root = span("frontend-1", SpanId{}, start, 0);
    TimeNs t = start + kMs;
    for (const std::string pod : {"a-1", "b-1", "c-1", r % 2 ? "d-2" : "d-1"}) {
      Span c = span(pod, root.span_id, t, 0);
      t = c.end + kMs / 10;
      b.spans.push_back(c);
    }
    root.end = t + 2 * kMs;
    b.spans.push_back(root);
  }
  const int seconds = requests / 10;
  for (int i = 0; i < seconds; ++i)
    for (const auto& [pod, host] : host_of) {
      MetricPoint m;
      m.service = pod.substr(0, pod.find('-'));
      m.instance = pod;
      m.time = t0 + i * kNsPerSecond;
      m.name = "cpu_usage";
      m.value = f.pod_cpu.count(pod) ? f.pod_cpu.at(pod) : 10 * jitter(rng);
      b.metrics.push_back(m);
      m.name = "node_cpu_usage";
      m.value = f.host_cpu.count(host) ? f.host_cpu.at(host) : 30 * jitter(rng);
      b.metrics.push_back(m);
    }
  return b;
}

Localizer TrainedOnHosts() {
  LocalizerConfig config;
  config.hosts = true;  // opt-in
  Localizer loc(config);
  loc.Learn(HostTraffic(0, 600, 1));
  loc.FinishLearning();
  return loc;
}

// (a) Every pod on h1 slows down and h1's CPU is high: one machine explains all three, where three
// independent service faults would be far less likely.
TEST(Localizer, HostFaultIsAttributedToTheHost) {
  Localizer loc = TrainedOnHosts();
  EXPECT_EQ(loc.placement().pod_host.at("a-1"), "h1");
  HostFault f;
  f.slow_pods = {"a-1", "b-1", "c-1"};
  f.host_cpu["h1"] = 95;
  auto r = loc.Localize(HostTraffic(200 * kNsPerSecond, 100, 7, f));
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_FALSE(r->ranking.empty());
  EXPECT_EQ(r->ranking[0].kind, "host");
  EXPECT_EQ(r->ranking[0].service, "host h1") << r->ranking[0].service;
  EXPECT_GT(r->ranking[0].p_origin, 0.5);
  EXPECT_FALSE(r->ranking[0].evidence.empty());
  EXPECT_EQ(r->ranking[0].pods.size(), 3u);
  for (const auto& c : r->ranking)
    if (c.kind == "service") {
      EXPECT_LT(c.p_origin, 0.3) << c.service;
    }
  EXPECT_EQ(r->host_edges.size(), 6u);  // h1: a b c; h2: frontend d; h3: d
}

// (b) One service on a shared machine fails and loads the machine: the machine's CPU rises, but
// its other pods behave, so the service is blamed, not the host.
TEST(Localizer, ServiceFaultOnASharedHostBlamesTheService) {
  Localizer loc = TrainedOnHosts();
  HostFault f;
  f.slow_pods = {"b-1"};
  f.pod_cpu["b-1"] = 80;
  f.host_cpu["h1"] = 60;
  auto r = loc.Localize(HostTraffic(200 * kNsPerSecond, 100, 8, f));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->ranking[0].kind, "service");
  EXPECT_EQ(r->ranking[0].service, "b");
  EXPECT_EQ(r->ranking[0].host, "h1");
  for (const auto& c : r->ranking)
    if (c.kind == "host") {
      EXPECT_LT(c.p_origin, r->ranking[0].p_origin / 2) << c.service;
    }
}

// A fault in one of a service's two pods names the pod; the service still ranks first.
TEST(Localizer, PodFaultNamesThePod) {
  Localizer loc = TrainedOnHosts();
  HostFault f;
  f.slow_pods = {"d-2"};
  f.pod_cpu["d-2"] = 80;
  auto r = loc.Localize(HostTraffic(200 * kNsPerSecond, 100, 9, f));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->ranking[0].service, "d");
  EXPECT_EQ(r->ranking[0].pod, "d-2");
  ASSERT_EQ(r->ranking[0].pods.size(), 2u);
  EXPECT_EQ(r->ranking[0].pods[0].host, "h3");
  EXPECT_NEAR(r->ranking[0].pods[0].p_origin + r->ranking[0].pods[1].p_origin,
              r->ranking[0].p_origin, 1e-9);
  EXPECT_GT(r->ranking[0].pods[0].p_origin, 0.9 * r->ranking[0].p_origin);
  // The outputs carry the kinds.
  const std::string csv = OutageProbabilitiesCsv(*r);
  EXPECT_NE(csv.find(",pod,d-2,h3\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("host h1,"), std::string::npos) << csv;
  auto ng = NodeGraphJson(*r);
  int hosts = 0, pods = 0;
  for (const auto& n : ng["data"]["nodes"]) {
    hosts += n["detail__kind"] == "host";
    pods += n["detail__kind"] == "pod";
  }
  EXPECT_EQ(hosts, 3);
  EXPECT_EQ(pods, 2);
  auto j = ToJson(*r);
  EXPECT_EQ(j["ranking"][0]["kind"], "service");
  EXPECT_EQ(j["ranking"][0]["pod"], "d-2");
  EXPECT_EQ(j["host_edges"].size(), 6u);
}

// A normal window on placed pods: nothing red, no host blamed; and the hosts can be switched off.
TEST(Localizer, HostsStayQuietOnNormalDataAndCanBeSwitchedOff) {
  Localizer loc = TrainedOnHosts();
  auto r = loc.Localize(HostTraffic(200 * kNsPerSecond, 100, 10));
  ASSERT_TRUE(r.ok());
  for (const auto& c : r->ranking) EXPECT_EQ(c.colour, "green") << c.service;
  Localizer off;  // hosts are opt-in
  off.Learn(HostTraffic(0, 600, 1));
  off.FinishLearning();
  HostFault f;
  f.slow_pods = {"a-1", "b-1", "c-1"};
  f.host_cpu["h1"] = 95;
  auto o = off.Localize(HostTraffic(200 * kNsPerSecond, 100, 7, f));
  ASSERT_TRUE(o.ok());
  for (const auto& c : o->ranking) EXPECT_EQ(c.kind, "service");
  EXPECT_TRUE(o->host_edges.empty());
}

// Log lines whose variables take a few words: payment answers `result=true`, and every request
// names a city among two. `declined` of every `every`th request answers `false`; `city` replaces
// the city of every `every`th request, in orders and shipping alike.
Batch WithAnswers(Batch b, int every, bool declined, const std::string& city = "") {
  int n = 0;
  for (LogRecord& l : b.logs) {
    const bool odd = every > 0 && n % every == 0;
    const std::string c = odd && !city.empty() ? city : (n % 2 ? "paris" : "lyon");
    if (l.service == "payment")
      l.body = "authorise order " + std::to_string(n) +
               " result=" + (odd && declined ? "false" : "true");
    else if (l.service == "orders" || l.service == "shipping")
      l.body = "order " + std::to_string(n) + " to " + c + " in " + l.service;
    ++n;
  }
  return b;
}

// A wrong return leaves every count as it was: the line is there, its template is there, only the
// word a variable takes is new. The payment must rank first on that. A new word that several
// services log (a city no normal request went to) travels with the requests: no evidence.
TEST(Evidence, NewWordOfAVariableIsAWrongReturnUnlessServicesShareIt) {
  Localizer loc;
  loc.Learn(WithAnswers(Traffic(0, 300, 1), 0, false));
  loc.FinishLearning();
  auto r = loc.Localize(WithAnswers(Traffic(100 * kNsPerSecond, 60, 17), 2, true));
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->ranking.empty());
  EXPECT_EQ(r->ranking[0].service, "payment");
  ASSERT_FALSE(r->ranking[0].evidence.empty());
  EXPECT_EQ(r->ranking[0].evidence[0].kind, "template_value");
  EXPECT_NE(r->ranking[0].evidence[0].detail.find("new value \"false\" at \"result=<*>\""),
            std::string::npos)
      << r->ranking[0].evidence[0].detail;

  auto city = loc.Localize(WithAnswers(Traffic(100 * kNsPerSecond, 60, 17), 2, false, "nice"));
  ASSERT_TRUE(city.ok());
  for (const auto& rc : city->ranking)
    for (const auto& e : rc.evidence) EXPECT_NE(e.kind, "template_value") << e.detail;
}

// Shipping logs two statements per request: #39 when it starts, #46 with the request's train type
// (one of twelve; the miner keeps "[<*>:Fast]" and "[<*>:Slow]" apart, so the statement has twelve
// templates). With `stop_at_39`, every request stops after #39, as an exception would make it.
Batch WithStatements(Batch b, bool stop_at_39) {
  static const char* kTypes[] = {"Fast",  "Slow",    "Cheap",  "Night",   "Express",  "Local",
                                 "Cargo", "Sleeper", "Direct", "Coastal", "Mountain", "Royal"};
  std::vector<LogRecord> out;
  int n = 0;
  for (const LogRecord& l : b.logs) {
    if (l.service != "shipping") {
      out.push_back(l);
      continue;
    }
    LogRecord start = l;
    start.body = "INFO s.c.ShipController#39 [ship][start order " + std::to_string(n) + "]";
    out.push_back(start);
    if (!stop_at_39) {
      LogRecord typed = l;
      typed.body = "INFO s.c.ShipController#46 [ship][type: [" + std::to_string(n) + ":" +
                   kTypes[n % 12] + "]]";
      out.push_back(typed);
    }
    ++n;
  }
  b.logs = std::move(out);
  return b;
}

// Orders runs steps "validate" and "charge" (internal spans) per request; in every `fail_every`-th
// request (0: none) it logs an exception after "validate" and skips "charge"; `skip_charge` makes
// every request skip "charge" without failing.
Batch WithSteps(Batch b, int fail_every, bool skip_charge = false) {
  std::vector<Span> steps;
  int n = 0;
  for (const Span& s : b.spans) {
    if (s.service != "orders") continue;
    const bool failed = fail_every > 0 && n++ % fail_every == 0;
    for (const char* name : {"validate", "charge"}) {
      if (std::string_view(name) == "charge" && (failed || skip_charge)) continue;
      Span c = s;
      c.span_id = SpanId{s.span_id.value + 500'000'000 + (name[0] == 'c')};
      c.parent_id = s.span_id;
      c.name = name;
      c.kind = SpanKind::kInternal;
      c.end = c.start + kMs / 10;
      steps.push_back(c);
    }
    if (failed) {
      LogRecord l;
      l.time = s.start;
      l.service = "orders";
      l.trace_id = s.trace_id;
      l.span_id = s.span_id;
      l.severity = Severity::kError;
      l.body = "ERROR o.c.OrderController#88 order failed: card expired";
      b.logs.push_back(l);
    }
  }
  b.spans.insert(b.spans.end(), steps.begin(), steps.end());
  return b;
}

// Steps are learned from requests that did not fail: normal data where every other request fails
// (and skips "charge") does not make a window where all succeed look abnormal, while successful
// requests that stop running a step still do.
TEST(Evidence, StepsAreJudgedOnRequestsThatDidNotFail) {
  Localizer loc;
  loc.Learn(WithSteps(Traffic(0, 300, 1), 2));
  loc.FinishLearning();
  auto ok = loc.Localize(WithSteps(Traffic(100 * kNsPerSecond, 60, 17), 0));
  ASSERT_TRUE(ok.ok());
  for (const auto& rc : ok->ranking)
    for (const auto& ev : rc.evidence) EXPECT_NE(ev.kind, "steps") << ev.detail;
  auto skipped = loc.Localize(WithSteps(Traffic(100 * kNsPerSecond, 60, 17), 0, true));
  ASSERT_TRUE(skipped.ok());
  ASSERT_FALSE(skipped->ranking.empty());
  EXPECT_EQ(skipped->ranking[0].service, "orders");
  bool charge = false;
  for (const auto& ev : skipped->ranking[0].evidence)
    charge = charge || (ev.kind == "steps" && ev.observed == 0 && ev.what.starts_with("charge"));
  EXPECT_TRUE(charge);
}

// A statement that stops running is one test on all its templates: each of the twelve templates
// alone expects two lines in the window (no evidence after twelve tests), the statement 24.
TEST(Evidence, AStatementThatStopsIsTestedWhole) {
  Localizer loc;
  loc.Learn(WithStatements(Traffic(0, 300, 1), false));
  loc.FinishLearning();
  auto r = loc.Localize(WithStatements(Traffic(100 * kNsPerSecond, 24, 17), true));
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->ranking.empty());
  EXPECT_EQ(r->ranking[0].service, "shipping");
  // (#39 and #46 coming apart in every span is evidence too: statements_apart.)
  auto low = std::find_if(r->ranking[0].evidence.begin(), r->ranking[0].evidence.end(),
                          [](const EvidenceItem& e) { return e.kind == "template_low"; });
  ASSERT_NE(low, r->ranking[0].evidence.end());
  const EvidenceItem& e = *low;
  EXPECT_EQ(e.what, "s.c.ShipController#46");
  EXPECT_EQ(e.observed, 0);
  EXPECT_NEAR(e.expected, 24, 1);
  EXPECT_NE(e.detail.find("log statement s.c.ShipController#46 (12 templates, e.g."),
            std::string::npos)
      << e.detail;
  // A normal window: nothing said about the statements.
  auto normal = loc.Localize(WithStatements(Traffic(100 * kNsPerSecond, 24, 17), false));
  ASSERT_TRUE(normal.ok());
  for (const auto& rc : normal->ranking)
    for (const auto& ev : rc.evidence) EXPECT_NE(ev.kind, "template_low") << ev.detail;
}

// Payment writes two statements per request, "charge" and "charged". Every `apart_every`-th
// request (0: none) writes only the first; with `error` it also logs an error in that span.
Batch WithPair(Batch b, int apart_every, bool error) {
  std::vector<LogRecord> out;
  int n = 0;
  for (const LogRecord& l : b.logs) {
    if (l.service != "payment") {
      out.push_back(l);
      continue;
    }
    const bool apart = apart_every > 0 && n % apart_every == 0;
    LogRecord line = l;
    line.body = "INFO p.s.PayServiceImpl#20 [charge][card " + std::to_string(n) + "]";
    out.push_back(line);
    line.body = apart ? "ERROR p.s.PayServiceImpl#25 [charge][declined]"
                      : "INFO p.s.PayServiceImpl#31 [charge][charged " + std::to_string(n) + "]";
    line.severity = apart ? Severity::kError : Severity::kInfo;
    if (!apart || error) out.push_back(line);
    ++n;
  }
  b.logs = std::move(out);
  return b;
}

// Statements every normal span writes together, written apart in a few spans: too few for the
// second statement's count to look low, yet strong evidence. Normal spans that failed (an error
// log) and stopped after the first statement teach nothing about them.
TEST(Evidence, StatementsWrittenApartPointAtTheService) {
  Localizer loc;
  loc.Learn(WithPair(Traffic(0, 300, 1), 5, true));
  loc.FinishLearning();
  auto normal = loc.Localize(WithPair(Traffic(100 * kNsPerSecond, 60, 17), 0, false));
  ASSERT_TRUE(normal.ok());
  for (const auto& rc : normal->ranking)
    for (const auto& ev : rc.evidence) EXPECT_NE(ev.kind, "statements_apart") << ev.detail;
  auto apart = loc.Localize(WithPair(Traffic(100 * kNsPerSecond, 60, 17), 6, false));
  ASSERT_TRUE(apart.ok());
  ASSERT_FALSE(apart->ranking.empty());
  EXPECT_EQ(apart->ranking[0].service, "payment");
  ASSERT_FALSE(apart->ranking[0].evidence.empty());
  const EvidenceItem& e = apart->ranking[0].evidence[0];
  EXPECT_EQ(e.kind, "statements_apart");
  EXPECT_EQ(e.observed, 10);
  EXPECT_LT(e.p_value, 1e-10);
  EXPECT_NE(e.detail.find("p.s.PayServiceImpl#20, p.s.PayServiceImpl#31, written together in "
                          "each of 240 normal spans, came apart in 10 of 60 spans"),
            std::string::npos)
      << e.detail;
  for (const auto& ev : apart->ranking[0].evidence) EXPECT_NE(ev.kind, "template_low") << ev.detail;
}

TEST(Evidence, StatementGroupsAreSavedAndBadOnesRefused) {
  NormalProfile p;
  p.Learn(WithPair(Traffic(0, 300, 1), 0, false));
  p.Finish();
  nlohmann::json j = p.ToJson();
  ASSERT_EQ(j["log_together"].size(), 1u);
  EXPECT_EQ(j["log_together"][0][0], "payment");
  EXPECT_EQ(j["log_together"][0][2], 300);
  auto back = NormalProfile::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->ToJson()["log_together"], j["log_together"]);
  j["log_together"][0][1] = nlohmann::json::array({"p.s.PayServiceImpl#20"});
  auto bad = NormalProfile::FromJson(j);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("log_together"), std::string::npos) << bad.message();
}

// Nezha's inner-service labels: statements (either one), a region between two statements of one
// class, a metric name, a message fragment.
TEST(NezhaEval, InnerRankFindsTheLabelledStatementsOrRegion) {
  auto item = [](std::string what, std::string detail) {
    EvidenceItem e;
    e.what = std::move(what);
    e.detail = std::move(detail);
    return e;
  };
  const std::vector<EvidenceItem> ev = {
      item("CpuUsage(m)", "pod CpuUsage(m) = 88"),
      item("<*> ERROR f.m.s.BasicServiceImpl#415 TraceID: <*> [getRoutesByRouteIds]", "new error"),
      item("t.s.TravelServiceImpl#366", "log statements t.s.TravelServiceImpl#366, ...#372 apart"),
      item("CpuUsageRate(%)", "pod CpuUsageRate(%) = 17.7")};
  EXPECT_EQ(InnerRank("t.s.TravelServiceImpl#366_t.s.TravelServiceImpl#372", ev), 3);
  EXPECT_EQ(InnerRank("f.m.s.BasicServiceImpl#405_f.m.s.BasicServiceImpl#418", ev), 2);
  EXPECT_EQ(InnerRank("f.m.s.BasicServiceImpl#100_f.m.s.BasicServiceImpl#119", ev), 0);
  EXPECT_EQ(InnerRank("CpuUsageRate(%)", ev), 4);
  EXPECT_EQ(InnerRank("getRoutesByRouteIds_Save delivery", ev), 2);
  EXPECT_EQ(InnerRank("NetworkP90(ms)", ev), 0);
  EXPECT_EQ(InnerRank("", ev), 0);
  EXPECT_EQ(InnerRank("_", ev), 0);
}

TEST(Evidence, StatementOfATemplateIsItsCodeLocation) {
  EXPECT_EQ(StatementOf("<*> INFO t.s.TravelServiceImpl#372 TraceID: <*> [getTickets]"),
            "t.s.TravelServiceImpl#372");
  EXPECT_EQ(StatementOf("ts=<*> caller=logging.go:37 method=Get"), "logging.go:37");
  EXPECT_EQ(StatementOf("at (Foo.java:120), retry <*>"), "Foo.java:120");
  EXPECT_EQ(StatementOf("ts=<*> caller=<*> method=Get"), "");
  EXPECT_EQ(StatementOf(""), "");
  EXPECT_EQ(StatementsIn("x.A#1 b c.D#20 (E.java:3)"),
            (std::vector<std::string_view>{"x.A#1", "c.D#20", "E.java:3"}));
  EXPECT_TRUE(StatementsIn("no location here").empty());
}

// Never-seen lines are keyed by the miner's masking: values (here a time, a connection and hex
// addresses) do not split them, code locations stay, and the key keeps the first tokens.
TEST(Evidence, NewLineKeyMasksValuesAndKeepsTheFirstTokens) {
  normalize::TemplateMiner miner;
  auto key = [&](std::string_view line, size_t tokens = 8) {
    return NewLineKey(miner.Mask(line), tokens);
  };
  EXPECT_EQ(key("took 123 ms for id 5f2a9c0de1b2"), "(new) took <*> ms for id <*>");
  EXPECT_EQ(key("a b c d e f g h i j", 3), "(new) a b c");
  EXPECT_EQ(key(""), "(new) ");
  EXPECT_EQ(key("12:01 INFO o.s.OrderServiceImpl#361 took 5 ms"),
            "(new) <*> INFO o.s.OrderServiceImpl#361 took <*> ms");
  EXPECT_EQ(key("2024-11-18T21:25:00.430+0000 E STORAGE [conn106] WiredTiger error (5) "
                "[1731965100:430610][1:0x7f3c2af0c5], file:x.wt"),
            key("2024-11-18T21:25:00.680+0000 E STORAGE [conn17] WiredTiger error (5) "
                "[1731965100:680880][1:0x7f3c2a8ed4], file:y.wt"));
}

// One bad entry of a fault list costs that fault, not the whole day.
TEST(NezhaFaultList, BadEntriesAreSkippedNotFatal) {
  testing::TempDir dir;
  const auto path = (dir.path() / "d-fault_list.json").string();
  std::ofstream(path) << R"({"08": [
      {"inject_time": "2023-01-29 08:43:04", "inject_pod": "ts-a-service-866bd68c97-xcqfx", "inject_type": "return"},
      {"inject_time": "2023-01-29 08:52:06 CST", "inject_pod": "ts-b-service-866bd68c97-xcqfx"},
      {"inject_time": "2023/01/29 08:58:16", "inject_pod": "ts-c-service-866bd68c97-xcqfx"},
      {"inject_time": "2023-01-29 09:01:00", "inject_pod": null},
      {"inject_time": "2023-01-29T09:05:00Z", "inject_pod": "ts-d-service-866bd68c97-xcqfx"}]})";
  auto faults = ReadNezhaFaultList(path, "d");
  ASSERT_TRUE(faults.ok()) << faults.message();
  ASSERT_EQ(faults->size(), 2u);
  EXPECT_EQ(faults->at(0).service, "ts-a-service");
  EXPECT_EQ(faults->at(1).service, "ts-d-service");
  EXPECT_EQ(faults->at(1).type, "unknown");  // no inject_type
  EXPECT_EQ(faults->at(1).time, *ParseIsoTime("2023-01-29T09:05:00Z"));
}

}  // namespace
}  // namespace augur::localize
