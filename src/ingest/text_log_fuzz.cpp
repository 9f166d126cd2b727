// libFuzzer target: the text reader must never crash, hang or lose count on any input, with and
// without --multiline.
#include "ingest/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  augur::ingest::FuzzReader(data, size, "text");
  return augur::ingest::FuzzReader(data, size, "text", true);
}
