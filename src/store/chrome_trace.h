// Chrome Trace Event JSON output (opens in Perfetto, chrome://tracing and Trace Compass): analysed
// events with verdicts in `args`, counter tracks, process/thread names. See design/formats.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/result.h"

namespace augur::store {

struct ChromeEvent {
  std::string name;
  std::string category;
  char phase = 'i';  // 'X' complete, 'i' instant, 'B'/'E', 'C' counter
  TimeNs time = 0;   // Unix ns; written as µs
  TimeNs duration = 0;
  int64_t pid = 0;
  int64_t tid = 0;
  nlohmann::json args = nlohmann::json::object();
};

class ChromeTraceWriter {
 public:
  void ProcessName(int64_t pid, const std::string& name);
  void ThreadName(int64_t pid, int64_t tid, const std::string& name);
  void Add(ChromeEvent event);
  // One sample of a counter track: `series` name → value, drawn as a stacked track named `name`.
  void Counter(const std::string& name, int64_t pid, TimeNs time,
               const std::vector<std::pair<std::string, double>>& series);
  size_t size() const { return events_.size(); }

  // {"traceEvents":[...],"displayTimeUnit":"ms"}; events sorted by time (metadata first).
  std::string Json() const;
  Status Write(const std::filesystem::path& path) const;

 private:
  std::vector<nlohmann::json> meta_;
  std::vector<std::pair<TimeNs, nlohmann::json>> events_;
};

}  // namespace augur::store
