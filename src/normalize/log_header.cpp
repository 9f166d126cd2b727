#include "normalize/log_header.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include "ingest/byte_source.h"
#include "ingest/record_reader.h"

namespace augur::normalize {
namespace {

bool Space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

struct Tok {
  size_t b, e;
};

// The first whitespace tokens of a line (at most kMaxTok), without allocating.
constexpr size_t kMaxTok = 16;
struct Toks {
  std::array<Tok, kMaxTok> t;
  size_t n = 0;
  size_t size() const { return n; }
  const Tok& operator[](size_t i) const { return t[i]; }
};

Toks Tokens(std::string_view line, size_t max) {
  Toks out;
  max = std::min(max, kMaxTok);
  size_t i = 0, n = line.size();
  while (i < n && out.n < max) {
    while (i < n && Space(line[i])) ++i;
    if (i >= n) break;
    size_t j = i;
    while (j < n && !Space(line[j])) ++j;
    out.t[out.n++] = {i, j};
    i = j;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && Space(s[b])) ++b;
  while (e > b && Space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool HasDigit(std::string_view t) {
  return std::any_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool AllDigits(std::string_view t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view StripWrap(std::string_view t) {
  while (!t.empty() && (t.front() == '[' || t.front() == '<' || t.front() == '('))
    t.remove_prefix(1);
  while (!t.empty() && (t.back() == ']' || t.back() == '>' || t.back() == ')' || t.back() == ':' ||
                        t.back() == ','))
    t.remove_suffix(1);
  return t;
}

// ASCII case-insensitive; `b` is upper case.
bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    if (c != b[i]) return false;
  }
  return true;
}

bool IsLevelWord(std::string_view t) {
  static constexpr std::string_view kLevels[] = {
      "TRACE", "DEBUG", "INFO",     "INFORMATION", "NOTICE", "WARN",  "WARNING", "ERROR",
      "ERR",   "FATAL", "CRITICAL", "CRIT",        "SEVERE", "ALERT", "EMERG",   "VERBOSE"};
  std::string_view w = StripWrap(t);
  if (w.size() < 3 || w.size() > 11) return false;
  for (std::string_view l : kLevels)
    if (IEquals(w, l)) return true;
  return false;
}

bool IsMonthOrDay(std::string_view t) {
  static constexpr std::string_view kNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                "Aug", "Sep", "Oct", "Nov", "Dec", "Mon", "Tue",
                                                "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string_view w = StripWrap(t);
  if (w.size() != 3) return false;
  for (std::string_view n : kNames)
    if (w == n) return true;
  return false;
}

// Tokens that may precede a level: times, ids, hosts, separators, short upper-case tags (RAS
// KERNEL).
bool HeaderLike(std::string_view t) {
  if (HasDigit(t) || t == "-" || t == "|" || IsMonthOrDay(t)) return true;
  if (t.front() == '[' || t.back() == ']') return true;
  std::string_view w = StripWrap(t);
  if (w.empty()) return true;
  return w.size() <= 12 &&
         std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

bool Identifier(std::string_view t) {
  // ASCII letters and digits (what isalnum means in the C locale) without a libc call per byte:
  // this runs on every line.
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' ||
           c == '_' || c == '$' || c == '-' || c == '/' || c == '@';
  });
}

constexpr size_t kMaxHeaderTokens = 14;

// Level-anchored split of one line; false when no level was found.
bool SplitAtLevel(std::string_view line, LogHeader& h) {
  // Tokens one at a time: most lines reach their level within a few.
  Toks toks;
  size_t lv = SIZE_MAX, at = 0;
  for (size_t i = 0; i < kMaxHeaderTokens; ++i) {
    while (at < line.size() && Space(line[at])) ++at;
    if (at >= line.size()) break;
    size_t end = at;
    while (end < line.size() && !Space(line[end])) ++end;
    toks.t[toks.n++] = {at, end};
    at = end;
    std::string_view t = line.substr(toks[i].b, toks[i].e - toks[i].b);
    bool logcat = t.size() == 1 &&
                  std::string_view("VDIWEFA").find(t[0]) != std::string_view::npos && i > 0 &&
                  AllDigits(line.substr(toks[i - 1].b, toks[i - 1].e - toks[i - 1].b));
    if (IsLevelWord(t) || logcat) {
      lv = i;
      break;
    }
    if (!HeaderLike(t)) return false;
  }
  if (lv == SIZE_MAX) return false;
  {
    // There must be something after the level.
    size_t k = toks[lv].e;
    while (k < line.size() && Space(line[k])) ++k;
    if (k >= line.size()) return false;
  }
  h.has_header = true;
  if (lv > 0) h.timestamp = Trim(line.substr(0, toks[lv - 1].e));
  h.level = line.substr(toks[lv].b, toks[lv].e - toks[lv].b);
  size_t pos = toks[lv].e;  // byte offset where the rest starts
  auto skip_space = [&] {
    while (pos < line.size() && Space(line[pos])) ++pos;
  };
  auto next_token = [&]() -> std::string_view {
    size_t j = pos;
    while (j < line.size() && !Space(line[j])) ++j;
    return line.substr(pos, j - pos);
  };
  // A bracketed group, which may hold spaces and nested brackets.
  auto bracket = [&]() -> bool {
    if (pos >= line.size() || line[pos] != '[') return false;
    int depth = 0;
    size_t j = pos;
    for (; j < line.size(); ++j) {
      if (line[j] == '[') ++depth;
      if (line[j] == ']' && --depth == 0) break;
    }
    if (j >= line.size()) return false;
    h.thread = line.substr(pos + 1, j - pos - 1);
    pos = j + 1;
    return true;
  };
  skip_space();
  bracket();
  skip_space();
  std::string_view t = next_token();
  if (t == "-") {
    pos += 1;
  } else if (t.size() > 1 && t.back() == ':' && Identifier(t.substr(0, t.size() - 1)) &&
             pos + t.size() < line.size()) {
    h.component = t.substr(0, t.size() - 1);
    pos += t.size();
  } else if (Identifier(t) && t.find('.') != std::string_view::npos) {
    size_t save = pos;
    pos += t.size();
    skip_space();
    if (pos < line.size() && line[pos] == '[' && bracket()) {
      h.component = t;
    } else {
      pos = save;
    }
  } else if (Identifier(t) && pos + t.size() + 1 < line.size() && Space(line[pos + t.size()]) &&
             Space(line[pos + t.size() + 1])) {
    // An aligned column (two or more spaces after it) is a header field, not prose.
    h.component = t;
    pos += t.size();
  }
  skip_space();
  if (pos < line.size() && line[pos] == '-' && pos + 1 < line.size() && Space(line[pos + 1]))
    pos += 1;
  h.content = Trim(line.substr(std::min(pos, line.size())));
  return true;
}

// A clock, HH:MM:SS, anywhere in the token (syslog, ISO 8601, "[10.30 16:49:06]").
bool HasClock(std::string_view t) {
  auto d = [&](size_t i) { return t[i] >= '0' && t[i] <= '9'; };
  for (size_t i = 1; i + 5 < t.size(); ++i)
    if (t[i] == ':' && d(i - 1) && d(i + 1) && d(i + 2) && t[i + 3] == ':' && d(i + 4) && d(i + 5))
      return true;
  return false;
}

// Source-anchored split, for logs without a level whose header names its source after the time:
// syslog ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: msg", with a prefix such as
// "- 1131566461 2005.11.09 dn228 " allowed before the month), or "[10.30 16:49:06] chrome.exe -
// msg". The header is the tokens up to the clock, then a source of at most five tokens that ends
// with a token ending in ':' (a host, then the syslog tag) or before a lone '-'. False when the
// line has no such header.
bool SplitAtSource(std::string_view line, LogHeader& h) {
  constexpr size_t kMaxClockToken = 10, kMaxSourceTokens = 5, kMaxSourceBytes = 160;
  Toks toks = Tokens(line, kMaxClockToken + kMaxSourceTokens + 1);
  size_t clock = SIZE_MAX;
  for (size_t i = 0; i < std::min(toks.size(), kMaxClockToken); ++i) {
    std::string_view t = line.substr(toks[i].b, toks[i].e - toks[i].b);
    if (HasClock(t)) {
      clock = i;
      break;
    }
    if (!HeaderLike(t)) return false;
  }
  if (clock == SIZE_MAX) return false;
  size_t end = SIZE_MAX;  // index of the token after the source
  bool dash = false;
  for (size_t i = clock + 1; i < toks.size() && i <= clock + kMaxSourceTokens; ++i) {
    std::string_view t = line.substr(toks[i].b, toks[i].e - toks[i].b);
    if (t == "-") {
      end = i;
      dash = true;
      break;
    }
    if (t.size() > 1 && t.back() == ':') {
      end = i + 1;
      break;
    }
  }
  size_t body = dash ? end + 1 : end;  // the first token of the message
  if (end == SIZE_MAX || end <= clock + 1 || body >= toks.size()) return false;
  size_t src_b = toks[clock + 1].b, src_e = toks[end - 1].e;
  std::string_view first = line.substr(src_b, toks[clock + 1].e - src_b);
  unsigned char f0 = static_cast<unsigned char>(first[0]);
  if (!(std::isalnum(f0) || f0 == '_' || f0 >= 0x80) || src_e - src_b > kMaxSourceBytes)
    return false;
  h.has_header = true;
  h.timestamp = Trim(line.substr(0, toks[clock].e));
  // The tag: the source without its host (the first of several tokens, as syslog writes it), a
  // trailing ':' and "(address)" group, and "[pid]" as the thread.
  std::string_view tag = line.substr(src_b, src_e - src_b);
  if (!dash && end - (clock + 1) > 1)
    tag = Trim(line.substr(toks[clock + 2].b, src_e - toks[clock + 2].b));
  if (!dash && !tag.empty() && tag.back() == ':') tag.remove_suffix(1);
  if (!tag.empty() && tag.back() == ')' && tag.find(" (") != std::string_view::npos)
    tag = Trim(tag.substr(0, tag.find(" (")));
  if (!tag.empty() && tag.back() == ']') {
    size_t open = tag.rfind('[');
    if (open != std::string_view::npos && AllDigits(tag.substr(open + 1, tag.size() - open - 2))) {
      h.thread = tag.substr(open + 1, tag.size() - open - 2);
      tag = tag.substr(0, open);
    }
  }
  h.component = tag;
  h.content = Trim(line.substr(toks[body].b));
  return true;
}

// The leading '|'-separated fields without whitespace ("20171223-22:15:29:606|Step_LSC|23|msg"):
// their count, or 0.
size_t PipeFields(std::string_view line) {
  size_t n = 0, b = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (Space(line[i])) break;
    if (line[i] == '|') {
      if (i == b) break;
      ++n;
      b = i + 1;
    }
  }
  return n;
}

}  // namespace

struct HeaderParser::Impl {
  enum Mode { kNone, kPattern, kLevel, kSource, kPipes, kColumns } mode = kNone;
  size_t columns = 0;
  std::string pattern;
  std::regex re;
  std::vector<std::string> fields;  // capture group i+1 = fields[i]
};

HeaderParser::HeaderParser() : impl_(std::make_unique<Impl>()) {}
HeaderParser::~HeaderParser() = default;
HeaderParser::HeaderParser(HeaderParser&&) noexcept = default;
HeaderParser& HeaderParser::operator=(HeaderParser&&) noexcept = default;
HeaderParser::HeaderParser(const HeaderParser& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
HeaderParser& HeaderParser::operator=(const HeaderParser& o) {
  impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}

Result<HeaderParser> HeaderParser::FromPattern(std::string_view pattern) {
  HeaderParser p;
  Impl& m = *p.impl_;
  std::string re = "^";
  bool content = false;
  size_t i = 0;
  bool last_space = false;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '<') {
      size_t j = pattern.find('>', i);
      if (j == std::string_view::npos)
        return Result<HeaderParser>::Error("header pattern: '<' at offset " + std::to_string(i) +
                                           " has no closing '>'");
      std::string name(pattern.substr(i + 1, j - i - 1));
      if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
            return std::isalnum((unsigned char)ch) || ch == '_';
          }))
        return Result<HeaderParser>::Error("header pattern: bad field name '<" + name +
                                           ">' at offset " + std::to_string(i));
      if (name == "Content") content = true;
      m.fields.push_back(name);
      re += name == "Content" ? "([\\s\\S]*?)" : "(.*?)";
      i = j + 1;
      last_space = false;
    } else if (Space(c)) {
      if (!last_space) re += "\\s+";
      last_space = true;
      ++i;
    } else {
      if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) re += '\\';
      re += c;
      ++i;
      last_space = false;
    }
  }
  re += "$";
  if (!content)
    return Result<HeaderParser>::Error("header pattern: no <Content> field in '" +
                                       std::string(pattern) + "'");
  try {
    m.re = std::regex(re, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Result<HeaderParser>::Error("header pattern: cannot compile '" + std::string(pattern) +
                                       "': " + e.what());
  }
  m.mode = Impl::kPattern;
  m.pattern = std::string(pattern);
  return p;
}

Result<HeaderParser> HeaderParser::DetectFile(const std::string& path) {
  auto src = ingest::ByteSource::Open(path);
  if (!src) return Result<HeaderParser>::Error(src.message());
  (*src)->SkipByteOrderMark();
  ingest::RecordReader reader(**src, false, 1u << 20);
  std::vector<std::string> lines;
  std::string_view line;
  bool too_long = false;
  while (lines.size() < 1000 && reader.Next(&line, &too_long)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(too_long ? std::string_view() : line);
  }
  return Detect(std::vector<std::string_view>(lines.begin(), lines.end()));
}

HeaderParser HeaderParser::Detect(const std::vector<std::string_view>& sample) {
  HeaderParser p;
  Impl& m = *p.impl_;
  size_t lines = 0, with_level = 0, with_source = 0, pipe_digit = 0;
  constexpr size_t kCols = 10;
  std::vector<size_t> digit_col(kCols, 0), pipe_fields(kCols + 1, 0);
  // Indented lines continue the record before them (a stack trace's frames, a wrapped message) and
  // carry no header, so they do not vote, unless most lines are indented.
  auto indented = [](std::string_view line) { return line[0] == ' ' || line[0] == '\t'; };
  size_t nonblank = 0, continuations = 0;
  for (std::string_view line : sample)
    if (!Trim(line).empty()) {
      ++nonblank;
      continuations += indented(line);
    }
  const bool skip_indented = continuations * 2 < nonblank;
  for (std::string_view line : sample) {
    if (Trim(line).empty() || (skip_indented && indented(line))) continue;
    ++lines;
    LogHeader h;
    if (SplitAtLevel(line, h)) ++with_level;
    if (SplitAtSource(line, h)) ++with_source;
    auto toks = Tokens(line, kCols);
    for (size_t i = 0; i < toks.size(); ++i)
      digit_col[i] += HasDigit(line.substr(toks[i].b, toks[i].e - toks[i].b));
    const std::string_view trimmed = Trim(line);
    const size_t pipes = std::min(PipeFields(trimmed), kCols);
    ++pipe_fields[pipes];
    if (pipes > 0) pipe_digit += HasDigit(trimmed.substr(0, trimmed.find('|')));
  }
  if (lines == 0) return p;
  // Most lines must agree on a layout (97 % for columns, which have no anchor to check).
  auto most = [lines](size_t n) { return n * 10 >= lines * 6; };
  auto nearly_all = [lines](size_t n) { return n * 100 >= lines * 97; };
  if (most(with_level)) {
    m.mode = Impl::kLevel;
    return p;
  }
  // '|'-separated fields: as many as nearly every line has, led by a field with digits.
  size_t at_least = 0;
  for (size_t k = kCols; k >= 1; --k) {
    at_least += pipe_fields[k];
    if (nearly_all(at_least)) {
      if (nearly_all(pipe_digit)) {
        m.mode = Impl::kPipes;
        m.columns = k;
        return p;
      }
      break;
    }
  }
  if (most(with_source)) {
    m.mode = Impl::kSource;
    return p;
  }
  // Leading columns: the last of the first columns that holds digits in nearly every line.
  size_t cols = 0;
  for (size_t i = 0; i < kCols; ++i)
    if (nearly_all(digit_col[i])) cols = i + 1;
  // The first column must be one too, or this is prose that happens to hold numbers.
  if (cols > 0 && nearly_all(digit_col[0])) {
    m.mode = Impl::kColumns;
    m.columns = cols;
  }
  return p;
}

LogHeader HeaderParser::Parse(std::string_view line) const {
  LogHeader h;
  h.content = Trim(line);
  const Impl& m = *impl_;
  switch (m.mode) {
    case Impl::kNone:
      break;
    case Impl::kLevel: {
      LogHeader l;
      if (SplitAtLevel(line, l)) h = l;
      break;
    }
    case Impl::kSource: {
      LogHeader l;
      if (SplitAtSource(line, l)) h = l;
      break;
    }
    case Impl::kPipes: {
      std::string_view t = Trim(line);
      if (PipeFields(t) < m.columns) break;
      size_t at = 0;
      for (size_t i = 0; i < m.columns; ++i) at = t.find('|', at) + 1;
      h.has_header = true;
      h.timestamp = t.substr(0, t.find('|'));
      if (m.columns >= 2) {
        size_t b = h.timestamp.size() + 1;
        h.component = t.substr(b, t.find('|', b) - b);
      }
      h.content = Trim(t.substr(at));
      break;
    }
    case Impl::kColumns: {
      auto toks = Tokens(line, m.columns + 1);
      if (toks.size() > m.columns) {
        h.has_header = true;
        h.timestamp = line.substr(0, toks[m.columns - 1].e);
        h.content = Trim(line.substr(toks[m.columns].b));
      }
      break;
    }
    case Impl::kPattern: {
      std::match_results<std::string_view::const_iterator> mr;
      if (!std::regex_match(line.begin(), line.end(), mr, m.re)) break;
      h.has_header = true;
      for (size_t i = 0; i < m.fields.size() && i + 1 < mr.size(); ++i) {
        std::string_view v = line.substr(mr.position(i + 1), mr.length(i + 1));
        const std::string& f = m.fields[i];
        if (f == "Content")
          h.content = Trim(v);
        else if (f == "Level")
          h.level = v;
        else if (f == "Component")
          h.component = v;
        else if (f == "Pid" || f == "Thread" || f == "Tid")
          h.thread = v;
        else if ((f == "Date" || f == "Time" || f == "Timestamp") && h.timestamp.empty())
          h.timestamp = v;
        else if (f == "Time" && !h.timestamp.empty()) {
          // Date and Time are usually adjacent: widen the view over both.
          const char* b = h.timestamp.data();
          h.timestamp = std::string_view(b, (size_t)(v.data() + v.size() - b));
        }
      }
      break;
    }
  }
  return h;
}

std::string HeaderParser::Describe() const {
  switch (impl_->mode) {
    case Impl::kPattern:
      return "pattern " + impl_->pattern;
    case Impl::kLevel:
      return "level-anchored";
    case Impl::kSource:
      return "source-anchored";
    case Impl::kPipes:
      return std::to_string(impl_->columns) + " '|'-separated fields";
    case Impl::kColumns:
      return "fixed " + std::to_string(impl_->columns) + " columns";
    default:
      return "none";
  }
}

}  // namespace augur::normalize
