// Helpers shared by the JSON readers (simdjson On-Demand): OTLP-style numbers that may be strings,
// hex (or base64) ids, AnyValue/tag values flattened to text.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"

namespace augur::ingest::json {

namespace od = simdjson::ondemand;

// A field had a value of the wrong type or an unparsable number; thrown inside a record and turned
// into a reject by the reader.
struct FieldError {
  std::string reason;
};

// Unsigned/signed integers given as numbers or decimal strings (OTLP 64-bit rule). Throws
// FieldError.
uint64_t U64(od::value v, std::string_view field);
int64_t I64(od::value v, std::string_view field);
// Doubles given as numbers, or strings ("1.5", "NaN", "Infinity"). Throws FieldError.
double Dbl(od::value v, std::string_view field);
std::string_view Str(od::value v, std::string_view field);
bool Bool(od::value v, std::string_view field);

// Hex ids; base64 (Tempo, OTLP proto-JSON from some exporters) accepted when the length says so.
// An empty string gives an empty id. Returns false for text that is neither.
bool ParseTraceId(std::string_view text, TraceId* id);
bool ParseSpanId(std::string_view text, SpanId* id);

// Appends the text of an OTLP AnyValue ({"stringValue": ...} etc.): scalars as their text, arrays
// and kvlists as compact JSON.
void AppendAnyValue(od::value v, std::string* out);
// OTLP KeyValue list [{"key":..., "value": AnyValue}] appended to `attrs`.
void ReadKeyValues(od::value v, Attributes* attrs);
// Makes room in `attrs` for one attribute per element of an array (or field of an object) not yet
// iterated: one allocation instead of one per doubling. The count walks the index, then rewinds.
inline void ReserveAttributes(od::array& arr, Attributes* attrs) {
  size_t n = 0;
  if (!arr.count_elements().get(n)) attrs->reserve(attrs->size() + n);
}
inline void ReserveAttributes(od::object& obj, Attributes* attrs) {
  size_t n = 0;
  if (!obj.count_fields().get(n)) attrs->reserve(attrs->size() + n);
}
// Any JSON value as text: strings unquoted, other scalars as written, containers as compact JSON.
void AppendPlain(od::value v, std::string* out);
// Any JSON value as compact JSON.
void AppendJson(od::value v, std::string* out);

// Fills the span's HTTP fields from its attributes (old and new semantic conventions).
void FillHttpFields(Span* span);

// Appends `s` as a JSON string literal.
void AppendQuoted(std::string_view s, std::string* out);

}  // namespace augur::ingest::json
