// `augur serve`: receive telemetry over HTTP (OTLP/HTTP, Loki push, Zipkin, remote write) and
// OTLP/gRPC, detect incidents in it every minute against a model bundle, and serve them as JSON
// and as the report.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "serve/server.h"

namespace augur::app {

namespace {

// What the server reads besides its ports, and where it sends incidents: ", JetStream subject
// 'S' (consumer C), incidents published on NATS 'I', alerts to Alertmanager URL".
std::string MoreSummary(const serve::ServerOptions& o) {
  std::string out;
  const auto& n = o.nats;
  if (!n.subject.empty())
    out += fmt::format(", JetStream subject '{}' (consumer {})", n.subject, n.durable);
  if (!n.incidents_subject.empty())
    out += fmt::format(", incidents published on NATS '{}'", n.incidents_subject);
  if (!o.alertmanager_url.empty()) out += ", alerts to Alertmanager " + o.alertmanager_url;
  return out;
}

}  // namespace

void RegisterServe(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("serve",
                                 "Receive telemetry (OTLP/HTTP, OTLP/gRPC, Loki, Zipkin, remote "
                                 "write), detect incidents as it arrives");
  auto o = std::make_shared<serve::ServerOptions>();
  auto sel = std::make_shared<SelectionFlags>();
  cmd->add_option("-m,--model", o->model_dir,
                  "Model bundle written by `augur train`; without one, record what arrives into "
                  "STATE/spool to train on");
  cmd->add_option("-s,--state", o->state_dir,
                  "Folder for the spooled telemetry, the latest run's reports and augur.db")
      ->required();
  cmd->add_option("--db", o->db, "SQLite database for finished incidents (default STATE/augur.db)");
  cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  cmd->add_option("-p,--port", o->port, "HTTP port to listen on (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--grpc-port", o->grpc_port,
                  "OTLP/gRPC port to listen on (0: any free port, -1: no gRPC)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  cmd->add_option("--every", o->every_seconds,
                  "Seconds between detection runs when new telemetry arrived (0: only on POST "
                  "/api/detect)")
      ->capture_default_str()
      ->check(NonNegative());
  cmd->add_option("--lookback", o->lookback_seconds,
                  "Seconds of received telemetry each detection run examines")
      ->capture_default_str()
      ->check(Positive());
  auto* cert = cmd->add_option("--tls-cert", o->tls_cert,
                               "PEM certificate (chain): HTTPS and gRPC over TLS on both ports")
                   ->check(CLI::ExistingFile);
  auto* key = cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  auto spool_mb = std::make_shared<double>(4096);
  cmd->add_option("--max-spool-mb", *spool_mb,
                  "Largest spool on disk; over it the oldest telemetry goes first (when recording, "
                  "further bodies are refused)")
      ->capture_default_str()
      ->check(Positive());
  cmd->add_option("--alertmanager", o->alertmanager_url,
                  "Prometheus Alertmanager (http://HOST:9093): each run's incidents are posted as "
                  "alerts (labels alertname=AugurIncident, service, fault_type, severity)");
  cmd->add_option("--nats", o->nats.url,
                  "NATS server (nats://HOST:PORT) for --nats-subject and --nats-incidents");
  cmd->add_option("--nats-subject", o->nats.subject,
                  "Also read telemetry from this JetStream subject (header Augur-Format names the "
                  "reader, else it is detected); a durable consumer resumes after a restart");
  cmd->add_option("--nats-stream", o->nats.stream,
                  "Stream created for --nats-subject when no stream holds it")
      ->capture_default_str();
  cmd->add_option("--nats-consumer", o->nats.durable, "Name of the durable JetStream consumer")
      ->capture_default_str();
  cmd->add_option("--nats-incidents", o->nats.incidents_subject,
                  "Publish each finished incident's JSON on this NATS subject");
  AddSelectionFlags(cmd, *sel, pipeline::DetectStages());
  AddLlmFlags(cmd, o->detectors.settings.log_lm_llm);  // also answers /api/incidents/ID/ask
  cmd->footer(
      "Endpoints (GET / lists them): POST /v1/traces, /v1/logs, /v1/metrics (OTLP/HTTP, protobuf "
      "or JSON), /loki/api/v1/push (protobuf or JSON), /api/v2/spans (Zipkin, protobuf or JSON), "
      "/api/v1/write "
      "(Prometheus remote write), /api/ingest (any format); POST /api/detect, "
      "/api/incidents/ID/label; GET "
      "/api/incidents, /api/incidents/stored, /api/incidents/ID, /api/incidents/ID/ask?q=, "
      "/api/accuracy, /api/status, /report, /latest/FILE, /api/graph/fields and /api/graph/data "
      "(Grafana's Node "
      "Graph API), /metrics, /healthz; the web page at /ui. On --grpc-port: OTLP/gRPC's "
      "TraceService, LogsService and MetricsService "
      "Export. With --nats: JetStream messages on --nats-subject, one body each.\n\n"
      "Example:\n  augur serve --state normal/   # record a normal hour from the collectors, "
      "then Ctrl-C\n"
      "  augur train --input normal/spool --model model/\n"
      "  augur serve --model model/ --state state/ --port 4318 --grpc-port 4317\n"
      "  curl -s localhost:4318/api/incidents     # or open http://localhost:4318/ui\n"
      "  augur --config /etc/augur/augur.toml serve   # options from the file's [serve] section\n"
      "  augur serve --model model/ --state state/ --nats nats://127.0.0.1:4222 "
      "--nats-subject 'telemetry.>' --nats-incidents augur.incidents\n"
      "  augur serve --model model/ --state state/ --alertmanager http://127.0.0.1:9093\n"
      "Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage error, 3 model unreadable, port "
      "unavailable or NATS unreachable.");
  cmd->callback([o, sel, spool_mb, &g] {
    sel->Apply(o->detectors, o->disabled_stages);
    o->max_spool_bytes = static_cast<uint64_t>(*spool_mb * 1024 * 1024);
    ApplyLlmEnvironment(o->detectors.settings.log_lm_llm);
    if (Status st = o->Validate(); !st) {
      std::fprintf(stderr, "augur serve: %s\n", st.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    // Signals go to one thread that stops the server; the others never see them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer is not a reason to exit
    auto server = serve::Server::Create(*o);
    if (!server) {
      std::fprintf(stderr, "augur serve: %s\n", server.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    serve::Server& s = **server;
    std::atomic<bool> done{false};
    std::thread stopper([&s, &done, stop_signals] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      if (done) return;
      std::fprintf(stderr, "augur serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      s.Stop();
    });
    if (!g.quiet) {
      std::string grpc = s.grpc_port() < 0 ? std::string()
                                           : fmt::format(", OTLP/gRPC{} on port {}",
                                                         s.tls() ? " over TLS" : "", s.grpc_port());
      std::string what =
          o->recording()
              ? fmt::format("recording into {} (no --model: no detection)",
                            (o->state_dir / "spool").string())
              : fmt::format("detection every {:g} s over the last {:g} s; state in {}",
                            o->every_seconds, o->lookback_seconds, o->state_dir.string());
      const std::string url =
          fmt::format("{}://{}:{}", s.tls() ? "https" : "http", o->host, s.port());
      std::fprintf(stderr,
                   "augur serve: listening on %s (OTLP/HTTP, Loki, Zipkin, remote write)%s%s; %s\n",
                   url.c_str(), grpc.c_str(), MoreSummary(*o).c_str(), what.c_str());
      std::fprintf(stderr, "augur serve: the web page is at %s/ui\n", url.c_str());
    }
    s.Run();
    done = true;
    pthread_kill(stopper.native_handle(), SIGTERM);  // wakes the stopper if no signal came
    stopper.join();
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
