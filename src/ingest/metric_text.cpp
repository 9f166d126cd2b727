// Prometheus text exposition and wide CSV metric tables (time,<service>_<metric>,...), both
// streamed line by line.
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/service.h"
#include "core/time.h"
#include "ingest/prometheus_series.h"
#include "ingest/reader.h"
#include "ingest/record_reader.h"
#include "ingest/text_time.h"

namespace augur::ingest {
namespace {

bool ParseDouble(std::string_view s, double* v) {
  if (s == "NaN" || s == "nan") {
    *v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "+Inf" || s == "Inf" || s == "inf") {
    *v = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Inf" || s == "-inf") {
    *v = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool NameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

}  // namespace

bool ParsePrometheusLabels(std::string_view s, size_t* pos, Attributes* labels) {
  size_t i = *pos + 1;
  for (;;) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
    if (i >= s.size()) return false;
    if (s[i] == '}') {
      *pos = i + 1;
      return true;
    }
    size_t k = i;
    while (i < s.size() && NameChar(s[i], i == k)) ++i;
    if (i == k) return false;
    std::string_view key = s.substr(k, i - k);
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size() || s[i] != '=') return false;
    ++i;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    Attribute& a = labels->emplace_back();
    a.key.assign(key);
    for (;;) {
      if (i >= s.size()) return false;
      char c = s[i];
      if (c == '"') {
        ++i;
        break;
      }
      if (c == '\\' && i + 1 < s.size()) {
        char n = s[i + 1];
        a.value.push_back(n == 'n' ? '\n' : n);
        i += 2;
        continue;
      }
      a.value.push_back(c);
      ++i;
    }
  }
}

void ResolvePrometheusService(MetricPoint* p) {
  const std::string* svc = FindAttribute(p->labels, "service");
  if (!svc) svc = FindAttribute(p->labels, "job");
  const std::string* pod = FindAttribute(p->labels, "pod");
  if (svc)
    p->service = *svc;
  else if (pod)
    p->service = ServiceFromPod(*pod);
  if (pod)
    p->instance = *pod;
  else if (const std::string* inst = FindAttribute(p->labels, "instance"))
    p->instance = *inst;
}

void ApplyPrometheusType(std::string_view type, MetricPoint* p) {
  p->kind = type == "counter" ? MetricKind::kSum : MetricKind::kGauge;
  p->monotonic = type == "counter";
  if (type == "histogram" || type == "summary")  // one sample of the family, not a whole histogram
    p->monotonic = p->name.ends_with("_count") || p->name.ends_with("_bucket");
}

void ReadPrometheus(ByteSource& src, ReadContext& ctx) {
  RecordReader reader(src, false, kMaxRecordBytes);
  std::unordered_map<std::string, std::string> types;  // metric family → TYPE
  std::string_view line;
  bool too_long;
  while (reader.Next(&line, &too_long)) {
    if (too_long) {
      if (!ctx.Reject(reader.line(), "line too long (over 64 MiB)")) return;
      continue;
    }
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    line = line.substr(b);
    if (line[0] == '#') {
      if (line.rfind("# TYPE ", 0) == 0) {
        std::string_view rest = line.substr(7);
        size_t sp = rest.find(' ');
        if (sp != std::string_view::npos)
          types[std::string(rest.substr(0, sp))] = std::string(rest.substr(sp + 1));
      }
      continue;
    }
    size_t i = 0;
    while (i < line.size() && NameChar(line[i], i == 0)) ++i;
    if (i == 0) {
      if (!ctx.Reject(reader.line(), "malformed sample: bad metric name")) return;
      continue;
    }
    MetricPoint& p = ctx.NewMetric();
    p.name.assign(line.substr(0, i));
    if (i < line.size() && line[i] == '{' && !ParsePrometheusLabels(line, &i, &p.labels)) {
      ctx.DropMetric();
      if (!ctx.Reject(reader.line(), "malformed sample: bad labels")) return;
      continue;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    std::string_view rest = line.substr(i);
    size_t sp = rest.find(' ');
    std::string_view value = rest.substr(0, sp);
    if (!ParseDouble(value, &p.value)) {
      ctx.DropMetric();
      if (!ctx.Reject(reader.line(), "malformed sample: bad value")) return;
      continue;
    }
    if (sp != std::string_view::npos) {
      std::string_view ts = rest.substr(sp + 1);
      ts = ts.substr(0, ts.find(' '));
      int64_t ms;
      auto r = std::from_chars(ts.data(), ts.data() + ts.size(), ms);
      if (r.ec != std::errc() || r.ptr != ts.data() + ts.size()) {
        ctx.DropMetric();
        if (!ctx.Reject(reader.line(), "malformed sample: bad timestamp")) return;
        continue;
      }
      if (!ScaleTime(ms, kNsPerMs, &p.time)) {
        ctx.DropMetric();
        if (!ctx.Reject(reader.line(), "malformed sample: bad timestamp")) return;
        continue;
      }
    }
    // Histogram and summary series (_bucket, _sum, _count) belong to their family's TYPE.
    std::string_view family = p.name;
    auto it = types.find(p.name);
    for (std::string_view suffix : {"_bucket", "_sum", "_count", "_total"}) {
      if (it != types.end()) break;
      if (family.size() > suffix.size() && family.substr(family.size() - suffix.size()) == suffix)
        it = types.find(std::string(family.substr(0, family.size() - suffix.size())));
    }
    if (it != types.end()) ApplyPrometheusType(it->second, &p);
    ResolvePrometheusService(&p);
    ctx.CommitMetric();
  }
}

void ReadWideCsv(ByteSource& src, ReadContext& ctx) {
  RecordReader reader(src, true, kMaxRecordBytes);
  std::vector<std::string_view> fields;
  std::string scratch;
  std::string_view rec;
  bool too_long;
  struct Column {
    std::string service, name;
  };
  std::vector<Column> columns;
  bool header = false;
  while (reader.Next(&rec, &too_long)) {
    if (too_long) {
      if (!ctx.Reject(reader.line(), "record too long (over 64 MiB)")) return;
      continue;
    }
    if (rec.empty()) continue;
    SplitCsv(rec, &fields, &scratch);
    if (!header) {
      header = true;
      for (size_t i = 1; i < fields.size(); ++i) {
        Column c;
        std::string_view f = fields[i];
        size_t u = f.find('_');
        // <service>_<metric>: the service is everything before the first underscore.
        if (u != std::string_view::npos && u > 0 && u + 1 < f.size()) {
          c.service.assign(f.substr(0, u));
          c.name.assign(f.substr(u + 1));
        } else {
          c.name.assign(f);
        }
        columns.push_back(std::move(c));
      }
      continue;
    }
    if (fields.size() != columns.size() + 1) {
      if (!ctx.Reject(reader.line(), "wrong number of columns",
                      std::to_string(fields.size()) + " fields; the header names " +
                          std::to_string(columns.size() + 1)))
        return;
      continue;
    }
    TimeNs t = 0;
    std::string_view ts = fields[0];
    double num;
    if (auto iso = ParseIsoTime(ts)) {
      t = *iso;
    } else if (ParseEpoch(ts, &t)) {
    } else if (ParseDouble(ts, &num) && std::isfinite(num) && num >= 0 && num < 9e9) {
      t = static_cast<TimeNs>(num * 1e9);  // seconds (possibly relative)
    } else {
      if (!ctx.Reject(reader.line(), "bad time in the first column")) return;
      continue;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string_view cell = fields[i + 1];
      if (cell.empty() || cell == "NaN" || cell == "nan") continue;  // no sample
      double v;
      if (!ParseDouble(cell, &v) || !std::isfinite(v)) {
        if (!ctx.Reject(reader.line(), "bad number")) return;
        continue;
      }
      MetricPoint& p = ctx.NewMetric();
      p.name = columns[i].name;
      p.service = columns[i].service;
      p.time = t;
      p.value = v;
      ctx.CommitMetric();
    }
  }
}

}  // namespace augur::ingest
