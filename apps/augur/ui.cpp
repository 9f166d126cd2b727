#include "ui.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

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

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

void InstallConsoleSinks(bool quiet) {
  SetLogSink([quiet](LogLevel level, std::string_view msg) {
    if (quiet && level < LogLevel::kWarn) return;
    const char* tag = level == LogLevel::kWarn ? "warning: " : level == LogLevel::kError ? "error: " : "";
    std::fprintf(stderr, "%s%.*s\n", tag, (int)msg.size(), msg.data());
  });
  if (quiet) {
    Progress::SetSink(nullptr);
    return;
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  Progress::SetSink([tty, st = ProgressState{}](std::string_view stage, double done, double total,
                                                std::string_view unit) mutable {
    auto now = Clock::now();
    if (stage != st.stage) {
      st = ProgressState{std::string(stage), now, now - std::chrono::hours(1), false};
    }
    if (done < 0) {  // finished
      double secs = std::chrono::duration<double>(now - st.started).count();
      if (tty && st.drawn) std::fprintf(stderr, "\r\033[K");
      if (st.drawn || secs > 0.5)
        std::fprintf(stderr, "%s: done in %.1f s\n", st.stage.c_str(), secs);
      st.stage.clear();
      return;
    }
    // Terminal: redraw at most 10 times a second; pipes: a plain line every 5 seconds.
    auto gap = tty ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
    if (now - st.last_draw < gap) return;
    st.last_draw = now;
    st.drawn = true;
    double secs = std::chrono::duration<double>(now - st.started).count();
    std::string eta;
    if (total > 0 && done > 0) {
      double left = secs * (total - done) / done;
      eta = " ETA " + std::to_string((int)left) + " s";
    }
    if (tty) {
      int width = 30;
      int filled = total > 0 ? (int)(width * std::min(1.0, done / total)) : 0;
      std::string bar(filled, '#');
      bar.resize(width, total > 0 ? '.' : ' ');
      std::fprintf(stderr, "\r\033[K%s [%s] %.0f%s%s %.*s%s", st.stage.c_str(), bar.c_str(), done,
                   total > 0 ? "/" : "", total > 0 ? std::to_string((long long)total).c_str() : "",
                   (int)unit.size(), unit.data(), eta.c_str());
    } else {
      std::fprintf(stderr, "%s: %.0f%s%s %.*s%s\n", st.stage.c_str(), done, total > 0 ? "/" : "",
                   total > 0 ? std::to_string((long long)total).c_str() : "", (int)unit.size(),
                   unit.data(), eta.c_str());
    }
    std::fflush(stderr);
  });
}

}  // namespace augur::app
