// Loki push in protobuf, snappy-compressed: what Promtail, Grafana Alloy and most Loki clients
// send by default (Content-Type: application/x-protobuf). Decoded from the wire format of
// logproto.PushRequest:
//   PushRequest { repeated StreamAdapter streams = 1; }
//   StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; }   (labels: {a="b",
//   ...}) EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter
//                  structuredMetadata = 3; }
//   Timestamp { int64 seconds = 1; int32 nanos = 2; }   LabelPairAdapter { name = 1; value = 2; }
// Each entry becomes a LogRecord exactly as in Loki's JSON push (ApplyLokiStream).
#include "core/time.h"
#include "ingest/log_line.h"
#include "ingest/prometheus_series.h"
#include "ingest/protobuf_wire.h"
#include "ingest/reader.h"
#include "ingest/request_body.h"

namespace augur::ingest {
namespace {

using namespace protobuf;

void ReadEntry(std::string_view bytes, LogRecord* log) {
  Message m(bytes, "EntryAdapter");
  int64_t seconds = 0, nanos = 0;
  while (m.Next()) {
    if (m.field() == 1) {
      Message ts(LenField(m, "timestamp"), "Timestamp");
      while (ts.Next()) {
        if (ts.field() == 1)
          seconds = static_cast<int64_t>(VarintField(ts, "seconds"));
        else if (ts.field() == 2)
          nanos = static_cast<int32_t>(VarintField(ts, "nanos"));
        else
          ts.Skip();
      }
    } else if (m.field() == 2) {
      log->body = LenField(m, "line");
    } else if (m.field() == 3) {
      log->attributes.push_back(
          ReadNameValue(LenField(m, "structuredMetadata"), "LabelPairAdapter"));
    } else {
      m.Skip();
    }
  }
  if (nanos < 0 || nanos >= kNsPerSecond || !ScaleTime(seconds, kNsPerSecond, &log->time, nanos))
    throw ProtoError{"invalid value: timestamp"};
  SeverityFromBody(log);
}

void ReadStream(std::string_view bytes, const std::string& where, ReadContext& ctx) {
  Attributes labels;
  std::vector<std::string_view> entries;
  bool labels_ok = true;
  {
    Message m(bytes, "StreamAdapter");
    while (m.Next()) {
      if (m.field() == 1) {
        std::string_view text = LenField(m, "labels");
        size_t pos = text.find('{');
        labels_ok = pos != std::string_view::npos && ParsePrometheusLabels(text, &pos, &labels);
      } else if (m.field() == 2) {
        entries.push_back(LenField(m, "entries"));
      } else {
        m.Skip();
      }
    }
  }
  if (!labels_ok) {
    labels.clear();  // the entries are kept, without a service
    if (!ctx.Reject(0, "malformed stream labels (expected {name=\"value\", ...}); entries kept",
                    where))
      return;
  }
  const size_t first = ctx.batch().logs.size();
  ctx.Hold();
  uint64_t index = 0;
  for (std::string_view e : entries) {
    LogRecord& log = ctx.NewLog();
    try {
      ReadEntry(e, &log);
      ctx.CommitLog();
    } catch (const ProtoError& err) {
      ctx.DropLog();
      if (!ctx.Reject(0, err.reason, where + ", entry " + std::to_string(index))) break;
    }
    ++index;
  }
  // Label values are protobuf bytes, not checked for UTF-8 on the way in.
  if (RepairUtf8(labels)) ctx.repaired_records += ctx.batch().logs.size() - first;
  ApplyLokiStream(labels, first, ctx.batch());
  ctx.Release();
}

}  // namespace

void ReadLokiProto(ByteSource& src, ReadContext& ctx) {
  std::string body;
  if (!ReadRequestBody(src, ctx, "Loki push", true, &body)) return;
  ForEachElement(body, "PushRequest", 1, "stream", ctx,
                 [&ctx](std::string_view stream, const std::string& where) {
                   ReadStream(stream, where, ctx);
                 });
}

}  // namespace augur::ingest
