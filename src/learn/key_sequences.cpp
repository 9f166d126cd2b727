#include "learn/key_sequences.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "learn/hdfs_sessions.h"

namespace augur::learn {

Result<std::vector<std::vector<std::string>>> ReadKeySequences(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::vector<std::string>> out;
  std::error_code ec;
  // HDFS sessions in any layout LoadHdfsSessions() knows: the normal ones.
  if (auto source = FindHdfsSource(path)) {
    auto hdfs = LoadHdfsSessions(*source);
    if (!hdfs) return hdfs.status();
    for (auto& x : hdfs->sessions)
      if (!x.anomalous) out.push_back(std::move(x.events));
    return out;
  }
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file()) files.push_back(it->path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in)
      return Result<std::vector<std::vector<std::string>>>::Error(f.string() + ": cannot open");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::vector<std::string> seq;
      for (std::string w; words >> w;) seq.push_back(w);
      if (!seq.empty()) out.push_back(std::move(seq));
    }
  }
  if (out.empty())
    return Result<std::vector<std::vector<std::string>>>::Error(path + ": no key sequences found");
  return out;
}

}  // namespace augur::learn
