#include "localize/localizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "core/time.h"
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
  EXPECT_EQ(csv.rfind("service,p_outage,p_origin,colour,health\nshipping,", 0), 0u) << csv;
  auto ng = NodeGraphJson(*r);
  EXPECT_TRUE(ng["fields"]["nodes_fields"].is_array());
  EXPECT_EQ(ng["data"]["nodes"].size(), 5u);
  EXPECT_EQ(ng["data"]["edges"].size(), 4u);
  EXPECT_EQ(ng["data"]["edges"][0].count("source"), 1u);
  auto j = ToJson(*r);
  EXPECT_EQ(j["ranking"][0]["service"], "shipping");
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

TEST(Evidence, LogKeyMasksNumbersAndIds) {
  EXPECT_EQ(LogKey("took 123 ms for id 5f2a9c0de1b2"), "took <n> ms for id <h>");
  EXPECT_EQ(LogKey("a b c d e f g h i j", 3), "a b c");
  EXPECT_EQ(LogKey(""), "");
}

}  // namespace
}  // namespace augur::localize
