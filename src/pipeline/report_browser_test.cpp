// Opens report.html in headless Chromium (Debian's `chromium`) and checks, from the page's own DOM
// after its script ran, that the node graph and the timeline were rendered; also takes a
// screenshot. Label: browser. Needs /usr/bin/chromium.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "pipeline/report.h"
#include "testing/testing.h"

namespace augur::pipeline {
namespace {

TEST(ReportBrowser, GraphAndTimelineRenderInChromium) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
  testing::TempDir dir;
  Recorder rec;
  Batch b;
  const TimeNs t0 = 1'700'000'000LL * 1'000'000'000;
  for (int i = 0; i < 60; ++i) {
    Span caller, callee;
    caller.service = "front-end";
    caller.span_id.value = 1000 + i;
    caller.start = t0 + i * 1'000'000'000LL;
    caller.end = caller.start + 20'000'000;
    callee = caller;
    callee.service = "shipping";
    callee.span_id.value = 5000 + i;
    callee.parent_id.value = 1000 + i;
    b.spans.push_back(caller);
    b.spans.push_back(callee);
  }
  rec.Add(b);
  explain::Incident inc;
  inc.id = "inc-1";
  inc.start = t0 + 10'000'000'000;
  inc.end = t0 + 50'000'000'000;
  for (const char* s : {"shipping", "front-end"}) {
    detect::Anomaly a;
    a.start = inc.start;
    a.end = inc.start + 30'000'000'000;
    a.service = s;
    a.detector = "span_deviation";
    a.score = 12;
    a.threshold = 6;
    a.summary = std::string(s) + " latency up";
    inc.anomalies.push_back(a);
  }
  inc.services = {"shipping", "front-end"};
  inc.ranking = {{"shipping", 0.8, "red", {"latency up"}}, {"front-end", 0.2, "yellow", {}}};
  explain::Explain(inc);
  std::vector<explain::Incident> incidents = {inc};
  ingest::ReadReport read;
  std::vector<std::string> inputs = {"synthetic"};
  std::vector<StageTiming> stages = {{"ingest+detect", 0.1, true, ""}};
  std::vector<localize::Localization> none;
  ReportInput in{incidents, none, rec, read, inputs, "model", stages};
  auto files = WriteReports(in, dir.path());
  ASSERT_TRUE(files) << files.message();
  std::string url = "file://" + (dir.path() / "report.html").string();

  std::string dom = testing::HeadlessChromium(dir.path(), "--dump-dom " + url, 2000);
  ASSERT_FALSE(dom.empty()) << "chromium printed no DOM";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-nodes=\"(\\d+)\"")))
      << dom.substr(0, 2000);
  EXPECT_EQ(std::stoi(m[1]), 2) << "two services in the node graph";
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-cells=\"(\\d+)\"")));
  EXPECT_EQ(std::stoi(m[1]), 2) << "two anomaly cells on the timeline";
  EXPECT_NE(dom.find("data-rendered=\"yes\""), std::string::npos);
  EXPECT_NE(dom.find("shipping is the likely origin"), std::string::npos);

  auto png = dir.path() / "report.png";
  testing::HeadlessChromium(
      dir.path(), "--window-size=1200,1600 --screenshot=" + png.string() + " " + url, 2000);
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 10'000u) << "a rendered page, not a blank image";
  if (const char* keep = std::getenv("AUGUR_KEEP_SCREENSHOT"))
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace augur::pipeline
