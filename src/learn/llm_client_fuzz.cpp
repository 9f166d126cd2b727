// libFuzzer target: whatever a completion endpoint answers, reading it never crashes or hangs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "learn/llm_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto text = augur::learn::ParseCompletionResponse(body);
  auto lines = augur::learn::CompletionLines(text ? *text : body, 10);
  if (lines.size() > 10) __builtin_trap();
  return 0;
}
