#include "core/event.h"

#include <algorithm>
#include <cctype>

namespace augur {

const std::string* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes)
    if (a.key == key) return &a.value;
  return nullptr;
}

Severity SeverityFromNumber(int n) {
  if (n <= 0 || n > 24) return Severity::kUnspecified;
  static constexpr Severity kByRange[] = {Severity::kTrace, Severity::kDebug, Severity::kInfo,
                                          Severity::kWarn,  Severity::kError, Severity::kFatal};
  return kByRange[(n - 1) / 4];
}

Severity SeverityFromText(std::string_view text) {
  std::string t;
  for (char c : text.substr(0, 16)) t.push_back(static_cast<char>(std::toupper((unsigned char)c)));
  if (t == "TRACE" || t == "T" || t == "FINEST" || t == "FINER" || t == "VERBOSE" || t == "V" ||
      t == "TRCE")
    return Severity::kTrace;
  // Four-letter forms are .NET's console logger's (trce, dbug, info, warn, fail, crit).
  if (t == "DEBUG" || t == "D" || t == "FINE" || t == "DBG" || t == "DBUG") return Severity::kDebug;
  if (t == "INFO" || t == "I" || t == "INFORMATION" || t == "NOTICE" || t == "INF")
    return Severity::kInfo;
  if (t == "WARN" || t == "WARNING" || t == "W" || t == "WRN") return Severity::kWarn;
  if (t == "ERROR" || t == "ERR" || t == "E" || t == "SEVERE" || t == "FAILURE" || t == "FAIL")
    return Severity::kError;
  if (t == "FATAL" || t == "F" || t == "CRITICAL" || t == "CRIT" || t == "PANIC" || t == "EMERG" ||
      t == "ALERT")
    return Severity::kFatal;
  return Severity::kUnspecified;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kTrace:
      return "TRACE";
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarn:
      return "WARN";
    case Severity::kError:
      return "ERROR";
    case Severity::kFatal:
      return "FATAL";
    default:
      return "UNSPECIFIED";
  }
}

std::string_view SpanKindName(SpanKind k) {
  switch (k) {
    case SpanKind::kInternal:
      return "INTERNAL";
    case SpanKind::kServer:
      return "SERVER";
    case SpanKind::kClient:
      return "CLIENT";
    case SpanKind::kProducer:
      return "PRODUCER";
    case SpanKind::kConsumer:
      return "CONSUMER";
    default:
      return "UNSPECIFIED";
  }
}

std::string_view MetricKindName(MetricKind k) {
  switch (k) {
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kSum:
      return "sum";
    case MetricKind::kHistogram:
      return "histogram";
    case MetricKind::kExponentialHistogram:
      return "exponential_histogram";
    case MetricKind::kSummary:
      return "summary";
  }
  return "gauge";
}

TimeNs Batch::LatestTime() const {
  TimeNs t = 0;
  for (const auto& s : spans) t = std::max(t, s.start);
  for (const auto& l : logs) t = std::max(t, l.time);
  for (const auto& m : metrics) t = std::max(t, m.time);
  return t;
}

void Batch::KeepWindow(TimeNs lo, TimeNs hi) {
  auto out = [&](TimeNs t) { return t != 0 && (t < lo || t >= hi); };
  std::erase_if(spans, [&](const Span& s) { return out(s.start); });
  std::erase_if(logs, [&](const LogRecord& l) { return out(l.time); });
  std::erase_if(metrics, [&](const MetricPoint& m) { return out(m.time); });
  std::erase_if(trace_events, [&](const TraceEvent& e) { return out(e.time); });
}

}  // namespace augur
