// The whole body of a binary request (OTLP/protobuf, Loki's protobuf push, Prometheus remote
// write): protobuf cannot be read in pieces, so it is held whole, up to kMaxRecordBytes.
#pragma once

#include <string>

#include "ingest/reader.h"

namespace augur::ingest {

// Reads all of `src` into *body, undoing snappy's block compression when `snappy` is set and the
// bytes are a valid snappy block (an uncompressed body is kept as it is). False, with the reject
// counted, when the body or its uncompressed form is larger than kMaxRecordBytes; `what` names it.
bool ReadRequestBody(ByteSource& src, ReadContext& ctx, const char* what, bool snappy,
                     std::string* body);

}  // namespace augur::ingest
