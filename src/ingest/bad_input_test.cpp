// Bad input: every kind the issue lists gets a reject naming file, line (or byte offset) and
// reason; the good records around it are kept; --strict stops at the first.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "core/text.h"
#include "core/time.h"
#include "ingest/read.h"
#include "testing/testing.h"

namespace augur::ingest {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, std::string_view data) {
  std::ofstream(p, std::ios::binary) << data;
}

std::string Gzip(std::string_view data) {
  std::string out(compressBound(data.size()) + 64, '\0');
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct Outcome {
  Batch batch;
  ReadReport report;
};

Outcome Read(const fs::path& p, ReadOptions o = {}) {
  Outcome out;
  auto r = ReadAll({p.string()}, o, &out.report);
  EXPECT_TRUE(r.ok()) << r.message();
  if (r.ok()) out.batch = std::move(r).value();
  return out;
}

std::string FirstReject(const Outcome& o) {
  return o.report.rejected.first.empty() ? "" : o.report.rejected.first[0];
}

constexpr const char* kSpanLine =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},)"
    R"("scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"op","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]})";

TEST(BadInput, MalformedJsonLineKeepsTheOthers) {
  testing::TempDir dir;
  std::string text = std::string(kSpanLine) + "\n{\"resourceSpans\":[{,,]}\n" + kSpanLine + "\n";
  Write(dir.path() / "a.json", text);
  Outcome o = Read(dir.path() / "a.json");
  EXPECT_EQ(o.batch.spans.size(), 2u);
  EXPECT_EQ(o.report.rejected.count, 1u);
  EXPECT_EQ(FirstReject(o).find((dir.path() / "a.json").string() + ":2: malformed JSON"), 0u)
      << FirstReject(o);
}

TEST(BadInput, DeeplyNestedValuesAreRejectedNotAStackOverflow) {
  // An attribute value nested 20,000 arrays deep, between two good spans; a Chrome Trace event
  // whose args nest as deep.
  testing::TempDir dir;
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += R"({"arrayValue":{"values":[)";
  deep += R"({"stringValue":"x"})";
  for (int i = 0; i < 20000; ++i) deep += "]}}";
  std::string bad = kSpanLine;
  bad.replace(bad.find(R"({"stringValue":"s"})"), 19, deep);
  Write(dir.path() / "a.json", std::string(kSpanLine) + "\n" + bad + "\n" + kSpanLine + "\n");
  Outcome o = Read(dir.path() / "a.json");
  EXPECT_EQ(o.batch.spans.size(), 2u);
  EXPECT_EQ(o.report.rejected.count, 1u);
  EXPECT_NE(FirstReject(o).find("nested deeper than"), std::string::npos) << FirstReject(o);

  std::string args(20000, '[');
  args += std::string(20000, ']');
  Write(dir.path() / "t.json", R"({"traceEvents":[{"name":"a","ph":"i","ts":1,"pid":1,"tid":1},)"
                               R"({"name":"b","ph":"i","ts":2,"pid":1,"tid":1,"args":{"x":)" +
                                   args + "}}]}");
  Outcome t = Read(dir.path() / "t.json");
  EXPECT_EQ(t.batch.trace_events.size(), 1u);
  EXPECT_EQ(t.report.rejected.count, 1u);
}

TEST(BadInput, ByteOrderMarkAndNulBytes) {
  testing::TempDir dir;
  // A UTF-8 byte-order mark before a CSV header or a JSON document is not part of either.
  const std::string csv =
      "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
      "b0103bb0161ad7fa352fe1828eeb643a,520b067330e3ede5,root,ts-gateway-service-6f6cfc45b-h5m2n,"
      "/*,1674981768697000000,1674981769015316530,318316\n"
      "b0103bb0161ad7fa352fe1828eeb643a,a4424f20bffee416,520b067330e3ede5,"
      "ts-gateway-service-6f6cfc45b-h5m2n,FilteringWebHandler.handle,1674981768697763387,"
      "1674981769015072039,317308\n";
  Write(dir.path() / "plain.csv", csv);
  Write(dir.path() / "bom.csv", "\xEF\xBB\xBF" + csv);
  Write(dir.path() / "bom.json", "\xEF\xBB\xBF" + std::string(kSpanLine) + "\n");
  Outcome plain = Read(dir.path() / "plain.csv");
  Outcome bom = Read(dir.path() / "bom.csv");
  ASSERT_GT(plain.batch.spans.size(), 0u);
  EXPECT_EQ(bom.batch.spans.size(), plain.batch.spans.size());
  EXPECT_EQ(bom.report.rejected.count, plain.report.rejected.count);
  Outcome json = Read(dir.path() / "bom.json");
  EXPECT_EQ(json.batch.spans.size(), 1u);
  EXPECT_EQ(json.report.rejected.count, 0u);

  // One NUL byte costs its line, not the file; nor does the run of NULs that logrotate's
  // copytruncate leaves in front.
  std::string lines;
  for (int i = 0; i < 10; ++i) lines += "2024-01-01T00:00:0" + std::to_string(i) + "Z INFO line\n";
  std::string one = lines;
  one[one.find("line", 100)] = '\0';
  Write(dir.path() / "nul.log", one);
  Outcome o = Read(dir.path() / "nul.log");
  EXPECT_EQ(o.batch.logs.size(), 9u);
  EXPECT_EQ(o.report.rejected.count, 1u);
  Write(dir.path() / "lead.log", std::string(4096, '\0') + lines);
  Outcome lead = Read(dir.path() / "lead.log");
  EXPECT_EQ(lead.batch.logs.size(), 9u);  // the first line holds the NULs
}

TEST(BadInput, StrayQuoteCostsItsLineNotTheRestOfTheFile) {
  testing::TempDir dir;
  std::string csv =
      "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n";
  for (int i = 0; i < 1500; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i + 1);
    csv += std::string("b0103bb0161ad7fa352fe1828eeb643a,") + id +
           ",root,ts-a-service-6f6cfc45b-h5m2n," + (i == 2 ? "\"GET" : "GET") +
           ",1674981768697000000,1674981769015316530,318316\n";
  }
  Write(dir.path() / "t.csv", csv);
  Outcome o = Read(dir.path() / "t.csv");
  EXPECT_GE(o.batch.spans.size(), 1499u);
  EXPECT_EQ(o.batch.spans.size() + o.report.rejected.count, 1500u);
}

TEST(BadInput, InfiniteMetricsAndNonPositiveTimesAreRejected) {
  testing::TempDir dir;
  // Nezha: an infinite cell is a reject; a TimeStamp that is not positive falls back to Time.
  Write(dir.path() / "m.csv",
        "Time,TimeStamp,PodName,CpuUsage(m),MemoryUsage(Mi)\n"
        "2023-01-29 08:41:09,1674981669,ts-auth-service-5d4f8b8c9d-abcde,1.5,inf\n"
        "2023-01-29 08:42:09,-1,ts-auth-service-5d4f8b8c9d-abcde,2.5,3.5\n");
  Outcome m = Read(dir.path() / "m.csv");
  ASSERT_EQ(m.batch.metrics.size(), 3u);
  EXPECT_EQ(m.report.rejected.count, 1u);
  EXPECT_EQ(m.batch.metrics[2].time, 1674981729 * kNsPerSecond);
  // Wide CSV: the same for an infinite cell.
  Write(dir.path() / "w.csv", "time,api_latency_ms\n1674981669,-Infinity\n1674981670,4\n");
  Outcome w = Read(dir.path() / "w.csv");
  EXPECT_EQ(w.batch.metrics.size(), 1u);
  EXPECT_EQ(w.report.rejected.count, 1u);
}

TEST(BadInput, TruncatedPrettyJson) {
  testing::TempDir dir;
  Write(dir.path() / "a.json", "{\n \"resourceSpans\": [\n  {\"scopeSpans\": [\n");
  Outcome o = Read(dir.path() / "a.json");
  EXPECT_EQ(o.report.rejected.count, 1u);
  EXPECT_NE(FirstReject(o).find(":3: malformed JSON: unexpected end of input"), std::string::npos)
      << FirstReject(o);
}

TEST(BadInput, TruncatedGzipKeepsWhatCameBefore) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "2023-01-29T08:42:22Z INFO line number " + std::to_string(i) + "\n";
  std::string gz = Gzip(text);
  Write(dir.path() / "a.log.gz", gz.substr(0, gz.size() * 2 / 3));
  Outcome o = Read(dir.path() / "a.log.gz");
  EXPECT_GT(o.batch.logs.size(), 100u);
  EXPECT_LT(o.batch.logs.size(), 2000u);
  EXPECT_EQ(o.report.rejected.count, 1u);
  EXPECT_NE(FirstReject(o).find("a.log.gz: truncated gzip stream (ends after"), std::string::npos)
      << FirstReject(o);
  // Corrupt (not just cut) data is named too.
  std::string bad = gz;
  for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(0xA5);
  Write(dir.path() / "b.log.gz", bad);
  Outcome b = Read(dir.path() / "b.log.gz");
  EXPECT_GE(b.report.rejected.count, 1u);
  EXPECT_NE(b.report.rejected.first.back().find("gzip"), std::string::npos);
}

TEST(BadInput, WrongTypesAndMissingFields) {
  testing::TempDir dir;
  Write(
      dir.path() / "z.json",
      R"([{"traceId":"01","id":"02","name":5},{"id":"03"},{"traceId":"01","id":"04","duration":"x"},{"traceId":"01","id":"05"}])");
  Outcome o = Read(dir.path() / "z.json");
  EXPECT_EQ(o.batch.spans.size(), 1u);
  EXPECT_EQ(o.report.rejected.reasons["wrong type: name (expected a string)"], 1u);
  EXPECT_EQ(o.report.rejected.reasons["missing field: traceId"], 1u);
  EXPECT_EQ(o.report.rejected.reasons["wrong type: duration (not an integer)"], 1u);
}

// A plain-text line with bytes that are not UTF-8 (Latin-1 from a legacy service, a cut
// sequence) is kept with each such byte as U+FFFD and counted; in JSON it is malformed input.
TEST(BadInput, InvalidUtf8) {
  testing::TempDir dir;
  Write(dir.path() / "a.log",
        "the first good line of the service's log\nthe bad \xC3\x28 byte of a cut sequence\n"
        "caf\xE9 ferm\xE9 until tomorrow, written in Latin-1\nthe second good line of the log\n");
  Outcome o = Read(dir.path() / "a.log");
  ASSERT_EQ(o.batch.logs.size(), 4u);
  EXPECT_EQ(o.report.rejected.count, 0u);
  EXPECT_EQ(o.batch.logs[1].body, "the bad \uFFFD( byte of a cut sequence");
  EXPECT_EQ(o.batch.logs[2].body, "caf\uFFFD ferm\uFFFD until tomorrow, written in Latin-1");
  ASSERT_EQ(o.report.files.size(), 1u);
  EXPECT_EQ(o.report.files[0].repaired_records, 2u);
  Write(dir.path() / "b.json", std::string(kSpanLine) + "\n" +
                                   R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":")" +
                                   std::string("\xff") + R"("}]}]}]})" + "\n");
  Outcome j = Read(dir.path() / "b.json");
  EXPECT_EQ(j.batch.spans.size(), 1u);
  EXPECT_EQ(j.report.rejected.count, 1u);
  EXPECT_NE(FirstReject(j).find(":2: malformed JSON"), std::string::npos) << FirstReject(j);
}

// Any reader's text that is not UTF-8 is repaired as its record is committed: here a metric name
// from a CSV header written in Latin-1.
TEST(BadInput, InvalidUtf8InOtherFormatsIsRepairedToo) {
  testing::TempDir dir;
  Write(dir.path() / "m.csv",
        "time,cartservice_cpu,frontend_lat\xE9ncy_p90\n1700000000,1,2\n1700000060,3,4\n");
  Outcome o = Read(dir.path() / "m.csv");
  ASSERT_EQ(o.report.files.size(), 1u);
  EXPECT_EQ(o.report.rejected.count, 0u);
  ASSERT_EQ(o.batch.metrics.size(), 4u) << o.report.files[0].format;
  bool repaired = false;
  for (const auto& m : o.batch.metrics) {
    EXPECT_EQ(ReplaceInvalidUtf8(m.name), m.name);
    EXPECT_EQ(ReplaceInvalidUtf8(m.service), m.service);
    repaired = repaired || m.name.find("lat\uFFFDncy") != std::string::npos ||
               m.service.find("lat\uFFFDncy") != std::string::npos;
  }
  EXPECT_TRUE(repaired);
  EXPECT_EQ(o.report.files[0].repaired_records, 2u);
}

TEST(BadInput, BinaryGarbage) {
  testing::TempDir dir;
  std::mt19937 rng(7);
  std::string junk(100000, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  Write(dir.path() / "junk.bin", junk);
  Outcome o = Read(dir.path() / "junk.bin");
  EXPECT_TRUE(o.batch.empty());
  EXPECT_EQ(FirstReject(o),
            (dir.path() / "junk.bin").string() + ": binary data, not a known telemetry format");
  // Forced through a reader, garbage is rejected line by line and nothing crashes.
  for (const auto& f : FormatNames()) {
    ReadOptions opt;
    opt.format = f;
    Outcome forced = Read(dir.path() / "junk.bin", opt);
    EXPECT_GE(forced.report.rejected.count + forced.batch.size(), 0u) << f;
  }
}

TEST(BadInput, HundredMegabyteLine) {
  testing::TempDir dir;
  {
    std::ofstream out(dir.path() / "big.log", std::ios::binary);
    out << "first line\n";
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 100; ++i) out << chunk;
    out << "\nlast line\n";
  }
  Outcome o = Read(dir.path() / "big.log");
  ASSERT_EQ(o.batch.logs.size(), 2u);
  EXPECT_EQ(o.batch.logs[1].body, "last line");
  EXPECT_EQ(FirstReject(o), (dir.path() / "big.log").string() + ":2: line too long (over 64 MiB)");
  // The same in a JSON array: the huge element is skipped, its neighbours kept.
  {
    std::ofstream out(dir.path() / "big.json", std::ios::binary);
    out << R"([{"traceId":"01","id":"02"},{"traceId":"01","id":"03","name":")";
    std::string chunk(1 << 20, 'y');
    for (int i = 0; i < 70; ++i) out << chunk;
    out << R"("},{"traceId":"01","id":"04","localEndpoint":{"serviceName":"z"}}])";
  }
  ReadOptions zipkin;
  zipkin.format = "zipkin-json";
  Outcome j = Read(dir.path() / "big.json", zipkin);
  EXPECT_EQ(j.batch.spans.size(), 2u);
  EXPECT_EQ(j.report.rejected.reasons["record too long (over 64 MiB)"], 1u);
}

TEST(BadInput, EmptyFile) {
  testing::TempDir dir;
  Write(dir.path() / "empty.json", "");
  Outcome o = Read(dir.path() / "empty.json");
  EXPECT_EQ(FirstReject(o), (dir.path() / "empty.json").string() + ": empty file");
  ReadOptions strict;
  strict.strict = true;
  ReadReport report;
  auto r = ReadAll({(dir.path() / "empty.json").string()}, strict, &report);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(report.rejected.count, 1u);
}

TEST(BadInput, StrictStopsAtFirstButKeepsEarlierBatches) {
  testing::TempDir dir;
  // A NUL byte costs its line (a stray one: not enough of them to make the file binary).
  Write(dir.path() / "a.log",
        std::string("the first line of this log, long enough to hold a stray byte\n"
                    "the second line of this log, long enough to hold a stray byte\n") +
            '\0' + "\nthe fourth line of this log, long enough to hold a stray byte\n");
  ReadOptions strict;
  strict.strict = true;
  size_t seen = 0;
  ReadReport report;
  auto r = ReadPaths(
      {(dir.path() / "a.log").string()}, strict, [&](Batch& b) { seen += b.size(); }, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), (dir.path() / "a.log").string() + ":3: binary data (NUL byte)");
  EXPECT_EQ(seen, 2u);
  EXPECT_EQ(report.rejected.count, 1u);
}

}  // namespace
}  // namespace augur::ingest
