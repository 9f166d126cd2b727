// OTLP/gRPC: the three Export services of opentelemetry-proto on their own port (4317 by default),
// for SDKs and collectors whose `otlp` exporter speaks gRPC (the collector's default exporter,
// Python's default protocol). A generic gRPC service takes the raw request bytes, so no generated
// code or .proto file is needed: the bytes go to the same OTLP/protobuf readers as OTLP/HTTP's.
//
// Answers as the OTLP specification asks: OK with an Export*ServiceResponse (partial success when
// some records were rejected), INVALID_ARGUMENT for a request with nothing good in it (not
// retried), UNAVAILABLE when what was received could not be spooled (retried), UNIMPLEMENTED for
// any other method. gzip-compressed messages are accepted (gRPC's own message compression).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "serve/server.h"

namespace augur::serve {

class GrpcReceiver {
 public:
  // Binds HOST:PORT (0 picks a free port) and starts serving, over TLS when given a certificate
  // and its key (PEM text), else in plain text. Refuses a port already in use (gRPC's default
  // SO_REUSEPORT would share it silently with another server).
  static Result<std::unique_ptr<GrpcReceiver>> Start(const std::string& host, int port,
                                                     size_t max_message_bytes,
                                                     const std::string& cert_pem,
                                                     const std::string& key_pem, IngestFn ingest);
  ~GrpcReceiver();  // Shutdown()
  GrpcReceiver(const GrpcReceiver&) = delete;
  GrpcReceiver& operator=(const GrpcReceiver&) = delete;

  int port() const { return port_; }
  // Stops accepting calls and waits (up to 5 s) for the ones in flight. Idempotent.
  void Shutdown();

  struct Impl;

 private:
  explicit GrpcReceiver(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace augur::serve
