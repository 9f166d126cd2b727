// libFuzzer target: the Loki protobuf push reader must never crash, hang or lose count on any
// input, compressed or not.
#include "ingest/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return augur::ingest::FuzzReader(data, size, "loki-proto");
}
