// OTLP/JSON: ExportTraceServiceRequest, ExportLogsServiceRequest and ExportMetricsServiceRequest
// documents (one per file, concatenated, or one per line as the collector's file exporter writes).
// Each element of resourceSpans / resourceLogs / resourceMetrics is parsed on its own.
#include "ingest/json_reader.h"
#include "ingest/otlp_common.h"

namespace augur::ingest {
namespace {

namespace od = simdjson::ondemand;
using json::FieldError;

void ReadResource(od::value v, OtlpResource* info) {
  Attributes attrs;
  od::object obj = v.get_object();
  for (auto f : obj) {
    od::field field = std::move(f);
    if (field.key() == "attributes") json::ReadKeyValues(field.value(), &attrs);
  }
  *info = ResourceFromAttributes(attrs);
}

SpanKind KindFrom(od::value v) {
  od::json_type t = v.type();
  if (t == od::json_type::string) {
    std::string_view s = json::Str(v, "kind");
    if (s.find("SERVER") != s.npos) return SpanKind::kServer;
    if (s.find("CLIENT") != s.npos) return SpanKind::kClient;
    if (s.find("PRODUCER") != s.npos) return SpanKind::kProducer;
    if (s.find("CONSUMER") != s.npos) return SpanKind::kConsumer;
    if (s.find("INTERNAL") != s.npos) return SpanKind::kInternal;
    return SpanKind::kUnspecified;
  }
  int64_t k = json::I64(v, "kind");
  return k >= 0 && k <= 5 ? static_cast<SpanKind>(k) : SpanKind::kUnspecified;
}

void ReadStatus(od::value v, Span* span) {
  od::object obj;
  if (v.get_object().get(obj)) throw FieldError{"wrong type: status (expected an object)"};
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "code") {
      od::value c = field.value();
      if (c.type() == od::json_type::string) {
        std::string_view s = json::Str(c, "status.code");
        span->status = s.find("ERROR") != s.npos ? StatusCode::kError
                       : s.find("OK") != s.npos  ? StatusCode::kOk
                                                 : StatusCode::kUnset;
      } else {
        int64_t code = json::I64(c, "status.code");
        span->status = code == 2   ? StatusCode::kError
                       : code == 1 ? StatusCode::kOk
                                   : StatusCode::kUnset;
      }
    } else if (key == "message") {
      span->status_message = json::Str(field.value(), "status.message");
    }
  }
}

void ReadSpanEvents(od::value v, Span* span) {
  od::array arr;
  if (v.get_array().get(arr)) throw FieldError{"wrong type: events (expected an array)"};
  for (auto e : arr) {
    od::object obj;
    if (e.get_object().get(obj)) throw FieldError{"wrong type: events (expected objects)"};
    SpanEvent& ev = span->events.emplace_back();
    for (auto f : obj) {
      od::field field = std::move(f);
      auto key = field.key();
      if (key == "timeUnixNano")
        ev.time = static_cast<TimeNs>(json::U64(field.value(), "events.timeUnixNano"));
      else if (key == "name")
        ev.name = json::Str(field.value(), "events.name");
      else if (key == "attributes")
        json::ReadKeyValues(field.value(), &ev.attributes);
    }
  }
}

// Returns false when the span must be rejected; *reason says why.
void ReadSpan(od::object obj, Span* span) {
  bool has_trace = false, has_span = false;
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "traceId") {
      std::string_view s = json::Str(field.value(), "traceId");
      if (!json::ParseTraceId(s, &span->trace_id)) throw FieldError{"invalid id: traceId"};
      has_trace = !span->trace_id.empty();
    } else if (key == "spanId") {
      std::string_view s = json::Str(field.value(), "spanId");
      if (!json::ParseSpanId(s, &span->span_id)) throw FieldError{"invalid id: spanId"};
      has_span = !span->span_id.empty();
    } else if (key == "parentSpanId") {
      std::string_view s = json::Str(field.value(), "parentSpanId");
      if (!json::ParseSpanId(s, &span->parent_id)) throw FieldError{"invalid id: parentSpanId"};
    } else if (key == "name") {
      span->name = json::Str(field.value(), "name");
    } else if (key == "kind") {
      span->kind = KindFrom(field.value());
    } else if (key == "startTimeUnixNano") {
      span->start = static_cast<TimeNs>(json::U64(field.value(), "startTimeUnixNano"));
    } else if (key == "endTimeUnixNano") {
      span->end = static_cast<TimeNs>(json::U64(field.value(), "endTimeUnixNano"));
    } else if (key == "attributes") {
      json::ReadKeyValues(field.value(), &span->attributes);
    } else if (key == "events") {
      ReadSpanEvents(field.value(), span);
    } else if (key == "status") {
      ReadStatus(field.value(), span);
    }
  }
  if (!has_trace) throw FieldError{"missing field: traceId"};
  if (!has_span) throw FieldError{"missing field: spanId"};
  json::FillHttpFields(span);
}

template <class Fn>
void ForEachScope(od::value scopes, std::string_view records_key, std::string_view field_name,
                  const Fn& fn) {
  od::array arr;
  if (scopes.get_array().get(arr))
    throw FieldError{"wrong type: " + std::string(field_name) + " (expected an array)"};
  for (auto s : arr) {
    od::object obj;
    if (s.get_object().get(obj))
      throw FieldError{"wrong type: " + std::string(field_name) + " (expected objects)"};
    for (auto f : obj) {
      od::field field = std::move(f);
      if (field.key() == records_key) {
        od::array records;
        if (field.value().get_array().get(records))
          throw FieldError{"wrong type: " + std::string(records_key) + " (expected an array)"};
        for (auto r : records) {
          od::value rv = std::move(r);
          fn(rv);
          if (fn.stopped()) return;
        }
      }
    }
  }
}

struct SpanFn {
  const JsonUnit& unit;
  ReadContext& ctx;
  void operator()(od::value v) const {
    const char* loc = nullptr;
    if (v.current_location().get(loc)) loc = nullptr;
    Span& span = ctx.NewSpan();
    try {
      od::object obj;
      if (v.get_object().get(obj)) throw FieldError{"wrong type: spans (expected objects)"};
      ReadSpan(obj, &span);
      if (span.end != 0 && span.end < span.start)
        throw FieldError{"endTimeUnixNano before startTimeUnixNano"};
      ctx.CommitSpan();
    } catch (const FieldError& e) {
      ctx.DropSpan();
      ctx.Reject(unit.LineOf(loc), e.reason);
    }
  }
  bool stopped() const { return ctx.stopped(); }
};

void ReadLogRecord(od::object obj, LogRecord* log) {
  int64_t severity_number = -1;
  TimeNs observed = 0;
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "timeUnixNano") {
      log->time = static_cast<TimeNs>(json::U64(field.value(), "timeUnixNano"));
    } else if (key == "observedTimeUnixNano") {
      observed = static_cast<TimeNs>(json::U64(field.value(), "observedTimeUnixNano"));
    } else if (key == "severityNumber") {
      od::value sv = field.value();
      if (sv.type() == od::json_type::string) {
        std::string_view s = json::Str(sv, "severityNumber");
        // Enum names: SEVERITY_NUMBER_WARN2 ...
        if (s.rfind("SEVERITY_NUMBER_", 0) == 0) s.remove_prefix(16);
        while (!s.empty() && s.back() >= '0' && s.back() <= '9') s.remove_suffix(1);
        log->severity = SeverityFromText(s);
        severity_number = 0;
      } else {
        severity_number = json::I64(sv, "severityNumber");
      }
    } else if (key == "severityText") {
      log->severity_text = json::Str(field.value(), "severityText");
    } else if (key == "body") {
      json::AppendAnyValue(field.value(), &log->body);
    } else if (key == "attributes") {
      json::ReadKeyValues(field.value(), &log->attributes);
    } else if (key == "traceId") {
      if (!json::ParseTraceId(json::Str(field.value(), "traceId"), &log->trace_id))
        throw FieldError{"invalid id: traceId"};
    } else if (key == "spanId") {
      if (!json::ParseSpanId(json::Str(field.value(), "spanId"), &log->span_id))
        throw FieldError{"invalid id: spanId"};
    } else if (key == "eventName") {
      std::string_view name = json::Str(field.value(), "eventName");
      if (!name.empty()) log->attributes.push_back({"event.name", std::string(name)});
    }
  }
  if (log->time == 0) log->time = observed;
  if (severity_number > 0)
    log->severity = SeverityFromNumber(static_cast<int>(severity_number));
  else if (severity_number < 0)
    log->severity = SeverityFromText(log->severity_text);
}

struct LogFn {
  const JsonUnit& unit;
  ReadContext& ctx;
  void operator()(od::value v) const {
    const char* loc = nullptr;
    if (v.current_location().get(loc)) loc = nullptr;
    LogRecord& log = ctx.NewLog();
    try {
      od::object obj;
      if (v.get_object().get(obj)) throw FieldError{"wrong type: logRecords (expected objects)"};
      ReadLogRecord(obj, &log);
      ctx.CommitLog();
    } catch (const FieldError& e) {
      ctx.DropLog();
      ctx.Reject(unit.LineOf(loc), e.reason);
    }
  }
  bool stopped() const { return ctx.stopped(); }
};

void ReadDoubles(od::value v, std::vector<double>* out, std::string_view field) {
  od::array arr;
  if (v.get_array().get(arr))
    throw FieldError{"wrong type: " + std::string(field) + " (expected an array)"};
  for (auto e : arr) out->push_back(json::Dbl(e.value(), field));
}

void ReadCounts(od::value v, std::vector<double>* out, std::string_view field) {
  od::array arr;
  if (v.get_array().get(arr))
    throw FieldError{"wrong type: " + std::string(field) + " (expected an array)"};
  for (auto e : arr) out->push_back(static_cast<double>(json::U64(e.value(), field)));
}

void ReadExpBuckets(od::value v, OtlpBuckets* b) {
  od::object obj;
  if (v.get_object().get(obj)) throw FieldError{"wrong type: buckets (expected an object)"};
  for (auto f : obj) {
    od::field field = std::move(f);
    if (field.key() == "offset")
      b->offset = json::I64(field.value(), "offset");
    else if (field.key() == "bucketCounts")
      ReadCounts(field.value(), &b->counts, "bucketCounts");
  }
}

void ReadDataPoint(od::object obj, MetricKind kind, MetricPoint* p) {
  int64_t scale = 0;
  OtlpBuckets pos, neg;
  bool has_value = kind != MetricKind::kGauge && kind != MetricKind::kSum;
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "timeUnixNano") {
      p->time = static_cast<TimeNs>(json::U64(field.value(), "timeUnixNano"));
    } else if (key == "asDouble") {
      p->value = json::Dbl(field.value(), "asDouble");
      has_value = true;
    } else if (key == "asInt") {
      p->value = static_cast<double>(json::I64(field.value(), "asInt"));
      has_value = true;
    } else if (key == "attributes") {
      json::ReadKeyValues(field.value(), &p->labels);
    } else if (key == "count") {
      p->count = json::U64(field.value(), "count");
    } else if (key == "sum") {
      p->value = json::Dbl(field.value(), "sum");
    } else if (key == "bucketCounts") {
      ReadCounts(field.value(), &p->bucket_counts, "bucketCounts");
    } else if (key == "explicitBounds") {
      ReadDoubles(field.value(), &p->bounds, "explicitBounds");
    } else if (key == "scale") {
      scale = json::I64(field.value(), "scale");
    } else if (key == "positive") {
      ReadExpBuckets(field.value(), &pos);
    } else if (key == "negative") {
      ReadExpBuckets(field.value(), &neg);
    } else if (key == "quantileValues") {
      od::array arr;
      if (field.value().get_array().get(arr))
        throw FieldError{"wrong type: quantileValues (expected an array)"};
      for (auto e : arr) {
        od::object q;
        if (e.get_object().get(q))
          throw FieldError{"wrong type: quantileValues (expected objects)"};
        double quantile = 0, value = 0;
        for (auto qf : q) {
          od::field qfield = std::move(qf);
          if (qfield.key() == "quantile")
            quantile = json::Dbl(qfield.value(), "quantile");
          else if (qfield.key() == "value")
            value = json::Dbl(qfield.value(), "value");
        }
        p->bounds.push_back(quantile);
        p->bucket_counts.push_back(value);
      }
    }
  }
  if (!has_value) throw FieldError{"missing field: asDouble or asInt"};
  if (kind == MetricKind::kExponentialHistogram && !SetExponentialBuckets(scale, pos, neg, p))
    throw FieldError{"invalid value: scale"};
}

void ReadMetric(od::object obj, const JsonUnit& unit, ReadContext& ctx) {
  std::string name;
  bool monotonic = false, delta = false;
  size_t start = ctx.batch().metrics.size();
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    MetricKind kind;
    if (key == "name") {
      name = json::Str(field.value(), "name");
      continue;
    } else if (key == "gauge") {
      kind = MetricKind::kGauge;
    } else if (key == "sum") {
      kind = MetricKind::kSum;
    } else if (key == "histogram") {
      kind = MetricKind::kHistogram;
    } else if (key == "exponentialHistogram") {
      kind = MetricKind::kExponentialHistogram;
    } else if (key == "summary") {
      kind = MetricKind::kSummary;
    } else {
      continue;
    }
    od::object data;
    if (field.value().get_object().get(data))
      throw FieldError{"wrong type: metric data (expected an object)"};
    for (auto df : data) {
      od::field dfield = std::move(df);
      auto dkey = dfield.key();
      if (dkey == "isMonotonic") {
        monotonic = json::Bool(dfield.value(), "isMonotonic");
      } else if (dkey == "aggregationTemporality") {
        // 1 (AGGREGATION_TEMPORALITY_DELTA): each point counts its own interval only.
        od::value t = dfield.value();
        delta = t.type() == od::json_type::string
                    ? json::Str(t, "aggregationTemporality").find("DELTA") != std::string::npos
                    : json::I64(t, "aggregationTemporality") == 1;
      } else if (dkey == "dataPoints") {
        od::array points;
        if (dfield.value().get_array().get(points))
          throw FieldError{"wrong type: dataPoints (expected an array)"};
        for (auto pv : points) {
          od::value v = std::move(pv);
          const char* loc = nullptr;
          if (v.current_location().get(loc)) loc = nullptr;
          MetricPoint& p = ctx.NewMetric();
          p.kind = kind;
          try {
            od::object po;
            if (v.get_object().get(po))
              throw FieldError{"wrong type: dataPoints (expected objects)"};
            ReadDataPoint(po, kind, &p);
            ctx.CommitMetric();
          } catch (const FieldError& e) {
            ctx.DropMetric();
            if (!ctx.Reject(unit.LineOf(loc), e.reason)) return;
          }
        }
      }
    }
  }
  auto& metrics = ctx.batch().metrics;
  if (name.empty() && metrics.size() > start) {
    uint64_t n = metrics.size() - start;
    ctx.RetractMetrics(start);
    for (uint64_t i = 0; i < n; ++i) ctx.Reject(unit.line, "missing field: metric name");
    return;
  }
  for (size_t i = start; i < metrics.size(); ++i) {
    metrics[i].name = name;
    metrics[i].monotonic = OtlpCumulative(metrics[i].kind, monotonic, delta);
  }
}

struct MetricFn {
  const JsonUnit& unit;
  ReadContext& ctx;
  void operator()(od::value v) const {
    od::object obj;
    if (v.get_object().get(obj)) {
      ctx.Reject(unit.line, "wrong type: metrics (expected objects)");
      return;
    }
    try {
      ReadMetric(obj, unit, ctx);
    } catch (const FieldError& e) {
      ctx.Reject(unit.line, e.reason);
    }
  }
  bool stopped() const { return ctx.stopped(); }
};

void ReadResourceUnit(const JsonUnit& unit, od::value value, ReadContext& ctx) {
  od::object obj;
  if (value.get_object().get(obj)) {
    ctx.Reject(unit.line, "wrong type: " + std::string(unit.key) + " (expected objects)");
    return;
  }
  const OtlpMarks marks = MarkBatch(ctx);
  OtlpResource res;
  ctx.Hold();
  try {
    for (auto f : obj) {
      od::field field = std::move(f);
      auto key = field.key();
      if (key == "resource") {
        ReadResource(field.value(), &res);
      } else if (key == "scopeSpans" || key == "instrumentationLibrarySpans") {
        ForEachScope(field.value(), "spans", "scopeSpans", SpanFn{unit, ctx});
      } else if (key == "scopeLogs" || key == "instrumentationLibraryLogs") {
        ForEachScope(field.value(), "logRecords", "scopeLogs", LogFn{unit, ctx});
      } else if (key == "scopeMetrics" || key == "instrumentationLibraryMetrics") {
        ForEachScope(field.value(), "metrics", "scopeMetrics", MetricFn{unit, ctx});
      }
      if (ctx.stopped()) break;
    }
  } catch (const FieldError& e) {
    ctx.Reject(unit.line, e.reason);
  } catch (...) {
    ctx.DropPending();  // before anything can hand the batch over
    ApplyResource(ctx, marks, res);
    ctx.Release();
    throw;
  }
  ApplyResource(ctx, marks, res);
  ctx.Release();
}

}  // namespace

void ReadOtlpJson(ByteSource& src, ReadContext& ctx) {
  ctx.text_is_utf8 = true;  // simdjson validates every byte
  JsonSplitOptions o;
  o.keys = {"resourceSpans", "resourceLogs", "resourceMetrics"};
  ReadJsonUnits(src, ctx, o, [&ctx](const JsonUnit& unit, od::value value) {
    ReadResourceUnit(unit, value, ctx);
  });
}

}  // namespace augur::ingest
