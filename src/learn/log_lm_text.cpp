#include "learn/log_lm_text.h"

#include <strings.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
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

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// "12" or "12.5": a plain decimal number (no sign, no exponent: "-5" and "1e3" stay ids).
std::optional<double> PlainNumber(std::string_view t) {
  if (t.empty() || !IsDigit(t.front()) || !IsDigit(t.back())) return std::nullopt;
  int dots = 0;
  for (char c : t) {
    if (c == '.') {
      if (++dots > 1) return std::nullopt;
    } else if (!IsDigit(c)) {
      return std::nullopt;
    }
  }
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) return HUGE_VAL;  // hundreds of digits: still huge
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

// Units of Go's time.Duration.String() ("1h2m3.5s", "350ms", "12.3µs"); only these may be
// chained, and only there does "m" mean minutes.
std::optional<double> GoUnitMs(std::string_view u) {
  if (u == "h") return 3.6e6;
  if (u == "m") return 6e4;
  if (u == "s") return 1e3;
  if (u == "ms") return 1;
  if (u == "us" || u == "\xc2\xb5s" || u == "\xce\xbcs") return 1e-3;
  if (u == "ns") return 1e-6;
  return std::nullopt;
}

// The unit of a key naming a duration: "took", "duration", "elapsed", "latency" (unit unknown:
// "?", factor 1) or a key ending in a unit ("elapsed_ms", "durationMs", "timeout_seconds").
std::optional<std::pair<std::string_view, double>> DurationKey(std::string_view key) {
  static constexpr std::string_view kPlain[] = {"took", "duration", "elapsed", "latency"};
  for (auto k : kPlain)
    if (EqualsNoCase(key, k)) return std::make_pair(std::string_view("?"), 1.0);
  // Case-sensitive on purpose: "items" must not read as "ms". A camel-case unit must follow a
  // lower-case letter or a digit ("timeoutMs", "durationSeconds"), so that plurals of acronyms
  // ("numVMs", "CPUs") are not read as durations.
  struct Suffix {
    std::string_view text;
    double ms;
    bool camel;
  };
  static constexpr Suffix kSuffixes[] = {
      {"_ms", 1, false},        {"-ms", 1, false},   {"_millis", 1, false}, {"_us", 1e-3, false},
      {"_ns", 1e-6, false},     {"_s", 1e3, false},  {"_sec", 1e3, false},  {"_secs", 1e3, false},
      {"_seconds", 1e3, false}, {"Ms", 1, true},     {"Millis", 1, true},   {"Micros", 1e-3, true},
      {"Nanos", 1e-6, true},    {"Secs", 1e3, true}, {"Seconds", 1e3, true}};
  for (const auto& s : kSuffixes) {
    if (key.size() <= s.text.size() || !key.ends_with(s.text)) continue;
    const char before = key[key.size() - s.text.size() - 1];
    if (s.camel && !((before >= 'a' && before <= 'z') || IsDigit(before))) continue;
    return std::make_pair(std::string_view("ms"), s.ms);
  }
  return std::nullopt;
}

// The key before a value starting at `i` in `s`: "key=", "key:", "key: ", "\"key\": " (JSON).
std::string_view KeyBefore(std::string_view s, size_t i) {
  size_t k = i;
  if (k > 0 && s[k - 1] == '"') --k;
  if (k > 0 && s[k - 1] == ' ') --k;
  if (k == 0 || (s[k - 1] != '=' && s[k - 1] != ':')) return {};
  --k;
  if (k > 0 && s[k - 1] == '"') --k;
  size_t e = k;
  while (k > 0 && (std::isalnum(static_cast<unsigned char>(s[k - 1])) || s[k - 1] == '_' ||
                   s[k - 1] == '-' || s[k - 1] == '.'))
    --k;
  return s.substr(k, e - k);
}

}  // namespace

std::optional<double> TimeUnitMs(std::string_view w) {
  struct Unit {
    std::string_view word;
    double ms;
  };
  // No bare "m" (metres, millicores) and no "min" ambiguity with "minimum" (a whole word here).
  static constexpr Unit kUnits[] = {{"ns", 1e-6},           {"nanos", 1e-6},  {"nanosecond", 1e-6},
                                    {"nanoseconds", 1e-6},  {"us", 1e-3},     {"\xc2\xb5s", 1e-3},
                                    {"\xce\xbcs", 1e-3},    {"micros", 1e-3}, {"microsecond", 1e-3},
                                    {"microseconds", 1e-3}, {"ms", 1},        {"msec", 1},
                                    {"msecs", 1},           {"millis", 1},    {"millisecond", 1},
                                    {"milliseconds", 1},    {"s", 1e3},       {"sec", 1e3},
                                    {"secs", 1e3},          {"second", 1e3},  {"seconds", 1e3},
                                    {"min", 6e4},           {"mins", 6e4},    {"minute", 6e4},
                                    {"minutes", 6e4},       {"h", 3.6e6},     {"hr", 3.6e6},
                                    {"hrs", 3.6e6},         {"hour", 3.6e6},  {"hours", 3.6e6}};
  for (const auto& u : kUnits)
    if (EqualsNoCase(w, u.word)) return u.ms;
  return std::nullopt;
}

std::optional<double> ParseDuration(std::string_view t) {
  double total = 0;
  int parts = 0;
  bool only_go_units = true;
  size_t i = 0;
  while (i < t.size()) {
    size_t j = i;
    while (j < t.size() && IsDigit(t[j])) ++j;
    if (j < t.size() && t[j] == '.') {
      ++j;
      while (j < t.size() && IsDigit(t[j])) ++j;
    }
    auto number = PlainNumber(t.substr(i, j - i));
    if (!number) return std::nullopt;
    size_t k = j;
    while (k < t.size() && (IsAlpha(t[k]) || static_cast<unsigned char>(t[k]) >= 0x80)) ++k;
    std::string_view unit = t.substr(j, k - j);
    if (unit.empty()) return std::nullopt;
    auto go = GoUnitMs(unit);
    auto any = go ? go : TimeUnitMs(unit);
    if (!any) return std::nullopt;
    only_go_units &= go.has_value();
    total += *number * *any;
    ++parts;
    i = k;
  }
  if (parts == 0) return std::nullopt;
  // A single part must not be a bare "m"; chained parts must all be Go's units ("1m30s").
  if (parts == 1 && t.back() == 'm') return std::nullopt;
  if (parts > 1 && !only_go_units) return std::nullopt;
  return total;
}

std::string DurationToken(double ms, std::string_view unit) {
  std::string out = "<*";
  out += unit;
  out += ':';
  if (!(ms > 0)) {
    out += "0>";
    return out;
  }
  // Half-decades: a factor of √10 per bucket. Normal jitter of one statement's duration (a
  // log-normal spread; p95/p50 ≈ 1.3–2 on the simulator's normal run) stays within one bucket or
  // its neighbour, while a 3× slowdown moves most lines; a decade would hide a 3–5× slowdown.
  // The epsilon keeps exact powers of ten (1 ms, 1000 ms) in their own bucket despite rounding.
  double l = std::isfinite(ms) ? std::floor(2 * std::log10(ms) + 1e-9) : 60;
  int k = static_cast<int>(std::clamp(l, -40.0, 60.0));
  if (k % 2 == 0) {
    out += 'e' + std::to_string(k / 2);
  } else {
    out += 'e';
    if (k < 0) out += '-';
    out += std::to_string(std::abs(k) / 2) + ".5";
  }
  out += '>';
  return out;
}

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

namespace {

// Where the mask token starting at `i` ends (the index of its '>'), or npos when none starts
// there: "<*", then up to 22 letters, digits and "?:.-", then ">" ("<*>", "<*ms:e0.5>").
size_t MaskTokenEnd(std::string_view s, size_t i) {
  if (i + 2 >= s.size() || s[i] != '<' || s[i + 1] != '*') return std::string_view::npos;
  size_t e = i + 2;
  while (e < s.size() && e < i + 24 &&
         (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '?' || s[e] == ':' ||
          s[e] == '.' || s[e] == '-'))
    ++e;
  return e < s.size() && s[e] == '>' ? e : std::string_view::npos;
}

}  // namespace

std::string MaskLogLine(std::string_view s, const LogMaskOptions& options,
                        std::vector<double>* durations) {
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
    if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      if (!last_space) out.push_back(' ');
      last_space = true;
      ++i;
      continue;
    }
    // A mask already in the text ("<*>", "<*ms:e0.5>") is copied whole, so that preparing a
    // prepared line (a known line, an LLM's answer) changes nothing.
    if (const size_t e = MaskTokenEnd(s, i); e != std::string_view::npos) {
      out.append(s.substr(i, e + 1 - i));
      last_space = false;
      i = e + 1;
      continue;
    }
    if (IsDelimiter(c)) {
      out.push_back(c);
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
    std::optional<std::string> magnitude;
    if (digit && !source_line && options.magnitudes) {
      const std::string_view token = s.substr(i, j - i);
      std::optional<double> value;
      if (auto ms = ParseDuration(token)) {
        magnitude = DurationToken(*ms);
        value = ms;
      } else if (auto v = PlainNumber(token)) {
        // The unit as the next word: "5.665 ms - 1850", "in 300 seconds.", "1000 MILLISECONDS)".
        size_t a = j < s.size() && s[j] == ' ' ? j + 1 : j;
        size_t b = a;
        while (b < s.size() && !IsSpace(s[b]) && !IsDelimiter(s[b])) ++b;
        std::string_view word = s.substr(a, b - a);
        while (!word.empty() && word.back() == '.') word.remove_suffix(1);
        if (a > j) {
          if (auto unit = TimeUnitMs(word)) {
            magnitude = DurationToken(*v * *unit);
            value = *v * *unit;
          }
        }
        if (!magnitude) {
          if (auto key = DurationKey(KeyBefore(s, i))) {
            magnitude = DurationToken(*v * key->second, key->first);
            value = *v * key->second;
          }
        }
      }
      if (magnitude && durations) durations->push_back(*value);
    }
    if (magnitude) {
      out += *magnitude;
    } else if (digit && !source_line) {
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

std::string PrepareLogLine(std::string_view raw, const LogMaskOptions& options,
                           std::vector<double>* durations) {
  return MaskLogLine(StripLogHeader(raw), options, durations);
}

std::string StatementOf(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  size_t i = 0;
  while (i < p.size()) {
    // A bucket token, a mask with a colon: "<*unit:bucket>" keeps "<*unit>". Anything else is
    // text.
    if (const size_t e = MaskTokenEnd(p, i); e != std::string_view::npos) {
      if (const size_t colon = p.substr(i, e - i).find(':'); colon != std::string_view::npos) {
        out.append(p.substr(i, colon));
        out += '>';
        i = e + 1;
        continue;
      }
    }
    out += p[i++];
  }
  return out;
}

}  // namespace augur::learn
