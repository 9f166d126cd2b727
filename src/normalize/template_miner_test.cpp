#include "normalize/template_miner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>

#include "testing/testing.h"

namespace augur::normalize {
namespace {

std::string Text(const TemplateMiner& m, uint32_t id) {
  return m.Get(id)->text;
}

TEST(TemplateMiner, MasksNumbersAndGroups) {
  TemplateMiner m;
  auto a = m.Add("PacketResponder 1 for block blk_38865049064139660 terminating");
  auto b = m.Add("PacketResponder 0 for block blk_-6952295868487656571 terminating");
  EXPECT_EQ(m.Resolve(a.template_id), m.Resolve(b.template_id));
  EXPECT_EQ(Text(m, b.template_id), "PacketResponder <*> for block <*> terminating");
  ASSERT_EQ(b.params.size(), 2u);
  EXPECT_EQ(b.params[0], "0");
  EXPECT_EQ(b.params[1], "blk_-6952295868487656571");
}

TEST(TemplateMiner, MasksCommonVariableShapes) {
  TemplateMiner m;
  EXPECT_EQ(Text(m, m.Add("connect to 10.0.0.1:8080 failed").template_id), "connect to <*> failed");
  EXPECT_EQ(Text(m, m.Add("GET https://example.com/a/b done").template_id), "GET https://<*> done");
  EXPECT_EQ(Text(m, m.Add("open /var/log/x.log now").template_id), "open <*> now");
  EXPECT_EQ(Text(m, m.Add("instance 0b7e6a3c-9d2f-4c8e-8a5e-1f2d3c4b5a69 gone").template_id),
            "instance <*> gone");
  EXPECT_EQ(Text(m, m.Add("lock uid=10037, pid=2227 ok").template_id), "lock uid=<*>, pid=<*> ok");
  EXPECT_EQ(Text(m, m.Add("value -42 seen").template_id), "value <*> seen");
  EXPECT_EQ(Text(m, m.Add("card mLp(AC:B6:2B:19:FD:6B) up").template_id), "card mLp(<*>) up");
  EXPECT_EQ(Text(m, m.Add("flag is true here").template_id), "flag is <*> here");
  // Function names with digits are not values, nor are names ending in one digit.
  EXPECT_EQ(Text(m, m.Add("jk2_init() Found child").template_id), "jk2_init() Found child");
  EXPECT_EQ(Text(m, m.Add("closed port 22 ssh2 via eth1").template_id),
            "closed port <*> ssh2 via eth1");
  EXPECT_EQ(Text(m, m.Add("slot u0 of r12 in node_1").template_id), "slot <*> of <*> in <*>");
}

// Mask() gives a line the text a new template would start from, and learns nothing: lines that
// differ only in values (here a timestamp, a connection number and hex addresses) mask alike.
TEST(TemplateMiner, MaskLearnsNothingAndIgnoresValues) {
  TemplateMiner m;
  const std::string a = m.Mask(
      "2024-11-18T21:25:00.430+0000 E STORAGE  [conn106] WiredTiger error (5) "
      "[1731965100:430610][1:0x7f3c2af0c5], file:collection-5--8127354412.wt");
  const std::string b = m.Mask(
      "2024-11-18T21:25:00.680+0000 E STORAGE  [conn17] WiredTiger error (5) "
      "[1731965100:680880][1:0x7f3c2a8ed4], file:collection-3--8127354412.wt");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.find_first_of("0123456789"), std::string::npos) << a;
  EXPECT_EQ(m.Mask("took 12 ms for 3 items"), "took <*> ms for <*> items");
  EXPECT_EQ(m.Mask(""), "");
  EXPECT_EQ(m.stats().lines, 0u);
  EXPECT_TRUE(m.Templates().empty());
}

// An IPv6 address is one variable even where a group holds letters only (FEBB), which alone would
// be a word; so is a date written inside the message, its names included.
TEST(TemplateMiner, Ipv6AddressesAndDatesInMessagesAreOneVariable) {
  TemplateMiner m;
  uint32_t a = m.Add("transitions for en0 (FE80:0000:0000:0000:C672:7D2C:0BB0:E3B2)").template_id;
  EXPECT_EQ(m.Add("transitions for en0 (FE80:0000:0000:0000:FEBB:DEAD:0BB0:E3B2)").template_id, a);
  EXPECT_EQ(m.Add("transitions for en0 (fe80::1c2d:3e4f:aa:1)").template_id, a);
  EXPECT_EQ(Text(m, a), "transitions for en0 (<*>)");
  // Not an address: too few colons, or no digit.
  EXPECT_EQ(Text(m, m.Add("phase ab:cd ready").template_id), "phase ab:cd ready");
  EXPECT_EQ(Text(m, m.Add("std::vector at dead:beef:cafe:face").template_id),
            "std::vector at dead:beef:cafe:face");

  uint32_t d = m.Add("connection from 1.2.3.4 at Sat Jun 25 02:04:08 2005").template_id;
  EXPECT_EQ(m.Add("connection from 1.2.3.5 at Wed Oct 12 23:59:01 2005").template_id, d);
  EXPECT_EQ(Text(m, d), "connection from <*> at <*>");
  EXPECT_EQ(Text(m, m.Add("built Mon Mar 3 10:00:00.125 CST 2025 ok").template_id),
            "built <*> CST <*> ok");
  // A name without a time after it is a word.
  EXPECT_EQ(Text(m, m.Add("report for Jun is ready").template_id), "report for Jun is ready");
  TemplateMinerConfig off;
  off.disabled_masks = {"date"};
  TemplateMiner plain(off);
  EXPECT_EQ(Text(plain, plain.Add("at Sat Jun 25 02:04:08 2005").template_id),
            "at Sat Jun <*> <*> <*>");
}

// A key with a name for its value joins the template where that key's value is a variable.
TEST(TemplateMiner, KeyWithANameJoinsKeyWithAVariable) {
  TemplateMiner m;
  uint32_t a = m.Add("authentication failure; uid=0 rhost=218.188.2.4").template_id;
  EXPECT_EQ(m.Add("authentication failure; uid=0 rhost=csnsu.nsuok.edu").template_id, a);
  EXPECT_EQ(Text(m, a), "authentication failure; uid=<*> rhost=<*>");
  // Another key stays another field.
  EXPECT_NE(m.Add("authentication failure; uid=0 ruser=csnsu.nsuok.edu").template_id, a);
}

TEST(TemplateMiner, CodeLocationsAreRecognised) {
  EXPECT_TRUE(IsCodeLocation("t.s.TravelServiceImpl#372"));
  EXPECT_TRUE(IsCodeLocation("logging.go:37"));
  EXPECT_TRUE(IsCodeLocation("org/x/Foo.java:120"));
  EXPECT_FALSE(IsCodeLocation("rabbitConnectionFactory#1"));  // a counter: no qualified name
  EXPECT_FALSE(IsCodeLocation("item#3"));
  EXPECT_FALSE(IsCodeLocation("db-1.example.com:8080"));  // an address
  EXPECT_FALSE(IsCodeLocation("10.0.0.1:8080"));
  EXPECT_FALSE(IsCodeLocation("a.b#x"));
  EXPECT_FALSE(IsCodeLocation("Foo.java:"));
  EXPECT_FALSE(IsCodeLocation("caller=logging.go:37"));
  EXPECT_TRUE(IsCodeLocation("a.B#123456"));
  EXPECT_FALSE(IsCodeLocation("a.B#1234567"));  // seven digits: a number, not a line
}

// A logger's code location names the statement: it stays in the template, and two statements
// that write the same message stay two templates, even where any two words would merge.
TEST(TemplateMiner, CodeLocationsStayTemplateText) {
  TemplateMinerConfig c;
  c.word_variable_threshold = 2;
  TemplateMiner m(c);
  auto a = m.Add("10:46:27.285 INFO t.s.TravelServiceImpl#366 TraceID: 37448a92 [calculate 0]");
  auto b = m.Add("10:46:27.286 INFO t.s.TravelServiceImpl#372 TraceID: 0d9d9a65 [calculate 175]");
  EXPECT_NE(m.Resolve(a.template_id), m.Resolve(b.template_id));
  EXPECT_EQ(Text(m, b.template_id),
            "<*> INFO t.s.TravelServiceImpl#372 TraceID: <*> [calculate <*>]");
  EXPECT_EQ(Text(m, m.Add("at (Foo.java:120) retry 3").template_id), "at (Foo.java:120) retry <*>");
  EXPECT_EQ(Text(m, m.Add("ts=12:00:01 caller=logging.go:37 took=2ms").template_id),
            "ts=<*> caller=logging.go:37 took=<*>");
  // Two statements differing only in the caller= location stay two templates.
  auto g = m.Add("ts=12:00:02 caller=logging.go:62 took=3ms");
  EXPECT_EQ(Text(m, g.template_id), "ts=<*> caller=logging.go:62 took=<*>");
  EXPECT_NE(m.Resolve(g.template_id),
            m.Resolve(m.Match("ts=12:00:03 caller=logging.go:37 took=1ms").template_id));
  EXPECT_EQ(CodeLocationIn("caller=logging.go:37"), "logging.go:37");
  EXPECT_EQ(CodeLocationIn("(Foo.java:120),"), "Foo.java:120");
  EXPECT_EQ(CodeLocationIn("took=2ms"), "");
  c.disabled_masks = {"code"};
  TemplateMiner off(c);
  EXPECT_EQ(Text(off, off.Add("at (Foo.java:120) retry 3").template_id), "at (<*>) retry <*>");
}

TEST(TemplateMiner, PlainWordsStaySeparateUntilManyDistinct) {
  TemplateMiner m;  // word_variable_threshold = 5
  uint32_t get = m.Add("request GET done in 5 ms").template_id;
  uint32_t post = m.Add("request POST done in 7 ms").template_id;
  EXPECT_NE(m.Resolve(get), m.Resolve(post));
  for (const char* u : {"alice", "bob", "carol", "dave", "erin", "frank"})
    m.Add(std::string("session opened for user ") + u + " by admin");
  auto r = m.Match("session opened for user zed by admin");
  ASSERT_NE(r.template_id, 0u);
  EXPECT_EQ(Text(m, r.template_id), "session opened for user <*> by admin");
  EXPECT_GE(m.stats().merged, 4u);
  // Merged ids resolve to the survivor (stable ids: the oldest one is kept).
  for (auto [from, into] : m.MergeHistory()) EXPECT_LT(into, from);
}

// Templates made before a position turned variable join it when it does, whatever they hold there
// (a name with a digit is not a plain word and was never in the family); a code location does not.
TEST(TemplateMiner, EarlierSiblingsJoinWhenAPositionTurnsVariable) {
  TemplateMiner m;
  uint32_t ts3 = m.Add("Invalid user ts3 from 10.0.0.1").template_id;
  uint32_t code = m.Add("Invalid user Foo.java:12 from 10.0.0.2").template_id;
  for (const char* u : {"alice", "bob", "carol", "dave", "erin", "frank"})
    m.Add(std::string("Invalid user ") + u + " from 10.0.0.3");
  uint32_t merged = m.Add("Invalid user ts3 from 10.0.0.4").template_id;
  EXPECT_EQ(m.Resolve(ts3), merged);
  EXPECT_EQ(Text(m, merged), "Invalid user <*> from <*>");
  EXPECT_NE(m.Resolve(code), merged);
}

TEST(TemplateMiner, IdentifiersMergeAtOnce) {
  TemplateMiner m;
  uint32_t a = m.Add("package com.android.systemui started").template_id;
  uint32_t b = m.Add("package com.tencent.mobileqq started").template_id;
  EXPECT_EQ(m.Resolve(a), m.Resolve(b));
  EXPECT_EQ(Text(m, a), "package <*> started");
}

TEST(TemplateMiner, VariableLengthListsCollapse) {
  TemplateMiner m;
  uint32_t a = m.Add("delete blocks 1 2 3").template_id;
  uint32_t b = m.Add("delete blocks 4 5").template_id;
  EXPECT_EQ(m.Resolve(a), m.Resolve(b));
  EXPECT_EQ(Text(m, b), "delete blocks <*>");
  uint32_t c = m.Add("fan 1 2 3 ok").template_id;
  EXPECT_EQ(Text(m, c), "fan <*> <*> <*> ok");  // a consistent run keeps its count
}

TEST(TemplateMiner, MatchDoesNotLearn) {
  TemplateMiner m;
  m.Add("user 1 logged in");
  EXPECT_NE(m.Match("user 2 logged in").template_id, 0u);
  EXPECT_EQ(m.Match("completely different line").template_id, 0u);
  EXPECT_EQ(m.stats().created, 1u);
  EXPECT_EQ(m.stats().lines, 1u);
}

TEST(TemplateMiner, LruCapEvicts) {
  TemplateMinerConfig cfg;
  cfg.max_templates = 3;
  TemplateMiner m(cfg);
  uint32_t first = m.Add("alpha beta").template_id;
  m.Add("gamma delta epsilon");
  m.Add("one two three four");
  m.Add("five six seven eight nine");
  EXPECT_EQ(m.stats().live, 3u);
  EXPECT_EQ(m.stats().evicted, 1u);
  EXPECT_EQ(m.Resolve(first), 0u);
  EXPECT_FALSE(m.Get(first).has_value());
}

TEST(TemplateMiner, SaveLoadRoundTrip) {
  testing::TempDir dir;
  TemplateMiner m;
  for (int i = 0; i < 50; ++i)
    m.Add("job " + std::to_string(i) + " finished in " + std::to_string(i * 3) + " ms");
  m.Add("disk full on /dev/sda1");
  ASSERT_TRUE(m.Save(dir.path() / "templates.txt").ok());
  auto l = TemplateMiner::Load(dir.path() / "templates.txt");
  ASSERT_TRUE(l.ok()) << l.message();
  EXPECT_EQ(l->Templates().size(), m.Templates().size());
  auto r = l->Match("job 77 finished in 5 ms");
  ASSERT_NE(r.template_id, 0u);
  EXPECT_EQ(l->Get(r.template_id)->text, "job <*> finished in <*> ms");
  EXPECT_EQ(l->Get(r.template_id)->count, 50u);
}

// A loaded miner matches every line the saved one matches, to the same template (Spring Boot lines
// with dates, trace ids and padded logger names: the sock-shop simulator's Java services).
TEST(TemplateMiner, LoadedMinerMatchesLikeTheSavedOne) {
  testing::TempDir dir;
  std::mt19937_64 rng(7);
  auto hex = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "0123456789abcdef"[rng() % 16];
    return s;
  };
  auto line = [&](int minute) {
    return "2024-11-18 20:" + std::to_string(10 + minute % 50) + ":23.034  INFO [queue-master," +
           hex(32) + "," + hex(16) +
           ",true] 1 --- [cTaskExecutor-1] w.s.q.m.ShippingTaskHandler              : Received "
           "shipment task: " +
           hex(24);
  };
  TemplateMiner m;
  for (int i = 0; i < 300; ++i) m.Add(line(i));
  m.Add(
      "2024-11-18 20:00:01.000  INFO [shipping,,,] 1 --- [           main] "
      "o.s.a.r.c.CachingConnectionFactory : Created new connection");
  ASSERT_TRUE(m.Save(dir.path() / "t.txt").ok());
  auto l = TemplateMiner::Load(dir.path() / "t.txt");
  ASSERT_TRUE(l.ok()) << l.message();
  for (int i = 0; i < 20; ++i) {
    std::string x = line(1000 + i);
    auto a = m.Match(x), b = l->Match(x);
    ASSERT_NE(a.template_id, 0u) << x;
    EXPECT_EQ(b.template_id, a.template_id) << x;
  }
}

// Every line a miner has seen matches the same template after a round trip, also where a more
// general template would fit it too (the exact-line cache travels with the state).
TEST(TemplateMiner, LoadedMinerMatchesEverySeenLineAlike) {
  testing::TempDir dir;
  TemplateMinerConfig c;
  c.word_variable_threshold = 2;
  std::mt19937_64 rng(11);
  const std::vector<std::string> words = {"get",   "left",  "ticket", "order", "route", "seat",
                                          "price", "train", "query",  "info",  "basic", "food",
                                          "cheap", "fast",  "config", "user"};
  auto w = [&] { return words[rng() % words.size()]; };
  auto n = [&] { return std::to_string(rng() % 1000); };
  std::vector<std::string> lines;
  for (int i = 0; i < 600; ++i) {
    std::string head = n() + ":" + n() + ".052 INFO  t.s." + w() + "Impl#" + n() +
                       " TraceID: 1ef99497" + n() + " SpanID: d1312811" + n() + " ";
    if (i % 3 == 0)
      lines.push_back(head + "[" + (i % 2 ? "today" : "departrue") + " date][y: " + n() +
                      "][m:" + n() + "][d: " + n() + "]");
    else
      lines.push_back(head + "[" + w() + " " + w() + " " + w() + ": " + n() + "]");
  }
  TemplateMiner m(c);
  for (const auto& l : lines) m.Add(l);
  ASSERT_TRUE(m.Save(dir.path() / "a.txt").ok());
  // The same file without the G records, as files written before them: still loads.
  {
    std::ifstream in(dir.path() / "a.txt");
    std::ofstream out(dir.path() / "old.txt");
    for (std::string l; std::getline(in, l);)
      if (!l.starts_with("G ")) out << l << '\n';
  }
  auto l = TemplateMiner::Load(dir.path() / "a.txt", c);
  auto old = TemplateMiner::Load(dir.path() / "old.txt", c);
  ASSERT_TRUE(l.ok()) << l.message();
  ASSERT_TRUE(old.ok()) << old.message();
  // Without the cache, 205 of these 600 lines matched a template other than their own.
  int differ = 0;
  for (const auto& x : lines) differ += l->Match(x).template_id != m.Match(x).template_id;
  EXPECT_EQ(differ, 0);
}

TEST(TemplateMiner, TokensNeverJoinAcrossSpacesOrGoEmpty) {
  // Found by the fuzz target: a token starting with ":<digits>" after a token ending in a variable.
  testing::TempDir dir;
  TemplateMiner m;
  constexpr char kLine[] = "ID f3d4-12 :42.405 x\0\0\r y";  // 25 bytes, two of them NUL
  auto r = m.Add(std::string(kLine, sizeof kLine - 1));
  EXPECT_EQ(m.Get(r.template_id)->text, "ID <*>-<*> :<*> x y");
  ASSERT_TRUE(m.Save(dir.path() / "s.txt").ok());
  EXPECT_TRUE(TemplateMiner::Load(dir.path() / "s.txt").ok());
}

TEST(TemplateMiner, LoadRejectsGarbageWithLine) {
  testing::TempDir dir;
  auto p = dir.path() / "bad.txt";
  {
    std::ofstream f(p);
    f << "augur-template-miner 1\nS 1 1 0 0 5\nT 9 1 1\n";
  }
  auto l = TemplateMiner::Load(p);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.message().find(":3:"), std::string::npos) << l.message();
}

TEST(TemplateMiner, ConfigValidate) {
  TemplateMinerConfig c;
  EXPECT_TRUE(c.Validate().ok());
  c.disabled_masks = {"nope"};
  EXPECT_FALSE(c.Validate().ok());
  c.disabled_masks = {};
  c.extra_masks = {{"bad", "("}};
  EXPECT_FALSE(c.Validate().ok());
  c.extra_masks = {{"ticket", "TCK-[A-Z]+"}};
  EXPECT_TRUE(c.Validate().ok());
  TemplateMiner m(c);
  EXPECT_EQ(Text(m, m.Add("closed TCK-ABC today").template_id), "closed <*> today");
}

TEST(TemplateMiner, SurvivesGarbage) {
  TemplateMiner m;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 300, '\0');
    for (auto& c : s) c = (char)(rng() % 256);
    auto r = m.Add(s);
    EXPECT_NE(r.template_id, 0u);
  }
  m.Add("");
  m.Add(std::string(100000, 'x') + " " + std::string(5000, ' ') + "y");
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "t ";
  EXPECT_NE(m.Add(many).template_id, 0u);
  EXPECT_GE(m.stats().truncated, 1u);
}

}  // namespace
}  // namespace augur::normalize
