// libFuzzer target: the log language model's line preparation takes any bytes, with or without
// duration magnitudes, and writes printable ASCII within the length cap; preparing its own output
// again changes nothing (known lines and LLM answers are prepared twice); the durations it reports
// are numbers, none without magnitudes; a statement (buckets dropped) is stable and never longer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "learn/log_lm_text.h"

namespace {

void Check(std::string_view in, bool magnitudes) {
  using namespace augur::learn;
  const LogMaskOptions o{.magnitudes = magnitudes};
  std::vector<double> durations;
  const std::string once = PrepareLogLine(in, o, &durations);
  if (once.size() > kLogLmMaxLineBytes) __builtin_trap();
  if (!magnitudes && !durations.empty()) __builtin_trap();
  for (double d : durations)
    if (std::isnan(d)) __builtin_trap();
  const std::string statement = StatementOf(once);
  if (statement.size() > once.size() || StatementOf(statement) != statement) __builtin_trap();
  for (char c : once) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) __builtin_trap();
  }
  // A line cut at the cap may end inside a mask ("<*ms:e"), which a second pass reads anew.
  if (once.size() + 32 < kLogLmMaxLineBytes && MaskLogLine(once, o) != once) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in, true);
  Check(in, false);
  if (auto ms = augur::learn::ParseDuration(in); ms && !(*ms >= 0)) __builtin_trap();
  return 0;
}
