#include "core/module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace augur {
namespace {

// Beside the executable, in ../lib and ../lib/augur beside it, then where the build wrote it.
void AddBuiltIn(const std::string& file, const std::string& built,
                std::vector<std::string>& candidates) {
  namespace fs = std::filesystem;
  char exe[4096];
  if (ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1); n > 0) {
    const fs::path dir = fs::path(std::string(exe, n)).parent_path();
    for (const char* sub : {".", "../lib", "../lib/augur"})
      candidates.push_back((dir / sub / file).lexically_normal().string());
  }
  if (!built.empty()) candidates.push_back(built);
}

}  // namespace

Result<void*> OpenModule(const std::string& file, const char* env, const std::string& built,
                         int flags) {
  namespace fs = std::filesystem;
  std::vector<std::string> candidates;
  const char* named = std::getenv(env);
  if (named && *named) {  // the user's choice: no other file stands in for it
    candidates.push_back(named);
  } else {
    AddBuiltIn(file, built, candidates);
  }
  std::string tried;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (!fs::exists(c, ec)) {
      tried += "; " + c + ": no such file";
      continue;
    }
    if (void* h = dlopen(c.c_str(), flags)) return h;
    const char* why = dlerror();
    tried += "; " + c + ": " + (why ? why : "cannot be loaded");
  }
  return Result<void*>::Error("cannot load " + file + " (set " + env + " to its path)" + tried);
}

}  // namespace augur
