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
  auto malformed = [](simdjson::error_code err) {
    return std::string("malformed JSON: ") + simdjson::error_message(err);
  };
  // One unit's value to the handler. False: stop (the rest of the line, in line mode).
  auto handle = [&](const JsonUnit& unit, od::value v) {
    try {
      handler(unit, v);
    } catch (const simdjson::simdjson_error& e) {
      ctx.DropPending();
      return fail(unit.line, malformed(e.error()));
    } catch (const json::FieldError& e) {
      ctx.DropPending();
      return fail(unit.line, e.reason);
    }
    return !ctx.stopped();
  };
  JsonUnitFn on_unit = [&](std::string_view key, std::string_view text, uint64_t line) {
    od::document doc;
    auto err =
        parser.iterate(text.data(), text.size(), text.size() + simdjson::SIMDJSON_PADDING).get(doc);
    if (err) return fail(line, malformed(err));
    od::value v;
    if ((err = doc.get_value().get(v))) return fail(line, malformed(err));
    return handle(JsonUnit{key, text, line}, v);
  };
  JsonErrorFn on_error = [&](uint64_t line, std::string_view reason) { return fail(line, reason); };

  // A JSON line that is an object with unit arrays is walked by On-Demand in one pass, without the
  // splitter's byte scan (the splitter was a fifth of OTLP reading). Units come out as the splitter
  // would cut them: the elements of arrays under `keys`, or the whole object when none matches and
  // `unmatched_whole` says so. A line simdjson's index refuses, or that is no object, goes to the
  // splitter untouched; after an error inside the walk the line stops, as it does there.
  auto walk_line = [&](std::string_view line, uint64_t lineno) {
    auto split_from = [&](const char* p) {  // the rest of the line, from p, to the splitter
      return SplitJsonBuffer(p, static_cast<size_t>(line.data() + line.size() - p), lineno, options,
                             on_unit, on_error);
    };
    od::document doc;
    od::json_type type;
    od::object obj;
    if (parser.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING)
            .get(doc) ||
        doc.type().get(type) || type != od::json_type::object || doc.get_object().get(obj))
      return split_from(line.data());
    bool matched = false;
    const char* rest = nullptr;  // another document after the object, left to the splitter
    try {
      for (auto f : obj) {
        od::field field = std::move(f);
        const std::string* key = nullptr;
        for (const auto& k : options.keys)
          if (field.key() == k) {
            key = &k;
            break;
          }
        if (!key) continue;
        od::value v = field.value();
        if (v.type() != od::json_type::array) continue;  // the splitter splits arrays only
        matched = true;
        for (auto e : v.get_array()) {
          od::value ev = std::move(e);
          if (!handle(JsonUnit{*key, line, lineno}, ev)) return false;
        }
      }
      if (doc.current_location().get(rest)) rest = nullptr;  // at the end
    } catch (const simdjson::simdjson_error& e) {
      return fail(lineno, malformed(e.error()));
    }
    if (!matched && options.unmatched_whole) {
      if (rest) return split_from(line.data());  // nothing read yet: the splitter cuts both
      doc.rewind();
      od::value v;
      if (auto err = doc.get_value().get(v)) return fail(lineno, malformed(err));
      return handle(JsonUnit{"", line, lineno}, v);
    }
    if (!matched && !fail(lineno, NoMemberReason(options))) return false;
    return rest ? split_from(rest) : true;
  };

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
    if (options.whole_documents || options.keys.empty())
      SplitJsonBuffer(line.data(), line.size(), reader.line(), options, on_unit, on_error);
    else
      walk_line(line, reader.line());
    if (ctx.stopped()) return;
  }
}

}  // namespace augur::ingest
