// Zipkin v2 spans in protobuf: the `ListOfSpans` that Zipkin's reporters send with
// Content-Type application/x-protobuf (zipkin-go, Brave's proto3 encoder). Decoded from the wire
// format of zipkin.proto3 (openzipkin/zipkin-api's zipkin.proto, as Debian's zipkin-go ships it):
//   ListOfSpans { repeated Span spans = 1; }
//   Span { bytes trace_id = 1; bytes parent_id = 2; bytes id = 3; Kind kind = 4; string name = 5;
//          fixed64 timestamp = 6; uint64 duration = 7; Endpoint local_endpoint = 8;
//          Endpoint remote_endpoint = 9; repeated Annotation annotations = 10;
//          map<string, string> tags = 11; bool debug = 12; bool shared = 13; }
//   Kind { SPAN_KIND_UNSPECIFIED = 0; CLIENT = 1; SERVER = 2; PRODUCER = 3; CONSUMER = 4; }
//   Endpoint { string service_name = 1; bytes ipv4 = 2; bytes ipv6 = 3; int32 port = 4; }
//   Annotation { fixed64 timestamp = 1; string value = 2; }
// Times are epoch microseconds. Each span maps to the event model exactly as Zipkin's JSON does
// (FinishZipkinSpan); a bad span is rejected, the others kept.
#include <arpa/inet.h>

#include <cstring>

#include "ingest/protobuf_wire.h"
#include "ingest/reader.h"
#include "ingest/request_body.h"

namespace augur::ingest {
namespace {

using namespace protobuf;

// A 64- or 128-bit trace id, right-aligned as TraceId::FromHex aligns 16 hex digits.
TraceId TraceIdFrom(std::string_view b) {
  TraceId id;
  if (b.size() != 8 && b.size() != 16) throw ProtoError{"invalid id: trace_id (not 8 or 16 bytes)"};
  std::memcpy(id.bytes.data() + 16 - b.size(), b.data(), b.size());
  return id;
}

SpanId SpanIdFrom(std::string_view b, const char* name) {
  if (b.size() != 8) throw ProtoError{std::string("invalid id: ") + name + " (not 8 bytes)"};
  SpanId id;
  for (char c : b) id.value = (id.value << 8) | static_cast<uint8_t>(c);
  return id;
}

// service_name, and the address as text (IPv4 preferred, as the JSON reader does).
void ReadEndpoint(std::string_view bytes, std::string* service, std::string* address) {
  Message m(bytes, "Endpoint");
  std::string_view v4, v6;
  while (m.Next()) {
    if (m.field() == 1)
      *service = LenField(m, "service_name");
    else if (m.field() == 2)
      v4 = LenField(m, "ipv4");
    else if (m.field() == 3)
      v6 = LenField(m, "ipv6");
    else
      m.Skip();
  }
  char text[INET6_ADDRSTRLEN];
  if (v4.size() == 4 && inet_ntop(AF_INET, v4.data(), text, sizeof text))
    *address = text;
  else if (v6.size() == 16 && inet_ntop(AF_INET6, v6.data(), text, sizeof text))
    *address = text;
}

SpanKind KindOf(uint64_t k) {
  switch (k) {
    case 1:
      return SpanKind::kClient;
    case 2:
      return SpanKind::kServer;
    case 3:
      return SpanKind::kProducer;
    case 4:
      return SpanKind::kConsumer;
    default:
      return SpanKind::kUnspecified;
  }
}

void ReadSpan(std::string_view bytes, Span* s) {
  Message m(bytes, "Span");
  uint64_t timestamp = 0, duration = 0;
  bool shared = false;
  std::string remote_service, remote_address;
  while (m.Next()) {
    switch (m.field()) {
      case 1:
        s->trace_id = TraceIdFrom(LenField(m, "trace_id"));
        break;
      case 2:
        s->parent_id = SpanIdFrom(LenField(m, "parent_id"), "parent_id");
        break;
      case 3:
        s->span_id = SpanIdFrom(LenField(m, "id"), "id");
        break;
      case 4:
        s->kind = KindOf(VarintField(m, "kind"));
        break;
      case 5:
        s->name = LenField(m, "name");
        break;
      case 6:
        timestamp = Fixed64Field(m, "timestamp");
        break;
      case 7:
        duration = VarintField(m, "duration");
        break;
      case 8:
        ReadEndpoint(LenField(m, "local_endpoint"), &s->service, &s->instance);
        break;
      case 9:
        ReadEndpoint(LenField(m, "remote_endpoint"), &remote_service, &remote_address);
        break;
      case 10: {
        Message a(LenField(m, "annotations"), "Annotation");
        SpanEvent& ev = s->events.emplace_back();
        while (a.Next()) {
          if (a.field() == 1) {
            uint64_t t = Fixed64Field(a, "annotations.timestamp");
            if (t > static_cast<uint64_t>(INT64_MAX) ||
                !ScaleTime(static_cast<int64_t>(t), 1000, &ev.time))
              throw ProtoError{"invalid value: annotations.timestamp"};
          } else if (a.field() == 2) {
            ev.name = LenField(a, "annotations.value");
          } else {
            a.Skip();
          }
        }
        break;
      }
      case 11:
        s->attributes.push_back(ReadNameValue(LenField(m, "tags"), "TagsEntry"));
        break;
      case 13:
        shared = VarintField(m, "shared") != 0;
        break;
      default:
        m.Skip();
    }
  }
  if (s->trace_id.empty()) throw ProtoError{"missing field: trace_id"};
  if (s->span_id.empty()) throw ProtoError{"missing field: id"};
  if (timestamp > static_cast<uint64_t>(INT64_MAX) || duration > static_cast<uint64_t>(INT64_MAX) ||
      !FinishZipkinSpan(static_cast<int64_t>(timestamp), static_cast<int64_t>(duration), shared,
                        remote_service, s))
    throw ProtoError{"invalid value: timestamp or duration"};
}

}  // namespace

void ReadZipkinProto(ByteSource& src, ReadContext& ctx) {
  std::string body;
  if (!ReadRequestBody(src, ctx, "Zipkin ListOfSpans", false, &body)) return;
  ForEachElement(body, "ListOfSpans", 1, "span", ctx,
                 [&ctx](std::string_view bytes, const std::string&) {
                   Span& s = ctx.NewSpan();
                   ReadSpan(bytes, &s);
                   ctx.CommitSpan();
                 });
}

}  // namespace augur::ingest
