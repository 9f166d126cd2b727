#include "sim/log_styles.h"

#include <fmt/format.h>

#include "core/time.h"

namespace augur::sim::logstyle {
namespace {

struct Civil {
  int year, month, day, hour, minute, second;
  int64_t nanos;
};

// Howard Hinnant's civil_from_days.
Civil ToCivil(TimeNs t) {
  int64_t secs = t / kNsPerSecond;
  int64_t nanos = t % kNsPerSecond;
  if (nanos < 0) {
    nanos += kNsPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)),
          static_cast<int>(m),
          static_cast<int>(d),
          static_cast<int>(rem / 3600),
          static_cast<int>(rem / 60 % 60),
          static_cast<int>(rem % 60),
          nanos};
}

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::string SpringTime(TimeNs t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.nanos / 1000000);
}

std::string GoTime(TimeNs t) {
  Civil c = ToCivil(t);
  std::string s = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour,
                              c.minute, c.second);
  if (c.nanos) {
    std::string frac = fmt::format("{:09}", c.nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    s += '.';
    s += frac;
  }
  s += 'Z';
  return s;
}

std::string MongoTime(TimeNs t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000", c.year, c.month, c.day,
                     c.hour, c.minute, c.second, c.nanos / 1000000);
}

std::string MySqlTime(TimeNs t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.nanos / 1000);
}

std::string RedisTime(TimeNs t) {
  Civil c = ToCivil(t);
  return fmt::format("{:02} {} {:04} {:02}:{:02}:{:02}.{:03}", c.day, kMonths[c.month - 1], c.year,
                     c.hour, c.minute, c.second, c.nanos / 1000000);
}

std::string Spring(TimeNs t, std::string_view level, std::string_view app, std::string_view trace,
                   std::string_view span, std::string_view thread, std::string_view logger,
                   std::string_view message) {
  // Spring Boot pads the level to 5 and the logger to 40 (abbreviated like logback's
  // %-40.40logger).
  std::string_view lg = logger.size() > 40 ? logger.substr(logger.size() - 40) : logger;
  return fmt::format("{} {:>5} [{},{},{},{}] 1 --- [{:>15}] {:<40} : {}", SpringTime(t), level, app,
                     trace, span, trace.empty() ? "" : "true", thread, lg, message);
}

std::string GoKit(TimeNs t, std::string_view caller, std::string_view pairs) {
  return fmt::format("ts={} caller={} {}", GoTime(t), caller, pairs);
}

std::string Mongo(TimeNs t, char severity, std::string_view component, std::string_view context,
                  std::string_view message) {
  return fmt::format("{} {} {:<8} [{}] {}", MongoTime(t), severity, component, context, message);
}

std::string MySql(TimeNs t, int thread, std::string_view level, std::string_view message) {
  return fmt::format("{} {} [{}] {}", MySqlTime(t), thread, level, message);
}

std::string Rabbit(TimeNs t, std::string_view level, int pid, std::string_view message) {
  return fmt::format("{} [{}] <0.{}.0> {}", SpringTime(t), level, pid, message);
}

std::string Redis(TimeNs t, int pid, char role, char mark, std::string_view message) {
  return fmt::format("{}:{} {} {} {}", pid, role, RedisTime(t), mark, message);
}

Severity SeverityOf(std::string_view level) {
  if (level == "W" || level == "Warning" || level == "warning") return Severity::kWarn;
  if (level == "E" || level == "F" || level == "#") return Severity::kError;
  if (level == "I" || level == "Note" || level == "*" || level == "-") return Severity::kInfo;
  Severity s = SeverityFromText(level);
  return s == Severity::kUnspecified ? Severity::kInfo : s;
}

}  // namespace augur::sim::logstyle
