// Sequences of keys (log event ids, span labels) to train and evaluate sequence models on
// (`augur eval next-key`).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace augur::learn {

// Key sequences from a path: HDFS sessions in any layout FindHdfsSource() knows (the normal
// sessions' event ids), else text files (a folder's files in name order): one sequence per
// line, keys separated by spaces.
Result<std::vector<std::vector<std::string>>> ReadKeySequences(const std::string& path);

}  // namespace augur::learn
