#include "core/log.h"

namespace augur {
namespace {
LogSink& GlobalSink() {
  static LogSink sink;
  return sink;
}
Progress::Sink& GlobalProgress() {
  static Progress::Sink sink;
  return sink;
}
}  // namespace

void SetLogSink(LogSink sink) {
  GlobalSink() = std::move(sink);
}

void Log(LogLevel level, std::string_view message) {
  if (GlobalSink()) GlobalSink()(level, message);
}

void Progress::SetSink(Sink sink) {
  GlobalProgress() = std::move(sink);
}

void Progress::Update(std::string_view stage, double done, double total, std::string_view unit) {
  if (GlobalProgress()) GlobalProgress()(stage, done, total, unit);
}

void Progress::Finish(std::string_view stage) {
  if (GlobalProgress()) GlobalProgress()(stage, -1, -1, "");
}

}  // namespace augur
