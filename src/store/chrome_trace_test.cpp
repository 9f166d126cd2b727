#include "store/chrome_trace.h"

#include <gtest/gtest.h>

namespace augur::store {
namespace {

TEST(ChromeTraceWriter, WritesEventsCountersAndMetadataInTimeOrder) {
  ChromeTraceWriter w;
  w.ProcessName(1, "frontend");
  ChromeEvent late{
      "svc:response", "lttng", 'i', 3'000'500, 0, 1, 7, {{"unexpected", true}, {"span", "00/01"}}};
  ChromeEvent early{"request", "span", 'X', 1'000'000,
                    2'000'000, 1,      7,   {{"span_anomalous", false}}};
  w.Add(late);
  w.Add(early);
  w.Counter("unexpected key rate", 1, 2'000'000, {{"rate", 0.25}});
  auto j = nlohmann::json::parse(w.Json());
  ASSERT_EQ(j["traceEvents"].size(), 4u);
  EXPECT_EQ(j["displayTimeUnit"], "ms");
  EXPECT_EQ(j["traceEvents"][0]["ph"], "M");
  EXPECT_EQ(j["traceEvents"][1]["name"], "request");
  EXPECT_DOUBLE_EQ(j["traceEvents"][1]["ts"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(j["traceEvents"][1]["dur"].get<double>(), 2000.0);
  EXPECT_EQ(j["traceEvents"][2]["ph"], "C");
  EXPECT_DOUBLE_EQ(j["traceEvents"][2]["args"]["rate"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["traceEvents"][3]["ts"].get<double>(), 3000.5);
  EXPECT_EQ(j["traceEvents"][3]["args"]["unexpected"], true);
  EXPECT_EQ(j["traceEvents"][3]["args"]["span"], "00/01");
}

TEST(ChromeTraceWriter, InvalidUtf8IsReplacedNotFatal) {
  ChromeTraceWriter w;
  w.Add({std::string("bad\xff name"), "", 'i', 1, 0, 0, 0, {}});
  EXPECT_NO_THROW(nlohmann::json::parse(w.Json()));
}

}  // namespace
}  // namespace augur::store
