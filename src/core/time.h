// Time helpers: parsing the timestamps found in telemetry into Unix nanoseconds, and printing them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace augur {

// Civil UTC date-time to Unix ns. Month 1-12, day 1-31.
TimeNs MakeTimeNs(int year, int month, int day, int hour, int minute, int second,
                  int64_t nanos = 0);

// Parses ISO 8601 / RFC 3339 ("2023-01-29T08:42:22.383150913Z", "2023-01-29 08:43:04",
// "+02:00" offsets) into Unix ns. Times without a zone are read as UTC.
std::optional<TimeNs> ParseIsoTime(std::string_view text);

// "2023-01-29T08:42:22.383150913Z" (always UTC, nanoseconds trimmed of trailing zeros).
std::string FormatIsoTime(TimeNs t);

constexpr TimeNs kNsPerSecond = 1'000'000'000;
constexpr TimeNs kNsPerMs = 1'000'000;
constexpr TimeNs kNsPerUs = 1'000;

}  // namespace augur
