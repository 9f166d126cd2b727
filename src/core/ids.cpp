#include "core/ids.h"

#include <cstring>

namespace augur {
namespace {

// Digit values, -1 for bytes that are not hex digits: one load per digit (ids are read per span).
struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int c = 0; c < 256; ++c)
      v[c] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
             : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
             : c >= 'A' && c <= 'F' ? static_cast<int8_t>(c - 'A' + 10)
                                    : int8_t{-1};
  }
};
constexpr HexTable kHex;

int HexValue(char c) {
  return kHex.v[static_cast<unsigned char>(c)];
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

bool TraceId::empty() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

std::string TraceId::Hex() const {
  if (empty()) return {};
  std::string out(32, '0');
  for (size_t i = 0; i < 16; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
  return out;
}

std::optional<TraceId> TraceId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 32) return std::nullopt;
  TraceId id;
  // Right-align: nibble i of the input goes to nibble (32 - size + i) of the id.
  size_t offset = 32 - hex.size();
  for (size_t i = 0; i < hex.size(); ++i) {
    int v = HexValue(hex[i]);
    if (v < 0) return std::nullopt;
    size_t nibble = offset + i;
    id.bytes[nibble / 2] |= static_cast<uint8_t>(nibble % 2 ? v : v << 4);
  }
  return id;
}

std::string SpanId::Hex() const {
  if (empty()) return {};
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[i] = kHexDigits[(value >> (60 - 4 * i)) & 15];
  return out;
}

std::optional<SpanId> SpanId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    int d = HexValue(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return SpanId{v};
}

size_t TraceIdHash::operator()(const TraceId& id) const {
  uint64_t a, b;
  std::memcpy(&a, id.bytes.data(), 8);
  std::memcpy(&b, id.bytes.data() + 8, 8);
  return static_cast<size_t>(a * 0x9E3779B97F4A7C15ULL ^ b);
}

}  // namespace augur
