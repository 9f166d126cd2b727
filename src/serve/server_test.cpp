// The receivers and the API over real HTTP on 127.0.0.1, with an empty model bundle: what a
// collector sees when it sends good, damaged and unsupported bodies, and what survives a restart.
#include "serve/server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "ingest/protobuf_wire.h"
#include "ingest/read.h"
#include "serve/serve_test_util.h"
#include "sim/simulator.h"
#include "testing/testing.h"

namespace augur::serve {
namespace {

constexpr char kOtlpSpans[] = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
  "value":{"stringValue":"cart"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
  "spanId":"eee19b7ec3c1b174","name":"GET /cart","kind":2,"startTimeUnixNano":"1731960000000000000",
  "endTimeUnixNano":"1731960000050000000"}]}]}]})";

using testing_util::IngestTestdata;
using testing_util::Train;

// A running server on a free port, with a client; stopped and joined on destruction.
class Running : public testing_util::RunningServer {
 public:
  explicit Running(const std::filesystem::path& dir, double every = 0,
                   const std::function<void(ServerOptions&)>& tweak = {})
      : RunningServer(Options(dir, every, tweak)) {
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(120, 0);  // a detection run answers when it is done
  }
  std::unique_ptr<httplib::Client> client;

 private:
  static ServerOptions Options(const std::filesystem::path& dir, double every,
                               const std::function<void(ServerOptions&)>& tweak) {
    if (!std::filesystem::exists(dir / "model")) Train(dir);
    ServerOptions o = testing_util::TestOptions(dir);
    o.grpc_port = 0;
    o.every_seconds = every;
    if (tweak) tweak(o);
    return o;
  }
};

TEST(Server, OtlpReceiverAcceptsJsonAndSaysWhatItRejected) {
  testing::TempDir dir;
  Running r(dir.path());
  auto res = r.client->Post("/v1/traces", kOtlpSpans, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{}");

  // One good span and one without a trace id: partial success, naming the reason.
  std::string mixed = std::string(kOtlpSpans);
  mixed.replace(
      mixed.find("\"spans\":[") + 9, 0,
      R"({"spanId":"eee19b7ec3c1b175","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"},)");
  res = r.client->Post("/v1/traces", mixed, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["partialSuccess"]["rejectedSpans"], "1") << res->body;
  EXPECT_NE(j["partialSuccess"]["errorMessage"].get<std::string>().find("POST /v1/traces:"),
            std::string::npos)
      << res->body;

  // Not JSON at all: 400 with the reader's reason.
  res = r.client->Post("/v1/logs", "\x0a\x03\x01\x02", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_FALSE(nlohmann::json::parse(res->body)["message"].get<std::string>().empty());
  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["received"]["spans"], 2);
  EXPECT_EQ(st["received"]["rejected"], 2);  // the span and the body that was not JSON
  EXPECT_EQ(st["received"]["requests"], 3);
  EXPECT_EQ(st["received"]["bad_requests"], 1);
  std::string metrics = r.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("augur_received_records_total{signal=\"spans\"} 2"), std::string::npos)
      << metrics;
}

// OTLP/HTTP's default encoding: the OpenTelemetry JS SDK's protobuf request (the reader's test
// fixture), answered in protobuf; a damaged one gets a google.rpc.Status with the reason.
TEST(Server, OtlpReceiverReadsProtobuf) {
  testing::TempDir dir;
  Running r(dir.path());
  std::string body = IngestTestdata("otlp_proto/traces.pb");
  ASSERT_FALSE(body.empty());
  auto res = r.client->Post("/v1/traces", body, "application/x-protobuf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");  // an empty ExportTraceServiceResponse: nothing rejected
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-protobuf");

  res = r.client->Post("/v1/metrics", "\x0a\x05\x12\x03", "application/x-protobuf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body.substr(0, 2), std::string("\x08\x03", 2));  // code 3, INVALID_ARGUMENT
  EXPECT_NE(res->body.find("truncated"), std::string::npos) << res->body;

  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["received"]["spans"], 2);
}

// One OTLP/gRPC Export call through gRPC's generic client: the raw request bytes, as an SDK sends
// them. Returns the call's status; `response` receives the answer's bytes.
grpc::Status GrpcExport(int port, const std::string& method, const std::string& request,
                        std::string* response, bool gzip = false,
                        std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          credentials ? credentials : grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), res;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &res, [&](grpc::Status s) {
    std::lock_guard lock(m);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  response->clear();
  std::vector<grpc::Slice> slices;
  if (status.ok() && res.Dump(&slices).ok())
    for (const auto& s : slices)
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

constexpr char kTraceExport[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// OTLP/gRPC, the collector's default exporter: the OpenTelemetry JS SDK's three requests (the
// reader's fixtures), one of them gzip-compressed; a request with a bad span gets a partial
// success naming it; a damaged one INVALID_ARGUMENT; another method UNIMPLEMENTED.
TEST(Server, OtlpGrpcReceiverTakesTheSdksRequests) {
  testing::TempDir dir;
  Running r(dir.path());
  const int port = r.server->grpc_port();
  ASSERT_GT(port, 0);
  std::string answer;
  grpc::Status st = GrpcExport(port, kTraceExport, IngestTestdata("otlp_proto/traces.pb"), &answer);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(answer, "");  // an empty ExportTraceServiceResponse: nothing rejected
  st = GrpcExport(port, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                  IngestTestdata("otlp_proto/logs.pb"), &answer, /*gzip=*/true);
  EXPECT_TRUE(st.ok()) << st.error_message();
  st = GrpcExport(port, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                  IngestTestdata("otlp_proto/metrics.pb"), &answer);
  EXPECT_TRUE(st.ok()) << st.error_message();

  // resource_spans { scope_spans { a good span; a span without a trace id } }
  namespace pb = ingest::protobuf;
  auto span = [](bool with_trace_id) {
    std::string s;
    if (with_trace_id) pb::AppendLenField(1, std::string(16, '\x5b'), &s);
    pb::AppendLenField(2, std::string(8, '\xee'), &s);
    pb::AppendLenField(5, "GET /cart", &s);
    pb::AppendFixed64Field(7, 1731960000000000000ULL, &s);
    pb::AppendFixed64Field(8, 1731960000050000000ULL, &s);
    return s;
  };
  std::string scope, resource, request;
  pb::AppendLenField(2, span(true), &scope);
  pb::AppendLenField(2, span(false), &scope);
  pb::AppendLenField(2, scope, &resource);
  pb::AppendLenField(1, resource, &request);
  st = GrpcExport(port, kTraceExport, request, &answer);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // partial_success (1) { rejected_spans (1) = 1; error_message (2) naming the reason }
  EXPECT_EQ(answer.substr(2, 2), std::string("\x08\x01", 2)) << answer;
  EXPECT_NE(answer.find("missing field: trace_id"), std::string::npos) << answer;

  st = GrpcExport(port, kTraceExport, "\x0a\x05\x12\x03", &answer);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("truncated"), std::string::npos) << st.error_message();
  st = GrpcExport(port, "/jaeger.api_v2.CollectorService/PostSpans", request, &answer);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(st.error_message().find("TraceService"), std::string::npos) << st.error_message();

  auto status = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(status["received"]["spans"], 3);
  EXPECT_EQ(status["received"]["logs"], 2);
  EXPECT_EQ(status["received"]["metric_points"], 5);
  EXPECT_EQ(status["received"]["requests"], 5);
  EXPECT_EQ(status["received"]["bad_requests"], 1);
}

TEST(Server, LokiZipkinAndAnyFormat) {
  testing::TempDir dir;
  Running r(dir.path());
  auto res = r.client->Post(
      "/loki/api/v1/push",
      R"({"streams":[{"stream":{"app":"cart"},"values":[["1731960000000000000","GET /cart 200 3ms"]]}]})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204) << res->body;
  // Promtail's and Alloy's default: snappy protobuf (the reader's fixture, 3 entries).
  res = r.client->Post("/loki/api/v1/push", IngestTestdata("loki_proto/push.pb.snappy"),
                       "application/x-protobuf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204) << res->body;
  res = r.client->Post(
      "/api/v2/spans",
      R"([{"traceId":"5b8efff798038103","id":"eee19b7ec3c1b174","name":"get","timestamp":1731960000000000,"duration":5000,"localEndpoint":{"serviceName":"cart"}}])",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  // Zipkin's protobuf ListOfSpans (the reader's fixture, 3 spans).
  res = r.client->Post("/api/v2/spans", IngestTestdata("zipkin_proto/spans.pb"),
                       "application/x-protobuf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  res = r.client->Post("/api/ingest", "2024-11-18T20:00:00Z ERROR cart: connection refused\n",
                       "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["accepted"], 1);
  // Trace events are not spooled: said, and counted as rejected.
  res = r.client->Post(
      "/api/ingest", R"({"traceEvents":[{"name":"read","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}]})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_NE(res->body.find("not kept"), std::string::npos) << res->body;
  res = r.client->Post("/api/ingest?format=yaml", "a: 1", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("unknown format 'yaml'"), std::string::npos) << res->body;

  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["received"]["logs"], 5);
  EXPECT_EQ(st["received"]["spans"], 4);
  res = r.client->Get("/api/nothing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("no such endpoint: GET /api/nothing"), std::string::npos) << res->body;
}

// A spool capped at 20 kB: the oldest segments go to make room, every request is taken; a body
// that cannot fit gets 503 with Retry-After (UNAVAILABLE over gRPC), which senders retry.
TEST(Server, TheSpoolStaysUnderItsCap) {
  testing::TempDir dir;
  Running r(dir.path(), 0, [](ServerOptions& o) { o.max_spool_bytes = 20000; });
  for (int i = 0; i < 200; ++i) {
    auto res = r.client->Post("/v1/traces", kOtlpSpans, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << i << ": " << res->body;
  }
  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["received"]["spans"], 200);
  EXPECT_LE(st["spool"]["bytes"].get<uint64_t>(), 20000u) << st.dump(1);
  EXPECT_GT(st["spool"]["dropped_segments"].get<uint64_t>(), 0u) << st.dump(1);
  EXPECT_GT(st["spool"]["dropped_bytes"].get<uint64_t>(), 40000u) << st.dump(1);
  std::string metrics = r.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("augur_spool_dropped_bytes_total "), std::string::npos) << metrics;

  // Detection examines what the spool kept: fewer spans than were sent, none lost in the middle.
  auto res = r.client->Post("/api/detect", "", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto kept = nlohmann::json::parse(res->body)["records"].get<uint64_t>();
  EXPECT_GT(kept, 10u);
  EXPECT_LT(kept, 200u);

  const std::string huge(30000, ' ');
  res = r.client->Post("/v1/traces", huge, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(res->get_header_value("Retry-After"), "10");
  EXPECT_NE(res->body.find("the spool is full"), std::string::npos) << res->body;
  std::string answer;
  grpc::Status gs = GrpcExport(r.server->grpc_port(), kTraceExport, huge, &answer);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::UNAVAILABLE) << gs.error_message();
}

// --tls-cert/--tls-key: HTTPS and gRPC over TLS with a certificate made here by openssl; clients
// that verify it against that certificate get through, plain-text ones do not.
TEST(Server, ServesOverTls) {
  testing::TempDir dir;
  const auto cert = dir.path() / "cert.pem", key = dir.path() / "key.pem";
  int rc = -1;
  std::string out = testing::Shell(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
      "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
          key.string() + " -out " + cert.string() + " 2>&1",
      &rc);
  if (rc != 0) GTEST_SKIP() << "openssl could not make a certificate: " << out;
  Running r(dir.path(), 0, [&](ServerOptions& o) {
    o.tls_cert = cert;
    o.tls_key = key;
  });
  ASSERT_TRUE(r.server->tls());

  httplib::SSLClient https("127.0.0.1", r.server->port());
  https.set_ca_cert_path(cert.c_str());
  https.enable_server_certificate_verification(true);
  auto res = https.Post("/v1/traces", kOtlpSpans, "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  auto plain = r.client->Post("/v1/traces", kOtlpSpans, "application/json");
  EXPECT_FALSE(plain && plain->status == 200);

  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = testing::Shell("cat " + cert.string());
  std::string answer;
  grpc::Status st =
      GrpcExport(r.server->grpc_port(), kTraceExport, IngestTestdata("otlp_proto/traces.pb"),
                 &answer, false, grpc::SslCredentials(trust));
  EXPECT_TRUE(st.ok()) << st.error_message();
  st = GrpcExport(r.server->grpc_port(), kTraceExport, IngestTestdata("otlp_proto/traces.pb"),
                  &answer);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(r.server->StatusJson()["received"]["spans"], 3);

  // A key that is not the certificate's: refused with both files named.
  const auto other = dir.path() / "other.pem";
  testing::Shell("openssl genrsa -out " + other.string() + " 2048 2>&1");
  ServerOptions o;
  o.port = 0;
  o.grpc_port = 0;
  o.model_dir = dir.path() / "model";
  o.state_dir = dir.path() / "state2";
  o.tls_cert = cert;
  o.tls_key = other;
  auto s = Server::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("other.pem"), std::string::npos) << s.message();
}

// Three OTLP log requests of service cart, in the order third, first, second.
void PostOutOfOrder(httplib::Client& client) {
  auto request = [](const char* ns, const char* line) {
    return std::string(R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name",)") +
           R"("value":{"stringValue":"cart"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":")" +
           ns + R"(","body":{"stringValue":")" + line + R"("}}]}]}]})";
  };
  for (const auto& [ns, line] :
       {std::pair{"1731960000300000000", "third"}, std::pair{"1731960000100000000", "first"},
        std::pair{"1731960000200000000", "second"}}) {
    auto res = client.Post("/v1/logs", request(ns, line), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
  }
}

// The lines of service cart in a spool, in the order a replay reads them.
std::vector<std::string> CartLines(const std::filesystem::path& spool) {
  std::vector<std::string> lines;
  auto read = ingest::ReadPaths({spool.string()}, ingest::ReadOptions{}, [&](Batch& b) {
    for (const auto& l : b.logs)
      if (l.service == "cart") lines.push_back(l.body);
  });
  EXPECT_TRUE(read.ok()) << read.message();
  return lines;
}

// Requests of one stream that arrive out of time order (concurrent senders) are replayed in time
// order: a detection run sorts each segment once.
TEST(Server, ReplaysEachStreamInTimeOrder) {
  testing::TempDir dir;
  Running r(dir.path());
  PostOutOfOrder(*r.client);
  ASSERT_EQ(r.client->Post("/api/detect", "", "application/json")->status, 200);
  EXPECT_EQ(CartLines(dir.path() / "state" / "spool"),
            (std::vector<std::string>{"first", "second", "third"}));
}

TEST(Server, DetectionRunsOverTheSpoolAndTheSpoolSurvivesARestart) {
  testing::TempDir dir;
  {
    Running r(dir.path());
    auto res = r.client->Post("/api/detect", "", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 409);
    EXPECT_NE(res->body.find("no telemetry received"), std::string::npos) << res->body;
    ASSERT_EQ(r.client->Post("/v1/traces", kOtlpSpans, "application/json")->status, 200);
  }
  // A new server on the same state folder finds the segment the first one left.
  Running r(dir.path());
  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["spool"]["closed_segments"], 1);
  auto res = r.client->Post("/api/detect", "", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto run = nlohmann::json::parse(res->body);
  EXPECT_EQ(run["records"], 1);
  EXPECT_EQ(run["segments"], 1);
  EXPECT_TRUE(run["incidents"].empty());
  EXPECT_EQ(nlohmann::json::parse(r.client->Get("/api/incidents")->body), run);
  EXPECT_EQ(r.client->Get("/report")->status, 200);
  EXPECT_EQ(r.client->Get("/api/incidents/7")->status, 404);
  // No incident: Grafana's node graph gets its fields and no nodes.
  EXPECT_FALSE(
      nlohmann::json::parse(r.client->Get("/api/graph/fields")->body)["nodes_fields"].empty());
  auto graph = nlohmann::json::parse(r.client->Get("/api/graph/data")->body);
  EXPECT_TRUE(graph["nodes"].empty() && graph["edges"].is_array()) << graph.dump();
}

// The whole loop through the receivers: a collector posts a chaos scenario's OTLP export
// requests, detection runs, and the incident names the injected service first; finished, it is
// stored once, however often detection runs again.
TEST(Server, NamesTheInjectedServiceFromWhatWasPosted) {
  testing::TempDir dir;
  Running r(dir.path());
  testing_util::WriteScenario(dir.path());
  const int posted = testing_util::ForEachRequest(
      dir.path(), [&](const std::string& signal, const std::string& body) {
        auto res = r.client->Post("/v1/" + signal, body, "application/json");
        ASSERT_TRUE(res);
        ASSERT_EQ(res->status, 200) << res->body;
        ASSERT_EQ(res->body, "{}");
      });
  EXPECT_GT(posted, 30);
  auto res = r.client->Post("/api/detect", "", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto run = nlohmann::json::parse(res->body);
  ASSERT_FALSE(run["incidents"].empty()) << res->body;
  const nlohmann::json* hit = nullptr;
  for (const auto& inc : run["incidents"])
    if (inc["ranking"][0]["service"] == "shipping") hit = &inc;
  ASSERT_NE(hit, nullptr) << run.dump(1);
  // The scenario ends with three minutes of recovery: the incident is finished and stored.
  EXPECT_FALSE((*hit)["open"].get<bool>());
  ASSERT_TRUE((*hit)["store_id"].is_number()) << hit->dump(1);
  const int64_t id = (*hit)["store_id"];
  auto stored = r.client->Get("/api/incidents/" + std::to_string(id));
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->status, 200);
  EXPECT_EQ(nlohmann::json::parse(stored->body)["ranking"][0]["service"], "shipping");
  auto list = r.client->Get("/api/incidents/stored?limit=5");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  auto rows = nlohmann::json::parse(list->body);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["id"], id);  // newest first
  EXPECT_EQ(rows[0]["root_cause"], "shipping");
  EXPECT_EQ(r.client->Get("/api/incidents/stored?limit=0")->status, 400);
  // The on-call's question, answered from the stored record.
  auto asked = r.client->Get("/api/incidents/" + std::to_string(id) +
                             "/ask?q=which%20service%20is%20failing");
  ASSERT_TRUE(asked);
  ASSERT_EQ(asked->status, 200) << asked->body;
  auto answer = nlohmann::json::parse(asked->body);
  EXPECT_EQ(answer["intent"], "origin");
  EXPECT_EQ(answer["source"], "augur");
  EXPECT_NE(answer["answer"].get<std::string>().find("shipping"), std::string::npos)
      << answer.dump(1);
  EXPECT_EQ(r.client->Get("/api/incidents/" + std::to_string(id) + "/ask")->status, 400);
  // The on-call's verdict, and the accuracy it gives.
  const std::string label_path = "/api/incidents/" + std::to_string(id) + "/label";
  auto labelled = r.client->Post(
      label_path, R"({"verdict": "confirmed", "root_cause": "shipping", "note": "tc on eth0"})",
      "application/json");
  ASSERT_TRUE(labelled);
  ASSERT_EQ(labelled->status, 200) << labelled->body;
  EXPECT_EQ(nlohmann::json::parse(labelled->body)["root_cause"], "shipping");
  for (const auto& [body, status] :
       {std::pair{R"({"verdict": "maybe"})", 400}, std::pair{"not json", 400},
        std::pair{R"({"verdict": "false_alarm", "root_cause": "carts"})", 400},
        std::pair{R"({"verdict": 1})", 400}}) {
    auto refused = r.client->Post(label_path, body, "application/json");
    EXPECT_EQ(refused->status, status) << body << ": " << refused->body;
  }
  EXPECT_EQ(
      r.client
          ->Post("/api/incidents/999/label", R"({"verdict": "false_alarm"})", "application/json")
          ->status,
      404);
  auto accuracy = nlohmann::json::parse(r.client->Get("/api/accuracy")->body);
  EXPECT_EQ(accuracy["labelled"], 1);
  EXPECT_EQ(accuracy["precision"], 1.0);
  EXPECT_EQ(accuracy["root_cause_at1"], 1.0);
  EXPECT_EQ(nlohmann::json::parse(
                r.client->Get("/api/incidents/" + std::to_string(id))->body)["labels"][0]["note"],
            "tc on eth0");
  EXPECT_EQ(r.client->Get("/api/incidents/999/ask?q=why")->status, 404);
  auto report = r.client->Get("/report");
  ASSERT_TRUE(report);
  EXPECT_NE(report->body.find("shipping"), std::string::npos);
  auto graph = r.client->Get("/latest/nodegraph.json");
  ASSERT_TRUE(graph);
  EXPECT_EQ(graph->status, 200);
  EXPECT_TRUE(nlohmann::json::accept(graph->body));
  // The same graph through Grafana's Node Graph API: the run's newest incident, or one named.
  EXPECT_EQ(r.client->Get("/api/health")->status, 200);
  auto fields = nlohmann::json::parse(r.client->Get("/api/graph/fields")->body);
  EXPECT_EQ(fields["nodes_fields"][0]["field_name"], "id");
  EXPECT_EQ(fields["edges_fields"][1]["field_name"], "source");
  const std::string named = "/api/graph/data?incident=" + (*hit)["id"].get<std::string>();
  for (const std::string& path : {std::string("/api/graph/data"), named}) {
    auto data = nlohmann::json::parse(r.client->Get(path)->body);
    ASSERT_TRUE(data["nodes"].is_array()) << path << ": " << data.dump(1);
    EXPECT_FALSE(data["edges"].empty()) << path;
    if (path == named) {
      EXPECT_EQ(data["nodes"][0]["id"], "shipping");
      EXPECT_EQ(data["nodes"][0]["color"], "red");
    }
  }
  EXPECT_EQ(r.client->Get("/api/graph/data?incident=inc-99")->status, 404);
  EXPECT_EQ(r.client->Get("/latest/..%2Faugur.db")->status, 404);

  // Detection again over the same spool: the same incident, not stored a second time.
  auto before = nlohmann::json::parse(r.client->Get("/api/status")->body);
  res = r.client->Post("/api/detect", "", "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  auto st = nlohmann::json::parse(r.client->Get("/api/status")->body);
  EXPECT_EQ(st["detection"]["runs"], 2);
  EXPECT_GE(before["detection"]["stored_incidents"], 1);
  EXPECT_EQ(st["detection"]["stored_incidents"], before["detection"]["stored_incidents"]);
  const auto again = nlohmann::json::parse(res->body);  // kept: the loop iterates into it
  for (const auto& inc : again["incidents"])
    if (inc["ranking"][0]["service"] == "shipping") {
      EXPECT_EQ(inc["store_id"], id);
    }
}

// The web UI's files are embedded in the binary; a browser asking for / is sent to them, curl
// gets the list of endpoints.
TEST(Server, ServesItsWebPageToBrowsersAndTheEndpointListToCurl) {
  testing::TempDir dir;
  Running r(dir.path());
  auto page = r.client->Get("/ui");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<script src=\"/ui/app.js\">"), std::string::npos);
  for (const auto& [file, type] : {std::pair{"app.js", "text/javascript; charset=utf-8"},
                                   std::pair{"style.css", "text/css; charset=utf-8"}}) {
    auto res = r.client->Get(std::string("/ui/") + file);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << file;
    EXPECT_EQ(res->get_header_value("Content-Type"), type);
    EXPECT_GT(res->body.size(), 1000u) << file;
  }
  auto missing = r.client->Get("/ui/nothing.js");
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("nothing.js"), std::string::npos);
  auto browser = r.client->Get("/", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  ASSERT_TRUE(browser);
  EXPECT_EQ(browser->status, 302);
  EXPECT_EQ(browser->get_header_value("Location"), "/ui");
  auto curl = r.client->Get("/", {{"Accept", "*/*"}});
  ASSERT_TRUE(curl);
  EXPECT_EQ(curl->status, 200);
  EXPECT_NE(curl->body.find("GET  /ui"), std::string::npos);
  EXPECT_NE(curl->body.find("GET  /api/incidents/stored"), std::string::npos);
}

// A store that fails while finished incidents are written fails the run with the reason, and the
// server goes on (it used to wait for a lock it held itself).
TEST(Server, AStoreThatFailsFailsTheRunNotTheServer) {
  testing::TempDir dir;
  Running r(dir.path());
  testing_util::WriteScenario(dir.path());
  testing_util::ForEachRequest(dir.path(), [&](const std::string&, const std::string& body) {
    ASSERT_EQ(r.server->Ingest(body, "otlp-json", "test").http_status, 200);
  });
  int rc = -1;
  const std::string out = testing::Shell(
      "sqlite3 " + (dir.path() / "state" / "augur.db").string() + " 'DROP TABLE anomalies' 2>&1",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  auto run = r.server->DetectNow();
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.message().find("anomalies"), std::string::npos) << run.message();
  auto st = r.server->StatusJson();
  EXPECT_EQ(st["detection"]["failed_runs"], 1);
  EXPECT_EQ(r.client->Get("/healthz")->status, 200);
}

// Without a model the server records: everything it receives stays in the spool (never pruned,
// refused once full), detection is refused with what to do, and the recording trains a bundle.
TEST(Server, RecordsWithoutAModelForTraining) {
  testing::TempDir dir;
  sim::SimConfig normal;
  normal.minutes = 4;
  ASSERT_TRUE(sim::WriteSimulation(normal, (dir.path() / "normal").string()).ok());
  {
    ServerOptions o;
    o.port = 0;
    o.grpc_port = -1;
    o.state_dir = dir.path() / "rec";
    o.lookback_seconds = 1;  // not a reason to delete anything of a recording
    auto s = Server::Create(o);
    ASSERT_TRUE(s.ok()) << s.message();
    std::thread serving([&] { (*s)->Run(); });
    httplib::Client cli("127.0.0.1", (*s)->port());
    PostOutOfOrder(cli);
    for (const char* signal : {"traces", "logs", "metrics"}) {
      std::ifstream in(dir.path() / "normal" / (std::string(signal) + ".jsonl"));
      for (std::string line; std::getline(in, line);)
        ASSERT_EQ(cli.Post(std::string("/v1/") + signal, line, "application/json")->status, 200);
    }
    auto res = cli.Post("/api/detect", "", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 409);
    EXPECT_NE(res->body.find("augur train --input"), std::string::npos) << res->body;
    auto st = nlohmann::json::parse(cli.Get("/api/status")->body);
    EXPECT_EQ(st["mode"], "record");
    (*s)->Stop();
    serving.join();
  }
  // Put in time order on exit.
  EXPECT_EQ(CartLines(dir.path() / "rec" / "spool"),
            (std::vector<std::string>{"first", "second", "third"}));
  pipeline::TrainOptions t;
  t.inputs = {(dir.path() / "rec" / "spool").string()};
  t.model_dir = dir.path() / "model";
  t.detectors.only = {"metric_deviation", "span_deviation", "log_pattern"};
  auto trained = pipeline::Train(t);
  ASSERT_TRUE(trained.ok()) << trained.message();
  EXPECT_GT(trained->read.files.size(), 0u);
  EXPECT_EQ(trained->models.size(), 4u);  // the three detectors and the localizer

  // A full recording refuses what does not fit instead of dropping the oldest.
  ServerOptions o;
  o.port = 0;
  o.grpc_port = -1;
  o.state_dir = dir.path() / "rec";
  o.max_spool_bytes = 1000;
  auto s = Server::Create(o);
  ASSERT_TRUE(s.ok()) << s.message();
  auto r = (*s)->Ingest(kOtlpSpans, "", "test");
  EXPECT_EQ(r.http_status, 503);
  EXPECT_NE(r.message.find("the recording is full"), std::string::npos) << r.message;
  EXPECT_EQ((*s)->StatusJson()["spool"]["dropped_segments"], 0);
}

TEST(Server, RefusesAMissingModelAndABusyPort) {
  testing::TempDir dir;
  ServerOptions o;
  o.port = 0;
  o.model_dir = dir.path() / "nope";
  o.state_dir = dir.path() / "state";
  auto s = Server::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.message();

  Running r(dir.path());
  o.model_dir = dir.path() / "model";
  o.port = r.server->port();
  s = Server::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot listen"), std::string::npos) << s.message();
  // The gRPC port too: gRPC's default SO_REUSEPORT would let both servers share it.
  o.port = 0;
  o.grpc_port = r.server->grpc_port();
  s = Server::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot listen for OTLP/gRPC"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace augur::serve
