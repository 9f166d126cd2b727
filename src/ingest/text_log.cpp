// Plain text logs: one record per line, streamed in large blocks. Blank lines are not records. With
// ReadOptions::multiline, a line without a time of its own that follows a record with a time
// continues that record (a stack trace: the exception line, its indented frames, "Caused by:") and
// joins its body after a newline, as Promtail's multiline stage does with a timestamp as the first
// line's mark.
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

constexpr size_t kMaxJoinedLines = 1000;      // a longer trace starts a new record
constexpr size_t kMaxJoinedBytes = 1u << 20;  // as does a body over 1 MiB

}  // namespace

void ReadTextLog(ByteSource& src, ReadContext& ctx) {
  std::string instance;
  std::string service = ServiceFromLogPath(ctx.path(), &instance);
  const FileClock clock = FileTime(ctx.path());
  simdjson::ondemand::parser parser;
  RecordReader reader(src, false, kMaxRecordBytes);
  std::string_view line;
  bool too_long;
  // After a timed record, lines without a time continue it. With multiline, the last record stays
  // uncommitted (open) while they may still join it.
  bool continuable = false, open = false;
  size_t joined = 0;
  auto close = [&] {
    if (open) ctx.CommitLog();
    open = false;
  };
  while (reader.Next(&line, &too_long)) {
    if (too_long) {
      close();
      if (!ctx.Reject(reader.line(), "line too long (over 64 MiB)")) return;
      continue;
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    if (std::memchr(line.data(), '\0', line.size())) {
      close();
      if (!ctx.Reject(reader.line(), "binary data (NUL byte)")) return;
      continue;
    }
    // Bytes that are not UTF-8 (a legacy service writing Latin-1) are repaired as the record is
    // committed (ReadContext): the line is kept.
    LogRecord rec;
    rec.service = service;
    rec.instance = instance;
    const bool json = line[first] == '{' && UnwrapJsonLog(line.substr(first), parser, &rec);
    if (!json) ParseLineOfFile(line, clock, &rec);
    const bool timed = rec.time != 0;
    const bool continues = continuable && !json && !timed;
    if (continues)
      ++ctx.continuation_lines;
    else
      continuable = timed;
    if (continues && open && joined < kMaxJoinedLines) {
      LogRecord& last = ctx.batch().logs.back();
      if (last.body.size() + line.size() < kMaxJoinedBytes) {
        last.body += '\n';
        last.body.append(line.substr(0, line.find_last_not_of(" \t\r") + 1));
        ++joined;
        continue;
      }
    }
    close();
    ctx.NewLog() = std::move(rec);
    if (timed && ctx.options().multiline) {
      open = true;
      joined = 0;
    } else {
      ctx.CommitLog();
    }
  }
  close();
}

}  // namespace augur::ingest
