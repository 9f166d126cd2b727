// The front door of ingest: read any mix of files and folders, in any supported format, as a stream
// of batches. Formats are detected from the content (the extension is a hint) unless forced.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"

namespace augur::ingest {

struct ReadOptions {
  std::string format;            // "" = detect; else a name from FormatNames()
  bool strict = false;           // stop at the first rejected record
  size_t batch_size = 8192;      // records per batch handed to the callback
  std::string service_override;  // rule 1 of core/service.h: explicit service for every record
  // Plain text logs: a line without a time of its own that follows a line with one continues that
  // record (a stack trace) and joins its body after a newline. Off: one record per line.
  bool multiline = false;
};

// Rejected records, counted by reason; the first few kept as "<file>:<line>: <reason>".
struct RejectStats {
  uint64_t count = 0;
  std::map<std::string, uint64_t> reasons;
  std::vector<std::string> first;  // at most kMaxFirstRejects
  static constexpr size_t kMaxFirstRejects = 20;
  // `line` 0 means the file as a whole ("<file>: <reason>").
  void Add(const std::string& file, uint64_t line, const std::string& reason);
};

struct FileReport {
  std::string path;
  std::string format;
  uint64_t bytes = 0;
  uint64_t records = 0;
  std::string note;                 // why a file was skipped (not telemetry), else ""
  uint64_t continuation_lines = 0;  // ReadContext::continuation_lines
  uint64_t repaired_records = 0;    // ReadContext::repaired_records
};

struct ReadReport {
  std::vector<FileReport> files;
  RejectStats rejected;
  std::string error;  // the strict stop, "" otherwise
};

// Called for each batch, in file order; the callee may move records out of the batch.
using BatchCallback = std::function<void(Batch&)>;

// Reads every path (files, or folders walked recursively in name order). Returns an error only when
// nothing can be read at all (missing path, unreadable file) or, under `strict`, at the first
// reject; bad records are otherwise skipped, counted in the report, and good records around them
// are kept. Folders skip hidden entries and documentation (LICENSE*, README*, COPYING*, NOTICE*,
// *.md); files named explicitly are always read. `partial`, when given, receives the report even
// when the result is an error (what was read before a strict stop, with the reject that stopped
// it).
Result<ReadReport> ReadPaths(const std::vector<std::string>& paths, const ReadOptions& options,
                             const BatchCallback& on_batch, ReadReport* partial = nullptr);

// Reads one in-memory input (an HTTP body, a fuzz input); `name` stands for the file in messages.
Result<ReadReport> ReadBuffer(std::string_view data, const std::string& name,
                              const ReadOptions& options, const BatchCallback& on_batch);

// Convenience for tests and small inputs: everything in one Batch.
Result<Batch> ReadAll(const std::vector<std::string>& paths, const ReadOptions& options = {},
                      ReadReport* report = nullptr);

// Names accepted by ReadOptions::format / `--format`.
std::vector<std::string> FormatNames();

}  // namespace augur::ingest
