// Unit tests of the trace-event analysis behind `augur compare`: a next_key model trained on a
// regular synthetic trace, then a new trace where one kind of span gains a new event.
#include "learn/torch/event_analysis.h"

#include <gtest/gtest.h>

#include "learn/torch/compute_device.h"
#include "learn/torch/sequence_detectors.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

TraceEvent Ev(TimeNs t, int64_t pid, const char* proc, std::string name, Attributes fields) {
  TraceEvent e;
  e.name = std::move(name);
  e.time = t;
  e.pid = pid;
  e.tid = pid * 10;
  e.process_name = proc;
  e.fields = std::move(fields);
  return e;
}

// `n` requests, 1 ms apart: a frontend span "00" calling a backend sub-span "00/01"; with
// `extra`, every third backend call also logs "retrying".
std::vector<TraceEvent> Trace(int n, bool extra, TimeNs t0 = 1'000'000'000'000) {
  std::vector<TraceEvent> out;
  for (int i = 0; i < n; ++i) {
    TimeNs t = t0 + static_cast<TimeNs>(i) * 1'000'000;
    const char* op = i % 2 ? "get" : "put";
    out.push_back(
        Ev(t + 1, 1, "frontend", "app:request", {{"type", "request"}, {"tag", "00"}, {"op", op}}));
    out.push_back(Ev(t + 2, 1, "frontend", "app:event", {{"msg", "parse"}}));
    out.push_back(Ev(t + 3, 1, "frontend", "app:request",
                     {{"type", "request"}, {"tag", "00/01"}, {"op", op}}));
    out.push_back(Ev(t + 4, 2, "backend", "app:request",
                     {{"type", "request"}, {"tag", "00/01"}, {"op", op}}));
    out.push_back(Ev(t + 5, 2, "backend", "app:event", {{"msg", "work"}}));
    if (extra && i % 3 == 0)
      out.push_back(Ev(t + 6, 2, "backend", "app:event", {{"msg", "retrying"}}));
    out.push_back(Ev(t + 7, 2, "backend", "app:response",
                     {{"type", "response"}, {"tag", "00/01"}, {"op", op}}));
    out.push_back(Ev(t + 8, 1, "frontend", "app:response",
                     {{"type", "response"}, {"tag", "00/01"}, {"op", op}}));
    out.push_back(Ev(t + 9, 1, "frontend", "app:response",
                     {{"type", "response"}, {"tag", "00"}, {"op", op}}));
  }
  return out;
}

class EventAnalysisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SetTorchThreads(1);
    dir_ = new testing::TempDir;
    NextKeyDetectorConfig c;
    c.model.window = 6;
    c.model.embed = 8;
    c.model.hidden = 24;
    c.model.layers = 1;
    c.model.max_epochs = 150;
    c.model.threads = 1;
    NextKeyDetector d(c);
    Batch b;
    b.trace_events = Trace(400, false);
    d.Learn(b);
    auto bundle = ModelBundle::Create(dir_->path() / "model");
    ASSERT_TRUE(bundle.ok());
    ASSERT_TRUE(d.FinishLearning(*bundle));
    ASSERT_TRUE(bundle->Save());
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* EventAnalysisTest::dir_ = nullptr;

TEST_F(EventAnalysisTest, SameBehaviourIsExpected) {
  auto bundle = ModelBundle::Open(dir_->path() / "model");
  ASSERT_TRUE(bundle.ok());
  auto events = Trace(200, false, 5'000'000'000'000);
  auto r = CompareTraceEvents(*bundle, events);
  ASSERT_TRUE(r.ok()) << r.message();
  const EventAnalysis& a = r->analysis;
  EXPECT_EQ(a.predictions, events.size());
  EXPECT_LT(a.rate(), 0.02);
  EXPECT_EQ(a.spans.spans.size(), 200u);
  EXPECT_EQ(r->anomalous_spans, 0u);
  EXPECT_TRUE(r->new_keys.empty());
  EXPECT_TRUE(r->changed_span_types.empty());
  ASSERT_EQ(a.by_span_type.size(), 2u);  // put and get spans
  EXPECT_EQ(a.by_span_type.at("app:request frontend get").spans, 100u);
}

TEST_F(EventAnalysisTest, NewEventIsANewKeyAndMarksItsSpans) {
  auto bundle = ModelBundle::Open(dir_->path() / "model");
  ASSERT_TRUE(bundle.ok());
  auto events = Trace(300, true, 5'000'000'000'000);
  EventAnalysisConfig config;
  config.interval = 50'000'000;  // 50 requests per interval
  CompareConfig cc;
  cc.analysis = config;
  auto r = CompareTraceEvents(*bundle, events, cc);
  ASSERT_TRUE(r.ok()) << r.message();
  const EventAnalysis& a = r->analysis;
  ASSERT_EQ(r->new_keys.size(), 1u);
  EXPECT_EQ(r->new_keys[0], "app:event backend retrying");
  EXPECT_EQ(a.by_key.at("app:event backend retrying").count, 100u);
  EXPECT_EQ(a.by_key.at("app:event backend retrying").unexpected, 100u);
  EXPECT_EQ(a.intervals.size(), 6u);
  // Every span with a retry holds an unexpected key; those without one far fewer (only the
  // backend keys whose context still holds the retry).
  ASSERT_EQ(a.spans.spans.size(), 300u);
  double with = 0, without = 0;
  for (size_t i = 0; i < 300; ++i) {
    if (i % 3 == 0) {
      EXPECT_GT(a.span_rate[i], 0) << i;
      with += a.span_rate[i] / 100;
    } else {
      without += a.span_rate[i] / 200;
    }
  }
  EXPECT_GT(with, 2 * without);
  EXPECT_GT(a.rate(), 0.02);
}

TEST_F(EventAnalysisTest, BundleWithoutNextKeyIsAnError) {
  auto empty = ModelBundle::Create(dir_->path() / "empty");
  ASSERT_TRUE(empty.ok());
  auto r = AnalyseTraceEvents(*empty, Trace(3, false));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no next_key model"), std::string::npos) << r.message();
  EventAnalysisConfig bad;
  bad.interval = 0;
  EXPECT_FALSE(AnalyseTraceEvents(*empty, {}, bad).ok());
}

}  // namespace
}  // namespace augur::learn
