// Unit tests of the CTF reader on a real LTTng-UST trace recorded from examples/lttng
// (testdata/lttng_trace, 97 events: the statedump of lttng-ust and 6 requests of the demo).
#include "ingest/ctf.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ingest/read.h"
#include "testing/testing.h"

namespace augur::ingest {
namespace {

namespace fs = std::filesystem;

const fs::path kTrace = fs::path(__FILE__).parent_path() / "testdata" / "lttng_trace";
const fs::path kStreams = kTrace / "ust" / "uid" / "65534" / "64-bit";

TEST(Ctf, DetectsTheTraceFolderAndReadsEveryEvent) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  EXPECT_TRUE(IsCtfTraceDir(kStreams));
  EXPECT_FALSE(IsCtfTraceDir(kTrace));
  ReadReport report;
  auto r = ReadAll({kTrace.string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].format, "ctf");
  EXPECT_EQ(report.files[0].path, kStreams.string());
  EXPECT_EQ(report.files[0].records, 97u);
  EXPECT_EQ(report.rejected.count, 0u);
  const auto& ev = r->trace_events;
  ASSERT_EQ(ev.size(), 97u);
  for (size_t i = 1; i < ev.size(); ++i) EXPECT_LE(ev[i - 1].time, ev[i].time);
  EXPECT_GT(ev[0].time, 1'700'000'000'000'000'000);  // Unix nanoseconds (2023 or later)
  size_t requests = 0;
  for (const auto& e : ev) {
    EXPECT_GT(e.pid, 0);
    EXPECT_GT(e.tid, 0);
    EXPECT_FALSE(e.process_name.empty());
    if (e.name != "augur_demo:request") continue;
    ++requests;
    ASSERT_NE(FindAttribute(e.fields, "type"), nullptr);
    EXPECT_EQ(*FindAttribute(e.fields, "type"), "request");
    const std::string* tag = FindAttribute(e.fields, "tag");
    ASSERT_NE(tag, nullptr);
    EXPECT_TRUE(*tag == "00" || *tag == "00/01") << *tag;
    EXPECT_TRUE(e.process_name == "frontend" || e.process_name == "backend") << e.process_name;
    ASSERT_NE(FindAttribute(e.fields, "context.cpu_id"), nullptr);
  }
  EXPECT_EQ(requests, 16u);
}

TEST(Ctf, MetadataFileNamedExplicitlyReadsItsFolder) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  auto r = ReadAll({(kStreams / "metadata").string()});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->trace_events.size(), 97u);
}

TEST(Ctf, SeveralNodesAreMergedByTime) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  testing::TempDir tmp;
  fs::copy(kTrace, tmp.path() / "node-a", fs::copy_options::recursive);
  fs::copy(kTrace, tmp.path() / "node-b", fs::copy_options::recursive);
  ReadReport report;
  auto r = ReadAll({tmp.path().string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0].records, 97u);
  EXPECT_EQ(report.files[1].records, 97u);
  const auto& ev = r->trace_events;
  ASSERT_EQ(ev.size(), 194u);
  for (size_t i = 1; i < ev.size(); ++i) ASSERT_LE(ev[i - 1].time, ev[i].time);
  // Several nodes: each event says which host it came from.
  ASSERT_NE(FindAttribute(ev[0].fields, "hostname"), nullptr);
}

TEST(Ctf, TruncatedStreamIsRejectedNamingTheFolderAndKeepsTheOtherNode) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  testing::TempDir tmp;
  fs::copy(kTrace, tmp.path() / "good", fs::copy_options::recursive);
  fs::copy(kTrace, tmp.path() / "cut", fs::copy_options::recursive);
  fs::path cut = tmp.path() / "cut" / "ust" / "uid" / "65534" / "64-bit";
  fs::resize_file(cut / "augur_0", 1000);
  fs::resize_file(cut / "augur_1", 100);
  ReadReport report;
  auto r = ReadAll({tmp.path().string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_GE(report.rejected.count, 1u);
  ASSERT_FALSE(report.rejected.first.empty());
  EXPECT_NE(report.rejected.first[0].find(cut.string()), std::string::npos)
      << report.rejected.first[0];
  EXPECT_NE(report.rejected.first[0].find("CTF: "), std::string::npos);
  EXPECT_GE(r->trace_events.size(), 97u);  // the good node entirely
  // Under --strict the same input is an error naming the folder.
  ReadOptions strict;
  strict.strict = true;
  auto s = ReadAll({tmp.path().string()}, strict);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(cut.string()), std::string::npos) << s.message();
}

TEST(Ctf, BadMetadataIsRejectedNotFatal) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  testing::TempDir tmp;
  fs::path dir = tmp.path() / "bad";
  fs::create_directories(dir);
  std::ofstream(dir / "metadata")
      << "/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = ;\n";
  std::ofstream(dir / "channel0_0") << "not a packet";
  ReadReport report;
  auto r = ReadAll({tmp.path().string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->trace_events.size(), 0u);
  ASSERT_EQ(report.rejected.count, 1u);
  EXPECT_NE(report.rejected.first[0].find(dir.string() + ": CTF: "), std::string::npos)
      << report.rejected.first[0];
}

// A data stream (found by fuzzing) on which libbabeltrace2 2.0.4 itself dereferences null: the
// folder is rejected, the process survives and the other folder is read.
TEST(Ctf, StreamThatCrashesLibbabeltraceIsRejected) {
  if (!CtfSupported()) GTEST_SKIP() << "this build has no libbabeltrace2";
  testing::TempDir tmp;
  fs::copy(kTrace, tmp.path() / "good", fs::copy_options::recursive);
  fs::copy(kTrace, tmp.path() / "bad", fs::copy_options::recursive);
  fs::path bad = tmp.path() / "bad" / "ust" / "uid" / "65534" / "64-bit";
  fs::copy_file(fs::path(__FILE__).parent_path() / "testdata" / "ctf_crash_stream.bin",
                bad / "augur_0", fs::copy_options::overwrite_existing);
  ReadReport report;
  auto r = ReadAll({tmp.path().string()}, {}, &report);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->trace_events.size(), 97u);
  ASSERT_EQ(report.rejected.count, 1u);
  EXPECT_NE(report.rejected.first[0].find(bad.string() + ": CTF: libbabeltrace2 crashed"),
            std::string::npos)
      << report.rejected.first[0];
}

TEST(Ctf, MetadataThatIsNotCtfIsAnOrdinaryFile) {
  testing::TempDir tmp;
  std::ofstream(tmp.path() / "metadata") << "{\"not\": \"ctf\"}\n";
  EXPECT_FALSE(IsCtfTraceDir(tmp.path()));
}

}  // namespace
}  // namespace augur::ingest
