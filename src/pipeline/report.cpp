#include "pipeline/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/time.h"
#include "explain/incident_json.h"

namespace augur::pipeline {
namespace {

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* LevelColor(std::string_view level) {
  if (level == "red") return "#d7263d";
  if (level == "yellow") return "#f4b400";
  return "#2e9e44";
}

std::string Clock(TimeNs t) {
  std::string iso = FormatIsoTime(t);
  return iso.size() >= 19 ? iso.substr(11, 8) : iso;
}

// Node graph: services on a circle, caller→callee edges, nodes coloured by outage probability.
std::string NodeGraphSvg(const explain::Incident& inc, const Recorder& rec) {
  std::map<std::string, double> prob;
  for (const auto& r : inc.ranking) prob[r.service] = r.outage >= 0 ? r.outage : r.probability;
  std::map<std::pair<std::string, std::string>, uint64_t> edges;
  if (!inc.edges.empty())
    for (const auto& e : inc.edges) edges[e] = rec.edges().count(e) ? rec.edges().at(e) : 1;
  else
    edges = rec.edges();
  std::set<std::string> nodes;
  for (const auto& [e, n] : edges) {
    nodes.insert(e.first);
    nodes.insert(e.second);
  }
  for (const auto& s : inc.services) nodes.insert(s);
  for (const auto& r : inc.ranking) nodes.insert(r.service);
  nodes.erase("");
  std::vector<std::string> order(nodes.begin(), nodes.end());
  const double w = 640, h = 480, cx = w / 2, cy = h / 2, radius = std::min(w, h) / 2 - 70;
  std::map<std::string, std::pair<double, double>> pos;
  for (size_t i = 0; i < order.size(); ++i) {
    double a = 2 * M_PI * static_cast<double>(i) / std::max<size_t>(1, order.size()) - M_PI / 2;
    pos[order[i]] = {cx + radius * std::cos(a), cy + radius * std::sin(a)};
  }
  std::string svg = fmt::format(
      "<svg class=\"node-graph\" id=\"graph-{}\" viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" "
      "aria-label=\"service graph coloured by probability of outage\">"
      "<defs><marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
      "markerWidth=\"6\" "
      "markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
      "fill=\"#999\"/>"
      "</marker></defs>",
      inc.id, w, h, inc.id);
  for (const auto& [e, n] : edges) {
    if (!pos.count(e.first) || !pos.count(e.second)) continue;
    auto [x1, y1] = pos[e.first];
    auto [x2, y2] = pos[e.second];
    double dx = x2 - x1, dy = y2 - y1, len = std::max(1.0, std::hypot(dx, dy));
    x2 -= dx / len * 22;
    y2 -= dy / len * 22;
    svg += fmt::format(
        "<line class=\"edge\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
        "stroke=\"#bbb\" "
        "stroke-width=\"{:.1f}\" marker-end=\"url(#arrow-{})\"><title>{} → {}: {} "
        "calls</title></line>",
        x1, y1, x2, y2, 1 + std::log10(1.0 + static_cast<double>(n)) / 2, inc.id, Esc(e.first),
        Esc(e.second), n);
  }
  for (const auto& s : order) {
    auto [x, y] = pos[s];
    double p = prob.count(s) ? prob[s] : 0.0;
    std::string_view level = explain::OutageLevel(p);
    svg += fmt::format(
        "<g class=\"node\" data-service=\"{}\" data-probability=\"{:.3f}\" data-level=\"{}\">"
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"20\" fill=\"{}\" stroke=\"#333\" "
        "stroke-width=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\" "
        "fill=\"#fff\">{:.0f}%</text>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">{}</text>"
        "<title>{}: probability of outage {:.1f} %</title></g>",
        Esc(s), p, level, x, y, LevelColor(level),
        !inc.ranking.empty() && inc.ranking.front().service == s ? 3 : 1, x, y + 4, 100 * p, x,
        y + 34, Esc(s), Esc(s), 100 * p);
  }
  return svg + "</svg>";
}

// Timeline: one row per service and modality with anomalies; cells coloured by score / threshold.
std::string TimelineSvg(const explain::Incident& inc, const Recorder& rec) {
  TimeNs from = inc.start - 5 * 60 * kNsPerSecond, to = inc.end + 2 * 60 * kNsPerSecond;
  if (rec.first() <= rec.last()) {
    from = std::max(from, rec.first());
    to = std::min(to, rec.last() + rec.window());
  }
  if (to <= from) to = from + 1;
  std::map<std::string, std::vector<const detect::Anomaly*>> rows;
  for (const auto& a : inc.anomalies)
    rows[(a.service.empty() ? "(unknown)" : a.service) + " · " +
         std::string(detect::ModalityName(a.modality))]
        .push_back(&a);
  const double left = 230, width = 620, row_h = 22, top = 24;
  double h = top + row_h * static_cast<double>(rows.size()) + 24;
  std::string svg = fmt::format(
      "<svg class=\"timeline\" id=\"timeline-{}\" viewBox=\"0 0 {} {}\" width=\"100%\" "
      "role=\"img\" "
      "aria-label=\"anomaly scores per service and modality over time\">",
      inc.id, left + width + 30, h);
  auto x_of = [&](TimeNs t) {
    return left + width * static_cast<double>(t - from) / static_cast<double>(to - from);
  };
  // Ticks at round times: the shortest step that gives at most six of them.
  constexpr TimeNs kS = kNsPerSecond, kM = 60 * kS;
  TimeNs step = 24 * 60 * kM;
  for (TimeNs s : {kS, 2 * kS, 5 * kS, 10 * kS, 15 * kS, 30 * kS, kM, 2 * kM, 5 * kM, 10 * kM,
                   15 * kM, 30 * kM, 60 * kM, 120 * kM, 360 * kM, 720 * kM})
    if ((to - from) / s <= 6) {
      step = s;
      break;
    }
  for (TimeNs t = (from + step - 1) / step * step; t <= to; t += step)
    svg += fmt::format(
        "<text x=\"{:.1f}\" y=\"14\" font-size=\"10\" text-anchor=\"middle\">{}</text>"
        "<line x1=\"{:.1f}\" y1=\"18\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>",
        x_of(t), Clock(t), x_of(t), x_of(t), h - 20);
  // Where the incident took hold (explain::OnsetOf), when isolated alarms came before.
  if (inc.onset > inc.start && inc.onset >= from && inc.onset <= to)
    svg += fmt::format(
        "<line class=\"onset\" x1=\"{0:.1f}\" y1=\"18\" x2=\"{0:.1f}\" y2=\"{1:.1f}\" "
        "stroke=\"#555\" stroke-dasharray=\"4 3\"><title>took hold at {2}</title></line>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"10\" fill=\"#555\">onset</text>",
        x_of(inc.onset), h - 20, Clock(inc.onset), x_of(inc.onset) + 3, h - 8);
  double y = top;
  for (const auto& [name, list] : rows) {
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
                       left - 6, y + 15, Esc(name));
    for (const auto* a : list) {
      double ratio = a->threshold > 0 ? a->score / a->threshold : 1.0;
      double alpha = std::clamp(0.35 + 0.25 * std::log2(std::max(1.0, ratio)), 0.35, 1.0);
      double x1 = std::max(left, x_of(a->start)), x2 = std::min(left + width, x_of(a->end));
      svg += fmt::format(
          "<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"#d7263d\" "
          "fill-opacity=\"{:.2f}\"><title>{} {}–{}: {} (score {:.3g}, threshold "
          "{:.3g})</title></rect>",
          x1, y + 2, std::max(2.0, x2 - x1), row_h - 4, alpha, Esc(a->detector), Clock(a->start),
          Clock(a->end), Esc(a->summary), a->score, a->threshold);
    }
    y += row_h;
  }
  return svg + "</svg>";
}

// Small line charts of the origin's series around the incident: span errors, mean latency, log
// errors, and its busiest metrics.
std::string CurvesSvg(const explain::Incident& inc, const Recorder& rec,
                      const std::string& service) {
  auto it = rec.series().find(service);
  if (it == rec.series().end()) return "";
  TimeNs from = inc.start - 10 * 60 * kNsPerSecond, to = inc.end + 5 * 60 * kNsPerSecond;
  std::map<std::string, std::vector<std::pair<TimeNs, double>>> curves;
  for (const auto& [w, a] : it->second) {
    if (w < from || w > to) continue;
    if (a.spans) {
      curves["span error rate"].push_back({w, static_cast<double>(a.span_errors) / a.spans});
      curves["span mean latency (ms)"].push_back({w, a.latency_sum_ms / a.spans});
    }
    if (a.logs) curves["warning/error log lines"].push_back({w, static_cast<double>(a.log_errors)});
    for (const auto& [name, sn] : a.metrics)
      curves[name].push_back({w, sn.first / std::max<uint64_t>(1, sn.second)});
  }
  std::string out;
  int shown = 0;
  for (const auto& [name, pts] : curves) {
    if (pts.size() < 2 || shown >= 8) continue;
    double lo = pts[0].second, hi = lo;
    for (auto& p : pts) lo = std::min(lo, p.second), hi = std::max(hi, p.second);
    if (hi - lo < 1e-12) continue;  // flat: nothing to see
    ++shown;
    const double w = 280, h = 70;
    std::string path;
    for (auto& [t, v] : pts) {
      double x = w * static_cast<double>(t - from) / static_cast<double>(to - from);
      double y = h - 4 - (h - 8) * (v - lo) / (hi - lo);
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x, y);
    }
    double sx = w * static_cast<double>(inc.start - from) / static_cast<double>(to - from);
    double ex = w * static_cast<double>(inc.end - from) / static_cast<double>(to - from);
    out += fmt::format(
        "<figure class=\"curve\"><svg viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\">"
        "<rect x=\"{:.1f}\" y=\"0\" width=\"{:.1f}\" height=\"{}\" fill=\"#fde2e4\"/>"
        "<path d=\"{}\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\"/></svg>"
        "<figcaption>{} <small>({:.3g} – {:.3g})</small></figcaption></figure>",
        w, h, w, h, sx, std::max(1.0, ex - sx), h, path, Esc(name), lo, hi);
  }
  return out;
}

std::string IncidentHtml(const explain::Incident& inc, const Recorder& rec) {
  std::string top = inc.ranking.empty() ? "" : inc.ranking.front().service;
  std::string h = fmt::format(
      "<section class=\"incident\" id=\"{}\"><h2>{} — {}</h2><p class=\"summary\">{}</p>"
      "<p class=\"narrative\">{}</p>",
      inc.id, inc.id, Esc(top.empty() ? "origin not localized" : top), Esc(inc.summary),
      Esc(inc.narrative));
  h += "<div class=\"row\"><div class=\"col\"><h3>Probability of outage</h3>" +
       NodeGraphSvg(inc, rec) +
       "<p class=\"legend\"><span style=\"color:#2e9e44\">●</span> 0–15 % <span "
       "style=\"color:#f4b400\">●</span> "
       "16–45 % <span style=\"color:#d7263d\">●</span> 46–99 %</p></div><div "
       "class=\"col\"><h3>Ranking</h3>"
       "<table "
       "class=\"ranking\"><tr><th>service</th><th>origin</th><th>outage</th><th>evidence</th></tr>";
  for (size_t i = 0; i < inc.ranking.size() && i < 8; ++i) {
    const auto& r = inc.ranking[i];
    std::string ev;
    for (size_t k = 0; k < r.evidence.size() && k < 3; ++k)
      ev += "<div>" + Esc(r.evidence[k]) + "</div>";
    h += fmt::format(
        "<tr><td><span class=\"dot\" style=\"background:{}\"></span>{}</td><td>{:.1f} "
        "%</td><td>{}</td>"
        "<td>{}</td></tr>",
        LevelColor(r.level), Esc(r.service), 100 * r.probability,
        r.outage >= 0 ? fmt::format("{:.1f} %", 100 * r.outage) : "–", ev);
  }
  h += "</table>";
  if (!inc.fault_type.empty())
    h += fmt::format("<p>Fault type: <b>{}</b> ({:.0f} % of the evidence)</p>", Esc(inc.fault_type),
                     100 * inc.fault_confidence);
  h += "</div></div><h3>Timeline</h3>" + TimelineSvg(inc, rec);
  if (!top.empty()) {
    std::string curves = CurvesSvg(inc, rec, top);
    if (!curves.empty())
      h += "<h3>Signals of " + Esc(top) + "</h3><div class=\"curves\">" + curves + "</div>";
  }
  h += "<h3>Evidence</h3><ul class=\"evidence\">";
  std::vector<const detect::Anomaly*> strongest;
  for (const auto& a : inc.anomalies) strongest.push_back(&a);
  std::sort(strongest.begin(), strongest.end(), [&](auto* a, auto* b) {
    bool at = a->service == top, bt = b->service == top;
    if (at != bt) return at;
    return a->strength() > b->strength();
  });
  for (size_t i = 0; i < strongest.size() && i < 12; ++i) {
    const auto* a = strongest[i];
    h += fmt::format("<li><b>{}</b> {} <code>{}</code> {}", Clock(a->start), Esc(a->service),
                     Esc(a->detector), Esc(a->summary));
    if (!a->evidence.empty()) {
      h += "<pre>";
      for (size_t k = 0; k < a->evidence.size() && k < 6; ++k) h += Esc(a->evidence[k]) + "\n";
      h += "</pre>";
    }
    h += "</li>";
  }
  h += "</ul>";
  // The log lines behind it: the origin's (and then other affected services') warnings and errors.
  std::string lines;
  int n = 0;
  std::vector<std::string> services;
  if (!top.empty()) services.push_back(top);
  for (const auto& s : inc.services)
    if (s != top) services.push_back(s);
  for (const auto& s : services) {
    auto it = rec.lines().find(s);
    if (it == rec.lines().end()) continue;
    for (const auto& l : it->second) {
      if (l.time < inc.start - 60 * kNsPerSecond || l.time > inc.end || n >= 30) continue;
      lines += fmt::format("{} {:<24} {}\n", Clock(l.time), s, l.text);
      ++n;
    }
  }
  if (!lines.empty()) h += "<h3>Log lines</h3><pre class=\"logs\">" + Esc(lines) + "</pre>";
  return h + "</section>";
}

// Chrome Trace Event JSON: a process per service, one complete event per anomaly.
nlohmann::json ChromeTrace(const std::vector<explain::Incident>& incidents) {
  nlohmann::json events = nlohmann::json::array();
  std::map<std::string, int> pid;
  auto pid_of = [&](const std::string& s) {
    auto [it, fresh] =
        pid.try_emplace(s.empty() ? "(unknown)" : s, static_cast<int>(pid.size()) + 1);
    if (fresh)
      events.push_back({{"name", "process_name"},
                        {"ph", "M"},
                        {"pid", it->second},
                        {"args", {{"name", it->first}}}});
    return it->second;
  };
  for (const auto& inc : incidents) {
    events.push_back({{"name", inc.id + ": " + inc.summary},
                      {"cat", "incident"},
                      {"ph", "X"},
                      {"ts", inc.start / 1000},
                      {"dur", (inc.end - inc.start) / 1000},
                      {"pid", 0},
                      {"tid", 0}});
    for (const auto& a : inc.anomalies) {
      int p = pid_of(a.service);
      events.push_back({{"name", a.detector},
                        {"cat", std::string(detect::ModalityName(a.modality))},
                        {"ph", "X"},
                        {"ts", a.start / 1000},
                        {"dur", (a.end - a.start) / 1000},
                        {"pid", p},
                        {"tid", static_cast<int>(a.modality)},
                        {"args",
                         {{"incident", inc.id},
                          {"summary", a.summary},
                          {"score", a.score},
                          {"threshold", a.threshold},
                          {"evidence", a.evidence}}}});
      events.push_back({{"name", "anomaly score / threshold"},
                        {"ph", "C"},
                        {"ts", a.start / 1000},
                        {"pid", p},
                        {"args", {{a.detector, a.strength()}}}});
    }
  }
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "incidents"}}}});
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

}  // namespace

std::string RenderHtml(const ReportInput& in) {
  std::string h =
      R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><title>augur incident report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:16px 0 6px}.summary{font-weight:600}.row{display:flex;gap:24px;flex-wrap:wrap}.col{flex:1;min-width:320px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px;white-space:pre-wrap}.curves{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0}figcaption{font-size:12px;color:#555}.muted{color:#777}.evidence li{margin-bottom:6px}
</style></head><body>)";
  h += "<h1>augur incident report</h1>";
  h += fmt::format(
      "<p class=\"muted\">Inputs: {} · model: {} · {} file(s), {} spans, {} log lines, {} metric "
      "points",
      Esc(fmt::format("{}", fmt::join(in.inputs, ", "))), Esc(in.model), in.read.files.size(),
      in.recorder.spans(), in.recorder.logs(), in.recorder.metric_points());
  if (in.recorder.first() <= in.recorder.last())
    h += fmt::format(" · {} – {}", FormatIsoTime(in.recorder.first()),
                     FormatIsoTime(in.recorder.last()));
  if (in.read.rejected.count) h += fmt::format(" · {} rejected records", in.read.rejected.count);
  h += "</p>";
  if (in.incidents.empty()) {
    h += "<p id=\"no-incidents\">No incident: no group of anomalies stood out from normal "
         "behaviour.</p>";
  } else {
    h += fmt::format("<h2>{} incident(s)</h2><ol class=\"incidents\">", in.incidents.size());
    for (const auto& inc : in.incidents)
      h += fmt::format("<li><a href=\"#{}\">{}</a></li>", inc.id, Esc(inc.summary));
    h += "</ol>";
    size_t shown = 0;
    for (const auto& inc : in.incidents) {
      if (++shown > 20) break;
      h += IncidentHtml(inc, in.recorder);
    }
  }
  h += "<h2>Pipeline</h2><table "
       "class=\"stages\"><tr><th>stage</th><th>seconds</th><th>note</th></tr>";
  for (const auto& s : in.stages)
    h += fmt::format("<tr><td>{}</td><td>{:.2f}</td><td>{}</td></tr>", Esc(s.name), s.seconds,
                     Esc(s.ran ? s.note : "skipped: " + s.note));
  h += "</table>";
  // Counts what the browser actually rendered, so a headless test can read it back from the DOM.
  h += R"(<script>document.body.dataset.nodes=document.querySelectorAll('.node-graph .node').length;
document.body.dataset.cells=document.querySelectorAll('.timeline .cell').length;
document.body.dataset.rendered='yes';</script></body></html>)";
  return h;
}

Result<std::vector<std::string>> WriteReports(const ReportInput& in,
                                              const std::filesystem::path& dir) {
  std::vector<std::string> files;
  nlohmann::json j = {{"schema_version", explain::kIncidentSchemaVersion},
                      {"generator", "augur"},
                      {"inputs", in.inputs},
                      {"model", in.model},
                      {"incidents", nlohmann::json::array()}};
  for (const auto& inc : in.incidents) j["incidents"].push_back(explain::IncidentToJson(inc));
  auto write = [&](const char* name, const std::string& content) -> Status {
    auto st = WriteFileAtomic(dir / name, content);
    if (st) files.push_back((dir / name).string());
    return st;
  };
  if (auto st = write("incident.json", j.dump(2) + "\n"); !st) return st;
  if (auto st = write("report.html", RenderHtml(in)); !st) return st;
  if (auto st = write("trace.json", ChromeTrace(in.incidents).dump()); !st) return st;
  // Seed 000's CSVs and the Grafana node graph, from the Bayesian localizer when it ran; otherwise
  // the anomaly-strength ranking.
  std::string outage = "incident," + localize::OutageProbabilitiesCsv({});
  std::string scores = "incident," + localize::ServiceScoresCsv({});
  nlohmann::json graphs = nlohmann::json::object();
  auto prefixed = [](const std::string& id, const std::string& csv) {
    std::string out;
    size_t pos = csv.find('\n');  // skip the header
    while (pos != std::string::npos && pos + 1 < csv.size()) {
      size_t next = csv.find('\n', pos + 1);
      out += id + "," +
             csv.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos);
      pos = next;
    }
    return out;
  };
  for (size_t i = 0; i < in.incidents.size(); ++i) {
    const auto& inc = in.incidents[i];
    if (i < in.localizations.size()) {
      outage += prefixed(inc.id, localize::OutageProbabilitiesCsv(in.localizations[i]));
      scores += prefixed(inc.id, localize::ServiceScoresCsv(in.localizations[i].health));
      graphs[inc.id] = localize::NodeGraphJson(in.localizations[i]);
    } else {
      for (const auto& r : inc.ranking)
        outage +=
            fmt::format("{},{},,{:.6f},{},,service,,\n", inc.id, r.service, r.probability, r.level);
    }
  }
  if (auto st = write("outage_probabilities.csv", outage); !st) return st;
  // Written even when empty, so that a reused output folder keeps no file of an earlier run.
  if (auto st = write("service_scores.csv", scores); !st) return st;
  if (auto st = write("nodegraph.json", graphs.dump(1)); !st) return st;
  return files;
}

}  // namespace augur::pipeline
