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

}  // namespace augur
