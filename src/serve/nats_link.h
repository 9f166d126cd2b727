// NATS: telemetry from a JetStream stream, and finished incidents to a subject.
//
// Telemetry: a durable pull consumer (named `durable`, so a restart resumes where the last run
// acknowledged) reads the messages of `subject` from the JetStream stream that holds it; when no
// stream holds it, a file-backed stream named `stream` is created for it. Each message is one body
// as a receiver would take it: its reader is named by the header `Augur-Format` (a name `augur
// inspect --formats` lists, as /api/ingest?format=), else detected from the content. A message is
// acknowledged once ingested (also when some of its records were rejected), terminated when
// nothing in it could be read (redelivering it would not help), and negatively acknowledged with a
// 10 s delay when it could not be spooled (a full spool): at-least-once delivery.
//
// Incidents: each finished incident, as it is stored, is published as its incident JSON
// (docs/incident-schema.md, plus `store_id`) on `incidents_subject`.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "serve/server.h"

namespace augur::serve {

class NatsLink {
 public:
  // Connects (reconnecting on its own afterwards), binds or creates the stream and the consumer
  // when `options.subject` is set, and starts fetching. Errors name the URL and what NATS said.
  static Result<std::unique_ptr<NatsLink>> Start(const NatsOptions& options, IngestFn ingest);
  ~NatsLink();  // Shutdown()
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  // Publishes one finished incident on `incidents_subject` (nothing when it is empty). Thread-safe.
  Status PublishIncident(const nlohmann::json& incident);
  // Stops fetching, sends the acknowledgements still buffered and closes. Idempotent.
  void Shutdown();
  // Counters for /api/status: messages, acked, terminated, delayed, published, last_error, ...
  nlohmann::json StatusJson() const;

  struct Impl;

 private:
  explicit NatsLink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::serve
