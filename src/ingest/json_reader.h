// The common driver of the JSON readers: find the units of the input (json_split.h's units), parse
// them with simdjson On-Demand, turn parse errors into rejects with file and line.
#pragma once

#include <simdjson.h>

#include <functional>
#include <string_view>

#include "ingest/json_split.h"
#include "ingest/json_util.h"
#include "ingest/reader.h"

namespace augur::ingest {

// Called for each unit with its parsed value. The callee creates records in ctx and may throw
// json::FieldError (the record it was building is the callee's to drop) or simdjson_error (the rest
// of the unit is rejected as malformed).
struct JsonUnit {
  std::string_view key;
  std::string_view text;
  uint64_t line;
  // The line of a position inside `text` (for rejects of one record inside a large unit).
  uint64_t LineOf(const char* p) const;
};
using JsonUnitHandler = std::function<void(const JsonUnit& unit, simdjson::ondemand::value value)>;

// JSON-lines input (the first line is a complete value) is read line by line so that one broken
// line cannot spoil the next, each object line walked by On-Demand in one pass; anything else is
// cut into units by the splitter (json_split.h) as a stream of documents.
void ReadJsonUnits(ByteSource& src, ReadContext& ctx, const JsonSplitOptions& options,
                   const JsonUnitHandler& handler);

}  // namespace augur::ingest
