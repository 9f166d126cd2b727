// The HTTP layer over the engine: receivers for the telemetry that collectors already send
// (OTLP/HTTP protobuf or JSON, OTLP/gRPC on a second port, Loki push, Zipkin v2 spans, Prometheus
// remote write, and any format `augur inspect` reads), a JSON API over the incidents, the latest
// report, and the server's own metrics.
//
// Streaming as replay: what arrives is parsed (bad records are rejected with their reason, good
// ones around them kept) and spooled to disk as OTLP/JSON segments, so nothing received is lost
// across a restart. A detection run closes the open segment and replays the segments of the last
// `lookback_seconds` through pipeline::Detect, exactly as `augur detect` replays files. An incident
// whose last anomaly lies more than the grouping gap before the newest record received is
// finished: it is written to the SQLite store once; open ones are served from the latest run.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "pipeline/pipeline.h"

namespace augur::ingest {
class OtlpJsonWriter;
}
namespace augur::store {
class Store;
}

namespace augur::serve {

class GrpcReceiver;
class NatsLink;
class AlertmanagerClient;

// NATS JetStream as a source of telemetry and NATS as a sink of incidents (nats_link.h).
struct NatsOptions {
  std::string url;      // nats://HOST:PORT, several separated by commas; empty: no NATS
  std::string subject;  // telemetry is read from the JetStream stream holding it; empty: none
  std::string stream = "AUGUR";   // the stream created for `subject` when none holds it
  std::string durable = "augur";  // the consumer's name: a restart resumes where it stopped
  std::string incidents_subject;  // finished incidents are published on it; empty: none

  Status Validate() const;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 4318;       // OTLP/HTTP's port; 0 picks any free one
  int grpc_port = 4317;  // OTLP/gRPC's port; 0 picks any free one, -1: no gRPC
  // TLS on both ports when both are given (PEM files): HTTPS and gRPC over TLS.
  std::filesystem::path tls_cert, tls_key;
  // Bundle written by `augur train`. Without one the server records: it spools what it receives
  // and keeps all of it (no detection, nothing pruned), in time order (sorted every
  // `every_seconds` and on exit), for `augur train --input STATE/spool`.
  std::filesystem::path model_dir;
  std::filesystem::path state_dir;  // spool/, latest/ (the latest run's reports), augur.db
  std::filesystem::path db;         // default state_dir/augur.db
  pipeline::DetectorSelection detectors;
  std::set<std::string> disabled_stages;  // as `augur detect --skip-stage`
  double every_seconds = 60;      // detection period when new telemetry arrived; 0: only on request
  double lookback_seconds = 900;  // received telemetry each detection run examines
  size_t max_body_bytes = 64u << 20;
  // The spool's largest size on disk. Over it, the oldest segments go first (those a running
  // detection is not reading); a body that still does not fit is refused with 503 / UNAVAILABLE
  // and a Retry-After, which senders retry.
  uint64_t max_spool_bytes = 4ull << 30;
  NatsOptions nats;
  // Prometheus Alertmanager (http(s)://HOST:9093): each run's incidents are posted to it as
  // alerts (alertmanager.h); empty: none.
  std::string alertmanager_url;

  Status Validate() const;
  bool recording() const { return model_dir.empty(); }
};

// What one request body gave.
struct IngestResult {
  int http_status = 200;  // 200 when any record was accepted or the body held none; 503: retry
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::string message;  // the first rejects ("<source>:<line>: <reason>"), or why nothing was read
};

// What the receivers call with each body: (body, reader format name or "" to detect it, source
// for messages). Server::Ingest.
using IngestFn =
    std::function<IngestResult(std::string_view, const std::string&, const std::string&)>;

class Server {
 public:
  // Checks the model bundle, recovers the spool a previous run left, opens the store and binds the
  // port.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert.empty(); }
  int grpc_port() const;  // -1 when there is no gRPC receiver
  // Serves until Stop(), running detection every `every_seconds` when new telemetry arrived.
  void Run();
  // Thread-safe; Run() returns after the request in flight and the detection run in flight end.
  void Stop();

  // What the HTTP handlers call. `format` is a reader name ("" detects it from the content);
  // `source` names the body in reject messages.
  IngestResult Ingest(std::string_view body, const std::string& format, const std::string& source);
  // Runs detection now over the spooled telemetry; the run as GET /api/incidents serves it.
  Result<nlohmann::json> DetectNow();
  nlohmann::json StatusJson() const;
  std::string MetricsText() const;  // Prometheus text exposition of the counters
  nlohmann::json LatestRun() const;

  struct Http;  // the routes (server.cpp)

 private:
  struct Segment {
    std::filesystem::path dir;
    std::chrono::system_clock::time_point closed;
    uint64_t bytes = 0;
    bool sorted = false;  // rewritten in time order (SortSegment)
  };

  explicit Server(ServerOptions options);
  Status OpenSegmentLocked();
  void CloseSegmentLocked();
  uint64_t SpoolBytesLocked() const;
  // Rewrites the closed segments not yet sorted in time order (SortSegment in server.cpp).
  void SortSegments();
  // Deletes the segments closed before the lookback horizon, then, while the spool holds more
  // than `keep` bytes, the oldest ones that no detection run is reading.
  void PruneSpoolLocked(uint64_t keep);
  void DetectLoop();

  ServerOptions options_;
  std::unique_ptr<Http> http_;
  int port_ = 0;
  std::unique_ptr<GrpcReceiver> grpc_;
  std::unique_ptr<NatsLink> nats_;
  std::unique_ptr<AlertmanagerClient> alertmanager_;

  // Spool: guarded by spool_mutex_.
  mutable std::mutex spool_mutex_;
  std::unique_ptr<ingest::OtlpJsonWriter> writer_;
  std::filesystem::path open_dir_;
  std::vector<Segment> closed_;
  std::vector<std::filesystem::path> reading_;         // segments the running detection reads
  uint64_t dropped_segments_ = 0, dropped_bytes_ = 0;  // pruned over the cap, inside the lookback
  uint64_t next_segment_ = 1;
  TimeNs newest_record_ = 0;
  bool fresh_ = false;  // telemetry arrived since the last detection run
  uint64_t requests_ = 0, bad_requests_ = 0, spans_ = 0, logs_ = 0, metric_points_ = 0,
           rejected_ = 0, bytes_ = 0;

  // Detection: one run at a time (detect_mutex_); its result under state_mutex_.
  std::mutex detect_mutex_;
  mutable std::mutex state_mutex_;
  std::unique_ptr<store::Store> store_;
  struct Stored {
    TimeNs start, end;
    int64_t id;  // in the store
  };
  std::vector<Stored> stored_;
  nlohmann::json latest_;
  uint64_t runs_ = 0, failed_runs_ = 0, stored_incidents_ = 0;
  std::string last_error_;
  double last_run_seconds_ = 0;

  std::mutex run_mutex_;  // orders Run()'s start against Stop()
  bool run_started_ = false;
  std::atomic<bool> run_returned_{false};
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
};

}  // namespace augur::serve
