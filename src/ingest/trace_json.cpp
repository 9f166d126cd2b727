// Zipkin v2 JSON (array of spans), Jaeger JSON ({"data": [trace...]} or one trace), Loki push JSON
// and Chrome Trace Event JSON. Arrays are streamed element by element.
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "core/service.h"
#include "ingest/json_reader.h"
#include "ingest/log_line.h"

namespace augur::ingest {
namespace {

namespace od = simdjson::ondemand;
using json::FieldError;

od::object Obj(od::value v, std::string_view field) {
  od::object o;
  if (v.get_object().get(o))
    throw FieldError{"wrong type: " + std::string(field) + " (expected an object)"};
  return o;
}

od::array Arr(od::value v, std::string_view field) {
  od::array a;
  if (v.get_array().get(a))
    throw FieldError{"wrong type: " + std::string(field) + " (expected an array)"};
  return a;
}

SpanKind KindFromText(std::string_view s) {
  auto eq = [&](std::string_view w) {
    if (s.size() != w.size()) return false;
    for (size_t i = 0; i < s.size(); ++i)
      if ((s[i] | 0x20) != (w[i] | 0x20)) return false;
    return true;
  };
  if (eq("server")) return SpanKind::kServer;
  if (eq("client")) return SpanKind::kClient;
  if (eq("producer")) return SpanKind::kProducer;
  if (eq("consumer")) return SpanKind::kConsumer;
  if (eq("internal")) return SpanKind::kInternal;
  return SpanKind::kUnspecified;
}

// Zipkin lets a SERVER span share its CLIENT's id. Ids must be unique here, so the shared server
// half gets a derived id and the client as parent.
SpanId DeriveSharedId(SpanId id) {
  uint64_t x = id.value ^ 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ULL;
  return SpanId{x ? x : 1};
}

void ApplyErrorTags(Span* s) {
  if (const std::string* e = FindAttribute(s->attributes, "error")) {
    if (*e != "false" && *e != "0") s->status = StatusCode::kError;
  }
  if (const std::string* c = FindAttribute(s->attributes, "otel.status_code")) {
    if (*c == "ERROR")
      s->status = StatusCode::kError;
    else if (*c == "OK")
      s->status = StatusCode::kOk;
  }
  if (s->http_route.empty())
    if (const std::string* p = FindAttribute(s->attributes, "http.path")) s->http_route = *p;
}

// ---- Zipkin ----

void ReadEndpoint(od::value v, std::string* service, std::string* address) {
  for (auto f : Obj(v, "endpoint")) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "serviceName")
      *service = json::Str(field.value(), "serviceName");
    else if (key == "ipv4" || (key == "ipv6" && address->empty()))
      *address = json::Str(field.value(), "ipv4");
  }
}

void ReadZipkinSpan(od::object obj, Span* s) {
  bool shared = false;
  int64_t ts = 0, dur = 0;
  std::string remote_service, remote_addr;
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "traceId") {
      if (!json::ParseTraceId(json::Str(field.value(), "traceId"), &s->trace_id))
        throw FieldError{"invalid id: traceId"};
    } else if (key == "id") {
      if (!json::ParseSpanId(json::Str(field.value(), "id"), &s->span_id))
        throw FieldError{"invalid id: id"};
    } else if (key == "parentId") {
      if (!json::ParseSpanId(json::Str(field.value(), "parentId"), &s->parent_id))
        throw FieldError{"invalid id: parentId"};
    } else if (key == "name") {
      s->name = json::Str(field.value(), "name");
    } else if (key == "kind") {
      s->kind = KindFromText(json::Str(field.value(), "kind"));
    } else if (key == "timestamp") {
      ts = json::I64(field.value(), "timestamp");
    } else if (key == "duration") {
      dur = json::I64(field.value(), "duration");
    } else if (key == "localEndpoint") {
      ReadEndpoint(field.value(), &s->service, &s->instance);
    } else if (key == "remoteEndpoint") {
      ReadEndpoint(field.value(), &remote_service, &remote_addr);
    } else if (key == "tags") {
      od::object tags = Obj(field.value(), "tags");
      json::ReserveAttributes(tags, &s->attributes);
      for (auto t : tags) {
        od::field tf = std::move(t);
        Attribute& a = s->attributes.emplace_back();
        a.key = tf.unescaped_key().value();
        json::AppendPlain(tf.value(), &a.value);
      }
    } else if (key == "annotations") {
      for (auto e : Arr(field.value(), "annotations")) {
        SpanEvent& ev = s->events.emplace_back();
        for (auto af : Obj(e.value(), "annotations")) {
          od::field a = std::move(af);
          if (a.key() == "timestamp") {
            if (!ScaleTime(json::I64(a.value(), "annotations.timestamp"), 1000, &ev.time))
              throw FieldError{"invalid value: annotations.timestamp"};
          } else if (a.key() == "value") {
            ev.name = json::Str(a.value(), "annotations.value");
          }
        }
      }
    } else if (key == "shared") {
      shared = json::Bool(field.value(), "shared");
    }
  }
  if (s->trace_id.empty()) throw FieldError{"missing field: traceId"};
  if (s->span_id.empty()) throw FieldError{"missing field: id"};
  if (!FinishZipkinSpan(ts, dur, shared, remote_service, s))
    throw FieldError{"invalid value: timestamp or duration"};
}

// ---- Jaeger ----

struct JaegerProcess {
  std::string service, instance;
};

void ReadJaegerTags(od::value v, Attributes* attrs, std::string_view field) {
  od::array arr = Arr(v, field);
  json::ReserveAttributes(arr, attrs);
  for (auto e : arr) {
    Attribute a;
    for (auto tf : Obj(e.value(), field)) {
      od::field t = std::move(tf);
      if (t.key() == "key")
        a.key = json::Str(t.value(), "tags.key");
      else if (t.key() == "value")
        json::AppendPlain(t.value(), &a.value);
    }
    if (!a.key.empty()) attrs->push_back(std::move(a));
  }
}

JaegerProcess ReadJaegerProcess(od::value v) {
  JaegerProcess p;
  Attributes tags;
  for (auto f : Obj(v, "process")) {
    od::field field = std::move(f);
    if (field.key() == "serviceName")
      p.service = json::Str(field.value(), "serviceName");
    else if (field.key() == "tags")
      ReadJaegerTags(field.value(), &tags, "process.tags");
  }
  for (const char* k : {"hostname", "host.name", "ip", "k8s.pod.name"})
    if (const std::string* h = FindAttribute(tags, k)) {
      p.instance = *h;
      break;
    }
  return p;
}

void ReadJaegerSpan(od::object obj, Span* s, std::string* process_id,
                    JaegerProcess* inline_process) {
  int64_t start = 0, dur = 0;
  for (auto f : obj) {
    od::field field = std::move(f);
    auto key = field.key();
    if (key == "traceID") {
      if (!json::ParseTraceId(json::Str(field.value(), "traceID"), &s->trace_id))
        throw FieldError{"invalid id: traceID"};
    } else if (key == "spanID") {
      if (!json::ParseSpanId(json::Str(field.value(), "spanID"), &s->span_id))
        throw FieldError{"invalid id: spanID"};
    } else if (key == "operationName") {
      s->name = json::Str(field.value(), "operationName");
    } else if (key == "references") {
      for (auto r : Arr(field.value(), "references")) {
        std::string_view type, sid;
        for (auto rf : Obj(r.value(), "references")) {
          od::field x = std::move(rf);
          if (x.key() == "refType")
            type = json::Str(x.value(), "refType");
          else if (x.key() == "spanID")
            sid = json::Str(x.value(), "references.spanID");
        }
        // CHILD_OF wins over FOLLOWS_FROM; the first one otherwise.
        if (s->parent_id.empty() || type == "CHILD_OF")
          if (!json::ParseSpanId(sid, &s->parent_id))
            throw FieldError{"invalid id: references.spanID"};
      }
    } else if (key == "startTime") {
      start = json::I64(field.value(), "startTime");
    } else if (key == "duration") {
      dur = json::I64(field.value(), "duration");
    } else if (key == "tags") {
      ReadJaegerTags(field.value(), &s->attributes, "tags");
    } else if (key == "logs") {
      for (auto l : Arr(field.value(), "logs")) {
        SpanEvent& ev = s->events.emplace_back();
        for (auto lf : Obj(l.value(), "logs")) {
          od::field x = std::move(lf);
          if (x.key() == "timestamp") {
            if (!ScaleTime(json::I64(x.value(), "logs.timestamp"), 1000, &ev.time))
              throw FieldError{"invalid value: logs.timestamp"};
          } else if (x.key() == "fields") {
            ReadJaegerTags(x.value(), &ev.attributes, "logs.fields");
          }
        }
        if (const std::string* e = FindAttribute(ev.attributes, "event")) ev.name = *e;
      }
    } else if (key == "processID") {
      *process_id = json::Str(field.value(), "processID");
    } else if (key == "process") {
      *inline_process = ReadJaegerProcess(field.value());
    }
  }
  if (s->trace_id.empty()) throw FieldError{"missing field: traceID"};
  if (s->span_id.empty()) throw FieldError{"missing field: spanID"};
  if (!ScaleTime(start, 1000, &s->start) || !ScaleTime(dur, 1000, &s->end, s->start))
    throw FieldError{"invalid value: startTime or duration"};
  if (const std::string* k = FindAttribute(s->attributes, "span.kind")) s->kind = KindFromText(*k);
  json::FillHttpFields(s);
  ApplyErrorTags(s);
}

void ReadJaegerTrace(const JsonUnit& unit, od::value value, ReadContext& ctx) {
  std::unordered_map<std::string, JaegerProcess> processes;
  std::vector<std::pair<size_t, std::string>> span_process;  // batch index → processID
  Batch& b = ctx.batch();
  ctx.Hold();
  struct Release {
    ReadContext& ctx;
    ~Release() { ctx.Release(); }
  } release{ctx};
  auto resolve = [&] {
    for (auto& [i, pid] : span_process) {
      auto it = processes.find(pid);
      if (it == processes.end()) continue;
      if (b.spans[i].service.empty()) b.spans[i].service = it->second.service;
      if (b.spans[i].instance.empty()) b.spans[i].instance = it->second.instance;
    }
  };
  try {
    for (auto f : Obj(value, "trace")) {
      od::field field = std::move(f);
      auto key = field.key();
      if (key == "spans") {
        for (auto sv : Arr(field.value(), "spans")) {
          od::value v = std::move(sv);
          const char* loc = nullptr;
          if (v.current_location().get(loc)) loc = nullptr;
          Span& s = ctx.NewSpan();
          std::string pid;
          JaegerProcess inline_process;
          try {
            ReadJaegerSpan(Obj(v, "spans"), &s, &pid, &inline_process);
            if (!inline_process.service.empty()) {
              if (s.service.empty()) s.service = inline_process.service;
              s.instance = inline_process.instance;
            }
            ctx.CommitSpan();
            if (!pid.empty()) span_process.emplace_back(b.spans.size() - 1, std::move(pid));
          } catch (const FieldError& e) {
            ctx.DropSpan();
            if (!ctx.Reject(unit.LineOf(loc), e.reason)) return;
          }
        }
      } else if (key == "processes") {
        for (auto pf : Obj(field.value(), "processes")) {
          od::field p = std::move(pf);
          std::string id(p.unescaped_key().value());
          processes[id] = ReadJaegerProcess(p.value());
        }
      }
    }
  } catch (...) {
    ctx.DropPending();  // before anything can hand the batch over
    resolve();
    throw;
  }
  resolve();
}

// ---- Loki ----

}  // namespace

void ApplyLokiStream(const Attributes& labels, size_t first, Batch& b) {
  std::string service, instance, pod, level;
  for (const auto& l : labels) {
    if (l.key == "service") service = l.value;  // rule 1: an explicit label wins
  }
  for (const char* k : {"service_name", "app", "job", "container"}) {
    if (!service.empty()) break;
    if (const std::string* v = FindAttribute(labels, k)) service = *v;
  }
  if (const std::string* p = FindAttribute(labels, "pod")) pod = *p;
  if (service.empty() && !pod.empty()) service = ServiceFromPod(pod);
  instance = !pod.empty()                        ? pod
             : FindAttribute(labels, "instance") ? *FindAttribute(labels, "instance")
                                                 : "";
  if (const std::string* l = FindAttribute(labels, "level"))
    level = *l;
  else if (const std::string* d = FindAttribute(labels, "detected_level"))
    level = *d;
  for (size_t i = first; i < b.logs.size(); ++i) {
    LogRecord& log = b.logs[i];
    if (log.service.empty()) log.service = service;
    log.instance = instance;
    if (!level.empty()) {
      log.severity_text = level;
      log.severity = SeverityFromText(level);
    }
    log.attributes.insert(log.attributes.begin(), labels.begin(), labels.end());
  }
}

namespace {

void ReadLokiStream(const JsonUnit& unit, od::value value, ReadContext& ctx) {
  Batch& b = ctx.batch();
  size_t first = b.logs.size();
  Attributes labels;
  ctx.Hold();
  struct Release {
    ReadContext& ctx;
    ~Release() { ctx.Release(); }
  } release{ctx};
  auto finish = [&] { ApplyLokiStream(labels, first, b); };
  try {
    for (auto f : Obj(value, "streams")) {
      od::field field = std::move(f);
      auto key = field.key();
      if (key == "stream" || key == "labels") {
        for (auto lf : Obj(field.value(), "stream")) {
          od::field l = std::move(lf);
          Attribute& a = labels.emplace_back();
          a.key = l.unescaped_key().value();
          json::AppendPlain(l.value(), &a.value);
        }
      } else if (key == "values") {
        for (auto ev : Arr(field.value(), "values")) {
          od::value v = std::move(ev);
          const char* loc = nullptr;
          if (v.current_location().get(loc)) loc = nullptr;
          LogRecord& log = ctx.NewLog();
          try {
            int n = 0;
            for (auto xv : Arr(v, "values")) {
              od::value x = std::move(xv);
              if (n == 0) {
                log.time = json::I64(x, "values[0] (time)");
              } else if (n == 1) {
                log.body = json::Str(x, "values[1] (line)");
              } else if (n == 2) {
                for (auto mf : Obj(x, "values[2] (metadata)")) {
                  od::field m = std::move(mf);
                  Attribute& a = log.attributes.emplace_back();
                  a.key = m.unescaped_key().value();
                  json::AppendPlain(m.value(), &a.value);
                }
              }
              ++n;
            }
            if (n < 2) throw FieldError{"missing field: values needs [time, line]"};
            SeverityFromBody(&log);
            ctx.CommitLog();
          } catch (const FieldError& e) {
            ctx.DropLog();
            if (!ctx.Reject(unit.LineOf(loc), e.reason)) return;
          }
        }
      }
    }
  } catch (...) {
    ctx.DropPending();  // before anything can hand the batch over
    finish();
    throw;
  }
  finish();
}

// ---- Chrome Trace Event ----

struct ChromeState {
  std::unordered_map<int64_t, std::string> process_names;
};

// Microseconds with a fraction, exact to the nanosecond when written as plain decimals (a double
// would round 1.7e15 us to a multiple of 256 ns).
TimeNs MicrosToNs(od::value v, std::string_view field) {
  if (v.type() == od::json_type::number) {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    bool neg = !raw.empty() && raw[0] == '-';
    std::string_view digits = neg ? raw.substr(1) : raw;
    size_t dot = digits.find('.');
    std::string_view whole = digits.substr(0, dot);
    std::string_view frac =
        dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
    int64_t us = 0;
    auto r = std::from_chars(whole.data(), whole.data() + whole.size(), us);
    bool plain = r.ec == std::errc() && r.ptr == whole.data() + whole.size() && !whole.empty() &&
                 whole.size() <= 16 &&
                 frac.find_first_not_of("0123456789") == std::string_view::npos;
    if (plain) {
      int64_t ns = 0;
      for (size_t i = 0; i < 3; ++i) ns = ns * 10 + (i < frac.size() ? frac[i] - '0' : 0);
      double check;
      if (v.get_double().get(check))
        throw FieldError{"wrong type: " + std::string(field) + " (bad number)"};
      TimeNs t;
      if (!ScaleTime(us, 1000, &t, ns)) throw FieldError{"invalid value: " + std::string(field)};
      return neg ? -t : t;
    }
  }
  double us = json::Dbl(v, field);
  if (!std::isfinite(us) || std::fabs(us) > 9e15)
    throw FieldError{"invalid value: " + std::string(field)};
  return static_cast<TimeNs>(std::llround(us * 1000.0));
}

void ReadChromeEvent(const JsonUnit& unit, od::value value, ReadContext& ctx, ChromeState& st) {
  const char* loc = nullptr;
  if (value.current_location().get(loc)) loc = nullptr;
  TraceEvent& e = ctx.NewTraceEvent();
  try {
    bool has_ph = false;
    for (auto f : Obj(value, "traceEvents")) {
      od::field field = std::move(f);
      auto key = field.key();
      if (key == "name")
        e.name = json::Str(field.value(), "name");
      else if (key == "cat")
        e.category = json::Str(field.value(), "cat");
      else if (key == "ph") {
        std::string_view ph = json::Str(field.value(), "ph");
        if (ph.size() != 1) throw FieldError{"invalid value: ph"};
        e.phase = ph[0];
        has_ph = true;
      } else if (key == "ts")
        e.time = MicrosToNs(field.value(), "ts");
      else if (key == "dur")
        e.duration = MicrosToNs(field.value(), "dur");
      else if (key == "pid")
        e.pid = json::I64(field.value(), "pid");
      else if (key == "tid")
        e.tid = json::I64(field.value(), "tid");
      else if (key == "args") {
        od::value args = field.value();
        od::json_type t = args.type();
        if (t == od::json_type::object) {
          for (auto af : Obj(args, "args")) {
            od::field a = std::move(af);
            Attribute& attr = e.fields.emplace_back();
            attr.key = a.unescaped_key().value();
            json::AppendPlain(a.value(), &attr.value);
          }
        }
      } else if (key == "id") {
        Attribute& attr = e.fields.emplace_back();
        attr.key = "id";
        json::AppendPlain(field.value(), &attr.value);
      }
    }
    if (!has_ph) throw FieldError{"missing field: ph"};
    if (e.phase == 'M' && e.name == "process_name") {
      if (const std::string* n = FindAttribute(e.fields, "name")) st.process_names[e.pid] = *n;
    }
    auto it = st.process_names.find(e.pid);
    if (it != st.process_names.end()) e.process_name = it->second;
    ctx.CommitTraceEvent();
  } catch (const FieldError& err) {
    ctx.DropTraceEvent();
    ctx.Reject(unit.LineOf(loc), err.reason);
  }
}

}  // namespace

bool FinishZipkinSpan(int64_t timestamp_us, int64_t duration_us, bool shared,
                      const std::string& remote_service, Span* s) {
  if (!remote_service.empty()) s->attributes.push_back({"peer.service", remote_service});
  if (!ScaleTime(timestamp_us, 1000, &s->start) || !ScaleTime(duration_us, 1000, &s->end, s->start))
    return false;
  if (shared && s->kind == SpanKind::kServer) {
    s->parent_id = s->span_id;
    s->span_id = DeriveSharedId(s->span_id);
  }
  json::FillHttpFields(s);
  ApplyErrorTags(s);
  return true;
}

void ReadZipkinJson(ByteSource& src, ReadContext& ctx) {
  ctx.text_is_utf8 = true;  // simdjson validates every byte
  JsonSplitOptions o;
  o.keys = {"spans"};        // a top-level array is split anyway
  o.unmatched_whole = true;  // JSON lines of single spans
  ReadJsonUnits(src, ctx, o, [&ctx](const JsonUnit& unit, od::value value) {
    Span& s = ctx.NewSpan();
    try {
      ReadZipkinSpan(Obj(value, "span"), &s);
      ctx.CommitSpan();
    } catch (const FieldError& e) {
      ctx.DropSpan();
      ctx.Reject(unit.line, e.reason);
    } catch (...) {
      ctx.DropPending();
      throw;
    }
  });
}

void ReadJaegerJson(ByteSource& src, ReadContext& ctx) {
  ctx.text_is_utf8 = true;  // simdjson validates every byte
  JsonSplitOptions o;
  o.keys = {"data"};
  o.unmatched_whole = true;  // a single trace
  ReadJsonUnits(src, ctx, o, [&ctx](const JsonUnit& unit, od::value value) {
    ReadJaegerTrace(unit, value, ctx);
  });
}

void ReadLokiJson(ByteSource& src, ReadContext& ctx) {
  ctx.text_is_utf8 = true;  // simdjson validates every byte
  JsonSplitOptions o;
  o.keys = {"streams"};
  ReadJsonUnits(src, ctx, o, [&ctx](const JsonUnit& unit, od::value value) {
    ReadLokiStream(unit, value, ctx);
  });
}

void ReadChromeTrace(ByteSource& src, ReadContext& ctx) {
  ctx.text_is_utf8 = true;  // simdjson validates every byte
  JsonSplitOptions o;
  o.keys = {"traceEvents"};
  o.unmatched_whole = true;
  ChromeState st;
  ReadJsonUnits(src, ctx, o, [&ctx, &st](const JsonUnit& unit, od::value value) {
    ReadChromeEvent(unit, value, ctx, st);
  });
}

}  // namespace augur::ingest
