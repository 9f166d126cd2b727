// A real Prometheus (Debian's `prometheus`) scrapes itself every second and remote-writes what it
// scrapes to `augur serve`'s receiver; the points arrive named, typed and attributed to the job.
// Skipped, saying why, where no prometheus binary is installed.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "serve/serve_test_util.h"
#include "testing/testing.h"

namespace augur::serve {
namespace {

TEST(PrometheusRemoteWrite, ARealPrometheusSendsItsScrapes) {
  int rc = -1;
  std::string which = testing::Shell("command -v prometheus", &rc);
  if (rc != 0)
    GTEST_SKIP() << "prometheus is not installed (Debian package prometheus; "
                    "scripts/install-deps.sh --test installs it)";
  testing::TempDir dir;
  auto bundle = learn::ModelBundle::Create(dir.path() / "model");
  ASSERT_TRUE(bundle.ok());
  ASSERT_TRUE(bundle->Save().ok());
  ServerOptions o = testing_util::TestOptions(dir.path());
  auto server = Server::Create(o);
  ASSERT_TRUE(server.ok()) << server.message();
  std::thread serving([&] { (*server)->Run(); });

  const int prom_port = testing::FreePort();
  {
    std::ofstream cfg(dir.path() / "prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n"
        << "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << prom_port << "']\n"
        << "remote_write:\n  - url: http://127.0.0.1:" << (*server)->port() << "/api/v1/write\n"
        << "    queue_config:\n      batch_send_deadline: 1s\n"
        << "    metadata_config:\n      send_interval: 1s\n";
  }
  const std::string pid =
      testing::Shell("prometheus --config.file=" + (dir.path() / "prometheus.yml").string() +
                     " --storage.tsdb.path=" + (dir.path() / "data").string() +
                     " --web.listen-address=127.0.0.1:" + std::to_string(prom_port) + " > " +
                     (dir.path() / "prometheus.log").string() + " 2>&1 & echo $!");

  const bool arrived = testing::WaitFor(30, [&] {
    return (*server)->StatusJson()["received"]["metric_points"].get<uint64_t>() > 100;
  });
  testing::Shell("kill -TERM " + pid + " 2>/dev/null; sleep 0.5; true");
  auto st = (*server)->StatusJson();
  (*server)->Stop();
  serving.join();
  server->reset();  // closes the spool segment
  ASSERT_TRUE(arrived) << st.dump(1) << "\n"
                       << testing::Shell("tail -20 " + (dir.path() / "prometheus.log").string());
  EXPECT_EQ(st["received"]["rejected"], 0) << st.dump(1);
  EXPECT_EQ(st["received"]["bad_requests"], 0) << st.dump(1);

  // What was spooled: Prometheus's own series, attributed to the job it was scraped as. Its first
  // scrape can come before its own web server listens, and then reads up = 0 (seen in CI); the
  // scrapes after it read 1.
  auto all = ingest::ReadAll({(dir.path() / "state" / "spool").string()});
  ASSERT_TRUE(all.ok()) << all.message();
  bool up = false, counter = false;
  for (const auto& p : all->metrics) {
    if (p.name == "up") {
      EXPECT_EQ(p.service, "prometheus");
      EXPECT_EQ(p.instance, "127.0.0.1:" + std::to_string(prom_port));
      EXPECT_TRUE(p.value == 0 || p.value == 1) << p.value;
      up = up || p.value == 1;
    }
    if (p.name.ends_with("_total")) {  // counters, by the naming convention or the metadata
      counter = true;
      EXPECT_TRUE(p.monotonic) << p.name;
    }
  }
  EXPECT_TRUE(up);
  EXPECT_TRUE(counter);
}

}  // namespace
}  // namespace augur::serve
