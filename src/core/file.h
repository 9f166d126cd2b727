// Writing whole files so that a crash or a kill never leaves a half-written one: the content goes
// to PATH.tmp first and is renamed over PATH (atomic on POSIX file systems).
#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace augur {

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content);

}  // namespace augur
