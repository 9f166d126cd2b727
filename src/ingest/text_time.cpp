#include "ingest/text_time.h"

#include <cstdint>
#include <cstring>

#include "core/time.h"

namespace augur::ingest {
namespace {

bool Num(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  *out = v;
  return true;
}

bool Boundary(std::string_view s, size_t pos) {
  if (pos >= s.size()) return true;
  char c = s[pos];
  return !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z');
}

// "HH:MM:SS" then optional fraction ('.' or ','); returns the end position or 0.
size_t ClockAt(std::string_view s, size_t p, int* h, int* mi, int* sec, int64_t* nanos) {
  if (!Num(s, p, 2, h) || p + 8 > s.size() || s[p + 2] != ':' || !Num(s, p + 3, 2, mi) ||
      s[p + 5] != ':' || !Num(s, p + 6, 2, sec))
    return 0;
  if (*h > 23 || *mi > 59 || *sec > 60) return 0;
  p += 8;
  *nanos = 0;
  if (p + 1 < s.size() && (s[p] == '.' || s[p] == ',') && s[p + 1] >= '0' && s[p + 1] <= '9') {
    ++p;
    int n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n < 9) {
        *nanos = *nanos * 10 + (s[p] - '0');
        ++n;
      }
      ++p;
    }
    for (; n < 9; ++n) *nanos *= 10;
  }
  return p;
}

// Zone suffix: "Z", "+02:00", "+0200", " +0000"; returns the new end and the offset in seconds.
size_t ZoneAt(std::string_view s, size_t p, int64_t* offset) {
  *offset = 0;
  if (p < s.size() && s[p] == 'Z') return p + 1;
  size_t q = p;
  if (q < s.size() && s[q] == ' ' && q + 1 < s.size() && (s[q + 1] == '+' || s[q + 1] == '-')) ++q;
  if (q < s.size() && (s[q] == '+' || s[q] == '-')) {
    int oh, om = 0;
    if (!Num(s, q + 1, 2, &oh)) return p;
    size_t r = q + 3;
    if (r < s.size() && s[r] == ':') ++r;
    if (Num(s, r, 2, &om))
      r += 2;
    else if (r != q + 3)
      return p;
    if (!Boundary(s, r)) return p;
    *offset = (s[q] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    return r;
  }
  return p;
}

int MonthFromName(std::string_view s, size_t p) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (p + 3 > s.size()) return 0;
  for (int i = 0; i < 12; ++i)
    if (std::memcmp(s.data() + p, kMonths[i], 3) == 0) return i + 1;
  return 0;
}

bool ValidDate(int mo, int d) {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}
// Unix nanoseconds in int64 cover 1678-2261.
bool ValidYear(int y) {
  return y >= 1678 && y <= 2261;
}

}  // namespace

bool ParseEpoch(std::string_view s, TimeNs* time) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 19) return false;
  uint64_t v = 0;  // 19 digits fit in uint64
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  int64_t frac_ns = 0;
  size_t end = n;
  if (n == 10 && end < s.size() && s[end] == '.') {
    ++end;
    int k = 0;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') {
      if (k < 9) {
        frac_ns = frac_ns * 10 + (s[end] - '0');
        ++k;
      }
      ++end;
    }
    for (; k < 9; ++k) frac_ns *= 10;
  }
  if (end != s.size()) return false;
  constexpr int64_t k2000 = 946684800, k2100 = 4102444800;
  int64_t ns;
  int64_t iv = static_cast<int64_t>(v);
  bool ok;
  switch (n) {
    case 10:
      ok = !__builtin_mul_overflow(iv, kNsPerSecond, &ns) &&
           !__builtin_add_overflow(ns, frac_ns, &ns);
      break;
    case 13:
      ok = !__builtin_mul_overflow(iv, kNsPerMs, &ns);
      break;
    case 16:
      ok = !__builtin_mul_overflow(iv, kNsPerUs, &ns);
      break;
    case 19:
      ok = true;
      ns = iv;
      break;
    default:
      return false;
  }
  if (!ok) return false;
  if (ns < k2000 * kNsPerSecond || ns > k2100 * kNsPerSecond) return false;
  *time = ns;
  return true;
}

bool ParseLeadingTime(std::string_view s, int default_year, TimeNs* time, size_t* length) {
  if (s.size() < 8) return false;
  int y, mo, d, h, mi, sec;
  int64_t nanos, offset;
  char c0 = s[0];
  if (c0 >= '0' && c0 <= '9') {
    // ISO: 2023-01-29T08:42:22.383Z, 2015-10-18 18:01:47,978, 2023/01/29 08:42:22
    if (Num(s, 0, 4, &y) && s.size() >= 19 && (s[4] == '-' || s[4] == '/') && Num(s, 5, 2, &mo) &&
        s[7] == s[4] && Num(s, 8, 2, &d) && (s[10] == 'T' || s[10] == ' ') && ValidDate(mo, d) &&
        ValidYear(y)) {
      size_t p = ClockAt(s, 11, &h, &mi, &sec, &nanos);
      if (p) {
        p = ZoneAt(s, p, &offset);
        if (Boundary(s, p)) {
          *time = MakeTimeNs(y, mo, d, h, mi, sec, nanos) - offset * kNsPerSecond;
          *length = p;
          return true;
        }
      }
    }
    // HDFS: 081109 203615
    if (s.size() >= 13 && s[6] == ' ' && Num(s, 0, 2, &y) && Num(s, 2, 2, &mo) &&
        Num(s, 4, 2, &d) && Num(s, 7, 2, &h) && Num(s, 9, 2, &mi) && Num(s, 11, 2, &sec) &&
        Boundary(s, 13) && ValidDate(mo, d) && h < 24 && mi < 60 && sec <= 60) {
      *time = MakeTimeNs(2000 + y, mo, d, h, mi, sec);
      *length = 13;
      return true;
    }
    // Spark: 17/06/09 20:10:40
    if (s.size() >= 17 && s[2] == '/' && s[5] == '/' && s[8] == ' ' && Num(s, 0, 2, &y) &&
        Num(s, 3, 2, &mo) && Num(s, 6, 2, &d) && ValidDate(mo, d)) {
      size_t p = ClockAt(s, 9, &h, &mi, &sec, &nanos);
      if (p && Boundary(s, p)) {
        *time = MakeTimeNs(2000 + y, mo, d, h, mi, sec, nanos);
        *length = p;
        return true;
      }
    }
    // Android: 03-17 16:13:38.811
    if (s.size() >= 14 && s[2] == '-' && s[5] == ' ' && Num(s, 0, 2, &mo) && Num(s, 3, 2, &d) &&
        ValidDate(mo, d)) {
      size_t p = ClockAt(s, 6, &h, &mi, &sec, &nanos);
      if (p && Boundary(s, p)) {
        *time = MakeTimeNs(default_year, mo, d, h, mi, sec, nanos);
        *length = p;
        return true;
      }
    }
    // HealthApp: 20171223-22:15:29:606 (milliseconds after a ':').
    if (s.size() >= 17 && s[8] == '-' && Num(s, 0, 4, &y) && Num(s, 4, 2, &mo) &&
        Num(s, 6, 2, &d) && ValidDate(mo, d) && ValidYear(y)) {
      size_t p = ClockAt(s, 9, &h, &mi, &sec, &nanos);
      int ms;
      if (p && p + 4 <= s.size() && s[p] == ':' && Num(s, p + 1, 3, &ms) && Boundary(s, p + 4)) {
        *time = MakeTimeNs(y, mo, d, h, mi, sec, int64_t{ms} * kNsPerMs);
        *length = p + 4;
        return true;
      }
      if (p && Boundary(s, p)) {
        *time = MakeTimeNs(y, mo, d, h, mi, sec, nanos);
        *length = p;
        return true;
      }
    }
    // Epoch numbers.
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    if ((n >= 10) && Boundary(s, n) && ParseEpoch(s.substr(0, n), time)) {
      *length = n;
      return true;
    }
    return false;
  }
  // Apache: [Sun Dec 04 04:47:44 2005]; Proxifier: [10.30 16:49:06]
  if (c0 == '[') {
    if (s.size() >= 26 && s[4] == ' ' && s[8] == ' ' && s[11] == ' ' &&
        (mo = MonthFromName(s, 5)) && Num(s, 9, 2, &d)) {
      size_t p = ClockAt(s, 12, &h, &mi, &sec, &nanos);
      if (p && p + 5 < s.size() && s[p] == ' ' && Num(s, p + 1, 4, &y) && s[p + 5] == ']' &&
          ValidYear(y)) {
        *time = MakeTimeNs(y, mo, d, h, mi, sec, nanos);
        *length = p + 6;
        return true;
      }
    }
    if (s.size() >= 16 && s[3] == '.' && s[6] == ' ' && Num(s, 1, 2, &mo) && Num(s, 4, 2, &d) &&
        ValidDate(mo, d)) {
      size_t p = ClockAt(s, 7, &h, &mi, &sec, &nanos);
      if (p && p < s.size() && s[p] == ']') {
        *time = MakeTimeNs(default_year, mo, d, h, mi, sec, nanos);
        *length = p + 1;
        return true;
      }
    }
    return false;
  }
  // BGL, Thunderbird: an alert label ('-' for none, or an upper-case tag), epoch seconds and the
  // date: "- 1131566461 2005.11.09 dn228 ...". The label goes with the time: it is not the
  // message.
  if (c0 == '-' || (c0 >= 'A' && c0 <= 'Z')) {
    size_t sp = s.find(' ');
    bool label = sp != std::string_view::npos && sp <= 16 && (c0 != '-' || sp == 1);
    for (size_t i = 0; label && i < sp; ++i)
      label = s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              (i == 0 && c0 == '-');
    const size_t date = sp + 12;  // "yyyy.mm.dd" after the epoch
    if (label && s.size() >= date + 10 && s[date - 1] == ' ' && Num(s, date, 4, &y) &&
        s[date + 4] == '.' && Num(s, date + 5, 2, &mo) && s[date + 7] == '.' &&
        Num(s, date + 8, 2, &d) && ValidDate(mo, d) && ParseEpoch(s.substr(sp + 1, 10), time)) {
      *length = sp + 11;
      return true;
    }
  }
  // Syslog: Jun 14 15:16:01 (day may be space-padded).
  if ((mo = MonthFromName(s, 0)) && s.size() >= 15 && s[3] == ' ') {
    size_t p = 4;
    if (s[p] == ' ') ++p;
    int dd;
    if (Num(s, p, 2, &dd))
      p += 2;
    else if (Num(s, p, 1, &dd))
      p += 1;
    else
      return false;
    if (p < s.size() && s[p] == ' ') {
      size_t q = ClockAt(s, p + 1, &h, &mi, &sec, &nanos);
      if (q && Boundary(s, q) && ValidDate(mo, dd)) {
        *time = MakeTimeNs(default_year, mo, dd, h, mi, sec, nanos);
        *length = q;
        return true;
      }
    }
  }
  return false;
}

}  // namespace augur::ingest
