#include "learn/fault_windows.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"

namespace augur::learn {

std::vector<std::pair<TimeNs, TimeNs>> FaultWindows(const std::string& dir, TimeNs after) {
  std::vector<std::pair<TimeNs, TimeNs>> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    const bool nezha = name.size() >= 15 && name.substr(name.size() - 15) == "fault_list.json";
    if (!nezha && name != "labels.json") continue;
    try {
      std::ifstream in(it->path());
      nlohmann::json j;
      in >> j;
      if (nezha) {
        for (auto& [hour, list] : j.items())
          for (auto& f : list) {
            auto t = ParseIsoTime(f.at("inject_time").get<std::string>());
            if (t) out.emplace_back(*t, *t + after);
          }
      } else if (j.is_object() && j.contains("faults")) {
        // The simulator's truth: each fault from its start until its service recovered.
        for (auto& f : j.at("faults")) {
          TimeNs end = f.value("recovered_ns", f.at("end_ns").get<TimeNs>());
          out.emplace_back(f.at("start_ns").get<TimeNs>(), end);
        }
      }
    } catch (const std::exception& e) {
      LogWarn("{}: fault list unreadable, not used: {}", it->path().string(), e.what());
    }
  }
  return out;
}

}  // namespace augur::learn
