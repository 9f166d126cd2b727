#include "core/time.h"

#include <cctype>
#include <cstdio>

namespace augur {
namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit((unsigned char)s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

TimeNs MakeTimeNs(int year, int month, int day, int hour, int minute, int second, int64_t nanos) {
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60 * kNsPerSecond + second * kNsPerSecond + nanos;
}

std::optional<TimeNs> ParseIsoTime(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  // Unix nanoseconds in int64 cover 1678-2261; outside that the arithmetic would overflow.
  if (y < 1678 || y > 2261) return std::nullopt;
  size_t p = 10;
  int64_t nanos = 0;
  int64_t offset_s = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
    if (!Digits(s, p + 1, 2, &h) || s.size() < p + 6 || s[p + 3] != ':' ||
        !Digits(s, p + 4, 2, &mi))
      return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &sec)) return std::nullopt;
      p += 3;
    }
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int n = 0;
      while (p < s.size() && std::isdigit((unsigned char)s[p])) {
        if (n < 9) {
          nanos = nanos * 10 + (s[p] - '0');
          ++n;
        }
        ++p;
      }
      for (; n < 9; ++n) nanos *= 10;
    }
    while (p < s.size() && s[p] == ' ') ++p;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      int oh = 0, om = 0;
      int sign = s[p] == '-' ? -1 : 1;
      if (Digits(s, p + 1, 2, &oh)) {
        size_t q = p + 3;
        if (q < s.size() && s[q] == ':') ++q;
        Digits(s, q, 2, &om);
        offset_s = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return MakeTimeNs(y, mo, d, h, mi, sec, nanos) - offset_s * kNsPerSecond;
}

std::string FormatIsoTime(TimeNs t) {
  int64_t secs = t >= 0 ? t / kNsPerSecond : (t - kNsPerSecond + 1) / kNsPerSecond;
  int64_t nanos = t - secs * kNsPerSecond;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  // Civil from days (Hinnant).
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[64];
  int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", (long long)y, m, d,
                    (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (nanos) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09lld", (long long)nanos);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

}  // namespace augur
