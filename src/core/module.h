// augur's own shared modules (dlopen'ed .so files: the libtorch models, the SentencePiece shim),
// found where a build or an installation puts them.
#pragma once

#include <string>

#include "core/result.h"

namespace augur {

// Opens `file` (e.g. "libaugur_torch.so"): the path in the environment variable `env` when it is
// set (and no other), else the first found of: beside the executable; ../lib and ../lib/augur
// beside it; `built` (where the build wrote it; may be empty). `flags` as dlopen's. The error names
// every place tried and why each failed, and how to point augur at the file.
Result<void*> OpenModule(const std::string& file, const char* env, const std::string& built,
                         int flags);

}  // namespace augur
