// `augur serve` as a person runs it: the binary on a free port, a collector posting a chaos
// scenario's OTLP export requests, detection on its own every second, and SIGTERM to stop.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace {

using augur::testing::Shell;
using augur::testing::WaitFor;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Serve, DetectsWhatCollectorsSendAndStopsOnSigterm) {
  augur::testing::TempDir dir;
  const std::string d = dir.path().string(), augur = AUGUR_BINARY;
  int rc = -1;
  std::string out =
      Shell(augur + " -q simulate --minutes 10 --out " + d + "/normal 2>&1 && " + augur +
                " -q train --input " + d + "/normal --model " + d +
                "/model --detectors metric_deviation span_deviation 2>&1 && " + augur +
                " -q simulate --scenario shipping_network_delay --minutes 9 "
                "--seed 2 --out " +
                d + "/scenario 2>&1",
            &rc);
  ASSERT_EQ(rc, 0) << out;

  const auto err = dir.path() / "serve.err";
  Shell("(" + augur + " serve --model " + d + "/model --state " + d +
        "/state --port 0 --grpc-port 0 --every 1 2> " + err.string() + "; echo \"exit $?\" >> " +
        err.string() + ") > /dev/null 2>&1 &");
  int port = 0;
  ASSERT_TRUE(WaitFor(20, [&] {
    auto s = Slurp(err);
    auto at = s.find("listening on http://127.0.0.1:");
    if (at == std::string::npos) return false;
    port = std::atoi(s.c_str() + at + 30);
    return port > 0;
  })) << Slurp(err);

  EXPECT_NE(Slurp(err).find("the web page is at http://127.0.0.1:" + std::to_string(port) + "/ui"),
            std::string::npos);
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(120, 0);
  for (const char* signal : {"traces", "logs", "metrics"}) {
    std::ifstream in(dir.path() / "scenario" / (std::string(signal) + ".jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto res = cli.Post(std::string("/v1/") + signal, line, "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    }
  }
  // No request asks for detection: the server's own loop runs it.
  nlohmann::json run;
  EXPECT_TRUE(WaitFor(60,
                      [&] {
                        auto res = cli.Get("/api/incidents");
                        if (!res || res->status != 200) return false;
                        run = nlohmann::json::parse(res->body);
                        for (const auto& inc : run["incidents"])
                          if (inc["ranking"][0]["service"] == "shipping" &&
                              inc["store_id"].is_number())
                            return true;
                        return false;
                      }))
      << run.dump(1) << Slurp(err);

  // The finished incident is in the store that `augur incidents` reads.
  std::string listed = Shell(augur + " incidents --db " + d + "/state/augur.db list --json", &rc);
  ASSERT_EQ(rc, 0) << listed;
  EXPECT_NE(listed.find("\"root_cause\": \"shipping\""), std::string::npos) << listed;

  // SIGTERM to augur itself (its command line starts with the binary), not to the shell around it.
  Shell("pkill -TERM -f '^" + augur + " serve --model " + d + "/model'");
  EXPECT_TRUE(WaitFor(20, [&] { return Slurp(err).find("exit ") != std::string::npos; }))
      << Slurp(err);
  std::string e = Slurp(err);
  EXPECT_NE(e.find("stopping (SIGTERM)"), std::string::npos) << e;
  EXPECT_NE(e.find("exit 0"), std::string::npos) << e;
}

}  // namespace
