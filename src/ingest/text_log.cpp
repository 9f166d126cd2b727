// Plain text logs: one record per line, streamed in large blocks. Blank lines are not records.
#include <sys/stat.h>

#include <cstring>
#include <ctime>

#include "core/time.h"
#include "ingest/log_line.h"
#include "ingest/reader.h"
#include "ingest/record_reader.h"

namespace augur::ingest {
namespace {

// Timestamps without a year (syslog) take the year the file was last written, or the year before
// where that would put them after it (December's lines of a file written in January).
struct FileClock {
  int year = 1970;
  TimeNs modified = 0;
};

FileClock FileTime(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  std::tm tm{};
  gmtime_r(&st.st_mtime, &tm);
  return {tm.tm_year + 1900, static_cast<TimeNs>(st.st_mtime) * kNsPerSecond};
}

void ParseLineOfFile(std::string_view line, const FileClock& clock, LogRecord* log) {
  ParsePlainLine(line, clock.year, log);
  constexpr TimeNs kSlack = 2 * 86400 * kNsPerSecond;  // clocks and zones disagree a little
  if (clock.modified == 0 || log->time <= clock.modified + kSlack) return;
  LogRecord before;
  ParsePlainLine(line, clock.year - 1, &before);
  if (before.time != log->time) log->time = before.time;  // a layout without a year
}

}  // namespace

void ReadTextLog(ByteSource& src, ReadContext& ctx) {
  std::string instance;
  std::string service = ServiceFromLogPath(ctx.path(), &instance);
  const FileClock clock = FileTime(ctx.path());
  simdjson::ondemand::parser parser;
  RecordReader reader(src, false, kMaxRecordBytes);
  std::string_view line;
  bool too_long;
  while (reader.Next(&line, &too_long)) {
    if (too_long) {
      if (!ctx.Reject(reader.line(), "line too long (over 64 MiB)")) return;
      continue;
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    if (std::memchr(line.data(), '\0', line.size())) {
      if (!ctx.Reject(reader.line(), "binary data (NUL byte)")) return;
      continue;
    }
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      if (!ctx.Reject(reader.line(), "invalid UTF-8")) return;
      continue;
    }
    LogRecord& log = ctx.NewLog();
    log.service = service;
    log.instance = instance;
    if (line[first] != '{' || !UnwrapJsonLog(line.substr(first), parser, &log))
      ParseLineOfFile(line, clock, &log);
    ctx.CommitLog();
  }
}

}  // namespace augur::ingest
