// libFuzzer target: the Zipkin protobuf span reader must never crash, hang or lose count on any
// input.
#include "ingest/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return augur::ingest::FuzzReader(data, size, "zipkin-proto");
}
