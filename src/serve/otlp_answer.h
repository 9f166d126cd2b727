// The protobuf answers of OTLP's Export calls, shared by OTLP/HTTP and OTLP/gRPC:
// Export*ServiceResponse { Export*PartialSuccess partial_success = 1 { int64 rejected_* = 1;
// string error_message = 2; } } and google.rpc.Status { int32 code = 1; string message = 2; }.
#pragma once

#include <cstdint>
#include <string>

#include "ingest/protobuf_wire.h"

namespace augur::serve {

// Empty (a valid response with nothing to say) when nothing was rejected.
inline std::string OtlpExportResponse(uint64_t rejected, const std::string& message) {
  if (!rejected) return {};
  std::string inner, out;
  ingest::protobuf::AppendVarintField(1, rejected, &inner);
  ingest::protobuf::AppendLenField(2, message, &inner);
  ingest::protobuf::AppendLenField(1, inner, &out);
  return out;
}

inline std::string RpcStatus(int code, const std::string& message) {
  std::string out;
  ingest::protobuf::AppendVarintField(1, static_cast<uint64_t>(code), &out);
  ingest::protobuf::AppendLenField(2, message, &out);
  return out;
}

}  // namespace augur::serve
