// libFuzzer target: the HDFS session readers (sessions CSV, Event_traces.csv, raw log with
// anomaly_label.csv) never crash or hang on any file content; a session they return has a block.
// The first byte picks the layout; for the raw log a NUL byte separates the log from the labels.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ingest/fuzz_common.h"
#include "learn/hdfs_sessions.h"

namespace {
namespace fs = std::filesystem;

const fs::path& Dir() {
  return augur::ingest::FuzzScratchDir("augur-hdfs-fuzz");
}

void Put(const fs::path& p, std::string_view data) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int layout = data[0] % 3;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::error_code ec;
  for (const char* f : {"s.csv", "Event_traces.csv", "HDFS.log", "anomaly_label.csv"})
    fs::remove(Dir() / f, ec);
  fs::path target;
  if (layout == 0) {
    Put(Dir() / "s.csv", "split,BlockId,Label,EventSequence\n" + std::string(in));
    target = Dir() / "s.csv";
  } else if (layout == 1) {
    Put(Dir() / "Event_traces.csv", "BlockId,Label,Type,Features\n" + std::string(in));
    target = Dir() / "Event_traces.csv";
  } else {
    size_t nul = in.find('\0');
    Put(Dir() / "HDFS.log", in.substr(0, nul));
    Put(Dir() / "anomaly_label.csv",
        "BlockId,Label\n" + std::string(nul == std::string_view::npos ? "" : in.substr(nul + 1)));
    target = Dir() / "HDFS.log";
  }
  auto set = augur::learn::LoadHdfsSessions(target.string());
  if (set.ok())
    for (const auto& s : set->sessions)
      if (s.block.empty() && layout == 2) __builtin_trap();
  return 0;
}
