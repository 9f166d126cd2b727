// The web UI's files (web/ in the source tree), embedded into the binary at build time by
// cmake/embed.cmake, so `augur serve` needs no files beside it to serve its page.
#pragma once

#include <span>
#include <string_view>

namespace augur::serve {

struct WebAsset {
  std::string_view name;  // the file name under web/, e.g. "app.js"
  std::string_view body;
};

// All of web/'s files, sorted by name.
std::span<const WebAsset> WebAssets();

// The file NAME, or nullptr.
inline const WebAsset* FindWebAsset(std::string_view name) {
  for (const auto& a : WebAssets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace augur::serve
