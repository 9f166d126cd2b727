#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/event.h"
#include "core/file.h"
#include "core/ids.h"
#include "core/result.h"
#include "core/service.h"
#include "core/text.h"
#include "core/time.h"
#include "core/url.h"
#include "testing/testing.h"

namespace augur {
namespace {

TEST(File, WriteFileAtomicReplacesWholeAndLeavesNoTemporary) {
  testing::TempDir dir;
  const auto path = dir.path() / "a.json";
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), "second");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.json.tmp"));
  auto bad = WriteFileAtomic(dir.path() / "no" / "such" / "dir.json", "x");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("dir.json"), std::string::npos) << bad.message();
}

TEST(Ids, TraceIdRoundTripsHex) {
  auto id = TraceId::FromHex("5B8EFFF798038103D269B633813FC60C");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->Hex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_FALSE(TraceId::FromHex("xyz"));
  EXPECT_FALSE(TraceId::FromHex(std::string(33, 'a')));
}

TEST(Ids, ShortTraceIdIsRightAligned) {
  auto id = TraceId::FromHex("463ac35c9f6413ad");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->Hex(), "0000000000000000463ac35c9f6413ad");
}

TEST(Ids, SpanIdRoundTripsHex) {
  auto id = SpanId::FromHex("eee19b7ec3c1b174");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->Hex(), "eee19b7ec3c1b174");
  EXPECT_TRUE(SpanId{}.empty());
  EXPECT_EQ(SpanId{}.Hex(), "");
}

TEST(Service, PodNamesResolveToDeployments) {
  EXPECT_EQ(ServiceFromPod("ts-contacts-service-866bd68c97-xcqfx"), "ts-contacts-service");
  EXPECT_EQ(ServiceFromPod("ts-gateway-service-6f6cfc45b-h5m2n"), "ts-gateway-service");
  EXPECT_EQ(ServiceFromPod("carts-db-0"), "carts-db");
  EXPECT_EQ(ServiceFromPod("front-end"), "front-end");
  EXPECT_EQ(ServiceFromPod("payment"), "payment");
}

TEST(Time, ParsesIsoAndNezhaTimes) {
  EXPECT_EQ(ParseIsoTime("1970-01-01T00:00:01Z"), kNsPerSecond);
  EXPECT_EQ(ParseIsoTime("2023-01-29T08:42:22.383150913Z"), 1674981742383150913LL);
  EXPECT_EQ(ParseIsoTime("2023-01-29 08:43:04"), 1674981784LL * kNsPerSecond);
  EXPECT_EQ(ParseIsoTime("2023-01-29T10:43:04+02:00"), 1674981784LL * kNsPerSecond);
  EXPECT_FALSE(ParseIsoTime("not a time"));
  EXPECT_EQ(FormatIsoTime(1674981742383150913LL), "2023-01-29T08:42:22.383150913Z");
}

TEST(Severity, NumbersAndNames) {
  EXPECT_EQ(SeverityFromNumber(9), Severity::kInfo);
  EXPECT_EQ(SeverityFromNumber(17), Severity::kError);
  EXPECT_EQ(SeverityFromText("warning"), Severity::kWarn);
  EXPECT_EQ(SeverityName(Severity::kFatal), "FATAL");
}

TEST(Result, CarriesValueOrMessage) {
  Result<int> ok = 3;
  EXPECT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  Result<int> bad = Result<int>::Error("f.log:3: bad");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message(), "f.log:3: bad");
}

TEST(Text, ReplaceInvalidUtf8KeepsGoodTextAndMarksEachBadByte) {
  EXPECT_EQ(ReplaceInvalidUtf8("plain"), "plain");
  EXPECT_EQ(ReplaceInvalidUtf8("caf\u00e9 \uff1a \U0001F600"), "caf\u00e9 \uff1a \U0001F600");
  EXPECT_EQ(ReplaceInvalidUtf8("caf\xE9!"), "caf\uFFFD!");                        // Latin-1
  EXPECT_EQ(ReplaceInvalidUtf8("\xC3\x28"), "\uFFFD(");                           // cut sequence
  EXPECT_EQ(ReplaceInvalidUtf8("\xC0\xAF"), "\uFFFD\uFFFD");                      // overlong
  EXPECT_EQ(ReplaceInvalidUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");            // surrogate
  EXPECT_EQ(ReplaceInvalidUtf8("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  EXPECT_EQ(ReplaceInvalidUtf8("ab\xE2\x82"), "ab\uFFFD\uFFFD");  // truncated at the end
}

TEST(Text, CutUtf8StopsBetweenCharacters) {
  EXPECT_EQ(CutUtf8("short", 10), "short");
  EXPECT_EQ(CutUtf8("abcdef", 3), "abc…");
  // "é" is two bytes and "：" three: a cut inside either backs off to before it.
  EXPECT_EQ(CutUtf8("caf\u00e9s", 4), "caf…");
  EXPECT_EQ(CutUtf8("a\uff1ab", 2), "a…");
  EXPECT_EQ(CutUtf8("a\uff1ab", 3), "a…");
  EXPECT_EQ(CutUtf8("a\uff1ab", 4), "a\uff1a…");
}

TEST(Url, ParsesHostsPortsAndPathsAndSaysWhatIsWrong) {
  auto u = ParseHttpUrl("https://alertmanager.example/am/");
  ASSERT_TRUE(u.ok()) << u.message();
  EXPECT_EQ(u->SchemeHostPort(), "https://alertmanager.example:443");
  EXPECT_EQ(u->path, "/am");
  u = ParseHttpUrl("http://[::1]:9093");
  ASSERT_TRUE(u.ok()) << u.message();
  EXPECT_EQ(u->host, "[::1]");
  EXPECT_EQ(u->port, 9093);
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(ParseHttpUrl("localhost:9093").message(), "no scheme (write http://host:port)");
  EXPECT_EQ(ParseHttpUrl("nats://h").message(), "scheme must be http or https");
  EXPECT_EQ(ParseHttpUrl("http://h:99999").message(), "port out of range");
  EXPECT_EQ(ParseHttpUrl("http://h:x").message(), "port \"x\" is not a number");
  EXPECT_EQ(ParseHttpUrl("http://u:p@h").message(), "credentials in the URL are not supported");
  EXPECT_EQ(ParseHttpUrl("http:///x").message(), "no host");
}

}  // namespace
}  // namespace augur
