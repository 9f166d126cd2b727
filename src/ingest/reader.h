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

// Handed to a reader for one file. Readers append records straight into `batch` (no copies) and
// call Commit(); a bad record is dropped with Drop*() and reported with Reject().
class ReadContext {
 public:
  ReadContext(const std::string& path, const ReadOptions& options, const BatchCallback& on_batch,
              Batch& batch, RejectStats& rejects)
      : path_(path), options_(options), on_batch_(on_batch), batch_(batch), rejects_(rejects) {}

  const std::string& path() const { return path_; }
  const ReadOptions& options() const { return options_; }

  LogRecord& NewLog() { return batch_.logs.emplace_back(); }
  Span& NewSpan() { return batch_.spans.emplace_back(); }
  MetricPoint& NewMetric() { return batch_.metrics.emplace_back(); }
  TraceEvent& NewTraceEvent() { return batch_.trace_events.emplace_back(); }
  void DropLog() { batch_.logs.pop_back(); }
  void DropSpan() { batch_.spans.pop_back(); }
  void DropMetric() { batch_.metrics.pop_back(); }
  void DropTraceEvent() { batch_.trace_events.pop_back(); }

  // The record last created is good: count it, apply the explicit service, hand over a full batch.
  void CommitLog() { Commit(batch_.logs.back().service); }
  void CommitSpan() { Commit(batch_.spans.back().service); }
  void CommitMetric() { Commit(batch_.metrics.back().service); }
  void CommitTraceEvent() {
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

 private:
  void Commit(std::string& service) {
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
  std::string stop_message_;
};

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
void ReadTextLog(ByteSource& src, ReadContext& ctx);
void ReadNezhaTrace(ByteSource& src, ReadContext& ctx);
void ReadNezhaLog(ByteSource& src, ReadContext& ctx);
void ReadNezhaMetric(ByteSource& src, ReadContext& ctx);
void ReadTraceIdList(ByteSource& src, ReadContext& ctx);
void ReadZipkinJson(ByteSource& src, ReadContext& ctx);
void ReadJaegerJson(ByteSource& src, ReadContext& ctx);
void ReadLokiJson(ByteSource& src, ReadContext& ctx);
void ReadChromeTrace(ByteSource& src, ReadContext& ctx);
void ReadPrometheus(ByteSource& src, ReadContext& ctx);
void ReadWideCsv(ByteSource& src, ReadContext& ctx);

}  // namespace augur::ingest
