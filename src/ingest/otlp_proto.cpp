// OTLP/protobuf: the binary ExportTraceServiceRequest, ExportLogsServiceRequest and
// ExportMetricsServiceRequest that OTLP/HTTP sends by default (Content-Type:
// application/x-protobuf), decoded straight from the protobuf wire format with the field numbers
// of opentelemetry-proto v1 (stable since OTLP 1.0). The mapping to records is OTLP/JSON's
// (otlp_common.h): the same resource rule, the same AnyValue text, the same metric kinds. Which
// request a body holds cannot be told from its bytes, so each signal is a format of its own.
//
// A record of the wrong wire type or with a bad id is rejected, named by its place ("resource 0,
// span 3"); the records around it are kept. A body cut short keeps the records wholly before the
// cut and rejects the one it cuts.
#include <charconv>
#include <cmath>
#include <cstring>

#include "ingest/json_util.h"
#include "ingest/otlp_common.h"
#include "ingest/protobuf_wire.h"
#include "ingest/reader.h"
#include "ingest/request_body.h"

namespace augur::ingest {
namespace {

using namespace protobuf;

void AppendBase64(std::string_view bytes, std::string* out) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint8_t>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out->push_back(kAlphabet[(v >> s) & 63]);
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out->push_back('=');
  }
}

void AppendDouble(double d, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, r.ptr);
}

constexpr int kMaxDepth = 64;

// AnyValue (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes) as OTLP/JSON's reader
// writes it: scalars as their text, arrays and kvlists as compact JSON (strings quoted inside).
void AppendAnyValue(std::string_view bytes, std::string* out, bool as_json, int depth = 0) {
  if (depth > kMaxDepth) throw ProtoError{"AnyValue nested too deeply"};
  Message m(bytes, "AnyValue");
  bool any = false;
  while (m.Next()) {
    switch (m.field()) {
      case 1: {
        std::string_view s = LenField(m, "string_value");
        if (as_json)
          json::AppendQuoted(s, out);
        else
          out->append(s);
        any = true;
        break;
      }
      case 2:
        *out += VarintField(m, "bool_value") ? "true" : "false";
        any = true;
        break;
      case 3:
        *out += std::to_string(static_cast<int64_t>(VarintField(m, "int_value")));
        any = true;
        break;
      case 4: {
        m.Expect(kFixed64, "double_value");
        double d = m.Double();
        if (as_json && !std::isfinite(d)) {
          std::string t;
          AppendDouble(d, &t);
          json::AppendQuoted(t, out);
        } else {
          AppendDouble(d, out);
        }
        any = true;
        break;
      }
      case 5: {  // ArrayValue { repeated AnyValue values = 1; }
        Message a(LenField(m, "array_value"), "ArrayValue");
        out->push_back('[');
        bool first = true;
        while (a.Next()) {
          if (a.field() != 1) {
            a.Skip();
            continue;
          }
          if (!first) out->push_back(',');
          first = false;
          AppendAnyValue(LenField(a, "values"), out, true, depth + 1);
        }
        out->push_back(']');
        any = true;
        break;
      }
      case 6: {  // KeyValueList { repeated KeyValue values = 1; }
        Message l(LenField(m, "kvlist_value"), "KeyValueList");
        out->push_back('{');
        bool first = true;
        while (l.Next()) {
          if (l.field() != 1) {
            l.Skip();
            continue;
          }
          Message kv(LenField(l, "values"), "KeyValue");
          std::string_view key;
          std::string value;
          while (kv.Next()) {
            if (kv.field() == 1)
              key = LenField(kv, "key");
            else if (kv.field() == 2)
              AppendAnyValue(LenField(kv, "value"), &value, true, depth + 1);
            else
              kv.Skip();
          }
          if (!first) out->push_back(',');
          first = false;
          json::AppendQuoted(key, out);
          out->push_back(':');
          out->append(value.empty() ? "null" : value);
        }
        out->push_back('}');
        any = true;
        break;
      }
      case 7: {
        std::string t;
        AppendBase64(LenField(m, "bytes_value"), &t);
        if (as_json)
          json::AppendQuoted(t, out);
        else
          out->append(t);
        any = true;
        break;
      }
      default:
        m.Skip();
    }
  }
  if (!any && as_json) out->append("null");
}

// KeyValue { string key = 1; AnyValue value = 2; }
void ReadKeyValue(std::string_view bytes, Attributes* attrs) {
  Message kv(bytes, "KeyValue");
  Attribute& a = attrs->emplace_back();
  while (kv.Next()) {
    if (kv.field() == 1)
      a.key = LenField(kv, "key");
    else if (kv.field() == 2)
      AppendAnyValue(LenField(kv, "value"), &a.value, false);
    else
      kv.Skip();
  }
}

TraceId TraceIdFrom(std::string_view b, const char* name) {
  TraceId id;
  if (b.empty()) return id;
  if (b.size() != 16) throw ProtoError{std::string("invalid id: ") + name + " (not 16 bytes)"};
  std::memcpy(id.bytes.data(), b.data(), 16);
  return id;
}

SpanId SpanIdFrom(std::string_view b, const char* name) {
  SpanId id;
  if (b.empty()) return id;
  if (b.size() != 8) throw ProtoError{std::string("invalid id: ") + name + " (not 8 bytes)"};
  for (char c : b) id.value = (id.value << 8) | static_cast<uint8_t>(c);
  return id;
}

// Resource { repeated KeyValue attributes = 1; }
OtlpResource ReadResource(std::string_view bytes) {
  Message m(bytes, "Resource");
  Attributes attrs;
  while (m.Next()) {
    if (m.field() == 1)
      ReadKeyValue(LenField(m, "attributes"), &attrs);
    else
      m.Skip();
  }
  return ResourceFromAttributes(attrs);
}

// Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end, 9 attributes,
// 11 events, 15 status.
void ReadSpan(std::string_view bytes, Span* span) {
  Message m(bytes, "Span");
  while (m.Next()) {
    switch (m.field()) {
      case 1:
        span->trace_id = TraceIdFrom(LenField(m, "trace_id"), "trace_id");
        break;
      case 2:
        span->span_id = SpanIdFrom(LenField(m, "span_id"), "span_id");
        break;
      case 4:
        span->parent_id = SpanIdFrom(LenField(m, "parent_span_id"), "parent_span_id");
        break;
      case 5:
        span->name = LenField(m, "name");
        break;
      case 6: {
        uint64_t k = VarintField(m, "kind");
        span->kind = k <= 5 ? static_cast<SpanKind>(k) : SpanKind::kUnspecified;
        break;
      }
      case 7:
        span->start = static_cast<TimeNs>(Fixed64Field(m, "start_time_unix_nano"));
        break;
      case 8:
        span->end = static_cast<TimeNs>(Fixed64Field(m, "end_time_unix_nano"));
        break;
      case 9:
        ReadKeyValue(LenField(m, "attributes"), &span->attributes);
        break;
      case 11: {  // Event { fixed64 time_unix_nano = 1; string name = 2; attributes = 3; }
        Message e(LenField(m, "events"), "Span.Event");
        SpanEvent& ev = span->events.emplace_back();
        while (e.Next()) {
          if (e.field() == 1)
            ev.time = static_cast<TimeNs>(Fixed64Field(e, "time_unix_nano"));
          else if (e.field() == 2)
            ev.name = LenField(e, "name");
          else if (e.field() == 3)
            ReadKeyValue(LenField(e, "attributes"), &ev.attributes);
          else
            e.Skip();
        }
        break;
      }
      case 15: {  // Status { string message = 2; StatusCode code = 3; }
        Message st(LenField(m, "status"), "Status");
        while (st.Next()) {
          if (st.field() == 2) {
            span->status_message = LenField(st, "message");
          } else if (st.field() == 3) {
            uint64_t code = VarintField(st, "code");
            span->status = code == 2   ? StatusCode::kError
                           : code == 1 ? StatusCode::kOk
                                       : StatusCode::kUnset;
          } else {
            st.Skip();
          }
        }
        break;
      }
      default:
        m.Skip();
    }
  }
  if (span->trace_id.empty()) throw ProtoError{"missing field: trace_id"};
  if (span->span_id.empty()) throw ProtoError{"missing field: span_id"};
  if (span->end != 0 && span->end < span->start)
    throw ProtoError{"end_time_unix_nano before start_time_unix_nano"};
  json::FillHttpFields(span);
}

// LogRecord: 1 time, 11 observed time, 2 severity_number, 3 severity_text, 5 body, 6 attributes,
// 9 trace_id, 10 span_id, 12 event_name.
void ReadLogRecord(std::string_view bytes, LogRecord* log) {
  Message m(bytes, "LogRecord");
  uint64_t severity_number = 0;
  TimeNs observed = 0;
  while (m.Next()) {
    switch (m.field()) {
      case 1:
        log->time = static_cast<TimeNs>(Fixed64Field(m, "time_unix_nano"));
        break;
      case 11:
        observed = static_cast<TimeNs>(Fixed64Field(m, "observed_time_unix_nano"));
        break;
      case 2:
        severity_number = VarintField(m, "severity_number");
        break;
      case 3:
        log->severity_text = LenField(m, "severity_text");
        break;
      case 5:
        AppendAnyValue(LenField(m, "body"), &log->body, false);
        break;
      case 6:
        ReadKeyValue(LenField(m, "attributes"), &log->attributes);
        break;
      case 9:
        log->trace_id = TraceIdFrom(LenField(m, "trace_id"), "trace_id");
        break;
      case 10:
        log->span_id = SpanIdFrom(LenField(m, "span_id"), "span_id");
        break;
      case 12: {
        std::string_view name = LenField(m, "event_name");
        if (!name.empty()) log->attributes.push_back({"event.name", std::string(name)});
        break;
      }
      default:
        m.Skip();
    }
  }
  if (log->time == 0) log->time = observed;
  log->severity = severity_number > 0 && severity_number <= 24
                      ? SeverityFromNumber(static_cast<int>(severity_number))
                      : SeverityFromText(log->severity_text);
}

// Packed (or, as protobuf allows, unpacked) repeated fixed64 / double.
template <class Fn>
void ReadRepeated64(Message& m, const char* name, Fn&& add) {
  if (m.type() == kFixed64) return add(m.Fixed64());
  std::string_view packed = LenField(m, name);
  if (packed.size() % 8) throw ProtoError{std::string("truncated packed field: ") + name};
  for (size_t i = 0; i < packed.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, packed.data() + i, 8);
    add(v);
  }
}

// ExponentialHistogramDataPoint.Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
OtlpBuckets ReadExpBuckets(std::string_view bytes) {
  Message m(bytes, "Buckets");
  OtlpBuckets b;
  while (m.Next()) {
    if (m.field() == 1) {
      b.offset = ZigZag(VarintField(m, "offset"));
    } else if (m.field() == 2 && m.type() == kVarint) {
      b.counts.push_back(static_cast<double>(m.Varint()));
    } else if (m.field() == 2) {
      Message packed(LenField(m, "bucket_counts"), "Buckets.bucket_counts");
      while (!packed.AtEnd()) b.counts.push_back(static_cast<double>(packed.Varint()));
    } else {
      m.Skip();
    }
  }
  return b;
}

// The data points of each kind, by field number:
//   NumberDataPoint:       7 attributes, 3 time, 4 as_double, 6 as_int (sfixed64)
//   HistogramDataPoint:    9 attributes, 3 time, 4 count, 5 sum, 6 bucket_counts, 7 explicit_bounds
//   ExponentialHistogramDataPoint: 1 attributes, 3 time, 4 count, 5 sum, 6 scale (sint32),
//                          8 positive, 9 negative
//   SummaryDataPoint:      7 attributes, 3 time, 4 count, 5 sum, 6 quantile_values
void ReadDataPoint(std::string_view bytes, MetricKind kind, MetricPoint* p) {
  Message m(bytes, "DataPoint");
  bool has_value = kind != MetricKind::kGauge && kind != MetricKind::kSum;
  const uint32_t attributes_field = kind == MetricKind::kHistogram              ? 9
                                    : kind == MetricKind::kExponentialHistogram ? 1
                                                                                : 7;
  int64_t scale = 0;
  OtlpBuckets pos, neg;
  while (m.Next()) {
    const uint32_t f = m.field();
    if (f == attributes_field) {
      ReadKeyValue(LenField(m, "attributes"), &p->labels);
    } else if (f == 3) {
      p->time = static_cast<TimeNs>(Fixed64Field(m, "time_unix_nano"));
    } else if (kind == MetricKind::kGauge || kind == MetricKind::kSum) {
      if (f == 4) {
        m.Expect(kFixed64, "as_double");
        p->value = m.Double();
        has_value = true;
      } else if (f == 6) {
        p->value = static_cast<double>(static_cast<int64_t>(Fixed64Field(m, "as_int")));
        has_value = true;
      } else {
        m.Skip();
      }
    } else if (f == 4) {
      p->count = Fixed64Field(m, "count");
    } else if (f == 5) {
      m.Expect(kFixed64, "sum");
      p->value = m.Double();
    } else if (kind == MetricKind::kHistogram && f == 6) {
      ReadRepeated64(m, "bucket_counts",
                     [p](uint64_t v) { p->bucket_counts.push_back(static_cast<double>(v)); });
    } else if (kind == MetricKind::kHistogram && f == 7) {
      ReadRepeated64(m, "explicit_bounds",
                     [p](uint64_t v) { p->bounds.push_back(BitsToDouble(v)); });
    } else if (kind == MetricKind::kExponentialHistogram && f == 6) {
      scale = ZigZag(VarintField(m, "scale"));
    } else if (kind == MetricKind::kExponentialHistogram && (f == 8 || f == 9)) {
      (f == 8 ? pos : neg) = ReadExpBuckets(LenField(m, f == 8 ? "positive" : "negative"));
    } else if (kind == MetricKind::kSummary && f == 6) {
      // ValueAtQuantile { double quantile = 1; double value = 2; }
      Message q(LenField(m, "quantile_values"), "ValueAtQuantile");
      double quantile = 0, value = 0;
      while (q.Next()) {
        if (q.field() == 1 || q.field() == 2) {
          q.Expect(kFixed64, q.field() == 1 ? "quantile" : "value");
          (q.field() == 1 ? quantile : value) = q.Double();
        } else {
          q.Skip();
        }
      }
      p->bounds.push_back(quantile);
      p->bucket_counts.push_back(value);
    } else {
      m.Skip();
    }
  }
  if (!has_value) throw ProtoError{"missing field: as_double or as_int"};
  if (kind == MetricKind::kExponentialHistogram && !SetExponentialBuckets(scale, pos, neg, p))
    throw ProtoError{"invalid value: scale"};
}

// Metric: 1 name, 5 gauge, 7 sum, 9 histogram, 10 exponential_histogram, 11 summary; each data
// message holds 1 data_points, 2 aggregation_temporality and (sums) 3 is_monotonic.
void ReadMetric(std::string_view bytes, const std::string& source, ReadContext& ctx) {
  Message m(bytes, "Metric");
  std::string name;
  bool monotonic = false, delta = false;
  const size_t start = ctx.batch().metrics.size();
  while (m.Next()) {
    MetricKind kind;
    switch (m.field()) {
      case 1:
        name = LenField(m, "name");
        continue;
      case 5:
        kind = MetricKind::kGauge;
        break;
      case 7:
        kind = MetricKind::kSum;
        break;
      case 9:
        kind = MetricKind::kHistogram;
        break;
      case 10:
        kind = MetricKind::kExponentialHistogram;
        break;
      case 11:
        kind = MetricKind::kSummary;
        break;
      default:
        m.Skip();
        continue;
    }
    Message data(LenField(m, "data"), "Metric.data");
    while (data.Next()) {
      if (data.field() == 1) {
        std::string_view point = LenField(data, "data_points");
        MetricPoint& p = ctx.NewMetric();
        p.kind = kind;
        try {
          ReadDataPoint(point, kind, &p);
          ctx.CommitMetric();
        } catch (const ProtoError& e) {
          ctx.DropMetric();
          if (!ctx.Reject(0, e.reason, source)) return;
        }
      } else if (data.field() == 2 && kind != MetricKind::kGauge && kind != MetricKind::kSummary) {
        delta = VarintField(data, "aggregation_temporality") == 1;  // 1: DELTA
      } else if (data.field() == 3 && kind == MetricKind::kSum) {
        monotonic = VarintField(data, "is_monotonic") != 0;
      } else {
        data.Skip();
      }
    }
  }
  auto& metrics = ctx.batch().metrics;
  if (name.empty() && metrics.size() > start) {
    uint64_t n = metrics.size() - start;
    ctx.RetractMetrics(start);
    for (uint64_t i = 0; i < n; ++i) ctx.Reject(0, "missing field: metric name", source);
    return;
  }
  // Given to the points after they were committed (and their text repaired): repaired here.
  if (RepairUtf8(name)) ctx.repaired_records += metrics.size() - start;
  for (size_t i = start; i < metrics.size(); ++i) {
    metrics[i].name = name;
    metrics[i].monotonic = OtlpCumulative(metrics[i].kind, monotonic, delta);
  }
}

enum class Signal { kTraces, kLogs, kMetrics };

// One record of the scope; a bad one is rejected, its neighbours kept.
void ReadRecord(Signal signal, std::string_view bytes, const std::string& where, ReadContext& ctx) {
  switch (signal) {
    case Signal::kTraces: {
      Span& span = ctx.NewSpan();
      try {
        ReadSpan(bytes, &span);
        ctx.CommitSpan();
      } catch (const ProtoError& e) {
        ctx.DropSpan();
        ctx.Reject(0, e.reason, where);
      }
      break;
    }
    case Signal::kLogs: {
      LogRecord& log = ctx.NewLog();
      try {
        ReadLogRecord(bytes, &log);
        ctx.CommitLog();
      } catch (const ProtoError& e) {
        ctx.DropLog();
        ctx.Reject(0, e.reason, where);
      }
      break;
    }
    case Signal::kMetrics:
      try {
        ReadMetric(bytes, where, ctx);
      } catch (const ProtoError& e) {
        ctx.Reject(0, e.reason, where);
      }
      break;
  }
}

// Export*ServiceRequest { repeated Resource{Spans,Logs,Metrics} = 1; }
// Resource*: 1 resource, 2 scope_*; Scope*: 1 scope, 2 records.
void ReadRequest(ByteSource& src, ReadContext& ctx, Signal signal) {
  static const char* kRecord[] = {"span", "log record", "metric"};
  std::string body;
  if (!ReadRequestBody(src, ctx, "OTLP/protobuf request", false, &body)) return;
  uint64_t resource_index = 0;
  try {
    Message request(body, "request");
    while (request.Next() && !ctx.stopped()) {
      if (request.field() != 1) {
        request.Skip();
        continue;
      }
      request.Expect(kLen, "resource_*");
      bool cut = false;
      std::string_view resource_bytes = request.BytesOrRest(&cut);
      const std::string where_resource = "resource " + std::to_string(resource_index++);
      const OtlpMarks marks = MarkBatch(ctx);
      OtlpResource resource;
      uint64_t record_index = 0;
      ctx.Hold();
      try {
        Message r(resource_bytes, "resource_*");
        while (r.Next() && !ctx.stopped()) {
          if (r.field() == 1) {
            resource = ReadResource(LenField(r, "resource"));
          } else if (r.field() == 2) {
            r.Expect(kLen, "scope_*");
            bool scope_cut = false;
            Message scope(r.BytesOrRest(&scope_cut), "scope_*");
            cut |= scope_cut;
            while (scope.Next() && !ctx.stopped()) {
              if (scope.field() != 2) {
                scope.Skip();
                continue;
              }
              const char* record = kRecord[static_cast<int>(signal)];
              const std::string where =
                  where_resource + ", " + record + " " + std::to_string(record_index++);
              scope.Expect(kLen, record);
              bool record_cut = false;
              std::string_view bytes = scope.BytesOrRest(&record_cut);
              if (record_cut) {
                ctx.Reject(0, std::string("truncated: the body ends inside a ") + record, where);
                cut = false;  // said
                break;
              }
              ReadRecord(signal, bytes, where, ctx);
            }
          } else {
            r.Skip();
          }
        }
      } catch (const ProtoError& e) {
        ctx.DropPending();
        ctx.Reject(0, e.reason, where_resource);
      }
      if (cut) ctx.Reject(0, "truncated: the body ends inside a resource", where_resource);
      ApplyResource(ctx, marks, resource);
      ctx.Release();
    }
  } catch (const ProtoError& e) {
    ctx.Reject(0, e.reason);
  }
}

}  // namespace

void ReadOtlpProtoTraces(ByteSource& src, ReadContext& ctx) {
  ReadRequest(src, ctx, Signal::kTraces);
}
void ReadOtlpProtoLogs(ByteSource& src, ReadContext& ctx) {
  ReadRequest(src, ctx, Signal::kLogs);
}
void ReadOtlpProtoMetrics(ByteSource& src, ReadContext& ctx) {
  ReadRequest(src, ctx, Signal::kMetrics);
}

}  // namespace augur::ingest
