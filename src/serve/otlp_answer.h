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

// The google.rpc code of a failed Export, from the IngestResult's HTTP status: UNAVAILABLE (14),
// which senders retry, when the body could not be spooled (5xx); else INVALID_ARGUMENT (3), for a
// body with nothing good in it, which they do not.
constexpr int kRpcInvalidArgument = 3, kRpcUnavailable = 14;
inline int ExportErrorCode(int http_status) {
  return http_status >= 500 ? kRpcUnavailable : kRpcInvalidArgument;
}

inline std::string RpcStatus(int code, const std::string& message) {
  std::string out;
  ingest::protobuf::AppendVarintField(1, static_cast<uint64_t>(code), &out);
  ingest::protobuf::AppendLenField(2, message, &out);
  return out;
}

}  // namespace augur::serve
