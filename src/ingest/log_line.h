// What plain-text log readers share: unwrapping JSON log lines (Docker/Kubernetes {"log":...},
// structured {"msg":..., "level":...}), CRI lines, severity words, and the service of a log file.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/event.h"

namespace augur::ingest {

// Parses `text` (with 64 readable bytes after it) as one JSON log object and fills `log`: Docker's
// {"log","stream","time"}, or structured logs with msg/message, level/severity (words, or pino's
// numbers 10-60), time/timestamp/ts, trace ids; other members become attributes. A Docker payload
// is read in turn as a structured log or as a plain line. Returns false if it is not such an object
// (the caller then keeps the line as plain text). `docker_payload`: `text` is the payload of a
// Docker line, so a "log" member is not another wrapper.
bool UnwrapJsonLog(std::string_view text, simdjson::ondemand::parser& parser, LogRecord* log,
                   bool docker_payload = false);

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
