// The logging facade: library code reports lifecycle events as sentences through here and never
// prints; apps/ installs the sink (stderr, quiet, JSON). Per-event things are counted, not logged.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace augur {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogSink = std::function<void(LogLevel, std::string_view)>;

// Replaces the sink (default: discard). Not thread-safe against concurrent logging; set it at
// start-up.
void SetLogSink(LogSink sink);
void Log(LogLevel level, std::string_view message);

template <class... Args>
void LogInfo(fmt::format_string<Args...> f, Args&&... args) {
  Log(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void LogWarn(fmt::format_string<Args...> f, Args&&... args) {
  Log(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
}

// Progress of long work (reading, training, scoring). `total` is 0 when unknown. The app decides
// whether to draw a bar (terminal) or print plain lines; library code only calls Update().
class Progress {
 public:
  using Sink =
      std::function<void(std::string_view stage, double done, double total, std::string_view unit)>;
  static void SetSink(Sink sink);
  static void Update(std::string_view stage, double done, double total, std::string_view unit);
  static void Finish(std::string_view stage);
};

}  // namespace augur
