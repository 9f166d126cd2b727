// The one event model every stage reads: logs, spans, metric points and kernel/user-space trace
// events. Times are Unix nanoseconds; ids are compact binary (core/ids.h); the service of a record
// is resolved once, at ingest, by the rule in core/service.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.h"

namespace augur {

using TimeNs = int64_t;

// Attribute values are kept as text: OTLP AnyValue, Zipkin tags, Jaeger tags and CSV cells all map
// to one readable string (arrays and maps as compact JSON).
struct Attribute {
  std::string key;
  std::string value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};
using Attributes = std::vector<Attribute>;

// Returns the value of `key`, or nullptr.
const std::string* FindAttribute(const Attributes& attributes, std::string_view key);

// OTLP severity ranges collapsed to their names (OTLP severityNumber 1-4 trace ... 21-24 fatal).
enum class Severity : uint8_t { kUnspecified, kTrace, kDebug, kInfo, kWarn, kError, kFatal };
Severity SeverityFromNumber(int otlp_severity_number);
Severity SeverityFromText(
    std::string_view text);  // "WARN", "warning", "E", "err", ... ; else kUnspecified
std::string_view SeverityName(Severity s);  // "INFO", ...

struct LogRecord {
  TimeNs time = 0;       // 0 when the record carries no time
  std::string service;   // resolved service ("" when unknown)
  std::string instance;  // pod, host or instance id
  Severity severity = Severity::kUnspecified;
  std::string severity_text;
  std::string body;
  Attributes attributes;
  TraceId trace_id;
  SpanId span_id;
};

enum class SpanKind : uint8_t { kUnspecified, kInternal, kServer, kClient, kProducer, kConsumer };
std::string_view SpanKindName(SpanKind k);  // "SERVER", ...

enum class StatusCode : uint8_t { kUnset, kOk, kError };

struct SpanEvent {
  TimeNs time = 0;
  std::string name;
  Attributes attributes;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_id;  // empty for a root span
  std::string service;
  std::string instance;  // pod or host
  std::string name;      // operation name
  SpanKind kind = SpanKind::kUnspecified;
  TimeNs start = 0;
  TimeNs end = 0;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  // HTTP fields when the span carries them (semantic conventions old and new), else empty / 0.
  std::string http_method;
  std::string http_route;
  std::string http_url;
  int http_status_code = 0;
  Attributes attributes;
  std::vector<SpanEvent> events;

  TimeNs duration() const { return end - start; }
  bool is_root() const { return parent_id.empty(); }
  bool is_error() const { return status == StatusCode::kError || http_status_code >= 500; }
};

enum class MetricKind : uint8_t { kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };
std::string_view MetricKindName(MetricKind k);

// One data point. Gauges and sums carry `value`; histograms and summaries carry `value` = sum,
// `count`, and their buckets or quantiles.
struct MetricPoint {
  std::string name;
  std::string service;
  std::string instance;
  Attributes labels;
  TimeNs time = 0;
  double value = 0;
  MetricKind kind = MetricKind::kGauge;
  uint64_t count = 0;
  std::vector<double> bounds;         // histogram explicit bounds, or summary quantiles
  std::vector<double> bucket_counts;  // histogram counts (exp. histogram: positive then negative)
  // Cumulative: it only grows from its process's start (OTLP monotonic sums, histograms and
  // summaries of cumulative temporality, Prometheus counters and histogram counts).
  // normalize::CounterRates turns counters into per-second rates, and distributions into those of
  // the observations since the point before, before anything learns from them.
  bool monotonic = false;
};

// A kernel or user-space trace event (LTTng CTF, Chrome Trace Event JSON).
struct TraceEvent {
  std::string name;
  std::string category;
  TimeNs time = 0;
  TimeNs duration = 0;  // complete events ('X'); 0 otherwise
  char phase = 'i';     // Chrome phase letter; LTTng events are instants
  int64_t pid = 0;
  int64_t tid = 0;
  std::string process_name;
  Attributes fields;
};

// What readers produce and stages consume: a batch of records in roughly event-time order.
struct Batch {
  std::vector<LogRecord> logs;
  std::vector<Span> spans;
  std::vector<MetricPoint> metrics;
  std::vector<TraceEvent> trace_events;

  size_t size() const { return logs.size() + spans.size() + metrics.size() + trace_events.size(); }
  bool empty() const { return size() == 0; }
  void clear() {
    logs.clear();
    spans.clear();
    metrics.clear();
    trace_events.clear();
  }
  // Keeps only the records whose time (a span's start) lies in [lo, hi); records without a time
  // (0) are kept.
  void KeepWindow(TimeNs lo, TimeNs hi);
  // The latest time a log, span (its start) or metric point carries; 0 when none carries one.
  TimeNs LatestTime() const;
};

}  // namespace augur
