// Unit tests of span extraction from tagged request/response trace events (seed 001).
#include "normalize/event_spans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace augur::normalize {
namespace {

TraceEvent Req(TimeNs t, int64_t pid, int64_t tid, const std::string& tag, const char* proc = "") {
  TraceEvent e;
  e.name = "app:request";
  e.time = t;
  e.pid = pid;
  e.tid = tid;
  e.process_name = proc;
  e.fields = {{"type", "request"}, {"tag", tag}, {"op", "get"}};
  return e;
}

TraceEvent Resp(TimeNs t, int64_t pid, int64_t tid, const std::string& tag) {
  TraceEvent e = Req(t, pid, tid, tag);
  e.name = "app:response";
  e.fields[0].value = "response";
  return e;
}

TraceEvent Ev(TimeNs t, int64_t pid, int64_t tid, const std::string& msg) {
  TraceEvent e;
  e.name = "app:event";
  e.time = t;
  e.pid = pid;
  e.tid = tid;
  e.fields = {{"msg", msg}};
  return e;
}

// Fig. 4 of seed 001: a span 00 with sub-spans 00/01 and 00/02 served by another process.
std::vector<TraceEvent> OneSpan(TimeNs t0, int64_t ftid, int64_t btid) {
  return {Req(t0 + 1, 1, ftid, "00", "frontend"), Ev(t0 + 2, 1, ftid, "parse"),
          Req(t0 + 3, 1, ftid, "00/01"),          Req(t0 + 4, 2, btid, "00/01"),
          Ev(t0 + 5, 2, btid, "db read"),         Resp(t0 + 6, 2, btid, "00/01"),
          Resp(t0 + 7, 1, ftid, "00/01"),         Req(t0 + 8, 1, ftid, "00/02"),
          Req(t0 + 9, 2, btid + 1, "00/02"),      Resp(t0 + 10, 2, btid + 1, "00/02"),
          Resp(t0 + 11, 1, ftid, "00/02"),        Resp(t0 + 12, 1, ftid, "00")};
}

TEST(EventSpans, ClassifiesRequestsAndResponses) {
  EventSpanConfig c;
  EXPECT_EQ(RequestOrResponse(Req(0, 1, 1, "00"), c), 1);
  EXPECT_EQ(RequestOrResponse(Resp(0, 1, 1, "00"), c), -1);
  EXPECT_EQ(RequestOrResponse(Ev(0, 1, 1, "x"), c), 0);
  TraceEvent no_tag = Req(0, 1, 1, "");
  EXPECT_EQ(RequestOrResponse(no_tag, c), 0);
  TraceEvent upper = Req(0, 1, 1, "00");
  upper.fields[0].value = "REQUEST";
  EXPECT_EQ(RequestOrResponse(upper, c), 1);
  EXPECT_TRUE(c.Validate());
  c.tag_field.clear();
  EXPECT_FALSE(c.Validate());
}

TEST(EventSpans, OneSpanWithSubSpansAcrossProcesses) {
  auto ev = OneSpan(100, 10, 20);
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 1u);
  const EventSpan& s = r.spans[0];
  EXPECT_EQ(s.tag, "00");
  EXPECT_EQ(s.type, "app:request frontend get");
  EXPECT_TRUE(s.complete);
  EXPECT_EQ(s.sub_spans, 2u);
  EXPECT_EQ(s.start, 101);
  EXPECT_EQ(s.end, 112);
  EXPECT_EQ(s.events.size(), ev.size());
  EXPECT_EQ(r.unassigned, 0u);
  EXPECT_EQ(r.unmatched_responses, 0u);
  auto keys = SpanKeys(r, ev, [](const TraceEvent& e) {
    const std::string* tag = FindAttribute(e.fields, "tag");
    const std::string* type = FindAttribute(e.fields, "type");
    return tag ? *type + " " + *tag : *FindAttribute(e.fields, "msg");
  });
  ASSERT_EQ(keys.size(), 1u);
  std::vector<std::string> want = {"request 00",     "parse",          "request 00/01",
                                   "request 00/01",  "db read",        "response 00/01",
                                   "response 00/01", "request 00/02",  "request 00/02",
                                   "response 00/02", "response 00/02", "response 00"};
  EXPECT_EQ(keys[0], want);
}

TEST(EventSpans, ConcurrentSpansAreSeparatedByThread) {
  // Two frontend threads interleave their spans; the backend serves them in order of sending.
  std::vector<TraceEvent> ev = {
      Req(1, 1, 10, "00"),      Req(2, 1, 11, "00"),      Req(3, 1, 10, "00/01"),
      Req(4, 1, 11, "00/01"),   Req(5, 2, 20, "00/01"),   Ev(6, 1, 11, "waiting"),
      Ev(7, 2, 20, "work A"),   Req(8, 2, 21, "00/01"),   Ev(9, 2, 21, "work B"),
      Resp(10, 2, 20, "00/01"), Resp(11, 2, 21, "00/01"), Resp(12, 1, 10, "00/01"),
      Resp(13, 1, 11, "00/01"), Resp(14, 1, 10, "00"),    Resp(15, 1, 11, "00")};
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 2u);
  EXPECT_EQ(r.spans[0].tid, 10);
  EXPECT_EQ(r.spans[1].tid, 11);
  EXPECT_TRUE(r.spans[0].complete);
  EXPECT_TRUE(r.spans[1].complete);
  std::vector<size_t> a = {0, 2, 4, 6, 9, 11, 13};
  std::vector<size_t> b = {1, 3, 5, 7, 8, 10, 12, 14};
  EXPECT_EQ(r.spans[0].events, a);
  EXPECT_EQ(r.spans[1].events, b);
  EXPECT_EQ(r.unassigned, 0u);
}

TEST(EventSpans, SenderAnsweredBeforeItsReceiverIsSeenStillCountsOnce) {
  // Frontend threads 10 and 11 each send 00/01 to their own backend worker (20, 21); worker 21
  // is seen first and answers, so thread 11 gets its response before worker 20 receives.
  std::vector<TraceEvent> ev = {
      Req(1, 1, 10, "00"),      Req(2, 1, 11, "00"),    Req(3, 1, 10, "00/01"),
      Req(4, 1, 11, "00/01"),   Req(5, 2, 21, "00/01"), Resp(6, 2, 21, "00/01"),
      Resp(7, 1, 11, "00/01"),  Req(8, 2, 20, "00/01"), Resp(9, 2, 20, "00/01"),
      Resp(10, 1, 10, "00/01"), Resp(11, 1, 10, "00"),  Resp(12, 1, 11, "00")};
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 2u);  // no span of its own for worker 20's request
  EXPECT_EQ(r.spans[0].events.size() + r.spans[1].events.size(), ev.size());
  EXPECT_TRUE(r.spans[0].complete);
  EXPECT_TRUE(r.spans[1].complete);
}

TEST(EventSpans, RootRequestReceivedByAnotherProcessJoinsTheSpan) {
  std::vector<TraceEvent> ev = {Req(1, 1, 10, "00"), Req(2, 2, 20, "00"), Ev(3, 2, 20, "work"),
                                Resp(4, 2, 20, "00"), Resp(5, 1, 10, "00")};
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 1u);
  EXPECT_EQ(r.spans[0].events.size(), 5u);
  EXPECT_TRUE(r.spans[0].complete);
}

TEST(EventSpans, OtherEventsFollowTheirThreadThenTheirProcess) {
  std::vector<TraceEvent> ev = {
      Ev(1, 1, 10, "before any span"),  // unassigned
      Req(2, 1, 10, "00"),
      Ev(3, 1, 12, "helper thread"),  // same process, one span open there: joins it
      Req(4, 1, 11, "00"),
      Ev(5, 1, 12, "helper, ambiguous"),  // two spans open in the process: unassigned
      Resp(6, 1, 10, "00"),
      Resp(7, 1, 11, "00"),
      Resp(8, 1, 11, "07"),  // no such request: unmatched, unassigned
      Ev(9, 3, 30, "other process")};
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 2u);
  EXPECT_EQ(r.span_of[0], -1);
  EXPECT_EQ(r.span_of[2], 0);
  EXPECT_EQ(r.span_of[4], -1);
  EXPECT_EQ(r.span_of[7], -1);
  EXPECT_EQ(r.span_of[8], -1);
  EXPECT_EQ(r.unassigned, 4u);
  EXPECT_EQ(r.unmatched_responses, 1u);
}

TEST(EventSpans, IncompleteSpanEndsAtItsLastEvent) {
  std::vector<TraceEvent> ev = {Req(1, 1, 10, "00"), Ev(5, 1, 10, "stuck")};
  auto r = ExtractEventSpans(ev);
  ASSERT_EQ(r.spans.size(), 1u);
  EXPECT_FALSE(r.spans[0].complete);
  EXPECT_EQ(r.spans[0].end, 5);
}

TEST(EventSpans, InputOrderDoesNotMatter) {
  std::vector<TraceEvent> ev;
  for (int k = 0; k < 5; ++k) {
    auto one = OneSpan(k * 100, 10, 20);
    ev.insert(ev.end(), one.begin(), one.end());
  }
  auto sorted = ExtractEventSpans(ev);
  std::vector<TraceEvent> shuffled = ev;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  auto r = ExtractEventSpans(shuffled);
  ASSERT_EQ(r.spans.size(), 5u);
  ASSERT_EQ(sorted.spans.size(), 5u);
  for (size_t s = 0; s < 5; ++s) {
    EXPECT_TRUE(r.spans[s].complete);
    EXPECT_EQ(r.spans[s].start, sorted.spans[s].start);
    ASSERT_EQ(r.spans[s].events.size(), 12u);
    for (size_t k = 0; k < 12; ++k)
      EXPECT_EQ(shuffled[r.spans[s].events[k]].time, ev[sorted.spans[s].events[k]].time);
  }
}

}  // namespace
}  // namespace augur::normalize
