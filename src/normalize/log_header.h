// Splits a raw log line into its header fields (timestamp, level, component, pid/thread) and the
// message content that template mining and the log language model work on. The format is either
// detected from a sample of lines or given as a LogHub-style pattern.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace augur::normalize {

// Views into the line given to HeaderParser::Parse(); empty when the field is absent.
struct LogHeader {
  std::string_view timestamp;  // everything before the level/pid columns that looks like a time
  std::string_view level;      // INFO, WARN, E, [notice], ... as written
  std::string_view component;  // logger / class / tag, without its trailing ':'
  std::string_view thread;     // [main], [QuorumPeer[...]] ... without brackets, or a pid column
  std::string_view content;    // the message; the whole line when no header was recognised
  bool has_header = false;
};

class HeaderParser {
 public:
  // No header: content = the whole line (trimmed).
  HeaderParser();
  ~HeaderParser();
  HeaderParser(HeaderParser&&) noexcept;
  HeaderParser& operator=(HeaderParser&&) noexcept;
  HeaderParser(const HeaderParser&);
  HeaderParser& operator=(const HeaderParser&);

  // A user format in LogHub's syntax: fields in angle brackets, literal text between them, a space
  // matching one or more whitespace characters; <Content> is required, e.g.
  //   "<Date> <Time> <Pid> <Level> <Component>: <Content>"
  // Field names Date/Time/Timestamp → timestamp, Level, Component, Pid/Thread/Tid → thread; others
  // are skipped. Lines that do not match keep the whole line as content (has_header = false).
  static Result<HeaderParser> FromPattern(std::string_view pattern);

  // Learns the layout from sample lines (a few hundred are plenty), trying in turn:
  //  - level-anchored: most lines carry a level word among their first tokens; the header ends
  //    after the level plus an optional [thread] and component;
  //  - '|'-separated fields: nearly every line starts with the same number of fields without
  //    whitespace, each closed by '|', the first holding digits ("20171223-22:15:29:606|Step|23|");
  //  - source-anchored: most lines start with a time (HH:MM:SS) followed by a source that ends in
  //    ':' or before a lone '-': syslog's "host tag[pid]:", "[10.30 16:49:06] chrome.exe -";
  //  - fixed columns: the leading columns that hold digits (ids, epochs, times) in nearly every
  //    line.
  // With none of these, there is no header.
  static HeaderParser Detect(const std::vector<std::string_view>& sample);
  // Detect() on the first 1,000 lines of a file (plain or gzip), read on their own so that the
  // caller can then stream the whole file through Parse().
  static Result<HeaderParser> DetectFile(const std::string& path);

  LogHeader Parse(std::string_view line) const;

  // One line for logs: "pattern <...>", "level-anchored", "3 '|'-separated fields",
  // "source-anchored", "fixed 6 columns" or "none".
  std::string Describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::normalize
