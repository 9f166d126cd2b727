// Shared parts of the fuzz targets: the body of the reader targets (feed the input to one reader,
// or to detection, through the in-memory front door and check the invariants that must hold for any
// input), and a scratch folder for targets whose code under test reads files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

#include "core/text.h"
#include "ingest/read.h"

namespace augur::ingest {

inline int FuzzReader(const uint8_t* data, size_t size, const char* format,
                      bool multiline = false) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ReadOptions options;
  options.format = format;
  options.multiline = multiline;
  options.batch_size = 64;
  uint64_t records = 0;
  // Text that reaches the records is UTF-8, whatever the input held: incident JSON is written from
  // it, and JSON writers refuse anything else.
  auto utf8 = [](const std::string& t) { return ReplaceInvalidUtf8(t) == t; };
  auto r = ReadBuffer(input, "fuzz-input", options, [&](Batch& b) {
    if (b.size() > 64 + 100000) std::abort();  // batches stay bounded (one unit may overshoot)
    records += b.size();
    for (const auto& l : b.logs)
      if (!utf8(l.body) || !utf8(l.service)) std::abort();
    for (const auto& sp : b.spans)
      if (!utf8(sp.name) || !utf8(sp.service)) std::abort();
    for (const auto& m : b.metrics)
      if (!utf8(m.name) || !utf8(m.service)) std::abort();
  });
  if (!r.ok()) std::abort();  // only strict mode or I/O may fail; neither happens here
  if (r->files.size() != 1 || r->files[0].records != records) std::abort();
  return 0;
}

// A folder of this process under the temp directory, made on first use and removed at exit.
inline const std::filesystem::path& FuzzScratchDir(const char* name) {
  struct Scratch {
    std::filesystem::path path;
    explicit Scratch(const char* n)
        : path(std::filesystem::temp_directory_path() /
               (std::string(n) + "-" + std::to_string(getpid()))) {
      std::filesystem::create_directories(path);
    }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Scratch s(name);
  return s.path;
}

}  // namespace augur::ingest
