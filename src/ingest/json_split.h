// Streaming a JSON input as units small enough to parse one at a time: the elements of the
// top-level array, or of chosen arrays under the top-level object ("resourceSpans", "traceEvents",
// ...), or whole top-level documents. Works for one document, concatenated documents and JSON lines
// alike, and holds only the unit being read in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/byte_source.h"

namespace augur::ingest {

struct JsonSplitOptions {
  // Arrays whose elements are units when they are members of a top-level object. Members with other
  // keys are skipped. Empty, or `whole_documents`: each top-level value is one unit (key "").
  std::vector<std::string> keys;
  bool whole_documents = false;
  // A top-level object with none of `keys` is handed over whole (key ""), e.g. a single Jaeger
  // trace beside {"data": [...]}; otherwise it is reported as an error.
  bool unmatched_whole = false;
  // Elements of a top-level array are units (key "[]"); else the array is one unit.
  bool split_top_array = true;
  size_t max_unit = 64u << 20;
};

// `unit` has at least 64 readable bytes after it. `line` is the 1-based line where the unit starts.
// Return false to stop.
using JsonUnitFn = std::function<bool(std::string_view key, std::string_view unit, uint64_t line)>;
// Structural problems (unit too long, unexpected end, stray bytes). Return false to stop.
using JsonErrorFn = std::function<bool(uint64_t line, std::string_view reason)>;

// The error for a top-level object with none of `options.keys` (and no `unmatched_whole`).
std::string NoMemberReason(const JsonSplitOptions& options);

// Reads the whole source. Returns false when a callback asked to stop.
bool SplitJson(ByteSource& src, const JsonSplitOptions& options, const JsonUnitFn& on_unit,
               const JsonErrorFn& on_error);

// The same over one in-memory buffer (which must have 64 readable bytes after `size`).
bool SplitJsonBuffer(const char* data, size_t size, uint64_t first_line,
                     const JsonSplitOptions& options, const JsonUnitFn& on_unit,
                     const JsonErrorFn& on_error);

// True when `line` holds exactly one complete JSON object or array (JSON-lines input).
bool IsCompleteJsonValue(std::string_view line);

// True when `head` begins with a JSON value, or with the beginning of one that is cut off: every
// token up to the first value's end follows JSON's grammar, and its line holds nothing else. Tells
// a JSON document that starts with '[' from a text log whose lines do (`[Sun Dec 04 ...] [notice]
// ...`, `[2024-01-01 10:00:00] INFO`).
bool IsJsonPrefix(std::string_view head);

}  // namespace augur::ingest
