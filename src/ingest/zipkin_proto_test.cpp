// Zipkin's protobuf spans against an encoder this code shares nothing with: testdata/zipkin_proto
// holds three spans encoded by protobufjs from Zipkin's own zipkin.proto, and the same spans as
// Zipkin's JSON (scripts/make-zipkin-proto-fixture.js); both readers must give the same records.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ingest/read.h"

namespace augur::ingest {
namespace {

std::string Slurp(const std::string& name) {
  std::ifstream in(
      std::filesystem::path(__FILE__).parent_path() / "testdata" / "zipkin_proto" / name,
      std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Span> Read(const std::string& body, const std::string& format,
                       ReadReport* report = nullptr) {
  std::vector<Span> spans;
  ReadOptions o;
  o.format = format;
  auto r = ReadBuffer(body, "body", o, [&](Batch& b) {
    for (auto& s : b.spans) spans.push_back(std::move(s));
  });
  EXPECT_TRUE(r.ok()) << r.message();
  if (r && report) *report = *r;
  return spans;
}

TEST(ZipkinProto, SpansAsTheJsonReaderReadsThem) {
  ReadReport report;
  auto pb = Read(Slurp("spans.pb"), "zipkin-proto", &report);
  auto js = Read(Slurp("spans.json"), "zipkin-json");
  EXPECT_EQ(report.rejected.count, 0u);
  ASSERT_EQ(pb.size(), 3u);
  ASSERT_EQ(pb.size(), js.size());
  for (size_t i = 0; i < pb.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(pb[i].trace_id, js[i].trace_id);
    EXPECT_EQ(pb[i].span_id, js[i].span_id);
    EXPECT_EQ(pb[i].parent_id, js[i].parent_id);
    EXPECT_EQ(pb[i].name, js[i].name);
    EXPECT_EQ(pb[i].kind, js[i].kind);
    EXPECT_EQ(pb[i].start, js[i].start);
    EXPECT_EQ(pb[i].end, js[i].end);
    EXPECT_EQ(pb[i].service, js[i].service);
    EXPECT_EQ(pb[i].instance, js[i].instance);
    EXPECT_EQ(pb[i].status, js[i].status);
    EXPECT_EQ(pb[i].http_route, js[i].http_route);
    EXPECT_EQ(pb[i].http_method, js[i].http_method);
    EXPECT_EQ(pb[i].http_status_code, js[i].http_status_code);
    EXPECT_EQ(pb[i].attributes, js[i].attributes);
    ASSERT_EQ(pb[i].events.size(), js[i].events.size());
    for (size_t e = 0; e < pb[i].events.size(); ++e) {
      EXPECT_EQ(pb[i].events[e].time, js[i].events[e].time);
      EXPECT_EQ(pb[i].events[e].name, js[i].events[e].name);
    }
  }
  // What the fixture says, read from the protobuf.
  EXPECT_EQ(pb[0].trace_id.Hex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(pb[0].kind, SpanKind::kClient);
  EXPECT_EQ(pb[0].service, "front-end");
  EXPECT_EQ(pb[0].instance, "10.1.2.3");
  EXPECT_EQ(pb[0].start, 1731960000000000000);
  EXPECT_EQ(pb[0].end, 1731960000025000000);
  EXPECT_EQ(pb[0].status, StatusCode::kError);
  EXPECT_EQ(pb[0].http_status_code, 500);
  EXPECT_EQ(pb[0].http_method, "GET");
  ASSERT_EQ(pb[0].events.size(), 2u);
  EXPECT_EQ(pb[0].events[1].name, "wr");
  // The shared SERVER half gets its own id, under the client's.
  EXPECT_EQ(pb[1].kind, SpanKind::kServer);
  EXPECT_EQ(pb[1].parent_id, pb[0].span_id);
  EXPECT_NE(pb[1].span_id, pb[0].span_id);
  EXPECT_EQ(pb[1].instance, "2001:db8::1");
  EXPECT_EQ(pb[2].trace_id.Hex(), "0000000000000000463ac35c9f6413ad");
  EXPECT_EQ(pb[2].kind, SpanKind::kProducer);
}

TEST(ZipkinProto, DamageIsRejectedAndGoodSpansKept) {
  const std::string pb = Slurp("spans.pb");
  ReadReport report;
  auto spans = Read(pb.substr(0, pb.size() - 5), "zipkin-proto", &report);  // inside the third
  EXPECT_EQ(spans.size(), 2u);
  EXPECT_EQ(report.rejected.count, 1u);
  for (size_t i = 0; i < pb.size(); ++i) {  // never a crash, whatever the damage
    std::string x = pb;
    x[i] = static_cast<char>(x[i] ^ 0x41);
    Read(x, "zipkin-proto");
    Read(pb.substr(0, i), "zipkin-proto");
  }
}

}  // namespace
}  // namespace augur::ingest
