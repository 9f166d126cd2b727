#include "ingest/log_line.h"

#include <charconv>
#include <filesystem>

#include "core/service.h"
#include "core/time.h"
#include "ingest/json_util.h"
#include "ingest/text_time.h"

namespace augur::ingest {

namespace od = simdjson::ondemand;

namespace {

std::string_view TrimLeft(std::string_view s, std::string_view chars = " \t") {
  size_t i = s.find_first_not_of(chars);
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

bool TimeFromJson(od::value v, TimeNs* t) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    if (auto iso = ParseIsoTime(s)) {
      *t = *iso;
      return true;
    }
    return ParseEpoch(s, t);
  }
  if (type == od::json_type::number) {
    double d;
    if (v.get_double().get(d)) return false;
    // Seconds (with fraction), ms, us or ns since the epoch, told apart by magnitude.
    if (d > 9.4e8 && d < 4.2e9)
      *t = static_cast<TimeNs>(d * 1e9);
    else if (d > 9.4e11 && d < 4.2e12)
      *t = static_cast<TimeNs>(d * 1e6);
    else if (d > 9.4e14 && d < 4.2e15)
      *t = static_cast<TimeNs>(d * 1e3);
    else if (d > 9.4e17 && d < 4.2e18)
      *t = static_cast<TimeNs>(d);
    else
      return false;
    return true;
  }
  return false;
}

// The payload of a Docker line is a line of its own: a JSON log (Go, Node, Python and Java
// services write those) or a plain line, either of which may carry its own time and level.
void ReadDockerPayload(od::parser& parser, LogRecord* out) {
  LogRecord inner;
  std::string_view payload = TrimLeft(out->body);
  bool json = false;
  if (!payload.empty() && payload.front() == '{') {
    std::string buf(payload);
    buf.reserve(buf.size() + simdjson::SIMDJSON_PADDING);
    json = UnwrapJsonLog(buf, parser, &inner, /*docker_payload=*/true);
    if (json) {
      out->body = std::move(inner.body);
      if (out->trace_id.empty()) out->trace_id = inner.trace_id;
      if (out->span_id.empty()) out->span_id = inner.span_id;
      for (auto& a : inner.attributes) out->attributes.push_back(std::move(a));
    }
  }
  if (!json) {
    ParsePlainLine(out->body, 1970, &inner);
    if (inner.time != 0) out->body = std::move(inner.body);
  }
  if (out->time == 0) out->time = inner.time;
  if (out->severity == Severity::kUnspecified) {
    out->severity = inner.severity;
    out->severity_text = std::move(inner.severity_text);
  }
}

}  // namespace

bool UnwrapJsonLog(std::string_view text, od::parser& parser, LogRecord* log, bool docker_payload) {
  od::document doc;
  if (parser.iterate(text.data(), text.size(), text.size() + simdjson::SIMDJSON_PADDING).get(doc))
    return false;
  LogRecord out;
  bool has_body = false, docker = false;
  try {
    od::object obj;
    if (doc.get_object().get(obj)) return false;
    for (auto f : obj) {
      od::field field = std::move(f);
      std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "log" && !docker_payload) {
        std::string_view s = json::Str(v, "log");
        if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
        if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
        out.body.assign(s);
        has_body = docker = true;
      } else if ((key == "msg" || key == "message") && !docker) {
        out.body.clear();
        json::AppendPlain(v, &out.body);
        has_body = true;
      } else if (key == "time" || key == "timestamp" || key == "ts" || key == "@timestamp") {
        TimeNs t;
        if (TimeFromJson(v, &t)) out.time = t;
      } else if (key == "level" || key == "severity" || key == "lvl" || key == "loglevel") {
        json::AppendPlain(v, &out.severity_text);
        out.severity = SeverityFromText(out.severity_text);
        // pino and bunyan (Node): 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
        int n = 0;
        const std::string& t = out.severity_text;
        if (out.severity == Severity::kUnspecified && t.size() == 2 &&
            std::from_chars(t.data(), t.data() + 2, n).ptr == t.data() + 2 && n % 10 == 0 &&
            n >= 10 && n <= 60)
          out.severity = SeverityFromNumber((n / 10 - 1) * 4 + 1);
      } else if (key == "trace_id" || key == "traceId" || key == "traceid" || key == "trace.id") {
        std::string tmp;
        json::AppendPlain(v, &tmp);
        json::ParseTraceId(tmp, &out.trace_id);
      } else if (key == "span_id" || key == "spanId" || key == "spanid" || key == "span.id") {
        std::string tmp;
        json::AppendPlain(v, &tmp);
        json::ParseSpanId(tmp, &out.span_id);
      } else if (key == "service" || key == "service.name" || key == "service_name") {
        json::AppendPlain(v, &out.service);
      } else {
        Attribute& a = out.attributes.emplace_back();
        a.key.assign(key);
        json::AppendPlain(v, &a.value);
      }
    }
  } catch (const simdjson::simdjson_error&) {
    return false;
  } catch (const json::FieldError&) {
    return false;
  }
  if (!has_body) return false;
  if (docker) {
    ReadDockerPayload(parser, &out);
  } else if (out.severity == Severity::kUnspecified) {
    SeverityFromBody(&out);
  }
  out.instance = std::move(log->instance);
  if (out.service.empty()) out.service = std::move(log->service);
  *log = std::move(out);
  return true;
}

void SeverityFromBody(LogRecord* log) {
  std::string_view s = log->body;
  for (int tok = 0; tok < 5 && !s.empty(); ++tok) {
    s = TrimLeft(s, " \t-|:");
    size_t end = s.find_first_of(" \t");
    std::string_view w = s.substr(0, end);
    std::string_view core = w;
    while (!core.empty() && (core.front() == '[' || core.front() == '<' || core.front() == '('))
      core.remove_prefix(1);
    while (!core.empty() && (core.back() == ']' || core.back() == '>' || core.back() == ')' ||
                             core.back() == ':' || core.back() == ',' || core.back() == '|'))
      core.remove_suffix(1);
    if (core.size() >= 3 && core.size() <= 11) {
      Severity sev = SeverityFromText(core);
      if (sev != Severity::kUnspecified) {
        log->severity = sev;
        log->severity_text.assign(core);
        return;
      }
    }
    if (end == std::string_view::npos) break;
    s = s.substr(end);
  }
}

void ParsePlainLine(std::string_view line, int default_year, LogRecord* log) {
  TimeNs t;
  size_t len;
  std::string_view rest = line;
  if (ParseLeadingTime(line, default_year, &t, &len)) {
    log->time = t;
    rest = line.substr(len);
    // CRI: "<time> stdout F <message>".
    if (rest.size() > 10 && (rest.substr(0, 8) == " stdout " || rest.substr(0, 8) == " stderr ") &&
        (rest[8] == 'F' || rest[8] == 'P') && rest[9] == ' ') {
      log->attributes.push_back({"stream", std::string(rest.substr(1, 6))});
      rest = rest.substr(10);
    }
    rest = TrimLeft(rest, " \t,|");
  }
  log->body.assign(rest);
  SeverityFromBody(log);
}

std::string ServiceFromLogPath(const std::string& path, std::string* instance) {
  std::string name = std::filesystem::path(path).filename().string();
  auto strip = [&name](std::string_view ext) {
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      name.resize(name.size() - ext.size());
      return true;
    }
    return false;
  };
  strip(".gz");
  // Rotated files: app.log.1
  size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot + 1 < name.size() &&
      name.find_first_not_of("0123456789", dot + 1) == std::string::npos)
    name.resize(dot);
  for (std::string_view ext : {".log", ".txt", ".jsonl", ".ndjson", ".json", ".out", ".err"})
    if (strip(ext)) break;
  // Kubernetes: <pod>_<namespace>_<container>-<64 hex>
  size_t u1 = name.find('_');
  if (u1 != std::string::npos) {
    size_t u2 = name.find('_', u1 + 1);
    size_t dash = name.rfind('-');
    if (u2 != std::string::npos && dash != std::string::npos && dash > u2 &&
        name.size() - dash - 1 == 64) {
      *instance = name.substr(0, u1);
      return ServiceFromPod(*instance);
    }
  }
  std::string service = ServiceFromPod(name);
  if (service != name) *instance = name;
  return service;
}

}  // namespace augur::ingest
