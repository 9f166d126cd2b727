// A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on a free local port: the
// incident `augur serve` finds in a chaos scenario arrives as a firing alert that names the
// service, and an Alertmanager that went away costs a counted failure, not the detection run.
// Skipped, saying why, where it is not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "serve/serve_test_util.h"
#include "serve/server.h"
#include "testing/testing.h"

namespace augur::serve {
namespace {

TEST(Alertmanager, ARealAlertmanagerReceivesTheOpenIncident) {
  int rc = -1;
  augur::testing::Shell("command -v prometheus-alertmanager", &rc);
  if (rc != 0)
    GTEST_SKIP() << "prometheus-alertmanager is not installed (Debian package "
                    "prometheus-alertmanager; scripts/install-deps.sh --test installs it)";
  augur::testing::TempDir dir;
  {
    std::ofstream cfg(dir.path() / "alertmanager.yml");
    cfg << "route:\n  receiver: none\nreceivers:\n  - name: none\n";
  }
  const int port = augur::testing::FreePort();
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* log = std::fopen((dir.path() / "alertmanager.log").c_str(), "w");
    if (log) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    const std::string config = "--config.file=" + (dir.path() / "alertmanager.yml").string(),
                      storage = "--storage.path=" + (dir.path() / "am").string(),
                      listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    execlp("prometheus-alertmanager", "prometheus-alertmanager", config.c_str(), storage.c_str(),
           listen.c_str(), "--cluster.listen-address=", static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    void Now() {
      if (pid <= 0) return;
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
    ~Reap() { Now(); }
  } reap{pid};
  httplib::Client am("127.0.0.1", port);
  const bool up = augur::testing::WaitFor(10, [&] {
    auto res = am.Get("/-/ready");
    return res && res->status == 200;
  });
  ASSERT_TRUE(up) << augur::testing::Shell("cat " + (dir.path() / "alertmanager.log").string());

  testing_util::Train(dir.path());
  ServerOptions o = testing_util::TestOptions(dir.path());
  o.alertmanager_url = "http://127.0.0.1:" + std::to_string(port);
  auto server = Server::Create(o);
  ASSERT_TRUE(server.ok()) << server.message();

  // The fault lasts to the end of the telemetry: its incident is still open.
  testing_util::WriteScenario(dir.path(), 6);
  testing_util::ForEachRequest(dir.path(), [&](const std::string&, const std::string& body) {
    ASSERT_EQ((*server)->Ingest(body, "otlp-json", "test").http_status, 200);
  });
  auto run = (*server)->DetectNow();
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_FALSE((*run)["incidents"].empty());
  ASSERT_TRUE((*run)["incidents"].back()["open"].get<bool>()) << run->dump(1);

  auto res = am.Get("/api/v2/alerts");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto alerts = nlohmann::json::parse(res->body);
  const nlohmann::json* hit = nullptr;
  for (const auto& a : alerts)
    if (a["labels"]["alertname"] == "AugurIncident" && a["labels"]["service"] == "shipping")
      hit = &a;
  ASSERT_NE(hit, nullptr) << alerts.dump(1) << "\n" << run->dump(1);
  EXPECT_EQ((*hit)["status"]["state"], "active");
  EXPECT_NE((*hit)["annotations"]["summary"].get<std::string>().find("shipping"),
            std::string::npos);
  auto st = (*server)->StatusJson()["alertmanager"];
  EXPECT_EQ(st["posts"], 1);
  EXPECT_GE(st["alerts"].get<int>(), 1);
  EXPECT_EQ(st["failures"], 0);

  // Alertmanager gone: the run still succeeds; the failure is counted with its reason.
  reap.Now();
  run = (*server)->DetectNow();
  ASSERT_TRUE(run.ok()) << run.message();
  st = (*server)->StatusJson()["alertmanager"];
  EXPECT_EQ(st["failures"], 1);
  EXPECT_NE(st["last_error"].get<std::string>().find(o.alertmanager_url), std::string::npos)
      << st.dump(1);
}

}  // namespace
}  // namespace augur::serve
