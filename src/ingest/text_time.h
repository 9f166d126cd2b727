// Recognising the timestamp at the start of a plain log line (ISO 8601, LogHub-style layouts,
// syslog, Apache, epoch numbers) so that text logs get event times.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/event.h"

namespace augur::ingest {

// If `line` starts with a timestamp, sets *time and *length (bytes it spans) and returns true.
// BGL and Thunderbird lines start with an alert label before their epoch seconds; the label is
// counted in the length.
// Layouts without a year (syslog "Jun 14 15:16:01", Android "03-17 16:13:38.811") use
// `default_year`. Times without a zone are read as UTC.
bool ParseLeadingTime(std::string_view line, int default_year, TimeNs* time, size_t* length);

// Epoch numbers: seconds (10 digits, optional fraction), ms (13), us (16) or ns (19) between 2000
// and 2100; anything else gives false.
bool ParseEpoch(std::string_view text, TimeNs* time);

}  // namespace augur::ingest
