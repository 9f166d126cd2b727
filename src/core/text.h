// Small text helpers shared by the stages.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace augur {

// `s` with ASCII letters in lower case (other bytes, UTF-8 included, unchanged).
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `s` cut to at most `max_bytes` bytes, at a UTF-8 character boundary, with "…" appended when
// anything was cut. Cutting inside a character would leave invalid UTF-8, which JSON writers
// refuse.
inline std::string CutUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // a continuation byte
  return std::string(s.substr(0, n)) + "…";
}

// `s` with every byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, surrogates or code points above U+10FFFF) replaced by U+FFFD, one per byte, as a Latin-1
// "é" (0xE9) in a legacy log becomes "\uFFFD". Well-formed text comes back unchanged.
inline std::string ReplaceInvalidUtf8(std::string_view s) {
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && static_cast<unsigned char>(s[i]) >= lo &&
           static_cast<unsigned char>(s[i]) <= hi;
  };
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    size_t n = 0;  // length of the well-formed sequence starting here, 0 if none
    if (b < 0x80)
      n = 1;
    else if (b >= 0xC2 && b <= 0xDF)
      n = cont(i + 1) ? 2 : 0;
    else if (b >= 0xE0 && b <= 0xEF)
      n = cont(i + 1, b == 0xE0 ? 0xA0 : 0x80, b == 0xED ? 0x9F : 0xBF) && cont(i + 2) ? 3 : 0;
    else if (b >= 0xF0 && b <= 0xF4)
      n = cont(i + 1, b == 0xF0 ? 0x90 : 0x80, b == 0xF4 ? 0x8F : 0xBF) && cont(i + 2) &&
                  cont(i + 3)
              ? 4
              : 0;
    if (n == 0) {
      out += "\uFFFD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace augur
