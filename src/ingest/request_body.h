// The whole body of a binary request (OTLP/protobuf, Loki's protobuf push, Prometheus remote
// write): protobuf cannot be read in pieces, so it is held whole, up to kMaxRecordBytes.
#pragma once

#include <string>

#include "ingest/protobuf_wire.h"
#include "ingest/reader.h"

namespace augur::ingest {

// Reads all of `src` into *body, undoing snappy's block compression when `snappy` is set and the
// bytes are a valid snappy block (an uncompressed body is kept as it is). False, with the reject
// counted, when the body or its uncompressed form is larger than kMaxRecordBytes; `what` names it.
bool ReadRequestBody(ByteSource& src, ReadContext& ctx, const char* what, bool snappy,
                     std::string* body);

// A { string name = 1; string value = 2; } message (Prometheus's Label, Loki's LabelPairAdapter).
inline Attribute ReadNameValue(std::string_view bytes, const char* message) {
  protobuf::Message m(bytes, message);
  Attribute a;
  while (m.Next()) {
    if (m.field() == 1)
      a.key = protobuf::LenField(m, "name");
    else if (m.field() == 2)
      a.value = protobuf::LenField(m, "value");
    else
      m.Skip();
  }
  return a;
}

// Calls read(bytes, where) for each field `field` of the message `body`, where = "<element> <i>".
// A protobuf::ProtoError thrown by `read` rejects that element alone; damage in the message itself
// rejects what is left of it.
template <class Fn>
void ForEachElement(std::string_view body, const char* message, uint32_t field, const char* element,
                    ReadContext& ctx, Fn&& read) {
  try {
    protobuf::Message m(body, message);
    uint64_t index = 0;
    while (m.Next() && !ctx.stopped()) {
      if (m.field() != field) {
        m.Skip();
        continue;
      }
      const std::string where = std::string(element) + " " + std::to_string(index++);
      std::string_view bytes = protobuf::LenField(m, element);
      try {
        read(bytes, where);
      } catch (const protobuf::ProtoError& e) {
        ctx.DropPending();
        if (!ctx.Reject(0, e.reason, where)) return;
      }
    }
  } catch (const protobuf::ProtoError& e) {
    ctx.Reject(0, e.reason);
  }
}

}  // namespace augur::ingest
