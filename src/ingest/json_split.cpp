#include "ingest/json_split.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace augur::ingest {
namespace {

constexpr size_t kPadding = 64;
constexpr size_t kMaxKey = 256;

struct StructTable {
  bool v[256] = {};
  constexpr StructTable() {
    for (unsigned char c : std::string_view("\"{}[],\n")) v[c] = true;
  }
};
constexpr StructTable kStruct;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Scanner {
 public:
  Scanner(const JsonSplitOptions& o, const JsonUnitFn& on_unit, const JsonErrorFn& on_error,
          uint64_t first_line)
      : o_(o), on_unit_(on_unit), on_error_(on_error), line_(first_line) {}

  // Scans data[pos_, end). Returns false when a callback asked to stop.
  bool Scan(const char* data, size_t end);
  // End of input.
  bool Finish();
  // Smallest offset the caller must keep when it moves the buffer.
  size_t Anchor() const {
    size_t a = pos_;
    if (in_unit_ && !overflow_) a = std::min(a, unit_start_);
    if (in_string_ && string_is_key_) a = std::min(a, string_start_ - 1);
    if (doc_pending_ && !doc_overflow_) a = std::min(a, doc_start_);
    return a;
  }
  void Shift(size_t n) {
    pos_ -= n;
    if (in_unit_ && !overflow_) unit_start_ -= n;
    if (in_string_ && string_is_key_) string_start_ -= n;
    if (doc_pending_ && !doc_overflow_) doc_start_ -= n;
  }
  void CheckOverflow(size_t end) {
    if (in_unit_ && !overflow_ && end - unit_start_ >= o_.max_unit) overflow_ = true;
    if (doc_pending_ && !doc_overflow_ && end - doc_start_ >= o_.max_unit) doc_overflow_ = true;
  }

 private:
  bool WholeDocs() const { return o_.whole_documents || o_.keys.empty(); }
  void BeginUnit(size_t at, bool scalar) {
    in_unit_ = true;
    unit_scalar_ = scalar;
    unit_start_ = at;
    unit_line_ = line_;
    overflow_ = false;
  }
  bool EndUnit(const char* data, size_t end_at) {
    in_unit_ = false;
    if (overflow_) {
      overflow_ = false;
      return on_error_(unit_line_,
                       "record too long (over " + std::to_string(o_.max_unit >> 20) + " MiB)");
    }
    size_t b = unit_start_, e = end_at;
    while (e > b && IsSpace(data[e - 1])) --e;
    return on_unit_(unit_key_, std::string_view(data + b, e - b), unit_line_);
  }
  bool Junk(size_t at, const char* what) {
    (void)at;
    junk_ = true;
    return on_error_(line_, what);
  }

  const JsonSplitOptions& o_;
  const JsonUnitFn& on_unit_;
  const JsonErrorFn& on_error_;
  uint64_t line_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool in_string_ = false, escape_pending_ = false, string_is_key_ = false;
  size_t string_start_ = 0;
  char top_type_ = 0;
  bool expect_key_ = false;
  std::string last_key_;
  bool active_ = false;  // inside an array whose elements are units
  int unit_depth_ = 0;
  bool in_unit_ = false, unit_scalar_ = false, overflow_ = false;
  size_t unit_start_ = 0;
  uint64_t unit_line_ = 0;
  std::string unit_key_;
  bool junk_ = false;
  bool matched_key_ = false;
  uint64_t doc_line_ = 0;
  bool doc_pending_ = false;  // keeping the whole top-level object until a key matches
  bool doc_overflow_ = false;
  size_t doc_start_ = 0;  // skipping stray bytes at the top level up to the end of the line
};

bool Scanner::Scan(const char* data, size_t end) {
  while (pos_ < end) {
    if (junk_) {
      const void* nl = std::memchr(data + pos_, '\n', end - pos_);
      if (!nl) {
        pos_ = end;
        return true;
      }
      pos_ = static_cast<const char*>(nl) - data + 1;
      ++line_;
      junk_ = false;
      continue;
    }
    if (in_string_) {
      if (escape_pending_) {
        escape_pending_ = false;
        ++pos_;
        continue;
      }
      const char* q = static_cast<const char*>(std::memchr(data + pos_, '"', end - pos_));
      size_t limit = q ? static_cast<size_t>(q - data) : end;
      const char* b = static_cast<const char*>(std::memchr(data + pos_, '\\', limit - pos_));
      if (b) {
        size_t bpos = static_cast<size_t>(b - data);
        if (bpos + 1 >= end) {
          escape_pending_ = true;
          pos_ = end;
        } else {
          pos_ = bpos + 2;
        }
        continue;
      }
      if (!q) {
        pos_ = end;
        if (string_is_key_ && pos_ - string_start_ > kMaxKey) string_is_key_ = false;
        return true;
      }
      in_string_ = false;
      if (string_is_key_) last_key_.assign(data + string_start_, limit - string_start_);
      pos_ = limit + 1;
      continue;
    }
    if (in_unit_ && !unit_scalar_) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(data);
      size_t i = pos_;
      while (i < end && !kStruct.v[p[i]]) ++i;
      pos_ = i;
      if (i == end) return true;
    }
    char c = data[pos_];
    switch (c) {
      case '\n':
        ++line_;
        break;
      case ' ':
      case '\t':
      case '\r':
        break;
      case '"':
        if (depth_ == 0) {
          if (!Junk(pos_, "malformed JSON: a string outside any object or array")) return false;
          continue;
        }
        if (active_ && depth_ == unit_depth_ && !in_unit_) BeginUnit(pos_, true);
        in_string_ = true;
        string_start_ = pos_ + 1;
        string_is_key_ = !in_unit_ && depth_ == 1 && top_type_ == '{' && expect_key_;
        break;
      case '{':
      case '[':
        if (depth_ == 0) {
          top_type_ = c;
          active_ = false;
          if (WholeDocs() || (c == '[' && !o_.split_top_array)) {
            unit_key_.clear();
            BeginUnit(pos_, false);
            unit_depth_ = 0;
          } else if (c == '[') {
            active_ = true;
            unit_depth_ = 1;
            unit_key_ = "[]";
          } else {
            expect_key_ = true;
            matched_key_ = false;
            doc_line_ = line_;
            doc_start_ = pos_;
            doc_pending_ = o_.unmatched_whole;
          }
        } else if (active_ && depth_ == unit_depth_ && !in_unit_) {
          BeginUnit(pos_, false);
        } else if (!in_unit_ && depth_ == 1 && top_type_ == '{' && c == '[' &&
                   std::find(o_.keys.begin(), o_.keys.end(), last_key_) != o_.keys.end()) {
          active_ = true;
          unit_depth_ = 2;
          unit_key_ = last_key_;
          matched_key_ = true;
          doc_pending_ = false;
        }
        ++depth_;
        break;
      case '}':
      case ']':
        if (depth_ == 0) {
          if (!Junk(pos_, "malformed JSON: unbalanced closing bracket")) return false;
          continue;
        }
        --depth_;
        if (in_unit_) {
          if (!unit_scalar_ && depth_ == unit_depth_) {
            ++pos_;
            if (!EndUnit(data, pos_)) return false;
            if (depth_ == 0) top_type_ = 0;
            continue;
          }
          if (unit_scalar_ && depth_ == unit_depth_ - 1) {
            if (!EndUnit(data, pos_)) return false;
          }
        }
        if (active_ && depth_ == unit_depth_ - 1) active_ = false;
        if (depth_ == 0) {
          if (doc_pending_) {
            doc_pending_ = false;
            if (doc_overflow_) {
              doc_overflow_ = false;
              if (!on_error_(doc_line_, "record too long (over " +
                                            std::to_string(o_.max_unit >> 20) + " MiB)"))
                return false;
            } else {
              ++pos_;
              std::string_view doc(data + doc_start_, pos_ - doc_start_);
              top_type_ = 0;
              if (!on_unit_("", doc, doc_line_)) return false;
              continue;
            }
          } else if (top_type_ == '{' && !WholeDocs() && !matched_key_) {
            if (!on_error_(doc_line_, NoMemberReason(o_))) return false;
          }
          top_type_ = 0;
        }
        break;
      case ',':
        if (in_unit_ && unit_scalar_ && depth_ == unit_depth_) {
          if (!EndUnit(data, pos_)) return false;
        }
        if (depth_ == 1 && top_type_ == '{') expect_key_ = true;
        break;
      case ':':
        if (depth_ == 1 && top_type_ == '{') expect_key_ = false;
        break;
      default:
        if (depth_ == 0) {
          if (!Junk(pos_, "malformed JSON: stray bytes outside any object or array")) return false;
          continue;
        }
        if (active_ && depth_ == unit_depth_ && !in_unit_) BeginUnit(pos_, true);
        break;
    }
    ++pos_;
  }
  return true;
}

bool Scanner::Finish() {
  if (in_string_ || depth_ > 0 || in_unit_) {
    uint64_t at = in_unit_ ? unit_line_ : line_;
    in_unit_ = false;
    return on_error_(at, "malformed JSON: unexpected end of input (unclosed value)");
  }
  return true;
}

}  // namespace

std::string NoMemberReason(const JsonSplitOptions& options) {
  std::string reason = "JSON document without any of the members";
  for (const auto& k : options.keys) reason += " " + k;
  return reason;
}

bool SplitJsonBuffer(const char* data, size_t size, uint64_t first_line,
                     const JsonSplitOptions& options, const JsonUnitFn& on_unit,
                     const JsonErrorFn& on_error) {
  Scanner s(options, on_unit, on_error, first_line);
  if (!s.Scan(data, size)) return false;
  return s.Finish();
}

bool SplitJson(ByteSource& src, const JsonSplitOptions& options, const JsonUnitFn& on_unit,
               const JsonErrorFn& on_error) {
  Scanner s(options, on_unit, on_error, 1);
  size_t cap = src.block_hint();
  std::vector<char> buf(cap + kPadding);
  size_t end = 0;
  for (;;) {
    size_t got = src.Read(buf.data() + end, cap - end);
    if (got == 0) break;
    end += got;
    std::memset(buf.data() + end, 0, kPadding);
    if (!s.Scan(buf.data(), end)) return false;
    s.CheckOverflow(end);
    size_t anchor = s.Anchor();
    if (anchor > 0) {
      std::memmove(buf.data(), buf.data() + anchor, end - anchor);
      end -= anchor;
      s.Shift(anchor);
    }
    if (end == cap) {
      cap *= 2;
      buf.resize(cap + kPadding);
    }
  }
  return s.Finish();
}

bool IsCompleteJsonValue(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i == line.size() || (line[i] != '{' && line[i] != '[')) return false;
  int depth = 0;
  bool in_string = false;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) {
        for (++i; i < line.size(); ++i)
          if (!IsSpace(line[i])) return false;
        return true;
      }
    }
  }
  return false;
}

namespace {

// Length of the JSON number at the start of `s`, 0 when it is none; `cut` when `s` ends inside it.
size_t JsonNumberLength(std::string_view s, bool& cut) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  cut = false;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return cut = true, i;
  if (s[i] == '0')
    ++i;
  else if (digits() == 0)
    return 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return (cut = i == s.size()) ? i : 0;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return (cut = i == s.size()) ? i : 0;
  }
  cut = i == s.size();
  return i;
}

}  // namespace

bool IsJsonPrefix(std::string_view head) {
  // Only the first top-level value is checked: a later line of JSON lines may be broken.
  // What may come next: a value, a value or ']' (after '['), a key or '}' (after '{'), a key,
  // ':', or ',' / the container's end (after a value).
  enum class Want { kValue, kValueOrEnd, kKeyOrEnd, kKey, kColon, kCommaOrEnd };
  std::vector<char> open;  // '{' or '['
  Want want = Want::kValue;
  size_t i = 0;
  bool done = false;  // the first top-level value is complete
  auto after_value = [&] {
    want = Want::kCommaOrEnd;
    done = open.empty();
  };
  while (i < head.size() && !done) {
    char c = head[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    switch (want) {
      case Want::kColon:
        if (c != ':') return false;
        ++i;
        want = Want::kValue;
        continue;
      case Want::kCommaOrEnd:
        if (c == ',') {
          want = open.back() == '{' ? Want::kKey : Want::kValue;
          ++i;
          continue;
        }
        if (c != (open.back() == '{' ? '}' : ']')) return false;
        open.pop_back();
        ++i;
        after_value();
        continue;
      case Want::kKeyOrEnd:
      case Want::kKey:
        if (c == '}' && want == Want::kKeyOrEnd) {
          open.pop_back();
          ++i;
          after_value();
          continue;
        }
        if (c != '"') return false;
        break;
      case Want::kValueOrEnd:
        if (c == ']') {
          open.pop_back();
          ++i;
          after_value();
          continue;
        }
        break;
      case Want::kValue:
        break;
    }
    // A string (a key, when an object wants one), a container, a literal or a number.
    if (c == '"') {
      for (++i; i < head.size() && head[i] != '"'; ++i)
        if (head[i] == '\\') ++i;
      if (i >= head.size()) return true;  // cut inside the string
      ++i;
      if (want == Want::kKey || want == Want::kKeyOrEnd)
        want = Want::kColon;
      else
        after_value();
    } else if (c == '{' || c == '[') {
      open.push_back(c);
      want = c == '{' ? Want::kKeyOrEnd : Want::kValueOrEnd;
      ++i;
    } else if (c == 't' || c == 'f' || c == 'n') {
      std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      std::string_view rest = head.substr(i, word.size());
      if (word.substr(0, rest.size()) != rest) return false;
      if (rest.size() < word.size()) return true;  // cut inside the literal
      i += word.size();
      after_value();
    } else {
      bool cut = false;
      size_t n = JsonNumberLength(head.substr(i), cut);
      if (n == 0) return false;
      if (cut) return true;
      i += n;
      if (!IsSpace(head[i]) && head[i] != ',' && head[i] != ']' && head[i] != '}') return false;
      after_value();
    }
  }
  // The rest of the first value's last line: nothing, or another value (concatenated documents).
  while (i < head.size() && head[i] != '\n' && IsSpace(head[i])) ++i;
  return i == head.size() || head[i] == '\n' || head[i] == '{' || head[i] == '[';
}

}  // namespace augur::ingest
