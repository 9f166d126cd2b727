// What plain-text log readers share: unwrapping JSON log lines (Docker/Kubernetes {"log":...},
// structured {"msg":..., "level":...}), CRI lines, severity words, and the service of a log file.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/event.h"

namespace augur::ingest {

// Parses `text` (with 64 readable bytes after it) as one JSON log object and fills `log`: Docker's
// {"log","stream","time"}, or structured logs with msg/message, level/severity, time/timestamp/ts,
// trace ids; other members become attributes. Returns false if it is not such an object (the caller
// then keeps the line as plain text).
bool UnwrapJsonLog(std::string_view text, simdjson::ondemand::parser& parser, LogRecord* log);

// Fills severity (and severity_text) from a level word among the first tokens of the body, if any.
void SeverityFromBody(LogRecord* log);

// Reads a plain line into `log`: CRI prefix ("<time> stdout F "), leading timestamp (stripped from
// the body), severity word. `default_year` is for timestamps without a year.
void ParsePlainLine(std::string_view line, int default_year, LogRecord* log);

// Rule 4 of core/service.h, with Kubernetes log file names understood
// (/var/log/containers/<pod>_<namespace>_<container>-<id>.log): returns the service, sets
// *instance.
std::string ServiceFromLogPath(const std::string& path, std::string* instance);

}  // namespace augur::ingest
