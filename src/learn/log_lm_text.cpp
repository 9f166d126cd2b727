#include "learn/log_lm_text.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace augur::learn {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Value of the JSON string field "log" in a docker json-file line; false when the line is not one.
bool UnwrapDockerJson(std::string_view s, std::string& out) {
  if (s.empty() || s.front() != '{') return false;
  size_t k = s.find("\"log\"");
  if (k == std::string_view::npos) return false;
  size_t i = k + 5;
  while (i < s.size() && (IsSpace(s[i]) || s[i] == ':')) ++i;
  if (i >= s.size() || s[i] != '"') return false;
  ++i;
  out.clear();
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return true;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= s.size()) break;
    switch (s[i]) {
      case 'n':
      case 'r':
      case 't':
        out.push_back(' ');
        break;
      case 'u':
        // Non-ASCII code points carry no template meaning here; keep a placeholder byte.
        out.push_back('?');
        i += std::min<size_t>(4, s.size() - i - 1);
        break;
      default:
        out.push_back(s[i]);
    }
  }
  return true;  // unterminated: keep what was read rather than lose the line
}

// A header token: digits with date/time separators only ("2023-01-29T08:48:42.425Z",
// "16:48:42.424", "1117838570", "2005.06.03", "[12:00:01]").
bool IsTimeLikeToken(std::string_view t) {
  if (!t.empty() && t.front() == '[') t.remove_prefix(1);
  if (!t.empty() && t.back() == ']') t.remove_suffix(1);
  if (t.empty()) return false;
  bool digit = false;
  for (char c : t) {
    if (IsDigit(c)) {
      digit = true;
    } else if (!(c == '-' || c == ':' || c == '.' || c == ',' || c == '/' || c == 'T' || c == 'Z' ||
                 c == '+')) {
      return false;
    }
  }
  return digit;
}

bool IsMonth(std::string_view t) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (auto m : kMonths)
    if (t == m) return true;
  return false;
}

std::string_view NextToken(std::string_view s, size_t& end) {
  size_t i = 0;
  while (i < s.size() && !IsSpace(s[i])) ++i;
  end = i;
  return s.substr(0, i);
}

bool IsDelimiter(char c) {
  // '.', '-' and '_' stay inside tokens so dotted class names and UUIDs remain one token.
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return false;
  return !(std::isalnum(u) || c == '.' || c == '-' || c == '_');
}

}  // namespace

std::string StripLogHeader(std::string_view raw) {
  std::string unwrapped;
  std::string_view s = Trim(raw);
  if (UnwrapDockerJson(s, unwrapped)) s = Trim(unwrapped);

  // CRI (containerd) prefix: "<rfc3339> stdout|stderr F|P ".
  {
    size_t e1 = 0;
    std::string_view t1 = NextToken(s, e1);
    if (IsTimeLikeToken(t1) && e1 < s.size()) {
      std::string_view rest = Trim(s.substr(e1));
      if (rest.starts_with("stdout ") || rest.starts_with("stderr ")) {
        rest = Trim(rest.substr(7));
        if (rest.size() >= 2 && (rest[0] == 'F' || rest[0] == 'P') && rest[1] == ' ')
          rest = rest.substr(2);
        s = Trim(rest);
      }
    }
  }

  // Leading time-like fields and syslog dates ("Jan 29 08:00:00").
  for (int guard = 0; guard < 8 && !s.empty(); ++guard) {
    size_t e = 0;
    std::string_view t = NextToken(s, e);
    if (IsTimeLikeToken(t)) {
      s = Trim(s.substr(e));
      continue;
    }
    if (IsMonth(t)) {
      size_t e2 = 0;
      std::string_view t2 = NextToken(Trim(s.substr(e)), e2);
      if (!t2.empty() && IsDigit(t2.front())) {
        s = Trim(s.substr(e));
        continue;
      }
    }
    break;
  }
  return std::string(s);  // s may point into `unwrapped`: copy before it dies
}

std::string MaskLogLine(std::string_view s) {
  std::string out;
  out.reserve(std::min(s.size(), kLogLmMaxLineBytes) + 8);
  size_t i = 0;
  bool last_space = true;
  auto append_mask = [&] {
    // Collapse "<*>" runs: adjacent or separated by one delimiter char ("<*>:<*>" stays as is).
    if (out.size() >= 3 && out.compare(out.size() - 3, 3, "<*>") == 0) return;
    out += "<*>";
  };
  while (i < s.size() && out.size() < kLogLmMaxLineBytes) {
    char c = s[i];
    if (IsSpace(c)) {
      if (!last_space) out.push_back(' ');
      last_space = true;
      ++i;
      continue;
    }
    if (IsDelimiter(c)) {
      unsigned char u = static_cast<unsigned char>(c);
      out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
      last_space = false;
      ++i;
      continue;
    }
    size_t j = i;
    bool digit = false;
    while (j < s.size() && !IsSpace(s[j]) && !IsDelimiter(s[j])) {
      digit |= IsDigit(s[j]);
      ++j;
    }
    // "Class#123" is a source location, not a variable: it names the log statement, so keep it.
    const bool source_line = out.size() >= 2 && out.back() == '#' &&
                             std::isalnum(static_cast<unsigned char>(out[out.size() - 2])) &&
                             std::all_of(s.begin() + i, s.begin() + j, IsDigit);
    if (digit && !source_line) {
      append_mask();
    } else {
      for (size_t k = i; k < j; ++k) {
        unsigned char u = static_cast<unsigned char>(s[k]);
        out.push_back(u >= 0x80 ? '?' : s[k]);
      }
    }
    last_space = false;
    i = j;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kLogLmMaxLineBytes) out.resize(kLogLmMaxLineBytes);
  return out;
}

std::string PrepareLogLine(std::string_view raw) {
  return MaskLogLine(StripLogHeader(raw));
}

}  // namespace augur::learn
