#include "ingest/json_util.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace augur::ingest::json {
namespace {

[[noreturn]] void Fail(std::string_view field, std::string_view what) {
  throw FieldError{"wrong type: " + std::string(field) + " " + std::string(what)};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Decodes exactly `n` bytes of base64 (padding optional). False on bad input.
bool DecodeBase64(std::string_view s, uint8_t* out, size_t n) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() != (n * 8 + 5) / 6) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (char c : s) {
    int v = B64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < n) out[o++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  return o == n;
}

}  // namespace

uint64_t U64(od::value v, std::string_view field) {
  od::json_type t;
  if (v.type().get(t)) Fail(field, "(unreadable)");
  if (t == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) Fail(field, "(bad string)");
    uint64_t x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) Fail(field, "(not an integer)");
    return x;
  }
  if (t == od::json_type::number) {
    uint64_t x;
    if (!v.get_uint64().get(x)) return x;
    double d;
    if (!v.get_double().get(d) && d >= 0 && d < 1.8e19) return static_cast<uint64_t>(d);
    Fail(field, "(not an unsigned integer)");
  }
  Fail(field, "(expected an integer)");
}

int64_t I64(od::value v, std::string_view field) {
  od::json_type t;
  if (v.type().get(t)) Fail(field, "(unreadable)");
  if (t == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) Fail(field, "(bad string)");
    int64_t x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) Fail(field, "(not an integer)");
    return x;
  }
  if (t == od::json_type::number) {
    int64_t x;
    if (!v.get_int64().get(x)) return x;
    double d;
    if (!v.get_double().get(d) && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
    Fail(field, "(not an integer)");
  }
  Fail(field, "(expected an integer)");
}

double Dbl(od::value v, std::string_view field) {
  od::json_type t;
  if (v.type().get(t)) Fail(field, "(unreadable)");
  if (t == od::json_type::number) {
    double d;
    if (v.get_double().get(d)) Fail(field, "(bad number)");
    return d;
  }
  if (t == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) Fail(field, "(bad string)");
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    double d = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) Fail(field, "(not a number)");
    return d;
  }
  Fail(field, "(expected a number)");
}

std::string_view Str(od::value v, std::string_view field) {
  // A string without escapes is its own text in the input: no copy through simdjson's buffer.
  // The token runs to the next structural character, and every quote that opens a string is one,
  // so its last quote closes this string: the string is what lies between, if no backslash does.
  std::string_view tok = v.raw_json_token();
  if (tok.size() >= 2 && tok[0] == '"') {
    size_t close = tok.rfind('"');
    simdjson::ondemand::raw_json_string raw;
    if (close > 0 && !std::memchr(tok.data() + 1, '\\', close - 1) &&
        !v.get_raw_json_string().get(raw))
      return tok.substr(1, close - 1);
  }
  std::string_view s;
  auto err = v.get_string().get(s);
  if (err == simdjson::INCORRECT_TYPE) Fail(field, "(expected a string)");
  if (err)
    throw FieldError{"malformed JSON: " + std::string(field) + ": " + simdjson::error_message(err)};
  return s;
}

bool Bool(od::value v, std::string_view field) {
  bool b;
  if (v.get_bool().get(b)) Fail(field, "(expected true or false)");
  return b;
}

bool ParseTraceId(std::string_view text, TraceId* id) {
  if (text.empty()) {
    *id = TraceId{};
    return true;
  }
  if (auto r = TraceId::FromHex(text)) {  // at most 32 hex digits
    *id = *r;
    return true;
  }
  TraceId t;
  if (DecodeBase64(text, t.bytes.data(), 16)) {
    *id = t;
    return true;
  }
  return false;
}

bool ParseSpanId(std::string_view text, SpanId* id) {
  if (text.empty()) {
    *id = SpanId{};
    return true;
  }
  if (auto r = SpanId::FromHex(text)) {  // at most 16 hex digits
    *id = *r;
    return true;
  }
  uint8_t b[8];
  if (DecodeBase64(text, b, 8)) {
    uint64_t v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    id->value = v;
    return true;
  }
  return false;
}

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

namespace {

// Values nest at most this deep: a deeper one (bad or hostile input) would overflow the stack.
constexpr int kMaxDepth = 128;
thread_local int depth = 0;

struct DepthGuard {
  DepthGuard() {
    if (++depth > kMaxDepth) {
      --depth;
      Fail("value", "(nested deeper than " + std::to_string(kMaxDepth) + " levels)");
    }
  }
  ~DepthGuard() { --depth; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

// AnyValue as JSON (inside arrays/kvlists): strings quoted.
void AppendAnyValueJson(od::value v, std::string* out);

void AppendAnyValueImpl(od::value v, std::string* out, bool as_json) {
  DepthGuard guard;
  od::object obj;
  if (v.get_object().get(obj)) Fail("value", "(expected an AnyValue object)");
  bool any = false;
  for (auto f : obj) {
    od::field field;
    if (std::move(f).get(field)) Fail("value", "(unreadable)");
    simdjson::ondemand::raw_json_string key = field.key();
    od::value x = field.value();
    any = true;
    if (key == "stringValue") {
      std::string_view s = Str(x, "stringValue");
      if (as_json)
        AppendQuoted(s, out);
      else
        out->append(s);
    } else if (key == "intValue") {
      od::json_type t;
      if (x.type().get(t)) Fail("intValue", "(unreadable)");
      if (t == od::json_type::string) {
        std::string_view s = Str(x, "intValue");
        int64_t n;
        auto r = std::from_chars(s.data(), s.data() + s.size(), n);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size())
          Fail("intValue", "(not an integer)");
        out->append(s);
      } else {
        int64_t n = I64(x, "intValue");
        out->append(std::to_string(n));
      }
    } else if (key == "doubleValue") {
      od::json_type t;
      if (x.type().get(t)) Fail("doubleValue", "(unreadable)");
      if (t == od::json_type::number) {
        std::string_view raw = Trim(x.raw_json_token());
        double d;
        if (x.get_double().get(d)) Fail("doubleValue", "(bad number)");
        out->append(raw);
      } else {
        double d = Dbl(x, "doubleValue");
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, d);
        if (as_json && !std::isfinite(d))
          AppendQuoted(std::string_view(buf, r.ptr - buf), out);
        else
          out->append(buf, r.ptr);
      }
    } else if (key == "boolValue") {
      *out += Bool(x, "boolValue") ? "true" : "false";
    } else if (key == "bytesValue") {
      std::string_view s = Str(x, "bytesValue");
      if (as_json)
        AppendQuoted(s, out);
      else
        out->append(s);
    } else if (key == "arrayValue") {
      od::object a;
      if (x.get_object().get(a)) Fail("arrayValue", "(expected an object)");
      out->push_back('[');
      bool first = true;
      for (auto af : a) {
        od::field afield;
        if (std::move(af).get(afield)) Fail("arrayValue", "(unreadable)");
        if (afield.key() != "values") continue;
        od::array arr;
        if (afield.value().get_array().get(arr)) Fail("arrayValue.values", "(expected an array)");
        for (auto e : arr) {
          od::value ev;
          if (std::move(e).get(ev)) Fail("arrayValue.values", "(unreadable)");
          if (!first) out->push_back(',');
          first = false;
          AppendAnyValueJson(ev, out);
        }
      }
      out->push_back(']');
    } else if (key == "kvlistValue") {
      od::object a;
      if (x.get_object().get(a)) Fail("kvlistValue", "(expected an object)");
      out->push_back('{');
      bool first = true;
      for (auto af : a) {
        od::field afield;
        if (std::move(af).get(afield)) Fail("kvlistValue", "(unreadable)");
        if (afield.key() != "values") continue;
        od::array arr;
        if (afield.value().get_array().get(arr)) Fail("kvlistValue.values", "(expected an array)");
        for (auto e : arr) {
          od::object kv;
          if (e.get_object().get(kv)) Fail("kvlistValue.values", "(expected objects)");
          std::string k, val;
          for (auto kf : kv) {
            od::field kfield;
            if (std::move(kf).get(kfield)) Fail("kvlistValue", "(unreadable)");
            if (kfield.key() == "key")
              k = Str(kfield.value(), "kvlistValue.key");
            else if (kfield.key() == "value")
              AppendAnyValueJson(kfield.value(), &val);
          }
          if (!first) out->push_back(',');
          first = false;
          AppendQuoted(k, out);
          out->push_back(':');
          out->append(val.empty() ? "null" : val);
        }
      }
      out->push_back('}');
    } else {
      any = false;  // unknown member: ignored
    }
  }
  if (!any && as_json) out->append("null");
}

void AppendAnyValueJson(od::value v, std::string* out) {
  AppendAnyValueImpl(v, out, true);
}

}  // namespace

void AppendAnyValue(od::value v, std::string* out) {
  AppendAnyValueImpl(v, out, false);
}

void ReadKeyValues(od::value v, Attributes* attrs) {
  od::array arr;
  if (v.get_array().get(arr)) Fail("attributes", "(expected an array)");
  ReserveAttributes(arr, attrs);
  for (auto e : arr) {
    od::object kv;
    if (e.get_object().get(kv)) Fail("attributes", "(expected key/value objects)");
    Attribute& a = attrs->emplace_back();
    for (auto kf : kv) {
      od::field f;
      if (std::move(kf).get(f)) Fail("attributes", "(unreadable)");
      if (f.key() == "key")
        a.key = Str(f.value(), "attributes.key");
      else if (f.key() == "value")
        AppendAnyValue(f.value(), &a.value);
    }
    if (a.key.empty()) attrs->pop_back();
  }
}

void AppendJson(od::value v, std::string* out) {
  DepthGuard guard;
  od::json_type t;
  if (v.type().get(t)) Fail("value", "(unreadable)");
  switch (t) {
    case od::json_type::object: {
      od::object o = v.get_object();
      out->push_back('{');
      bool first = true;
      for (auto f : o) {
        od::field field = std::move(f);
        if (!first) out->push_back(',');
        first = false;
        std::string_view k = field.unescaped_key();
        AppendQuoted(k, out);
        out->push_back(':');
        AppendJson(field.value(), out);
      }
      out->push_back('}');
      break;
    }
    case od::json_type::array: {
      od::array a = v.get_array();
      out->push_back('[');
      bool first = true;
      for (auto e : a) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(e.value(), out);
      }
      out->push_back(']');
      break;
    }
    case od::json_type::string:
      AppendQuoted(Str(v, "value"), out);
      break;
    default:
      out->append(Trim(v.raw_json_token()));
      // Consume scalars so that the iterator validates them.
      if (t == od::json_type::number) {
        double d;
        if (v.get_double().get(d)) Fail("value", "(bad number)");
      } else if (t == od::json_type::boolean) {
        bool b;
        if (v.get_bool().get(b)) Fail("value", "(bad literal)");
      } else {
        if (!v.is_null()) Fail("value", "(bad literal)");
      }
  }
}

void AppendPlain(od::value v, std::string* out) {
  od::json_type t;
  if (v.type().get(t)) Fail("value", "(unreadable)");
  if (t == od::json_type::string)
    out->append(Str(v, "value"));
  else
    AppendJson(v, out);
}

void FillHttpFields(Span* span) {
  for (const auto& a : span->attributes) {
    std::string_view k = a.key;
    if (k.size() < 4) continue;
    if (k == "http.method" || k == "http.request.method")
      span->http_method = a.value;
    else if (k == "http.route")
      span->http_route = a.value;
    else if (k == "http.url" || k == "url.full")
      span->http_url = a.value;
    else if (k == "http.status_code" || k == "http.response.status_code") {
      int code = 0;
      std::from_chars(a.value.data(), a.value.data() + a.value.size(), code);
      span->http_status_code = code;
    }
  }
}

}  // namespace augur::ingest::json
