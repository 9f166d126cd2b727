// The inside of ingest: what every format reader gets (a byte source and a context that batches its
// records and counts its rejects) and the table of readers that read.cpp dispatches to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "ingest/byte_source.h"
#include "ingest/read.h"

namespace augur::ingest {

// Largest single record (line, CSV row or JSON document) a reader buffers; longer ones are rejected
// and skipped without being held in memory.
constexpr size_t kMaxRecordBytes = 64u << 20;

// a * b (+ c) as nanoseconds, false on overflow: hostile inputs carry any number.
inline bool ScaleTime(int64_t a, int64_t b, TimeNs* out, int64_t c = 0) {
  int64_t m;
  return !__builtin_mul_overflow(a, b, &m) && !__builtin_add_overflow(m, c, out);
}

// Handed to a reader for one file. Readers append records straight into `batch` (no copies) and
// call Commit(); a bad record is dropped with Drop*() and reported with Reject().
class ReadContext {
 public:
  ReadContext(const std::string& path, const ReadOptions& options, const BatchCallback& on_batch,
              Batch& batch, RejectStats& rejects)
      : path_(path), options_(options), on_batch_(on_batch), batch_(batch), rejects_(rejects) {}

  const std::string& path() const { return path_; }
  const ReadOptions& options() const { return options_; }

  // One record is under construction at a time: New*() then Commit*() or Drop*().
  LogRecord& NewLog() {
    pending_ = Pending::kLog;
    return batch_.logs.emplace_back();
  }
  Span& NewSpan() {
    pending_ = Pending::kSpan;
    return batch_.spans.emplace_back();
  }
  MetricPoint& NewMetric() {
    pending_ = Pending::kMetric;
    return batch_.metrics.emplace_back();
  }
  TraceEvent& NewTraceEvent() {
    pending_ = Pending::kTraceEvent;
    return batch_.trace_events.emplace_back();
  }
  void DropLog() { Drop(batch_.logs); }
  void DropSpan() { Drop(batch_.spans); }
  void DropMetric() { Drop(batch_.metrics); }
  void DropTraceEvent() { Drop(batch_.trace_events); }
  // Drops the record under construction, if any (after an exception cut it short).
  void DropPending() {
    switch (pending_) {
      case Pending::kLog:
        DropLog();
        break;
      case Pending::kSpan:
        DropSpan();
        break;
      case Pending::kMetric:
        DropMetric();
        break;
      case Pending::kTraceEvent:
        DropTraceEvent();
        break;
      case Pending::kNone:
        break;
    }
  }
  // Takes back committed metric points from index `from` on (only while held).
  void RetractMetrics(size_t from) {
    records_ -= batch_.metrics.size() - from;
    batch_.metrics.resize(from);
  }

  // The record last created is good: count it, apply the explicit service, hand over a full batch.
  // Text that is not UTF-8 is repaired first: records go out as JSON, whose writers refuse it.
  void CommitLog() { Commit(Repair(batch_.logs.back()).service); }
  void CommitSpan() { Commit(Repair(batch_.spans.back()).service); }
  void CommitMetric() { Commit(Repair(batch_.metrics.back()).service); }
  void CommitTraceEvent() {
    Repair(batch_.trace_events.back());
    pending_ = Pending::kNone;
    ++records_;
    MaybeFlush();
  }

  // Counts a rejected record at `line` (1-based; 0 = the file as a whole). Returns false when the
  // reader must stop (strict mode); the first strict reject becomes the error of ReadPaths.
  bool Reject(uint64_t line, std::string_view reason, std::string_view detail = {});
  bool stopped() const { return stopped_; }
  const std::string& stop_message() const { return stop_message_; }

  uint64_t records() const { return records_; }
  void Flush();

  // While held, full batches are not handed over, so a reader can fix up the records of one unit
  // after reading it (OTLP members may come in any order: spans before their resource).
  void Hold() { held_ = true; }
  void Release() {
    held_ = false;
    MaybeFlush();
  }
  Batch& batch() { return batch_; }

  // Set by a reader that found the file is not telemetry (e.g. a list of trace ids): reported, not
  // read.
  std::string skipped_as;
  // Plain text: lines without a time of their own after a timed line (joined to it with
  // ReadOptions::multiline, records of their own without).
  uint64_t continuation_lines = 0;
  // Records whose text held bytes that are not UTF-8 (a Latin-1 log line, a protobuf string or a
  // label value written so): committed with each such byte as U+FFFD (Repair()).
  uint64_t repaired_records = 0;
  // Set by the JSON readers: simdjson has validated every byte as UTF-8, so Repair() has nothing to
  // do (and is skipped: checking each string again cost 10-20 % of OTLP/JSON's speed).
  bool text_is_utf8 = false;

 private:
  template <class V>
  void Drop(V& v) {
    if (pending_ != Pending::kNone && !v.empty()) v.pop_back();
    pending_ = Pending::kNone;
  }
  // Replaces each byte of the record's text that is not UTF-8 by U+FFFD, counting the record.
  LogRecord& Repair(LogRecord& r);
  Span& Repair(Span& r);
  MetricPoint& Repair(MetricPoint& r);
  TraceEvent& Repair(TraceEvent& r);
  void Commit(std::string& service) {
    pending_ = Pending::kNone;
    if (!options_.service_override.empty()) service = options_.service_override;
    ++records_;
    MaybeFlush();
  }
  void MaybeFlush() {
    if (!held_ && batch_.size() >= options_.batch_size) Flush();
  }

  const std::string& path_;
  const ReadOptions& options_;
  const BatchCallback& on_batch_;
  Batch& batch_;
  RejectStats& rejects_;
  uint64_t records_ = 0;
  bool stopped_ = false;
  bool held_ = false;
  enum class Pending { kNone, kLog, kSpan, kMetric, kTraceEvent } pending_ = Pending::kNone;
  std::string stop_message_;
};

// Replaces each byte of `s` that is not UTF-8 by U+FFFD; true when there was one. ReadContext does
// this to every record it commits; a reader that sets text afterwards calls it itself (Loki's
// stream labels, an OTLP resource's names and a metric's name, given to the records read before
// them).
bool RepairUtf8(std::string& s);
bool RepairUtf8(Attributes& attributes);

// A reader consumes the whole source. It returns a non-ok Status only for errors that stop the file
// (I/O); bad records go through ReadContext::Reject.
using ReaderFn = void (*)(ByteSource& src, ReadContext& ctx);

struct FormatInfo {
  const char* name;
  const char* description;
  ReaderFn read;
};

// Every file format, in the order FormatNames() lists them.
const std::vector<FormatInfo>& Formats();
const FormatInfo* FindFormat(std::string_view name);

// Chooses a format from the first bytes of the (decompressed) content and the path; returns a name
// of Formats(), or one of the non-telemetry verdicts "json-other", "binary", "empty".
std::string DetectFormat(std::string_view head, const std::string& path);

// Readers (one .cpp each).
void ReadOtlpJson(ByteSource& src, ReadContext& ctx);
void ReadOtlpProtoTraces(ByteSource& src, ReadContext& ctx);
void ReadOtlpProtoLogs(ByteSource& src, ReadContext& ctx);
void ReadOtlpProtoMetrics(ByteSource& src, ReadContext& ctx);
void ReadTextLog(ByteSource& src, ReadContext& ctx);
void ReadNezhaTrace(ByteSource& src, ReadContext& ctx);
void ReadNezhaLog(ByteSource& src, ReadContext& ctx);
void ReadNezhaMetric(ByteSource& src, ReadContext& ctx);
void ReadTraceIdList(ByteSource& src, ReadContext& ctx);
void ReadZipkinJson(ByteSource& src, ReadContext& ctx);
void ReadZipkinProto(ByteSource& src, ReadContext& ctx);
// What both Zipkin encodings do once a span's fields are read (trace and span id checked): the
// remote endpoint's service as peer.service, start and end from epoch microseconds, a shared
// SERVER half given its own id under its CLIENT, HTTP fields and error tags. False when the
// timestamp or duration is out of range.
bool FinishZipkinSpan(int64_t timestamp_us, int64_t duration_us, bool shared,
                      const std::string& remote_service, Span* s);
void ReadJaegerJson(ByteSource& src, ReadContext& ctx);
void ReadLokiJson(ByteSource& src, ReadContext& ctx);
void ReadLokiProto(ByteSource& src, ReadContext& ctx);
// A Loki stream's labels applied to its entries batch.logs[first...]: service (label service, else
// service_name, app, job, container, else the pod's), instance (pod, else instance), severity from
// level or detected_level, and the labels as the entries' first attributes.
void ApplyLokiStream(const Attributes& labels, size_t first, Batch& batch);
void ReadChromeTrace(ByteSource& src, ReadContext& ctx);
void ReadPrometheus(ByteSource& src, ReadContext& ctx);
void ReadPrometheusRemoteWrite(ByteSource& src, ReadContext& ctx);
void ReadWideCsv(ByteSource& src, ReadContext& ctx);

}  // namespace augur::ingest
