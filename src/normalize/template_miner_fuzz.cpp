// libFuzzer target: the header detector and the template miner on arbitrary bytes. Each input is
// split into lines, mined, matched, masked, saved and reloaded; nothing may crash or hang.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/log_header.h"
#include "normalize/parse_metrics.h"
#include "normalize/template_miner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace augur::normalize;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\n') {
      lines.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  HeaderParser header = HeaderParser::Detect(lines);
  TemplateMinerConfig cfg;
  cfg.max_templates = 8;  // exercise eviction
  cfg.max_tokens = 16;    // and truncation
  TemplateMiner miner(cfg);
  for (auto l : lines) {
    auto h = header.Parse(l);
    const std::string masked = miner.Mask(h.content);
    auto m = miner.Add(h.content);
    if (!miner.Get(m.template_id)) __builtin_trap();
    (void)miner.Match(l);
    // Masking depends on the line alone: the same before and after the line is learned.
    if (miner.Mask(h.content) != masked) __builtin_trap();
    (void)NormalizeTemplate(l);
  }
  // One scratch file per process, removed after each round trip: runs leave nothing in /tmp.
  static const auto path = std::filesystem::temp_directory_path() /
                           ("augur_template_miner_fuzz_" + std::to_string(getpid()) + ".txt");
  if (miner.Save(path).ok()) {
    auto loaded = TemplateMiner::Load(path, cfg);
    if (!loaded.ok()) __builtin_trap();
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return 0;
}
