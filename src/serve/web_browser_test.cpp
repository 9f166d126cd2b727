// The web UI of `augur serve` in headless Chromium (Debian's `chromium`): after a detection run
// over a chaos scenario, the page a browser gets at / shows the telemetry received, the run's
// incident, the stored incident with its outage probabilities, and answers a question about it
// asked by a link. Checked from the page's own DOM after its script ran. Label: browser.
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

#include "serve/serve_test_util.h"
#include "testing/testing.h"

namespace augur::serve {
namespace {

// The value of the body's data-NAME attribute in a dumped DOM, or -1.
int DataAttribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("data-" + name + "=\"(\\d+)\""))) return -1;
  return std::stoi(m[1]);
}

TEST(WebUi, ShowsTheIncidentAndAnswersAQuestionInChromium) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
  testing::TempDir dir;
  testing_util::Train(dir.path());
  testing_util::WriteScenario(dir.path());
  testing_util::RunningServer r(testing_util::TestOptions(dir.path()));
  ASSERT_TRUE(r.server);
  testing_util::ForEachRequest(dir.path(), [&](const std::string&, const std::string& body) {
    ASSERT_EQ(r.server->Ingest(body, "otlp-json", "test").http_status, 200);
  });
  auto run = r.server->DetectNow();
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_FALSE((*run)["incidents"].empty());
  const auto& inc = (*run)["incidents"].back();
  ASSERT_TRUE(inc["store_id"].is_number()) << inc.dump(1);
  const int64_t id = inc["store_id"];

  // The on-call has called it a real fault in shipping.
  httplib::Client client("127.0.0.1", r.server->port());
  auto labelled =
      client.Post("/api/incidents/" + std::to_string(id) + "/label",
                  R"({"verdict": "confirmed", "root_cause": "shipping"})", "application/json");
  ASSERT_TRUE(labelled);
  ASSERT_EQ(labelled->status, 200) << labelled->body;

  // A browser asking for / is sent to /ui; the fragment names the incident and the question.
  const std::string url = "http://127.0.0.1:" + std::to_string(r.server->port()) +
                          "/#incident=" + std::to_string(id) +
                          "&ask=which%20service%20is%20failing";
  const std::string dom = testing::HeadlessChromium(dir.path(), "--dump-dom '" + url + "'", 5000);
  ASSERT_FALSE(dom.empty()) << "chromium printed no DOM";
  ASSERT_NE(dom.find("data-rendered=\"yes\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_EQ(dom.find("cannot reach the server"), std::string::npos) << dom.substr(0, 3000);
  EXPECT_EQ(DataAttribute(dom, "latest-incidents"), static_cast<int>((*run)["incidents"].size()));
  EXPECT_EQ(DataAttribute(dom, "stored"), 1);
  EXPECT_EQ(DataAttribute(dom, "detail"), id);
  EXPECT_EQ(DataAttribute(dom, "answered"), 1);
  EXPECT_EQ(DataAttribute(dom, "labelled"), 1);
  EXPECT_NE(dom.find("a real fault, in shipping"), std::string::npos);
  EXPECT_NE(dom.find("the service at fault ranked first in 100 %"), std::string::npos);
  // The status figures, the outage table and the answer, as the on-call reads them.
  EXPECT_TRUE(std::regex_search(dom, std::regex("<dt>spans</dt><dd>[1-9][0-9,]*</dd>")))
      << dom.substr(0, 3000);
  EXPECT_TRUE(std::regex_search(dom, std::regex("<td>shipping</td><td class=\"nowrap\">")));
  std::smatch answer;
  ASSERT_TRUE(std::regex_search(dom, answer, std::regex("<div class=\"a\">([^<]*)<small>([^<]*)")))
      << dom.substr(dom.find("id=\"chat\""), 2000);
  EXPECT_NE(answer[1].str().find("shipping"), std::string::npos) << answer[1];
  EXPECT_EQ(answer[2].str(), "answered from the incident record");
}

}  // namespace
}  // namespace augur::serve
