// simulate → files → ingest::ReadPaths gives back the same records, field for field.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "ingest/read.h"
#include "sim/simulator.h"
#include "testing/testing.h"

namespace augur::sim {
namespace {

SimConfig Config() {
  SimConfig c;
  c.scenario = "shipping_pod_failure";
  c.minutes = 3;
  c.rps = 6;
  c.seed = 11;
  return c;
}

Batch Generate(const SimConfig& c) {
  auto sim = Simulator::Create(c);
  EXPECT_TRUE(sim.ok());
  Batch all;
  EXPECT_TRUE((*sim)
                  ->Run([&](Batch& b) {
                    std::move(b.spans.begin(), b.spans.end(), std::back_inserter(all.spans));
                    std::move(b.logs.begin(), b.logs.end(), std::back_inserter(all.logs));
                    std::move(b.metrics.begin(), b.metrics.end(), std::back_inserter(all.metrics));
                  })
                  .ok());
  return all;
}

Attributes WithoutHttp(const Attributes& a) {
  Attributes out;
  for (const auto& x : a)
    if (!x.key.starts_with("http.")) out.push_back(x);
  return out;
}

void ExpectSameRecords(const Batch& want, const Batch& got) {
  ASSERT_EQ(got.spans.size(), want.spans.size());
  ASSERT_EQ(got.logs.size(), want.logs.size());
  ASSERT_EQ(got.metrics.size(), want.metrics.size());
  // Files group records by resource, so compare by identity rather than position.
  std::map<std::pair<TraceId, SpanId>, const Span*> spans;
  for (const auto& s : got.spans) spans[{s.trace_id, s.span_id}] = &s;
  ASSERT_EQ(spans.size(), want.spans.size()) << "span ids must be unique";
  for (const auto& w : want.spans) {
    const Span* g = spans.at({w.trace_id, w.span_id});
    EXPECT_EQ(g->parent_id, w.parent_id);
    EXPECT_EQ(g->service, w.service);
    EXPECT_EQ(g->instance, w.instance);
    EXPECT_EQ(g->name, w.name);
    EXPECT_EQ(g->kind, w.kind);
    EXPECT_EQ(g->start, w.start);
    EXPECT_EQ(g->end, w.end);
    EXPECT_EQ(g->status, w.status);
    EXPECT_EQ(g->status_message, w.status_message);
    EXPECT_EQ(g->http_method, w.http_method);
    EXPECT_EQ(g->http_route, w.http_route);
    EXPECT_EQ(g->http_url, w.http_url);
    EXPECT_EQ(g->http_status_code, w.http_status_code);
    EXPECT_EQ(WithoutHttp(g->attributes), w.attributes);
    ASSERT_EQ(g->events.size(), w.events.size());
    for (size_t i = 0; i < w.events.size(); ++i) {
      EXPECT_EQ(g->events[i].name, w.events[i].name);
      EXPECT_EQ(g->events[i].time, w.events[i].time);
      EXPECT_EQ(g->events[i].attributes, w.events[i].attributes);
    }
  }
  auto log_key = [](const LogRecord& r) { return std::make_tuple(r.instance, r.time, r.body); };
  std::multimap<std::tuple<std::string, TimeNs, std::string>, const LogRecord*> logs;
  for (const auto& r : got.logs) logs.emplace(log_key(r), &r);
  for (const auto& w : want.logs) {
    auto it = logs.find(log_key(w));
    ASSERT_NE(it, logs.end()) << w.body;
    const LogRecord* g = it->second;
    EXPECT_EQ(g->service, w.service);
    EXPECT_EQ(g->severity, w.severity);
    EXPECT_EQ(g->severity_text, w.severity_text);
    EXPECT_EQ(g->trace_id, w.trace_id);
    EXPECT_EQ(g->span_id, w.span_id);
    logs.erase(it);
  }
  std::map<std::tuple<std::string, std::string, TimeNs>, const MetricPoint*> points;
  for (const auto& m : got.metrics) points[{m.instance, m.name, m.time}] = &m;
  for (const auto& w : want.metrics) {
    const MetricPoint* g = points.at({w.instance, w.name, w.time});
    EXPECT_EQ(g->service, w.service);
    EXPECT_EQ(g->value, w.value);  // shortest round-trip text: exact
    EXPECT_EQ(g->kind, w.kind);
    EXPECT_EQ(g->monotonic, w.monotonic);
  }
}

TEST(SimRoundTrip, FilesReadBackAsTheSameRecords) {
  testing::TempDir dir;
  auto summary = WriteSimulation(Config(), dir.path().string());
  ASSERT_TRUE(summary.ok()) << summary.message();
  ingest::ReadReport report;
  auto read = ingest::ReadAll({dir.path().string()}, {}, &report);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(report.rejected.count, 0u);
  for (const auto& f : report.files) {
    if (f.path.ends_with(".jsonl")) {
      EXPECT_EQ(f.format, "otlp-json") << f.path;
    }
  }
  EXPECT_EQ(read->spans.size(), summary->stats.spans);
  EXPECT_EQ(read->logs.size(), summary->stats.logs);
  EXPECT_EQ(read->metrics.size(), summary->stats.metric_points);
  ExpectSameRecords(Generate(Config()), *read);
}

TEST(SimRoundTrip, GzipFilesReadBackToo) {
  testing::TempDir dir;
  SimConfig c = Config();
  c.minutes = 1;
  auto summary = WriteSimulation(c, dir.path().string(), /*gzip=*/true);
  ASSERT_TRUE(summary.ok()) << summary.message();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "traces.jsonl.gz"));
  auto read = ingest::ReadAll({dir.path().string()});
  ASSERT_TRUE(read.ok()) << read.message();
  ExpectSameRecords(Generate(c), *read);
}

}  // namespace
}  // namespace augur::sim
