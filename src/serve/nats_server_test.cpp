// A real nats-server (Debian's `nats-server`, JetStream on) on a free local port: `augur serve`
// reads telemetry from a JetStream subject, keeps its place across a restart, drops what it cannot
// read, and publishes the incidents it finishes. Skipped, saying why, where nats-server is missing.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "serve/serve_test_util.h"
#include "serve/server.h"
#include "testing/testing.h"

namespace augur::serve {
namespace {

using augur::testing::WaitFor;
using testing_util::IngestTestdata;

constexpr char kOtlpSpans[] = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
  "value":{"stringValue":"cart"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
  "spanId":"eee19b7ec3c1b174","name":"GET /cart","kind":2,"startTimeUnixNano":"1731960000000000000",
  "endTimeUnixNano":"1731960000050000000"}]}]}]})";

// nats-server with JetStream, storing in DIR; a connection to it for the test's own publishing.
class NatsServer {
 public:
  explicit NatsServer(const std::filesystem::path& dir)
      : dir_(dir), port_(augur::testing::FreePort()) {
    Spawn();
    WaitFor(10, [this] { return natsConnection_ConnectTo(&nc_, url().c_str()) == NATS_OK; });
    if (nc_ && natsConnection_JetStream(&js_, nc_, nullptr) != NATS_OK) js_ = nullptr;
  }
  ~NatsServer() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
    Kill();
  }
  // Stops the server and starts it again on the same port and store; true once the test's own
  // connection is back.
  bool Restart() {
    Kill();
    Spawn();
    return WaitFor(20, [this] { return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; });
  }
  bool ready() const { return js_ != nullptr; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  natsConnection* connection() { return nc_; }

  // Publishes BODY on SUBJECT into its stream, with the header Augur-Format when FORMAT is given.
  void Publish(const std::string& subject, const std::string& body,
               const std::string& format = "") {
    natsMsg* m = nullptr;
    ASSERT_EQ(natsMsg_Create(&m, subject.c_str(), nullptr, body.data(), (int)body.size()), NATS_OK);
    if (!format.empty()) {
      ASSERT_EQ(natsMsgHeader_Set(m, "Augur-Format", format.c_str()), NATS_OK);
    }
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    EXPECT_EQ(js_PublishMsg(&ack, js_, m, nullptr, &jerr), NATS_OK)
        << subject << ": " << nats_GetLastError(nullptr) << " (" << jerr << ")";
    if (ack) jsPubAck_Destroy(ack);
    natsMsg_Destroy(m);
  }

 private:
  void Spawn() {
    pid_ = fork();
    if (pid_ == 0) {
      std::string port = std::to_string(port_), store = (dir_ / "jetstream").string();
      FILE* log = std::fopen((dir_ / "nats-server.log").c_str(), "a");
      if (log) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port.c_str(), "-js", "-sd",
             store.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::filesystem::path dir_;
  int port_;
  pid_t pid_ = -1;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

bool NatsServerInstalled() {
  int rc = -1;
  augur::testing::Shell("command -v nats-server", &rc);
  return rc == 0;
}

// A server on a free port reading `telemetry.>` as consumer "augur"; stopped on destruction.
class Serving : public testing_util::RunningServer {
 public:
  Serving(const std::filesystem::path& dir, const std::string& nats_url,
          const std::string& incidents_subject = "")
      : RunningServer(Options(dir, nats_url, incidents_subject)) {}
  nlohmann::json Nats() const { return server->StatusJson()["nats"]; }

 private:
  static ServerOptions Options(const std::filesystem::path& dir, const std::string& nats_url,
                               const std::string& incidents_subject) {
    ServerOptions o = testing_util::TestOptions(dir);
    o.nats.url = nats_url;
    o.nats.subject = "telemetry.>";
    o.nats.incidents_subject = incidents_subject;
    return o;
  }
};

TEST(NatsJetStream, ReadsTelemetryAndKeepsItsPlaceAcrossARestart) {
  if (!NatsServerInstalled())
    GTEST_SKIP() << "nats-server is not installed (Debian package nats-server; "
                    "scripts/install-deps.sh --test installs it)";
  augur::testing::TempDir dir;
  NatsServer nats(dir.path());
  ASSERT_TRUE(nats.ready()) << "nats-server did not start on " << nats.url();
  auto bundle = learn::ModelBundle::Create(dir.path() / "model");
  ASSERT_TRUE(bundle.ok() && bundle->Save().ok());
  {
    Serving s(dir.path(), nats.url());  // no stream holds telemetry.> yet: AUGUR is made
    ASSERT_TRUE(s.server);
    nats.Publish("telemetry.traces", kOtlpSpans, "otlp-json");
    nats.Publish("telemetry.logs.cart-7d9f8c-x2v4q",  // plain text: the service from the subject
                 "2024-11-18T20:00:00Z ERROR connection refused\n");
    nats.Publish("telemetry.zipkin", IngestTestdata("zipkin_proto/spans.pb"), "zipkin-proto");
    nats.Publish("telemetry.other", "a: 1", "yaml");  // no such reader
    nats.Publish("telemetry.events",                  // read, but nothing in it is kept
                 R"({"traceEvents":[{"name":"read","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}]})");
    ASSERT_TRUE(WaitFor(20, [&] { return s.Nats()["messages"] == 5; })) << s.Nats().dump(1);
    auto st = s.server->StatusJson();
    EXPECT_EQ(st["received"]["spans"], 4) << st.dump(1);
    EXPECT_EQ(st["received"]["logs"], 1) << st.dump(1);
    EXPECT_EQ(st["nats"]["acked"], 3) << st.dump(1);
    EXPECT_EQ(st["nats"]["terminated"], 2) << st.dump(1);
    EXPECT_TRUE(st["nats"]["connected"].get<bool>());
    // The two failures, in either order: a fetch's messages are read on several threads.
    const std::string last = st["nats"]["last_error"];
    EXPECT_TRUE(last.find("not kept") != std::string::npos ||
                last.find("unknown format 'yaml'") != std::string::npos)
        << last;
    EXPECT_EQ(st["nats"]["failures"], 2);
    EXPECT_NE(s.server->MetricsText().find("augur_nats_messages_total{outcome=\"terminated\"} 2"),
              std::string::npos);
  }
  auto spooled = ingest::ReadAll({(dir.path() / "state" / "spool").string()});
  ASSERT_TRUE(spooled.ok()) << spooled.message();
  ASSERT_EQ(spooled->logs.size(), 1u);
  EXPECT_EQ(spooled->logs[0].service, "cart");
  EXPECT_EQ(spooled->logs[0].instance, "cart-7d9f8c-x2v4q");
  // Published while augur was down: read after the restart, and nothing before it again.
  nats.Publish("telemetry.traces", kOtlpSpans, "otlp-json");
  Serving again(dir.path(), nats.url());
  ASSERT_TRUE(again.server);
  ASSERT_TRUE(WaitFor(20, [&] { return again.Nats()["messages"] == 1; })) << again.Nats().dump(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a fetch more: nothing else comes
  EXPECT_EQ(again.Nats()["messages"], 1) << again.Nats().dump(1);
  EXPECT_EQ(again.server->StatusJson()["received"]["spans"], 1);

  // The NATS server restarts: augur reconnects and goes on reading.
  ASSERT_TRUE(nats.Restart()) << "nats-server did not come back on " << nats.url();
  nats.Publish("telemetry.traces", kOtlpSpans, "otlp-json");
  ASSERT_TRUE(WaitFor(30, [&] { return again.Nats()["messages"] == 2; })) << again.Nats().dump(1);
  EXPECT_TRUE(again.Nats()["connected"].get<bool>());
  EXPECT_EQ(again.server->StatusJson()["received"]["spans"], 2);
}

TEST(NatsJetStream, PublishesTheIncidentsItFinishes) {
  if (!NatsServerInstalled()) GTEST_SKIP() << "nats-server is not installed";
  augur::testing::TempDir dir;
  NatsServer nats(dir.path());
  ASSERT_TRUE(nats.ready()) << "nats-server did not start on " << nats.url();
  testing_util::Train(dir.path());
  natsSubscription* incidents = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&incidents, nats.connection(), "augur.incidents"),
            NATS_OK);
  Serving s(dir.path(), nats.url(), "augur.incidents");
  ASSERT_TRUE(s.server);

  // A chaos scenario's telemetry, one OTLP/JSON export request per message, as a collector's
  // batches would be put on the stream.
  testing_util::WriteScenario(dir.path());
  const int published = testing_util::ForEachRequest(
      dir.path(), [&](const std::string& signal, const std::string& body) {
        nats.Publish("telemetry." + signal, body, "otlp-json");
      });
  ASSERT_TRUE(WaitFor(60, [&] { return s.Nats()["messages"] == published; }))
      << published << " published; " << s.Nats().dump(1);
  EXPECT_EQ(s.Nats()["acked"], published);

  auto run = s.server->DetectNow();
  ASSERT_TRUE(run.ok()) << run.message();
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, incidents, 5000), NATS_OK)
      << "no incident published; the run: " << run->dump(1);
  auto incident = nlohmann::json::parse(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)));
  natsMsg_Destroy(m);
  natsSubscription_Destroy(incidents);
  EXPECT_EQ(incident["ranking"][0]["service"], "shipping") << incident.dump(1);
  EXPECT_TRUE(incident["store_id"].is_number());
  EXPECT_NE(incident["summary"].get<std::string>().find("shipping"), std::string::npos);
  EXPECT_GE(s.Nats()["published_incidents"].get<int>(), 1);
}

TEST(NatsJetStream, SaysWhatIsWrongWithItsOptionsAndAnUnreachableServer) {
  NatsOptions n;
  n.subject = "telemetry.>";
  EXPECT_NE(n.Validate().message().find("without a NATS server"), std::string::npos);
  n.url = "nats://127.0.0.1:1";
  n.durable = "my.consumer";
  EXPECT_NE(n.Validate().message().find("'my.consumer' cannot name a JetStream consumer"),
            std::string::npos);
  n.durable = "augur";
  n.subject.clear();
  EXPECT_NE(n.Validate().message().find("--nats needs"), std::string::npos);

  augur::testing::TempDir dir;
  ASSERT_TRUE(learn::ModelBundle::Create(dir.path() / "model")->Save().ok());
  ServerOptions o = testing_util::TestOptions(dir.path());
  o.nats.url = "nats://127.0.0.1:" + std::to_string(augur::testing::FreePort());
  o.nats.subject = "telemetry.>";
  auto s = Server::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(o.nats.url + ": cannot connect to the NATS server"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace augur::serve
