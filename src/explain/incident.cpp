#include "explain/incident.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/time.h"

namespace augur::explain {

std::string_view Article(std::string_view word) {
  return !word.empty() && std::string_view("aeiouAEIOU").find(word[0]) != std::string_view::npos
             ? "an"
             : "a";
}

std::string_view OutageLevel(double p) {
  if (p <= 0.155) return "green";
  if (p <= 0.455) return "yellow";
  return "red";
}

std::vector<Incident> GroupAnomalies(std::vector<detect::Anomaly> anomalies,
                                     const GroupingConfig& config) {
  std::sort(anomalies.begin(), anomalies.end(),
            [](const detect::Anomaly& a, const detect::Anomaly& b) { return a.start < b.start; });
  std::vector<Incident> incidents;
  TimeNs last_start = 0;  // of the incident's latest anomaly
  // A silence that began after the incident's latest anomaly started and no later than `t`.
  auto silent_since = [&](TimeNs t) {
    return std::any_of(config.silences.begin(), config.silences.end(),
                       [&](const auto& s) { return last_start < s.first && s.first <= t; });
  };
  for (auto& a : anomalies) {
    if (incidents.empty() || a.start > incidents.back().end + config.gap || silent_since(a.start)) {
      incidents.emplace_back();
      incidents.back().start = a.start;
      incidents.back().end = a.end;
    }
    Incident& inc = incidents.back();
    inc.end = std::max(inc.end, a.end);
    last_start = a.start;
    inc.anomalies.push_back(std::move(a));
  }
  std::erase_if(incidents,
                [&](const Incident& i) { return i.anomalies.size() < config.min_anomalies; });
  for (size_t n = 0; n < incidents.size(); ++n) {
    Incident& inc = incidents[n];
    inc.id = fmt::format("inc-{}", n + 1);
    std::map<std::string, double> strength;
    for (const auto& a : inc.anomalies)
      if (!a.service.empty()) strength[a.service] += a.strength();
    std::vector<std::pair<double, std::string>> order;
    for (auto& [s, v] : strength) order.push_back({-v, s});
    std::sort(order.begin(), order.end());
    for (auto& [v, s] : order) inc.services.push_back(s);
  }
  return incidents;
}

TimeNs OnsetOf(const Incident& inc, TimeNs bin) {
  if (bin <= 0 || inc.anomalies.empty()) return inc.start;
  std::map<TimeNs, std::set<std::pair<std::string, std::string>>> slices;
  for (const auto& a : inc.anomalies)
    slices[(std::max(a.start, inc.start) - inc.start) / bin].insert({a.detector, a.service});
  size_t busiest = 0;
  for (const auto& [k, kinds] : slices) busiest = std::max(busiest, kinds.size());
  for (const auto& [k, kinds] : slices)
    if (2 * kinds.size() >= busiest) return inc.start + k * bin;
  return inc.start;
}

void Explain(Incident& inc) {
  constexpr TimeNs kSecond = 1'000'000'000, kMinute = 60 * kSecond;
  if (inc.onset == 0) inc.onset = OnsetOf(inc, kMinute);
  // The headline gives the time the incident took hold, to the second; isolated alarms that the
  // grouping gap chained to it before then are named after it, not taken as its start.
  auto seconds = [&](TimeNs t) { return FormatIsoTime(t - t % kSecond); };
  const bool early = inc.onset - inc.start >= kMinute;
  const TimeNs from = early ? inc.onset : inc.start;
  std::string when = seconds(from);
  if (early) when += " (isolated alarms from " + seconds(inc.start) + ")";
  double minutes = static_cast<double>(inc.end - from) / 60e9;
  std::map<std::string, int> modalities;
  for (const auto& a : inc.anomalies) modalities[std::string(detect::ModalityName(a.modality))]++;
  std::string signals;
  for (auto& [m, n] : modalities)
    signals += fmt::format("{}{} {}", signals.empty() ? "" : ", ", n, m);

  if (inc.ranking.empty()) {
    inc.summary = fmt::format("{}: {} anomalies ({}) over {:.1f} min; origin not localized", when,
                              inc.anomalies.size(), signals, minutes);
    inc.narrative = inc.summary + ".";
    return;
  }
  const RankedService& top = inc.ranking.front();
  std::string type =
      inc.fault_type.empty() || inc.fault_type == "unknown"
          ? std::string()
          : fmt::format(", most likely {} ({:.0f} %)", inc.fault_type, 100 * inc.fault_confidence);
  // How firmly the headline names the service follows its probability of being the origin: a
  // service first at 2 % is no "likely origin".
  const std::string verdict = top.probability >= 0.5   ? top.service + " is the likely origin"
                              : top.probability >= 0.2 ? top.service + " is a possible origin"
                                                       : "no service stands out as the origin, " +
                                                             top.service + " ranks first";
  inc.summary = fmt::format(
      "{}: {} ({:.0f} %, outage level {}){}; {} anomalies ({}) over {:.1f} min", when, verdict,
      100 * top.probability, top.level, type, inc.anomalies.size(), signals, minutes);

  // The narrative: what happened first, where it spread, and why augur blames the top service.
  const detect::Anomaly* first = &inc.anomalies.front();
  std::string n =
      fmt::format("Starting {}, augur saw {} anomalous windows across {} service(s) ({}). ",
                  seconds(inc.start), inc.anomalies.size(), inc.services.size(), signals);
  n += fmt::format("The first sign was in {}: {}. ",
                   first->service.empty() ? "an unknown service" : first->service, first->summary);
  // Isolated early alarms that the grouping gap chained to the incident: say where it took hold.
  if (early)
    n += fmt::format("It took hold at {}; the {} window(s) before were isolated alarms. ",
                     seconds(inc.onset),
                     std::count_if(inc.anomalies.begin(), inc.anomalies.end(),
                                   [&](const detect::Anomaly& a) { return a.start < inc.onset; }));
  n += fmt::format("{} is the most probable origin with probability {:.0f} %", top.service,
                   100 * top.probability);
  if (inc.ranking.size() > 1)
    n += fmt::format(", ahead of {} ({:.0f} %)", inc.ranking[1].service,
                     100 * inc.ranking[1].probability);
  n += ". ";
  if (!top.evidence.empty()) {
    n += "The evidence against it: ";
    for (size_t i = 0; i < top.evidence.size() && i < 3; ++i)
      n += (i ? "; " : "") + top.evidence[i];
    n += ". ";
  }
  if (!type.empty())
    n += fmt::format("The signals look like {} {} fault", Article(inc.fault_type), inc.fault_type) +
         (inc.fault_reason.empty() ? "." : " (" + inc.fault_reason + ").");
  inc.narrative = n;
}

}  // namespace augur::explain
