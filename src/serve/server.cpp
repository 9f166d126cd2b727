#include "serve/server.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "core/time.h"
#include "explain/incident_json.h"
#include "ingest/otlp_json_writer.h"
#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "localize/localizer.h"
#include "pipeline/ask.h"
#include "serve/alertmanager.h"
#include "serve/grpc_receiver.h"
#include "serve/nats_link.h"
#include "serve/otlp_answer.h"
#include "serve/web_assets.h"
#include "store/store.h"

namespace augur::serve {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

Status ServerOptions::Validate() const {
  if (port < 0 || port > 65535) return Status::Error(fmt::format("port {} is out of range", port));
  if (grpc_port < -1 || grpc_port > 65535)
    return Status::Error(fmt::format("gRPC port {} is out of range", grpc_port));
  if (grpc_port > 0 && grpc_port == port)
    return Status::Error(fmt::format("OTLP/HTTP and OTLP/gRPC cannot share port {}", port));
  if (state_dir.empty()) return Status::Error("no state folder given");
  if (every_seconds < 0) return Status::Error("the detection period must not be negative");
  if (lookback_seconds <= 0) return Status::Error("the lookback must be greater than 0");
  if (max_body_bytes == 0) return Status::Error("the largest body must be greater than 0");
  if (max_spool_bytes == 0) return Status::Error("the largest spool must be greater than 0");
  if (tls_cert.empty() != tls_key.empty())
    return Status::Error("TLS needs both a certificate and its key");
  if (!alertmanager_url.empty())  // the URL only; nothing is sent
    if (auto am = AlertmanagerClient::Create(alertmanager_url); !am) return am.status();
  return nats.Validate();
}

Status NatsOptions::Validate() const {
  if (url.empty()) {
    if (!subject.empty() || !incidents_subject.empty())
      return Status::Error("a NATS subject was given without a NATS server (--nats URL)");
    return Status::Ok();
  }
  if (subject.empty() && incidents_subject.empty())
    return Status::Error(
        "--nats needs --nats-subject (telemetry to read) or --nats-incidents (where to publish)");
  // JetStream's names: no dots, wildcards or white space.
  for (const auto& [what, name] : {std::pair{"stream", &stream}, std::pair{"consumer", &durable}})
    if (name->empty() || name->find_first_of(".*> \t\r\n/\\") != std::string::npos)
      return Status::Error(fmt::format(
          "'{}' cannot name a JetStream {}: use letters, digits, '-' and '_'", *name, what));
  return Status::Ok();
}

struct Server::Http {
  std::unique_ptr<httplib::Server> server;  // an httplib::SSLServer with TLS
};

namespace {

constexpr char kJson[] = "application/json";

void SendJson(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(), kJson);
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, {{"error", message}});
}

bool IsProtobuf(const httplib::Request& req) {
  return req.get_header_value("Content-Type").find("protobuf") != std::string::npos;
}

// Rewrites a closed segment with each signal's records in time order (stable: equal times keep
// their arrival order). Concurrent senders interleave their requests, and the sequence detectors
// read each stream in the order given; sorted, a stream reads the same however its requests
// arrived. Returns the segment's new size.
Result<uint64_t> SortSegment(const fs::path& dir) {
  Batch all;
  auto read = ingest::ReadPaths({dir.string()}, ingest::ReadOptions{}, [&](Batch& b) {
    std::move(b.spans.begin(), b.spans.end(), std::back_inserter(all.spans));
    std::move(b.logs.begin(), b.logs.end(), std::back_inserter(all.logs));
    std::move(b.metrics.begin(), b.metrics.end(), std::back_inserter(all.metrics));
  });
  if (!read) return read.status();
  std::stable_sort(all.spans.begin(), all.spans.end(),
                   [](const Span& a, const Span& b) { return a.start < b.start; });
  std::stable_sort(all.logs.begin(), all.logs.end(),
                   [](const LogRecord& a, const LogRecord& b) { return a.time < b.time; });
  std::stable_sort(all.metrics.begin(), all.metrics.end(),
                   [](const MetricPoint& a, const MetricPoint& b) { return a.time < b.time; });
  const fs::path tmp = dir.string() + ".sorting";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  auto w = ingest::OtlpJsonWriter::Open(tmp.string());
  if (!w) return w.status();
  if (Status st = (*w)->Write(all); !st) return st;
  if (Status st = (*w)->Close(); !st) return st;
  const uint64_t bytes = (*w)->bytes_written();
  // File by file, each rename atomic: whenever it stops, every record is in the segment once.
  for (const auto& f : fs::directory_iterator(tmp, ec)) {
    fs::rename(f.path(), dir / f.path().filename(), ec);
    if (ec)
      return Status::Error(dir.string() + ": cannot replace with its sorted copy: " + ec.message());
  }
  fs::remove_all(tmp, ec);
  return bytes;
}

// The Content-Type of a file served by name (the latest run's outputs, the web UI's files).
std::string ContentTypeOf(std::string_view name) {
  const std::string ext = fs::path(name).extension().string();
  return ext == ".html"   ? "text/html; charset=utf-8"
         : ext == ".csv"  ? "text/csv"
         : ext == ".js"   ? "text/javascript; charset=utf-8"
         : ext == ".css"  ? "text/css; charset=utf-8"
         : ext == ".json" ? kJson
                          : "application/octet-stream";
}

// The number in a path like /api/incidents/12 (its route's first match).
int64_t PathNumber(const httplib::Request& req) {
  return std::strtoll(req.matches[1].str().c_str(), nullptr, 10);
}

// "segment-000012": spool folders sort in arrival order.
std::string SegmentName(uint64_t n) {
  return fmt::format("segment-{:06d}", n);
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)), http_(new Http) {}

Server::~Server() {
  Stop();
  {
    std::lock_guard lock(spool_mutex_);
    CloseSegmentLocked();
  }
  if (options_.recording()) SortSegments();  // what arrived since the loop's last pass
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (Status st = options.Validate(); !st) return st;
  if (!options.recording())
    if (auto bundle = learn::ModelBundle::Open(options.model_dir); !bundle) return bundle.status();
  std::unique_ptr<Server> s(new Server(std::move(options)));
  const ServerOptions& o = s->options_;

  // The spool a previous run left is telemetry received and not yet examined: keep it.
  std::error_code ec;
  fs::create_directories(o.state_dir / "spool", ec);
  if (ec)
    return Status::Error((o.state_dir / "spool").string() + ": cannot create: " + ec.message());
  std::vector<fs::path> left;
  for (const auto& e : fs::directory_iterator(o.state_dir / "spool", ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || !name.starts_with("segment-")) continue;
    if (name.find('.') != std::string::npos)  // a sorted copy left by an interrupted sort
      fs::remove_all(e.path(), ec);
    else
      left.push_back(e.path());
  }
  std::sort(left.begin(), left.end());
  for (const auto& dir : left) {
    auto written = fs::last_write_time(dir, ec);
    auto closed = ec ? Clock::now()
                     : std::chrono::time_point_cast<Clock::duration>(
                           std::chrono::file_clock::to_sys(written));
    uint64_t bytes = 0;
    for (const auto& f : fs::directory_iterator(dir, ec))
      if (f.is_regular_file(ec)) bytes += f.file_size(ec);
    s->closed_.push_back({dir, closed, bytes});
    uint64_t n = std::strtoull(dir.filename().string().c_str() + 8, nullptr, 10);
    s->next_segment_ = std::max(s->next_segment_, n + 1);
  }
  s->fresh_ = !s->closed_.empty();

  auto store = store::Store::Open(o.db.empty() ? o.state_dir / "augur.db" : o.db);
  if (!store) return store.status();
  s->store_ = std::move(*store);
  auto rows = s->store_->ListIncidents(100000);
  if (!rows) return rows.status();
  for (const auto& r : *rows) s->stored_.push_back({r.start, r.end, r.id});

  std::string cert_pem, key_pem;
  if (!o.tls_cert.empty()) {
    for (const auto& [path, pem] :
         {std::pair{&o.tls_cert, &cert_pem}, std::pair{&o.tls_key, &key_pem}}) {
      std::ifstream in(*path);
      std::stringstream ss;
      ss << in.rdbuf();
      *pem = ss.str();
      if (!in || pem->find("-----BEGIN") == std::string::npos)
        return Status::Error(path->string() + ": cannot read a PEM file here");
    }
    auto tls = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!tls->is_valid())
      return Status::Error(o.tls_cert.string() + ", " + o.tls_key.string() +
                           ": not a certificate and its private key (TLS refused them)");
    s->http_->server = std::move(tls);
  } else {
    s->http_->server = std::make_unique<httplib::Server>();
  }

  s->http_->server->set_payload_max_length(o.max_body_bytes);
  s->http_->server->set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which lets a second server take the same port silently.
  s->http_->server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  Server* self = s.get();
  auto& srv = *s->http_->server;

  // Receivers. Each answers in its protocol's own terms; OTLP in the request's encoding.
  auto otlp = [self](const char* signal, const char* rejected_key) {
    return [self, signal, rejected_key](const httplib::Request& req, httplib::Response& res) {
      const bool proto = IsProtobuf(req);
      auto r = self->Ingest(req.body, proto ? "otlp-proto-" + std::string(signal) : "otlp-json",
                            std::string("POST /v1/") + signal);
      // Not spooled: 503, which the sender retries; else a 400, which it does not.
      const int code = ExportErrorCode(r.http_status);
      res.status = r.http_status == 200 ? 200 : code == kRpcUnavailable ? 503 : 400;
      if (proto)
        return res.set_content(r.http_status != 200 ? RpcStatus(code, r.message)
                                                    : OtlpExportResponse(r.rejected, r.message),
                               "application/x-protobuf");
      if (r.http_status != 200)
        return SendJson(res, res.status, {{"code", code}, {"message", r.message}});
      nlohmann::json body = nlohmann::json::object();
      if (r.rejected)
        body["partialSuccess"] = {{rejected_key, std::to_string(r.rejected)},
                                  {"errorMessage", r.message}};
      SendJson(res, 200, body);
    };
  };
  srv.Post("/v1/traces", otlp("traces", "rejectedSpans"));
  srv.Post("/v1/logs", otlp("logs", "rejectedLogRecords"));
  srv.Post("/v1/metrics", otlp("metrics", "rejectedDataPoints"));
  srv.Post("/loki/api/v1/push", [self](const httplib::Request& req, httplib::Response& res) {
    auto r = self->Ingest(req.body, IsProtobuf(req) ? "loki-proto" : "loki-json",
                          "POST /loki/api/v1/push");
    if (r.http_status != 200) return SendError(res, r.http_status, r.message);
    res.status = 204;  // Loki answers a push with no content
  });
  srv.Post("/api/v2/spans", [self](const httplib::Request& req, httplib::Response& res) {
    auto r = self->Ingest(req.body, IsProtobuf(req) ? "zipkin-proto" : "zipkin-json",
                          "POST /api/v2/spans");
    if (r.http_status != 200) return SendError(res, r.http_status, r.message);
    res.status = 202;  // as Zipkin's collector
  });
  // Prometheus remote write (Prometheus, Grafana Alloy, the collector's exporter): /api/v1/write
  // as Prometheus's own receiver, /api/v1/push as Mimir's. 204 as they answer; a 4xx is not
  // retried by the sender, so only a body that held nothing good gets one.
  auto remote_write = [self](const httplib::Request& req, httplib::Response& res) {
    auto r = self->Ingest(req.body, "prometheus-remote-write", "POST " + req.path);
    if (r.http_status != 200) {
      res.status = r.http_status;
      res.set_content(r.message + "\n", "text/plain");
      return;
    }
    res.status = 204;
  };
  srv.Post("/api/v1/write", remote_write);
  srv.Post("/api/v1/push", remote_write);
  srv.Post("/api/ingest", [self](const httplib::Request& req, httplib::Response& res) {
    auto r = self->Ingest(req.body, req.get_param_value("format"), "POST /api/ingest");
    SendJson(res, r.http_status,
             {{"accepted", r.accepted}, {"rejected", r.rejected}, {"message", r.message}});
  });

  // The API.
  srv.Post("/api/detect", [self](const httplib::Request&, httplib::Response& res) {
    auto r = self->DetectNow();
    if (!r) return SendError(res, 409, r.message());
    SendJson(res, 200, *r);
  });
  srv.Get("/api/incidents", [self](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, self->LatestRun());
  });
  // The stored incident a path's number names; empty when an error was answered instead.
  auto stored = [self](const httplib::Request& req,
                       httplib::Response& res) -> std::optional<nlohmann::json> {
    const int64_t id = PathNumber(req);
    std::lock_guard lock(self->state_mutex_);
    auto inc = self->store_->GetIncident(id);
    if (!inc) {
      SendError(res, 500, inc.message());
      return std::nullopt;
    }
    if (!*inc) SendError(res, 404, fmt::format("no stored incident {}", id));
    return std::move(*inc);
  };
  // The stored incidents, newest first (`augur incidents list --json`'s rows); ?limit=N, 100.
  srv.Get("/api/incidents/stored", [self](const httplib::Request& req, httplib::Response& res) {
    size_t limit = 100;
    if (req.has_param("limit")) {
      const std::string v = req.get_param_value("limit");
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1)
        return SendError(res, 400, "limit: \"" + v + "\" is not a positive whole number");
      limit = static_cast<size_t>(n);
    }
    std::lock_guard lock(self->state_mutex_);
    auto rows = self->store_->ListIncidents(limit);
    if (!rows) return SendError(res, 500, rows.message());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : *rows) j.push_back(store::IncidentRowJson(r));
    SendJson(res, 200, j);
  });
  srv.Get(R"(/api/incidents/(\d+))", [stored](const httplib::Request& req, httplib::Response& res) {
    if (auto inc = stored(req, res)) SendJson(res, 200, *inc);
  });
  // The on-call's verdict on a stored incident, and the accuracy all verdicts give.
  srv.Post(R"(/api/incidents/(\d+)/label)", [self](const httplib::Request& req,
                                                   httplib::Response& res) {
    const auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object())
      return SendError(res, 400,
                       "the body is not a JSON object like {\"verdict\": \"confirmed\" or "
                       "\"false_alarm\", \"root_cause\": SERVICE, \"note\": TEXT}");
    store::Label l;
    l.incident = PathNumber(req);
    for (auto [key, field] : {std::pair{"verdict", &l.verdict},
                              std::pair{"root_cause", &l.root_cause}, std::pair{"note", &l.note}}) {
      const auto v = body.find(key);
      if (v == body.end() || v->is_null()) continue;
      if (!v->is_string()) return SendError(res, 400, std::string(key) + ": not a string");
      *field = v->get<std::string>();
    }
    if (std::string why = store::LabelProblem(l); !why.empty()) return SendError(res, 400, why);
    std::lock_guard lock(self->state_mutex_);
    // AddLabel checks that the incident exists; only its failure needs telling 404 from 500.
    auto added = self->store_->AddLabel(l);
    if (!added)
      return SendError(res, self->store_->HasIncident(l.incident) ? 500 : 404, added.message());
    SendJson(res, 200, store::LabelJson(*added));
  });
  srv.Get("/api/accuracy", [self](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(self->state_mutex_);
    auto a = self->store_->Accuracy();
    if (!a) return SendError(res, 500, a.message());
    SendJson(res, 200, store::LabelAccuracyJson(*a));
  });
  // Questions about a stored incident (seed 000's chatbot), answered as `augur incidents ask`
  // answers them; by the --llm-url model when there is one.
  srv.Get(R"(/api/incidents/(\d+)/ask)",
          [self, stored](const httplib::Request& req, httplib::Response& res) {
            const std::string question = req.get_param_value("q");
            if (question.empty())
              return SendError(res, 400, "no question: ask with ?q=, e.g. ?q=why");
            auto inc = stored(req, res);
            if (!inc) return;
            learn::LlmClientOptions llm = self->options_.detectors.settings.log_lm_llm;
            llm.max_tokens = 300;
            llm.concurrency = 1;
            auto a = pipeline::AskIncident(*inc, question, llm);
            if (!a) return SendError(res, 500, a.message());
            nlohmann::json j = pipeline::AnswerJson(PathNumber(req), question, *a);
            if (!a->warning.empty()) j["warning"] = a->warning;
            SendJson(res, 200, j);
          });
  srv.Get("/api/status", [self](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, self->StatusJson());
  });
  // The latest run's outputs: /report, and each file by name (incident.json, trace.json for
  // Perfetto, nodegraph.json for Grafana's node graph panel, the CSVs).
  auto latest_file = [self](const std::string& name, httplib::Response& res) {
    std::ifstream in(self->options_.state_dir / "latest" / name, std::ios::binary);
    if (!in) return SendError(res, 404, name + ": none yet: no detection run has finished");
    std::stringstream ss;
    ss << in.rdbuf();
    res.set_content(ss.str(), ContentTypeOf(name));
  };
  srv.Get("/report", [latest_file](const httplib::Request&, httplib::Response& res) {
    latest_file("report.html", res);
  });
  srv.Get(R"(/latest/([a-z_]+\.(json|html|csv)))",
          [latest_file](const httplib::Request& req, httplib::Response& res) {
            latest_file(req.matches[1].str(), res);
          });
  // Grafana's Node Graph API data source (the nodegraph-api plugin, URL http://HOST:4318): the
  // latest run's newest incident, or ?incident=inc-N, as nodegraph.json holds it; no nodes
  // before an incident.
  auto node_graph = [self](const httplib::Request& req, httplib::Response& res, const char* part) {
    nlohmann::json graph = localize::NodeGraphJson(localize::Localization{});
    std::string id = req.get_param_value("incident");
    if (id.empty()) {
      const nlohmann::json run = self->LatestRun();
      if (!run["incidents"].empty()) id = run["incidents"].back().value("id", "");
    }
    if (!id.empty()) {
      std::ifstream in(self->options_.state_dir / "latest" / "nodegraph.json");
      const auto all = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (!all.is_object() || !all.contains(id))
        return SendError(res, 404, "no incident " + id + " in the latest run's node graphs");
      graph = all[id];
    }
    SendJson(res, 200, graph[part]);
  };
  srv.Get("/api/graph/fields", [node_graph](const httplib::Request& req, httplib::Response& res) {
    node_graph(req, res, "fields");
  });
  srv.Get("/api/graph/data", [node_graph](const httplib::Request& req, httplib::Response& res) {
    node_graph(req, res, "data");
  });
  srv.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->MetricsText(), "text/plain; version=0.0.4");
  });
  // /api/health: what Grafana's Node Graph API data source checks.
  for (const char* path : {"/healthz", "/api/health"})
    srv.Get(path, [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
  // The web UI (web/, embedded at build time): /ui and the files it loads from /ui/.
  auto web_file = [](std::string_view name, httplib::Response& res) {
    const WebAsset* a = FindWebAsset(name);
    if (!a) return SendError(res, 404, fmt::format("no such file of the web UI: {}", name));
    res.set_content(std::string(a->body), ContentTypeOf(name));
  };
  srv.Get("/ui", [web_file](const httplib::Request&, httplib::Response& res) {
    web_file("index.html", res);
  });
  srv.Get(R"(/ui/([A-Za-z0-9_.-]+))",
          [web_file](const httplib::Request& req, httplib::Response& res) {
            web_file(req.matches[1].str(), res);
          });
  // A browser asking for / gets the page; curl and scripts get the list of endpoints.
  srv.Get("/", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Accept").find("text/html") != std::string::npos)
      return res.set_redirect("/ui");
    res.set_content(
        "augur serve\n\n"
        "Receivers:\n"
        "  POST /v1/traces, /v1/logs, /v1/metrics   OTLP/HTTP, protobuf or JSON\n"
        "  POST /loki/api/v1/push                   Loki push, protobuf or JSON\n"
        "  POST /api/v2/spans                       Zipkin v2 spans, protobuf or JSON\n"
        "  POST /api/v1/write, /api/v1/push         Prometheus remote write\n"
        "  POST /api/ingest[?format=NAME]           any format `augur inspect` reads\n"
        "API:\n"
        "  POST /api/detect                         run detection now\n"
        "  GET  /api/incidents                      the latest run's incidents\n"
        "  GET  /api/incidents/stored[?limit=N]     the stored incidents, newest first\n"
        "  GET  /api/incidents/ID                   a stored incident\n"
        "  GET  /api/incidents/ID/ask?q=QUESTION    a question about it, answered\n"
        "  POST /api/incidents/ID/label             the on-call's verdict: {\"verdict\", "
        "\"root_cause\", \"note\"}\n"
        "  GET  /api/accuracy                       how augur did, by the verdicts\n"
        "  GET  /api/status                         counters, segments, last run\n"
        "  GET  /report                             the latest run's report\n"
        "  GET  /latest/FILE                        its incident.json, trace.json, nodegraph.json, "
        "CSVs\n"
        "  GET  /api/graph/fields, /api/graph/data  Grafana's Node Graph API (?incident=ID)\n"
        "  GET  /metrics                            Prometheus metrics\n"
        "  GET  /ui                                 the web page: status, incidents, questions\n"
        "  GET  /healthz, /api/health\n",
        "text/plain");
  });
  // A full spool (IngestResult 503): senders back off and retry.
  srv.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 503) res.set_header("Retry-After", "10");
  });
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty())
      SendError(res, 404,
                "no such endpoint: " + req.method + " " + req.path + " (GET / lists them)");
    else if (res.status == 413)
      SendError(res, 413, "the body is larger than the server's limit");
  });
  srv.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SendError(res, 500, what);
      });

  s->port_ =
      o.port == 0 ? srv.bind_to_any_port(o.host) : (srv.bind_to_port(o.host, o.port) ? o.port : -1);
  if (s->port_ <= 0)
    return Status::Error(
        fmt::format("cannot listen on {}:{} (in use, or not an address here)", o.host, o.port));
  if (o.grpc_port >= 0) {
    auto grpc = GrpcReceiver::Start(
        o.host, o.grpc_port, o.max_body_bytes, cert_pem, key_pem,
        [self](std::string_view body, const std::string& format, const std::string& source) {
          return self->Ingest(body, format, source);
        });
    if (!grpc) return grpc.status();
    s->grpc_ = std::move(*grpc);
  }
  if (!o.alertmanager_url.empty()) {
    auto am = AlertmanagerClient::Create(o.alertmanager_url);
    if (!am) return am.status();
    s->alertmanager_ = std::move(*am);
  }
  if (!o.nats.url.empty()) {
    auto nats = NatsLink::Start(
        o.nats, [self](std::string_view body, const std::string& format,
                       const std::string& source) { return self->Ingest(body, format, source); });
    if (!nats) return nats.status();
    s->nats_ = std::move(*nats);
  }
  return s;
}

void Server::Run() {
  {
    std::lock_guard lock(run_mutex_);
    if (stopping_) return;
    run_started_ = true;
  }
  std::thread detector([this] { DetectLoop(); });
  http_->server->listen_after_bind();
  run_returned_ = true;
  Stop();
  detector.join();
}

int Server::grpc_port() const {
  return grpc_ ? grpc_->port() : -1;
}

void Server::Stop() {
  bool started;
  {
    std::lock_guard lock(run_mutex_);
    stopping_ = true;
    started = run_started_;
  }
  wake_.notify_all();
  if (grpc_) grpc_->Shutdown();
  if (nats_) nats_->Shutdown();
  if (!started) return;
  // httplib's stop() does nothing until its accept loop runs: a Stop() right after Run() began
  // waits for it.
  while (!http_->server->is_running() && !run_returned_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_->server->stop();
}

void Server::DetectLoop() {
  if (options_.every_seconds <= 0) return;
  const auto period = std::chrono::duration<double>(options_.every_seconds);
  while (!stopping_) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, period, [this] { return stopping_.load(); });
    }
    if (stopping_) break;
    bool fresh;
    {
      std::lock_guard lock(spool_mutex_);
      fresh = fresh_;
      if (fresh && options_.recording()) {  // a recording is put in time order as it grows
        CloseSegmentLocked();
        fresh_ = false;
      }
    }
    if (fresh && options_.recording()) SortSegments();
    if (!fresh || options_.recording()) continue;
    auto r = DetectNow();
    if (!r) std::fprintf(stderr, "augur serve: detection failed: %s\n", r.message().c_str());
  }
}

Status Server::OpenSegmentLocked() {
  open_dir_ = options_.state_dir / "spool" / SegmentName(next_segment_++);
  auto w = ingest::OtlpJsonWriter::Open(open_dir_.string());
  if (!w) return w.status();
  writer_ = std::move(*w);
  return Status::Ok();
}

void Server::CloseSegmentLocked() {
  if (!writer_) return;
  if (Status st = writer_->Close(); !st)
    std::fprintf(stderr, "augur serve: %s: %s\n", open_dir_.c_str(), st.message().c_str());
  closed_.push_back({open_dir_, Clock::now(), writer_->bytes_written()});
  writer_.reset();
}

void Server::SortSegments() {
  std::vector<fs::path> todo;
  {
    std::lock_guard lock(spool_mutex_);
    for (const auto& s : closed_)
      if (!s.sorted && (options_.recording() ||
                        std::find(reading_.begin(), reading_.end(), s.dir) != reading_.end()))
        todo.push_back(s.dir);
  }
  // Outside the lock: a segment being sorted is one a detection run is about to read (pruning
  // leaves it alone), or one of a recording (never pruned).
  for (const auto& dir : todo) {
    auto bytes = SortSegment(dir);
    std::lock_guard lock(spool_mutex_);
    auto it = std::find_if(closed_.begin(), closed_.end(),
                           [&](const Segment& s) { return s.dir == dir; });
    if (it == closed_.end()) continue;
    it->sorted = true;  // or not tried again
    if (!bytes) {
      std::fprintf(stderr, "augur serve: %s: left in arrival order: %s\n", dir.c_str(),
                   bytes.message().c_str());
      continue;
    }
    it->bytes = *bytes;
  }
}

uint64_t Server::SpoolBytesLocked() const {
  uint64_t bytes = writer_ ? writer_->bytes_written() : 0;
  for (const auto& s : closed_) bytes += s.bytes;
  return bytes;
}

void Server::PruneSpoolLocked(uint64_t keep) {
  if (options_.recording()) return;  // a recording is kept whole
  const auto horizon = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options_.lookback_seconds));
  uint64_t bytes = SpoolBytesLocked();
  std::erase_if(closed_, [&](const Segment& s) {  // oldest first
    const bool old = s.closed < horizon;
    if (!old && bytes <= keep) return false;
    if (std::find(reading_.begin(), reading_.end(), s.dir) != reading_.end()) return false;
    std::error_code ec;
    fs::remove_all(s.dir, ec);
    bytes -= s.bytes;
    if (!old) {
      ++dropped_segments_;
      dropped_bytes_ += s.bytes;
    }
    return true;
  });
}

IngestResult Server::Ingest(std::string_view body, const std::string& format,
                            const std::string& source) {
  IngestResult out;
  {
    // Room for the body (its spooled JSON is of its size or a few times it): old segments go.
    std::lock_guard lock(spool_mutex_);
    const uint64_t cap = options_.max_spool_bytes;
    if (SpoolBytesLocked() + body.size() > cap)
      PruneSpoolLocked(cap > body.size() ? cap - body.size() : 0);
    if (SpoolBytesLocked() + body.size() > cap) {
      ++requests_;
      ++bad_requests_;
      bytes_ += body.size();
      out.http_status = 503;
      out.message =
          options_.recording()
              ? fmt::format("{}: the recording is full ({:.1f} MB of {:.1f} MB, --max-spool-mb)",
                            source, SpoolBytesLocked() / 1e6, cap / 1e6)
              : fmt::format(
                    "{}: the spool is full ({:.1f} MB of {:.1f} MB, the rest read by a detection "
                    "run); retry later",
                    source, SpoolBytesLocked() / 1e6, cap / 1e6);
      return out;
    }
  }
  ingest::ReadOptions read;
  read.format = format;
  Status spooled;  // an error once a batch could not be spooled
  uint64_t spans = 0, logs = 0, metrics = 0, events = 0;
  auto report = ingest::ReadBuffer(body, source, read, [&](Batch& b) {
    std::lock_guard lock(spool_mutex_);
    if (!spooled.ok()) return;
    if (!writer_)
      if (Status st = OpenSegmentLocked(); !st) {
        spooled = st;
        return;
      }
    if (Status st = writer_->Write(b); !st) {
      spooled = st;
      return;
    }
    // Segments of at most an eighth of the cap, so that the oldest can go when it is reached, and
    // of at most 64 MiB, which bounds the memory of sorting one.
    if (writer_->bytes_written() > std::min<uint64_t>(options_.max_spool_bytes / 8, 64ull << 20))
      CloseSegmentLocked();
    spans += b.spans.size();
    logs += b.logs.size();
    metrics += b.metrics.size();
    events += b.trace_events.size();  // the spool holds no trace events: not kept
    newest_record_ = std::max(newest_record_, b.LatestTime());
    fresh_ = true;
  });
  out.accepted = spans + logs + metrics;
  if (events)
    out.message = fmt::format(
        "{}: {} trace event(s) not kept: augur serve keeps spans, logs and metric points (run "
        "`augur detect` on a trace file)",
        source, events);
  if (report) {
    out.rejected = report->rejected.count + events;
    for (size_t i = 0; i < report->rejected.first.size() && i < 3; ++i)
      out.message += (out.message.empty() ? "" : "; ") + report->rejected.first[i];
    if (out.accepted == 0 && out.message.empty() && !report->files.empty())
      out.message = report->files.front().note;
  } else {
    out.message = source + ": " + report.message();  // an unknown format
  }
  if (!spooled.ok()) {
    out.http_status = 500;
    out.message = "cannot spool what was received: " + spooled.message();
  } else if (out.accepted == 0 && (!report || out.rejected || !out.message.empty())) {
    out.http_status = 400;
    if (out.message.empty()) out.message = source + ": no telemetry in the body";
  }
  std::lock_guard lock(spool_mutex_);
  ++requests_;
  if (out.http_status != 200) ++bad_requests_;
  spans_ += spans;
  logs_ += logs;
  metric_points_ += metrics;
  rejected_ += out.rejected;
  bytes_ += body.size();
  return out;
}

Result<nlohmann::json> Server::DetectNow() {
  if (options_.recording())
    return Status::Error(
        "recording only: started without a model bundle; train on the recording with `augur "
        "train --input " +
        (options_.state_dir / "spool").string() + " --model DIR`, then serve with --model DIR");
  std::lock_guard detect_lock(detect_mutex_);
  const auto started = std::chrono::steady_clock::now();
  const auto now = Clock::now();
  std::vector<std::string> inputs;
  TimeNs newest;
  {
    std::lock_guard lock(spool_mutex_);
    CloseSegmentLocked();
    fresh_ = false;
    newest = newest_record_;
    PruneSpoolLocked(options_.max_spool_bytes);
    for (const auto& s : closed_) {
      inputs.push_back(s.dir.string());
      reading_.push_back(s.dir);
    }
  }
  struct Release {  // the segments may be pruned again once the run is over
    Server* s;
    ~Release() {
      std::lock_guard lock(s->spool_mutex_);
      s->reading_.clear();
    }
  } release{this};
  SortSegments();
  auto fail = [&](const std::string& message) -> Result<nlohmann::json> {
    std::lock_guard lock(state_mutex_);
    ++failed_runs_;
    last_error_ = message;
    return Status::Error(message);
  };
  if (inputs.empty())
    return fail(fmt::format("no telemetry received in the last {:g} s", options_.lookback_seconds));

  pipeline::DetectOptions o;
  o.inputs = inputs;
  o.model_dir = options_.model_dir;
  o.out_dir = options_.state_dir / "latest";
  o.detectors = options_.detectors;
  o.disabled_stages = options_.disabled_stages;
  o.disabled_stages.insert("store");  // finished incidents are stored below, once
  auto r = pipeline::Detect(o);
  if (!r) return fail(r.message());

  // An incident is finished when no anomaly can join it any more: the newest record received lies
  // more than the grouping gap after its end.
  std::unique_lock lock(state_mutex_);
  auto fail_locked = [&](const std::string& message) {  // fail() takes the lock itself
    lock.unlock();
    return fail(message);
  };
  auto stored_id = [&](const explain::Incident& inc) -> int64_t {
    for (const auto& st : stored_)
      if (st.start < inc.end && inc.start < st.end) return st.id;
    return 0;
  };
  std::vector<explain::Incident> finished;
  for (const auto& inc : r->incidents)
    if (inc.end + o.grouping.gap <= newest && !stored_id(inc)) finished.push_back(inc);
  if (!finished.empty()) {
    auto run_id = store_->BeginRun("serve", {{"inputs", inputs}, {"model", o.model_dir.string()}});
    if (!run_id) return fail_locked(run_id.message());
    auto ids = store_->SaveIncidents(*run_id, finished);
    if (!ids) return fail_locked(ids.message());
    if (Status st = store_->FinishRun(*run_id, "ok", {{"incidents", finished.size()}}); !st)
      return fail_locked(st.message());
    for (size_t i = 0; i < finished.size(); ++i) {
      stored_.push_back({finished[i].start, finished[i].end, (*ids)[i]});
      if (nats_) {  // a failure is counted and printed by the link; the incident stays stored
        auto j = explain::IncidentToJson(finished[i]);
        j["store_id"] = (*ids)[i];
        (void)nats_->PublishIncident(j);
      }
    }
    stored_incidents_ += finished.size();
  }

  uint64_t records = 0;
  for (const auto& f : r->read.files) records += f.records;
  nlohmann::json run = {
      {"time",
       FormatIsoTime(
           std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count())},
      {"segments", inputs.size()},
      {"records", records},
      {"rejected", r->read.rejected.count},
      {"anomalies", r->anomalies},
      {"detectors", r->detectors},
      {"newest_record", newest ? FormatIsoTime(newest) : ""},
      {"report", "/report"},
      {"incidents", nlohmann::json::array()}};
  for (const auto& inc : r->incidents) {
    auto j = explain::IncidentToJson(inc);
    j.erase("anomalies");
    j["open"] = inc.end + o.grouping.gap > newest;
    int64_t id = stored_id(inc);
    j["store_id"] = id ? nlohmann::json(id) : nlohmann::json(nullptr);
    run["incidents"].push_back(std::move(j));
  }
  latest_ = run;
  ++runs_;
  last_error_.clear();
  last_run_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  lock.unlock();
  if (!r->incidents.empty()) {
    const auto& top = r->incidents.back();
    std::fprintf(stderr,
                 "augur serve: %zu record(s) in %zu segment(s): %zu incident(s); latest: %s\n",
                 (size_t)records, inputs.size(), r->incidents.size(), top.summary.c_str());
  }
  if (alertmanager_) {  // open incidents stay firing for 4 detection periods unless sent again
    const double refresh = 4 * std::max(options_.every_seconds, 60.0);
    const TimeNs now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    if (Status st = alertmanager_->Send(IncidentAlerts(run["incidents"], now_ns, refresh)); !st)
      std::fprintf(stderr, "augur serve: %s\n", st.message().c_str());
  }
  return run;
}

nlohmann::json Server::LatestRun() const {
  std::lock_guard lock(state_mutex_);
  if (latest_.is_null())
    return {{"incidents", nlohmann::json::array()},
            {"note", "no detection run has finished yet (POST /api/detect runs one)"}};
  return latest_;
}

nlohmann::json Server::StatusJson() const {
  nlohmann::json j;
  {
    std::lock_guard lock(spool_mutex_);
    j["received"] = {
        {"requests", requests_}, {"bad_requests", bad_requests_},   {"spans", spans_},
        {"logs", logs_},         {"metric_points", metric_points_}, {"rejected", rejected_},
        {"bytes", bytes_}};
    j["spool"] = {{"closed_segments", closed_.size()},
                  {"open_segment", writer_ ? open_dir_.string() : ""},
                  {"newest_record", newest_record_ ? FormatIsoTime(newest_record_) : ""},
                  {"bytes", SpoolBytesLocked()},
                  {"max_bytes", options_.max_spool_bytes},
                  {"dropped_segments", dropped_segments_},
                  {"dropped_bytes", dropped_bytes_}};
  }
  std::lock_guard lock(state_mutex_);
  j["mode"] = options_.recording() ? "record" : "detect";
  j["model"] = options_.model_dir.string();
  j["detection"] = {{"every_seconds", options_.every_seconds},
                    {"lookback_seconds", options_.lookback_seconds},
                    {"runs", runs_},
                    {"failed_runs", failed_runs_},
                    {"last_error", last_error_},
                    {"last_run_seconds", last_run_seconds_},
                    {"stored_incidents", stored_incidents_}};
  if (nats_) j["nats"] = nats_->StatusJson();
  if (alertmanager_) j["alertmanager"] = alertmanager_->StatusJson();
  return j;
}

std::string Server::MetricsText() const {
  std::string out;
  auto add = [&out](const char* name, const char* help, const char* type, uint64_t v,
                    const char* labels = "") {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help, name, type, name,
                       labels, v);
  };
  {
    std::lock_guard lock(spool_mutex_);
    out +=
        "# HELP augur_received_records_total Records accepted by the receivers.\n"
        "# TYPE augur_received_records_total counter\n";
    out += fmt::format("augur_received_records_total{{signal=\"spans\"}} {}\n", spans_);
    out += fmt::format("augur_received_records_total{{signal=\"logs\"}} {}\n", logs_);
    out += fmt::format("augur_received_records_total{{signal=\"metric_points\"}} {}\n",
                       metric_points_);
    add("augur_rejected_records_total", "Records rejected (malformed, or trace events not kept).",
        "counter", rejected_);
    add("augur_requests_total", "Requests to the receivers.", "counter", requests_);
    add("augur_bad_requests_total", "Receiver requests answered with an error.", "counter",
        bad_requests_);
    add("augur_received_bytes_total", "Body bytes received.", "counter", bytes_);
    add("augur_spool_bytes", "Bytes in the spool.", "gauge", SpoolBytesLocked());
    add("augur_spool_dropped_bytes_total",
        "Spooled bytes deleted before the lookback ended, to keep the spool under its cap.",
        "counter", dropped_bytes_);
  }
  std::lock_guard lock(state_mutex_);
  add("augur_detection_runs_total", "Detection runs that finished.", "counter", runs_);
  add("augur_detection_failures_total", "Detection runs that failed.", "counter", failed_runs_);
  add("augur_stored_incidents_total", "Finished incidents written to the store.", "counter",
      stored_incidents_);
  size_t open = 0;
  if (!latest_.is_null())
    for (const auto& i : latest_["incidents"]) open += i["open"].get<bool>();
  add("augur_open_incidents", "Incidents of the latest run still open.", "gauge", open);
  if (nats_) {
    auto n = nats_->StatusJson();
    out +=
        "# HELP augur_nats_messages_total NATS messages read, by what was done with them.\n"
        "# TYPE augur_nats_messages_total counter\n";
    for (const char* outcome : {"acked", "terminated", "delayed"})
      out += fmt::format("augur_nats_messages_total{{outcome=\"{}\"}} {}\n", outcome,
                         n[outcome].get<uint64_t>());
    add("augur_nats_published_incidents_total", "Finished incidents published on NATS.", "counter",
        n["published_incidents"].get<uint64_t>());
  }
  return out;
}

}  // namespace augur::serve
