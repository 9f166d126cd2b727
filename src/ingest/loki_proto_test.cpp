// Loki's protobuf push against an encoder this code shares nothing with: testdata/loki_proto holds
// one push written by winston-loki's generated logproto code and snappy, and the same streams as
// Loki's JSON push (scripts/make-loki-proto-fixture.js); both readers must give the same records.
#include <gtest/gtest.h>
#include <snappy.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ingest/read.h"

namespace augur::ingest {
namespace {

std::string Slurp(const std::string& name) {
  std::ifstream in(std::filesystem::path(__FILE__).parent_path() / "testdata" / "loki_proto" / name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<LogRecord> Read(const std::string& body, const std::string& format,
                            ReadReport* report = nullptr) {
  std::vector<LogRecord> logs;
  ReadOptions o;
  o.format = format;
  auto r = ReadBuffer(body, "body", o, [&](Batch& b) {
    for (auto& l : b.logs) logs.push_back(std::move(l));
  });
  EXPECT_TRUE(r.ok()) << r.message();
  if (r && report) *report = *r;
  return logs;
}

TEST(LokiProto, EntriesAsTheJsonReaderReadsThem) {
  ReadReport report;
  auto pb = Read(Slurp("push.pb.snappy"), "loki-proto", &report);
  auto js = Read(Slurp("push.json"), "loki-json");
  EXPECT_EQ(report.rejected.count, 0u);
  ASSERT_EQ(pb.size(), 3u);
  ASSERT_EQ(pb.size(), js.size());
  for (size_t i = 0; i < pb.size(); ++i) {
    EXPECT_EQ(pb[i].time, js[i].time);
    EXPECT_EQ(pb[i].body, js[i].body);
    EXPECT_EQ(pb[i].service, js[i].service);
    EXPECT_EQ(pb[i].instance, js[i].instance);
    EXPECT_EQ(pb[i].severity, js[i].severity);
    EXPECT_EQ(pb[i].attributes, js[i].attributes);
  }
  EXPECT_EQ(pb[0].time, 1731960000123456789);
  EXPECT_EQ(pb[0].service, "cart");
  EXPECT_EQ(pb[0].instance, "cart-7d9f8b6c5-x2x4z");
  EXPECT_EQ(pb[0].severity, Severity::kError);
  EXPECT_EQ(pb[1].body, "retrying \"GET /carts/42\"");
  EXPECT_EQ(pb[2].service, "payment");
  EXPECT_EQ(pb[2].severity, Severity::kWarn);
}

TEST(LokiProto, DamageIsRejectedAndGoodEntriesKept) {
  std::string pb;
  const std::string compressed = Slurp("push.pb.snappy");
  ASSERT_TRUE(snappy::Uncompress(compressed.data(), compressed.size(), &pb));
  // Uncompressed is read too; cut inside the second stream, the first stream's entries stay.
  ReadReport report;
  auto logs = Read(pb.substr(0, pb.size() - 5), "loki-proto", &report);
  EXPECT_EQ(logs.size(), 2u);
  EXPECT_EQ(report.rejected.count, 1u);
  for (size_t i = 0; i < compressed.size(); ++i) {
    std::string x = compressed;
    x[i] = static_cast<char>(x[i] ^ 0x41);
    Read(x, "loki-proto");
    Read(compressed.substr(0, i), "loki-proto");
    std::string y = pb;
    if (i < y.size()) y[i] = static_cast<char>(y[i] ^ 0x41);
    Read(y, "loki-proto");
  }
}

}  // namespace
}  // namespace augur::ingest
