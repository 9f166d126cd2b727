// Format detection from content: the first 64 KiB of the decompressed input decide; the file name
// is only a tie-breaker. Also the table of formats.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/text.h"
#include "ingest/json_split.h"
#include "ingest/reader.h"

namespace augur::ingest {
namespace {

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != s.npos;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Complete lines of the head (the last may be cut by the 64 KiB window and is dropped).
std::vector<std::string_view> HeadLines(std::string_view head, size_t max_lines, bool complete) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < head.size() && lines.size() < max_lines) {
    size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (!complete) lines.push_back(head.substr(pos));
      break;
    }
    std::string_view l = head.substr(pos, nl - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    pos = nl + 1;
  }
  return lines;
}

// The cells of a CSV header line, unquoted and trimmed.
std::set<std::string_view> HeaderCells(std::string_view line) {
  std::set<std::string_view> cells;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t comma = std::min(line.find(',', pos), line.size());
    std::string_view c = line.substr(pos, comma - pos);
    while (!c.empty() && (c.front() == ' ' || c.front() == '"')) c.remove_prefix(1);
    while (!c.empty() && (c.back() == ' ' || c.back() == '"')) c.remove_suffix(1);
    if (!c.empty()) cells.insert(c);
    pos = comma + 1;
  }
  return cells;
}

bool IsHexId(std::string_view s) {
  if (s.size() != 16 && s.size() != 32) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool LooksBinary(std::string_view head) {
  // A run of NUL bytes in front is what logrotate's copytruncate leaves in a log; a stray NUL is
  // one bad line. Either way the text readers reject the lines that hold them and keep the rest.
  size_t lead = head.find_first_not_of('\0');
  if (lead == std::string_view::npos) return true;
  head.remove_prefix(lead);
  if (static_cast<size_t>(std::count(head.begin(), head.end(), '\0')) * 100 > head.size())
    return true;
  // Allow a multi-byte character cut by the window.
  std::string_view body = head.size() > 4 ? head.substr(0, head.size() - 3) : head;
  if (simdjson::validate_utf8(body.data(), body.size())) return false;
  size_t odd = 0;
  for (unsigned char c : head)
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') || c >= 0x80) ++odd;
  return odd * 20 > head.size();
}

bool IsPromName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

bool IsPromSample(std::string_view l) {
  size_t brace = l.find('{');
  size_t sp = l.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view name = l.substr(0, std::min(brace, sp));
  if (!IsPromName(name)) return false;
  size_t value_at = sp;
  if (brace != std::string_view::npos && brace < sp) {
    size_t close = l.rfind('}');
    if (close == std::string_view::npos || close + 1 >= l.size() || l[close + 1] != ' ')
      return false;
    value_at = close + 1;
  }
  std::string_view v = l.substr(value_at + 1);
  v = v.substr(0, v.find(' '));
  if (v.empty()) return false;
  return v == "NaN" || v == "+Inf" || v == "-Inf" ||
         v.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
}

bool IsTimeHeader(std::string_view h) {
  std::string l = AsciiLower(h);
  while (!l.empty() && (l.front() == '"' || l.front() == ' ')) l.erase(l.begin());
  while (!l.empty() && (l.back() == '"' || l.back() == ' ')) l.pop_back();
  return l == "time" || l == "timestamp" || l == "date" || l == "datetime" || l == "ts" ||
         l == "time_ns" || l == "time_ms" || l == "time_s" || l == "epoch" || l == "index";
}

}  // namespace

std::string DetectFormat(std::string_view head, const std::string& path) {
  (void)path;  // extension hints are not needed by any rule yet
  if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "empty";
  if (LooksBinary(head)) return "binary";
  std::string_view body = head.substr(first);
  bool complete = false;  // the head is the whole file when shorter than the window
  (void)complete;

  if (body[0] == '{' || body[0] == '[') {
    if (Contains(body, "\"resourceSpans\"") || Contains(body, "\"resourceLogs\"") ||
        Contains(body, "\"resourceMetrics\""))
      return "otlp-json";
    if (Contains(body, "\"streams\"") && Contains(body, "\"values\"")) return "loki-json";
    if (Contains(body, "\"traceEvents\"") ||
        (body[0] == '[' && Contains(body, "\"ph\"") && Contains(body, "\"ts\"")))
      return "chrome-trace";
    if (Contains(body, "\"traceID\"") &&
        (Contains(body, "\"spanID\"") || Contains(body, "\"processes\"")))
      return "jaeger-json";
    if (Contains(body, "\"traceId\"") &&
        (Contains(body, "\"localEndpoint\"") || Contains(body, "\"timestamp\"") ||
         Contains(body, "\"id\"")))
      return "zipkin-json";
    // Other JSON, unless the head breaks JSON's grammar: text logs may start with '[' too.
    if (IsJsonPrefix(body.substr(0, 4096))) {
      size_t nl = body.find('\n');
      if (IsCompleteJsonValue(body.substr(0, nl))) return "text";  // JSON log lines
      return "json-other";
    }
  }

  auto lines = HeadLines(body, 50, true);
  if (lines.empty()) lines = HeadLines(body, 1, false);
  std::string_view l0 = lines.empty() ? body : lines[0];
  // Nezha's CSVs, known by the columns their readers need, in any order.
  const auto cells = HeaderCells(l0);
  auto has = [&](std::initializer_list<std::string_view> names) {
    return std::all_of(names.begin(), names.end(),
                       [&](std::string_view n) { return cells.count(n) > 0; });
  };
  if (has({"TraceID", "SpanID", "ParentID", "PodName", "OperationName", "StartTimeUnixNano",
           "EndTimeUnixNano"}))
    return "nezha-trace";
  if (has({"PodName", "Log"}) && (has({"TimeUnixNano"}) || has({"Timestamp"}))) return "nezha-log";
  if (has({"TimeStamp"}) && (has({"PodName"}) || has({"ServiceName"}))) return "nezha-metric";

  // Prometheus exposition: comments with HELP/TYPE, or every line a sample.
  if (l0.rfind("# HELP ", 0) == 0 || l0.rfind("# TYPE ", 0) == 0) return "prometheus";
  if (lines.size() >= 1 &&
      std::all_of(
          lines.begin(), lines.end(),
          [](std::string_view l) { return l.empty() || (l[0] == '#') || IsPromSample(l); }) &&
      IsPromSample(l0) && std::any_of(lines.begin(), lines.end(), [](std::string_view l) {
        return l.find('{') != l.npos;
      }))
    return "prometheus";

  // Wide metric tables: time,<service>_<metric>,...
  if (l0.find(',') != std::string_view::npos && IsTimeHeader(l0.substr(0, l0.find(','))))
    return "csv-metrics";

  if (std::all_of(lines.begin(), lines.end(),
                  [](std::string_view l) { return l.empty() || IsHexId(l); }) &&
      IsHexId(l0))
    return "trace-id-list";

  (void)EndsWith;
  return "text";
}

const std::vector<FormatInfo>& Formats() {
  static const std::vector<FormatInfo> kFormats = {
      {"otlp-json", "OTLP/JSON traces, logs and metrics", ReadOtlpJson},
      {"otlp-proto-traces", "OTLP/protobuf ExportTraceServiceRequest (forced only)",
       ReadOtlpProtoTraces},
      {"otlp-proto-logs", "OTLP/protobuf ExportLogsServiceRequest (forced only)",
       ReadOtlpProtoLogs},
      {"otlp-proto-metrics", "OTLP/protobuf ExportMetricsServiceRequest (forced only)",
       ReadOtlpProtoMetrics},
      {"zipkin-json", "Zipkin v2 JSON spans", ReadZipkinJson},
      {"zipkin-proto", "Zipkin v2 protobuf ListOfSpans (forced only)", ReadZipkinProto},
      {"jaeger-json", "Jaeger JSON ({\"data\": [...]} or one trace)", ReadJaegerJson},
      {"loki-json", "Loki push JSON", ReadLokiJson},
      {"loki-proto", "Loki push protobuf (snappy PushRequest; forced only)", ReadLokiProto},
      {"chrome-trace", "Chrome Trace Event JSON", ReadChromeTrace},
      {"prometheus", "Prometheus text exposition", ReadPrometheus},
      {"prometheus-remote-write",
       "Prometheus remote write request (snappy protobuf WriteRequest; forced only)",
       ReadPrometheusRemoteWrite},
      {"csv-metrics", "wide CSV metric table (time,<service>_<metric>,...)", ReadWideCsv},
      {"text", "plain text logs, one record per line (JSON-wrapped lines unwrapped)", ReadTextLog},
      {"nezha-trace", "Nezha trace CSV (TraceID,SpanID,ParentID,PodName,...)", ReadNezhaTrace},
      {"nezha-log", "Nezha log CSV (Timestamp,TimeUnixNano,Node,PodName,...,Log)", ReadNezhaLog},
      {"nezha-metric", "Nezha metric CSV (Time,TimeStamp,PodName|ServiceName,<metric>...)",
       ReadNezhaMetric},
      {"trace-id-list", "a list of trace ids, one per line (counted, not telemetry)",
       ReadTraceIdList},
  };
  return kFormats;
}

const FormatInfo* FindFormat(std::string_view name) {
  for (const auto& f : Formats())
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace augur::ingest
