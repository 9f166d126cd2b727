#include "ingest/json_reader.h"

#include <algorithm>

#include "ingest/record_reader.h"

namespace augur::ingest {

namespace od = simdjson::ondemand;

uint64_t JsonUnit::LineOf(const char* p) const {
  if (p < text.data() || p > text.data() + text.size()) return line;
  return line + static_cast<uint64_t>(std::count(text.data(), p, '\n'));
}

void ReadJsonUnits(ByteSource& src, ReadContext& ctx, const JsonSplitOptions& options,
                   const JsonUnitHandler& handler) {
  od::parser parser;
  // In JSON-lines mode one broken line gets one reject: after it, the rest of the line is dropped.
  bool line_mode = false;
  auto fail = [&](uint64_t line, std::string_view reason) {
    bool go_on = ctx.Reject(line, reason);
    if (line_mode) {
      return false;
    }
    return go_on;
  };
  JsonUnitFn on_unit = [&](std::string_view key, std::string_view text, uint64_t line) {
    JsonUnit unit{key, text, line};
    od::document doc;
    auto err =
        parser.iterate(text.data(), text.size(), text.size() + simdjson::SIMDJSON_PADDING).get(doc);
    if (err) return fail(line, std::string("malformed JSON: ") + simdjson::error_message(err));
    try {
      od::value v;
      if ((err = doc.get_value().get(v)))
        return fail(line, std::string("malformed JSON: ") + simdjson::error_message(err));
      handler(unit, v);
    } catch (const simdjson::simdjson_error& e) {
      ctx.DropPending();
      return fail(line, std::string("malformed JSON: ") + simdjson::error_message(e.error()));
    } catch (const json::FieldError& e) {
      ctx.DropPending();
      return fail(line, e.reason);
    }
    return !ctx.stopped();
  };
  JsonErrorFn on_error = [&](uint64_t line, std::string_view reason) { return fail(line, reason); };

  std::string_view head = src.Peek(64 << 10);
  size_t nl = head.find('\n');
  bool lines = nl != std::string_view::npos && IsCompleteJsonValue(head.substr(0, nl));
  if (!lines) {
    SplitJson(src, options, on_unit, on_error);
    return;
  }
  RecordReader reader(src, false, kMaxRecordBytes);
  std::string_view line;
  bool too_long;
  while (reader.Next(&line, &too_long)) {
    if (too_long) {
      if (!ctx.Reject(reader.line(), "record too long (over 64 MiB)")) return;
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    line_mode = true;
    SplitJsonBuffer(line.data(), line.size(), reader.line(), options, on_unit, on_error);
    if (ctx.stopped()) return;
  }
}

}  // namespace augur::ingest
