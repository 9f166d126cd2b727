// Trace and span ids: compact binary inside the engine, lowercase hex outside.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace augur {

// 128-bit trace id. Shorter hex ids (Zipkin's 64-bit ones) are right-aligned, as Zipkin does.
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  bool empty() const;
  std::string Hex() const;  // 32 lowercase hex digits; "" when empty
  static std::optional<TraceId> FromHex(std::string_view hex);  // 1..32 hex digits
  friend bool operator==(const TraceId&, const TraceId&) = default;
  friend auto operator<=>(const TraceId&, const TraceId&) = default;
};

struct SpanId {
  uint64_t value = 0;

  bool empty() const { return value == 0; }
  std::string Hex() const;  // 16 lowercase hex digits; "" when empty
  static std::optional<SpanId> FromHex(std::string_view hex);  // 1..16 hex digits
  friend bool operator==(const SpanId&, const SpanId&) = default;
  friend auto operator<=>(const SpanId&, const SpanId&) = default;
};

struct TraceIdHash {
  size_t operator()(const TraceId& id) const;
};

}  // namespace augur
