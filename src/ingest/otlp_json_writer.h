// Writes spans, logs and metric points as OTLP/JSON export requests (the bodies of OTLP/HTTP
// /v1/traces, /v1/logs, /v1/metrics), one document per line so that files stream (JSON Lines).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/result.h"

namespace augur::ingest {

// Extra resource attributes for one (service, pod) resource, beside service.name and k8s.pod.name
// (e.g. service.version, k8s.namespace.name). Called once per resource per document.
using ResourceAttributesFn =
    std::function<void(std::string_view service, std::string_view instance, Attributes& out)>;

struct OtlpJsonOptions {
  std::string scope_name = "augur";
  ResourceAttributesFn resource_attributes;  // may be empty
};

// Each appends one complete JSON document and a trailing '\n' to `out`. Records are grouped by
// (service, instance) into resource entries in order of first appearance, so output is
// deterministic. Ids are lowercase hex, enums integers, 64-bit integers decimal strings, per the
// OTLP JSON mapping.
void AppendOtlpTracesJson(std::span<const Span> spans, const OtlpJsonOptions& options,
                          std::string& out);
void AppendOtlpLogsJson(std::span<const LogRecord> logs, const OtlpJsonOptions& options,
                        std::string& out);
void AppendOtlpMetricsJson(std::span<const MetricPoint> points, const OtlpJsonOptions& options,
                           std::string& out);

// OTLP severityNumber for a severity (the first number of its range: INFO → 9).
int OtlpSeverityNumber(Severity s);

struct OtlpJsonWriterOptions {
  OtlpJsonOptions json;
  bool gzip = false;                   // write *.jsonl.gz instead of *.jsonl
  size_t max_records_per_line = 4096;  // longer batches are split over several documents
};

// Streams batches into DIR/traces.jsonl, DIR/logs.jsonl and DIR/metrics.jsonl (".gz" appended when
// gzip is on). Files are created on Open even when a signal never gets a record, so readers always
// find all three.
class OtlpJsonWriter {
 public:
  static Result<std::unique_ptr<OtlpJsonWriter>> Open(const std::string& dir,
                                                      OtlpJsonWriterOptions options = {});
  ~OtlpJsonWriter();
  OtlpJsonWriter(const OtlpJsonWriter&) = delete;
  OtlpJsonWriter& operator=(const OtlpJsonWriter&) = delete;

  Status Write(const Batch& batch);
  Status Close();  // flushes and closes; idempotent

  uint64_t spans_written() const { return spans_; }
  uint64_t logs_written() const { return logs_; }
  uint64_t metrics_written() const { return metrics_; }
  uint64_t bytes_written() const { return bytes_; }  // uncompressed

  struct Sink;

 private:
  OtlpJsonWriter() = default;
  Status Emit(int which, std::string& text);

  OtlpJsonWriterOptions options_;
  std::unique_ptr<Sink> sinks_[3];
  std::string buffer_;
  uint64_t spans_ = 0, logs_ = 0, metrics_ = 0, bytes_ = 0;
};

}  // namespace augur::ingest
