// The CSV files of the Nezha data sets (trace/, log/, metric/ folders): spans, Docker-wrapped log
// lines and per-pod metric tables. Columns are found by header name, so column order may vary.
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/service.h"
#include "core/time.h"
#include "ingest/json_util.h"
#include "ingest/log_line.h"
#include "ingest/reader.h"
#include "ingest/record_reader.h"

namespace augur::ingest {
namespace {

// Header-indexed CSV rows with rejects for short rows and unreadable files.
class CsvRows {
 public:
  CsvRows(ByteSource& src, ReadContext& ctx) : reader_(src, true, kMaxRecordBytes), ctx_(ctx) {}

  // Reads the header; false when the file is empty.
  bool Header() {
    std::string_view rec;
    bool too_long;
    while (reader_.Next(&rec, &too_long)) {
      if (too_long) {
        ctx_.Reject(reader_.line(), "header line too long");
        return false;
      }
      if (rec.empty()) continue;
      SplitCsv(rec, &fields_, &scratch_);
      for (auto f : fields_) header_.emplace_back(f);
      return true;
    }
    return false;
  }
  int Column(std::string_view name) const {
    for (size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == name) return static_cast<int>(i);
    return -1;
  }
  const std::vector<std::string>& header() const { return header_; }

  // Next row with at least `min_fields` fields; short rows are rejected here.
  bool Next(size_t min_fields) {
    std::string_view rec;
    bool too_long;
    while (reader_.Next(&rec, &too_long)) {
      if (too_long) {
        if (!ctx_.Reject(reader_.line(), "record too long (over 64 MiB)")) return false;
        continue;
      }
      if (rec.empty()) continue;
      if (!simdjson::validate_utf8(rec.data(), rec.size())) {
        if (!ctx_.Reject(reader_.line(), "invalid UTF-8")) return false;
        continue;
      }
      SplitCsv(rec, &fields_, &scratch_);
      if (fields_.size() < min_fields) {
        if (!ctx_.Reject(reader_.line(), "wrong number of columns",
                         std::to_string(fields_.size()) + " fields, " + std::to_string(min_fields) +
                             " needed; the header names " + std::to_string(header_.size())))
          return false;
        continue;
      }
      return true;
    }
    return false;
  }
  std::string_view operator[](int i) const { return i >= 0 ? fields_[i] : std::string_view(); }
  uint64_t line() const { return reader_.line(); }

 private:
  RecordReader reader_;
  ReadContext& ctx_;
  std::vector<std::string> header_;
  std::vector<std::string_view> fields_;
  std::string scratch_;
};

bool ToI64(std::string_view s, int64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ToDouble(std::string_view s, double* v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

size_t MaxIndex(std::initializer_list<int> cols) {
  int m = -1;
  for (int c : cols) m = std::max(m, c);
  return static_cast<size_t>(m + 1);
}

bool MissingColumns(ReadContext& ctx, std::initializer_list<int> cols) {
  for (int c : cols)
    if (c < 0) {
      ctx.Reject(1, "missing column in header");
      return true;
    }
  return false;
}

// A pod name column gives the instance and, by rule 3, the service.
struct PodCache {
  std::string pod, service;
  const std::string& Service(std::string_view p) {
    if (p != pod) {
      pod.assign(p);
      service = ServiceFromPod(p);
    }
    return service;
  }
};

}  // namespace

void ReadNezhaTrace(ByteSource& src, ReadContext& ctx) {
  CsvRows rows(src, ctx);
  if (!rows.Header()) return;
  int c_trace = rows.Column("TraceID"), c_span = rows.Column("SpanID"),
      c_parent = rows.Column("ParentID"), c_pod = rows.Column("PodName"),
      c_op = rows.Column("OperationName"), c_start = rows.Column("StartTimeUnixNano"),
      c_end = rows.Column("EndTimeUnixNano");
  if (MissingColumns(ctx, {c_trace, c_span, c_parent, c_pod, c_op, c_start, c_end})) return;
  size_t need = MaxIndex({c_trace, c_span, c_parent, c_pod, c_op, c_start, c_end});
  PodCache pods;
  while (rows.Next(need)) {
    const char* bad = nullptr;
    Span& s = ctx.NewSpan();
    int64_t start = 0, end = 0;
    std::string_view parent = rows[c_parent];
    if (!json::ParseTraceId(rows[c_trace], &s.trace_id) || s.trace_id.empty())
      bad = "invalid id: TraceID";
    else if (!json::ParseSpanId(rows[c_span], &s.span_id) || s.span_id.empty())
      bad = "invalid id: SpanID";
    else if (parent != "root" && !json::ParseSpanId(parent, &s.parent_id))
      bad = "invalid id: ParentID";
    else if (!ToI64(rows[c_start], &start))
      bad = "bad number: StartTimeUnixNano";
    else if (!ToI64(rows[c_end], &end))
      bad = "bad number: EndTimeUnixNano";
    else if (start <= 0 || end < start)
      bad = "implausible times: StartTimeUnixNano not positive or EndTimeUnixNano before it";
    if (bad) {
      ctx.DropSpan();
      if (!ctx.Reject(rows.line(), bad)) return;
      continue;
    }
    s.start = start;
    s.end = end;
    s.instance.assign(rows[c_pod]);
    s.service = pods.Service(rows[c_pod]);
    s.name.assign(rows[c_op]);
    ctx.CommitSpan();
  }
}

void ReadNezhaLog(ByteSource& src, ReadContext& ctx) {
  CsvRows rows(src, ctx);
  if (!rows.Header()) return;
  int c_time = rows.Column("TimeUnixNano"), c_ts = rows.Column("Timestamp"),
      c_node = rows.Column("Node"), c_pod = rows.Column("PodName"),
      c_container = rows.Column("Container"), c_trace = rows.Column("TraceID"),
      c_span = rows.Column("SpanID"), c_log = rows.Column("Log");
  if (MissingColumns(ctx, {c_pod, c_log})) return;
  size_t need = MaxIndex({c_time, c_ts, c_node, c_pod, c_container, c_trace, c_span, c_log});
  PodCache pods;
  simdjson::ondemand::parser parser;
  std::string padded;
  while (rows.Next(need)) {
    LogRecord& log = ctx.NewLog();
    log.instance.assign(rows[c_pod]);
    log.service = pods.Service(rows[c_pod]);
    std::string_view text = rows[c_log];
    bool unwrapped = false;
    if (!text.empty() && text.front() == '{') {
      padded.assign(text);
      padded.append(simdjson::SIMDJSON_PADDING, ' ');
      unwrapped = UnwrapJsonLog(std::string_view(padded.data(), text.size()), parser, &log);
    }
    if (!unwrapped) {
      log.body.assign(text);
      SeverityFromBody(&log);
    }
    // Some rows carry a garbage TimeUnixNano (negative); their Timestamp text is right.
    int64_t t;
    constexpr int64_t k2000 = 946684800LL * kNsPerSecond, k2100 = 4102444800LL * kNsPerSecond;
    if (c_time >= 0 && ToI64(rows[c_time], &t) && t > k2000 && t < k2100)
      log.time = t;
    else if (auto iso = ParseIsoTime(rows[c_ts]))
      log.time = *iso;
    // A log line outside any trace may say so with a null id; it is still a log line.
    auto id_cell = [&](int c) {
      std::string_view v = c >= 0 ? rows[c] : std::string_view();
      return v == "null" || v == "NULL" || v == "None" || v == "-" ? std::string_view() : v;
    };
    if (c_trace >= 0 && !json::ParseTraceId(id_cell(c_trace), &log.trace_id)) {
      ctx.DropLog();
      if (!ctx.Reject(rows.line(), "invalid id: TraceID")) return;
      continue;
    }
    if (c_span >= 0 && !json::ParseSpanId(id_cell(c_span), &log.span_id)) {
      ctx.DropLog();
      if (!ctx.Reject(rows.line(), "invalid id: SpanID")) return;
      continue;
    }
    if (c_node >= 0 && !rows[c_node].empty())
      log.attributes.push_back({"node", std::string(rows[c_node])});
    if (c_container >= 0 && !rows[c_container].empty())
      log.attributes.push_back({"container", std::string(rows[c_container])});
    ctx.CommitLog();
  }
}

void ReadNezhaMetric(ByteSource& src, ReadContext& ctx) {
  CsvRows rows(src, ctx);
  if (!rows.Header()) return;
  int c_time = rows.Column("Time"), c_ts = rows.Column("TimeStamp"), c_pod = rows.Column("PodName"),
      c_svc = rows.Column("ServiceName");
  if (c_pod < 0 && c_svc < 0) {
    ctx.Reject(1, "missing column in header");
    return;
  }
  // Every other column is a metric; its name is the column name.
  std::vector<int> metric_cols;
  for (size_t i = 0; i < rows.header().size(); ++i) {
    int c = static_cast<int>(i);
    if (c != c_time && c != c_ts && c != c_pod && c != c_svc) metric_cols.push_back(c);
  }
  size_t need = rows.header().size();
  PodCache pods;
  while (rows.Next(need)) {
    TimeNs time = 0;
    int64_t secs;
    if (c_ts >= 0 && ToI64(rows[c_ts], &secs) && secs > 0 && ScaleTime(secs, kNsPerSecond, &time)) {
    } else if (auto iso = ParseIsoTime(rows[c_time]))
      time = *iso;
    else {
      if (!ctx.Reject(rows.line(), "bad time: TimeStamp")) return;
      continue;
    }
    std::string_view who = c_pod >= 0 ? rows[c_pod] : rows[c_svc];
    for (int c : metric_cols) {
      std::string_view cell = rows[c];
      double v;
      if (cell.empty() || cell == "NaN" || cell == "nan") continue;  // no sample: not a record
      if (!ToDouble(cell, &v) || !std::isfinite(v)) {
        if (!ctx.Reject(rows.line(), "bad number: " + rows.header()[c])) return;
        continue;
      }
      MetricPoint& p = ctx.NewMetric();
      p.name = rows.header()[c];
      p.time = time;
      p.value = v;
      p.kind = MetricKind::kGauge;
      if (c_pod >= 0) {
        p.instance.assign(who);
        p.service = pods.Service(who);
      } else {
        p.service.assign(who);
      }
      ctx.CommitMetric();
    }
  }
}

void ReadTraceIdList(ByteSource& src, ReadContext& ctx) {
  RecordReader reader(src, false, kMaxRecordBytes);
  std::string_view line;
  bool too_long;
  uint64_t ids = 0;
  while (reader.Next(&line, &too_long))
    if (!line.empty()) ++ids;
  ctx.skipped_as = "list of " + std::to_string(ids) + " trace ids (not telemetry)";
}

}  // namespace augur::ingest
