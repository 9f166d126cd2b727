#include "ui.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <fmt/format.h>

#include "core/log.h"

namespace augur::app {
namespace {

using Clock = std::chrono::steady_clock;

struct ProgressState {
  std::string stage;
  Clock::time_point started;
  Clock::time_point last_draw;
  bool drawn = false;
};

}  // namespace

bool StdoutIsTerminal() {
  return isatty(STDOUT_FILENO) == 1;
}

void InstallConsoleSinks(bool quiet) {
  SetLogSink([quiet](LogLevel level, std::string_view msg) {
    if (quiet && level < LogLevel::kWarn) return;
    const char* tag = level == LogLevel::kWarn    ? "warning: "
                      : level == LogLevel::kError ? "error: "
                                                  : "";
    std::fprintf(stderr, "%s%.*s\n", tag, (int)msg.size(), msg.data());
  });
  if (quiet) {
    Progress::SetSink(nullptr);
    return;
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  // One state per stage name: stages interleave (reading while detecting), each keeps its own
  // clock. Terminal: one line redrawn at most 10 times a second; pipes: a plain line per stage
  // every 5 s.
  Progress::SetSink([tty, states = std::map<std::string, ProgressState, std::less<>>{},
                     last_draw = Clock::time_point{}](std::string_view stage, double done,
                                                      double total, std::string_view unit) mutable {
    auto now = Clock::now();
    auto it = states.find(stage);
    if (it == states.end())
      it = states.emplace(std::string(stage), ProgressState{std::string(stage), now, {}, false})
               .first;
    ProgressState& st = it->second;
    if (done < 0) {  // finished
      double secs = std::chrono::duration<double>(now - st.started).count();
      if (tty && st.drawn) std::fprintf(stderr, "\r\033[K");
      if (secs > 2) std::fprintf(stderr, "%s: done in %.1f s\n", st.stage.c_str(), secs);
      states.erase(it);
      return;
    }
    if (std::chrono::duration<double>(now - st.started).count() < 1)
      return;  // quick work shows nothing
    if (tty ? now - last_draw < std::chrono::milliseconds(100)
            : now - st.last_draw < std::chrono::seconds(5))
      return;
    st.last_draw = last_draw = now;
    st.drawn = true;
    double secs = std::chrono::duration<double>(now - st.started).count();
    std::string eta, of;
    if (total > 0 && done > 0) eta = fmt::format(" ETA {:.0f} s", secs * (total - done) / done);
    // Bytes read in MB, other units as counts.
    const bool bytes = unit == "B";
    auto amount = [&](double x) {
      return bytes ? fmt::format("{:.1f}", x / 1e6) : fmt::format("{:.0f}", x);
    };
    if (bytes) unit = "MB";
    if (total > 0) of = "/" + amount(total);
    const std::string now_done = amount(done);
    if (tty) {
      int width = 30;
      int filled = total > 0 ? (int)(width * std::min(1.0, done / total)) : 0;
      std::string bar(filled, '#');
      bar.resize(width, total > 0 ? '.' : ' ');
      std::fprintf(stderr, "\r\033[K%s [%s] %s%s %.*s%s", st.stage.c_str(), bar.c_str(),
                   now_done.c_str(), of.c_str(), (int)unit.size(), unit.data(), eta.c_str());
    } else {
      std::fprintf(stderr, "%s: %s%s %.*s%s\n", st.stage.c_str(), now_done.c_str(), of.c_str(),
                   (int)unit.size(), unit.data(), eta.c_str());
    }
    std::fflush(stderr);
  });
}

}  // namespace augur::app
