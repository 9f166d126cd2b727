// libFuzzer target: `eval loghub` on any pair of files (a raw log and its structured truth, split
// at the first NUL byte) never crashes or hangs; when it scores, the scores are ratios.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ingest/fuzz_common.h"
#include "normalize/loghub_eval.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = augur::ingest::FuzzScratchDir("augur-loghub-fuzz");
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::ofstream(dir / "F_2k.log", std::ios::binary | std::ios::trunc) << in.substr(0, nul);
  std::ofstream(dir / "F_2k.log_structured.csv", std::ios::binary | std::ios::trunc)
      << (nul == std::string_view::npos ? std::string_view("LineId,Content,EventTemplate\n")
                                        : in.substr(nul + 1));
  auto sets = augur::normalize::FindLoghubSets(dir);
  if (sets.size() != 1) __builtin_trap();
  auto r = augur::normalize::EvaluateLoghubSet(sets[0], {});
  if (r.ok() && (r->scores.ga < 0 || r->scores.ga > 1 || r->scores.pa < 0 || r->scores.pa > 1))
    __builtin_trap();
  return 0;
}
