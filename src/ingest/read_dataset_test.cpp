// Readers against real data: the OTLP specification examples and the whole Nezha TrainTicket
// folder, whose counts must equal the CSV row counts (computed here independently of the readers).
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "ingest/read.h"
#include "testing/testing.h"

namespace augur::ingest {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Data rows of a CSV file: newlines outside double quotes, minus the header.
uint64_t CsvRows(const std::string& text) {
  uint64_t lines = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"')
      quoted = !quoted;
    else if (c == '\n' && !quoted)
      ++lines;
  }
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines - 1;
}

// The data set's own rule: the service is the pod name without its last two dash-separated parts.
std::string PodService(const std::string& pod) {
  size_t a = pod.rfind('-');
  size_t b = a == std::string::npos ? a : pod.rfind('-', a - 1);
  return b == std::string::npos ? pod : pod.substr(0, b);
}

TEST(OtlpExamples, ReadCorrectly) {
  AUGUR_REQUIRE_DATASET(dir, "otlp-examples");
  ReadReport report;
  auto r = ReadAll({dir.string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(report.rejected.count, 0u);
  ASSERT_EQ(report.files.size(), 4u);  // LICENSE skipped
  for (const auto& f : report.files) EXPECT_EQ(f.format, "otlp-json") << f.path;
  const Batch& b = *r;
  ASSERT_EQ(b.spans.size(), 1u);
  EXPECT_EQ(b.spans[0].trace_id.Hex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(b.spans[0].kind, SpanKind::kServer);
  EXPECT_EQ(b.spans[0].service, "my.service");
  ASSERT_EQ(b.logs.size(), 2u);  // otlp-events.json and otlp-logs.json
  EXPECT_EQ(b.logs[1].body, "Example log record");
  EXPECT_EQ(b.logs[1].severity, Severity::kInfo);
  EXPECT_EQ(*FindAttribute(b.logs[1].attributes, "array.attribute"), R"(["many","values"])");
  EXPECT_EQ(*FindAttribute(b.logs[1].attributes, "map.attribute"),
            R"({"some.map.key":"some value"})");
  EXPECT_EQ(*FindAttribute(b.logs[1].attributes, "double.attribute"), "637.704");
  EXPECT_EQ(*FindAttribute(b.logs[0].attributes, "event.name"), "browser.page_view");
  ASSERT_EQ(b.metrics.size(), 4u);
  std::map<std::string, MetricKind> kinds;
  for (const auto& m : b.metrics) kinds[m.name] = m.kind;
  EXPECT_EQ(kinds["my.counter"], MetricKind::kSum);
  EXPECT_EQ(kinds["my.gauge"], MetricKind::kGauge);
  EXPECT_EQ(kinds["my.histogram"], MetricKind::kHistogram);
  EXPECT_EQ(kinds["my.exponential.histogram"], MetricKind::kExponentialHistogram);
  for (const auto& m : b.metrics) {
    if (m.kind == MetricKind::kHistogram) {
      EXPECT_EQ(m.count, 2u);
      EXPECT_EQ(m.bucket_counts, (std::vector<double>{1, 1}));
      EXPECT_EQ(m.bounds, (std::vector<double>{1}));
    }
  }
}

TEST(NezhaTrainTicket, CountsEqualCsvRows) {
  AUGUR_REQUIRE_DATASET(dir, "nezha-trainticket");
  uint64_t want_spans = 0, want_logs = 0, want_points = 0, want_id_lists = 0;
  std::map<std::string, uint64_t> want_spans_by_service;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string folder = e.path().parent_path().filename().string();
    std::string name = e.path().filename().string();
    if (folder == "trace") {
      std::string text = Slurp(e.path());
      want_spans += CsvRows(text);
      // PodName is the 4th column; trace rows carry no quotes.
      size_t pos = text.find('\n') + 1;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        std::string row = text.substr(pos, end - pos);
        size_t c1 = row.find(','), c2 = row.find(',', c1 + 1), c3 = row.find(',', c2 + 1);
        size_t c4 = row.find(',', c3 + 1);
        ++want_spans_by_service[PodService(row.substr(c3 + 1, c4 - c3 - 1))];
        pos = end == std::string::npos ? text.size() : end + 1;
      }
    } else if (folder == "log") {
      want_logs += CsvRows(Slurp(e.path()));
    } else if (folder == "metric") {
      // One point per numeric cell; Time, TimeStamp and the pod/service column are not metrics,
      // NaN cells are no samples.
      std::ifstream in(e.path());
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line)) {
        size_t col = 0, start = 0;
        for (;;) {
          size_t comma = line.find(',', start);
          std::string cell =
              line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (col >= 3 && !cell.empty() && cell != "NaN") ++want_points;
          ++col;
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
    } else if (folder == "traceid") {
      ++want_id_lists;
    }
  }
  ASSERT_GT(want_spans, 0u);

  uint64_t spans = 0, logs = 0, points = 0;
  std::map<std::string, uint64_t> spans_by_service;
  ReadReport report;
  auto r = ReadPaths(
      {dir.string()}, {},
      [&](Batch& b) {
        spans += b.spans.size();
        logs += b.logs.size();
        points += b.metrics.size();
        for (const auto& s : b.spans) ++spans_by_service[s.service];
        for (const auto& l : b.logs) ASSERT_NE(l.time, 0);
      },
      &report);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(report.rejected.count, 0u)
      << (report.rejected.first.empty() ? "" : report.rejected.first[0]);
  EXPECT_EQ(spans, want_spans);
  EXPECT_EQ(logs, want_logs);
  EXPECT_EQ(points, want_points);
  EXPECT_EQ(spans_by_service, want_spans_by_service);
  uint64_t id_lists = 0, json_other = 0;
  for (const auto& f : report.files) {
    id_lists += f.format == "trace-id-list";
    json_other += f.format == "json-other";
  }
  EXPECT_EQ(id_lists, want_id_lists);
  EXPECT_EQ(json_other, 2u);  // fault list and root-cause table: not telemetry
}

}  // namespace
}  // namespace augur::ingest
