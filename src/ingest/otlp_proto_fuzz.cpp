// libFuzzer target: the OTLP/protobuf readers must never crash, hang or lose count on any input.
// The first byte picks the request type (traces, logs, metrics); the rest is the body.
#include "ingest/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kFormats[] = {"otlp-proto-traces", "otlp-proto-logs", "otlp-proto-metrics"};
  return augur::ingest::FuzzReader(data + 1, size - 1, kFormats[data[0] % 3]);
}
