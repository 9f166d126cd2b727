#include "explain/chat.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "core/text.h"
#include "explain/incident.h"

namespace augur::explain {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double Num(const nlohmann::json& j, const char* key, double otherwise = -1) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : otherwise;
}

// An anomaly's score over its threshold, as incident grouping ranks services by.
double Strength(const nlohmann::json& anomaly) {
  const double t = Num(anomaly, "threshold", 0), s = Num(anomaly, "score", 0);
  return t > 0 ? s / t : s;
}

const nlohmann::json& Ranking(const nlohmann::json& inc) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = inc.find("ranking");
  return it != inc.end() && it->is_array() ? *it : kEmpty;
}

std::string Percent(double p) {
  return fmt::format("{:.0f} %", 100 * p);
}

// An ISO time field to the second ("2024-11-18T21:20:05.394227111Z" → "2024-11-18T21:20:05Z").
std::string Time(const nlohmann::json& j, const char* key) {
  std::string t = Str(j, key);
  size_t dot = t.find('.'), z = t.rfind('Z');
  if (dot != std::string::npos && z != std::string::npos && z > dot) t.erase(dot, z - dot);
  return t;
}

// The anomalies the detectors raised about one service: how many, how many per modality, and the
// strongest distinct summaries (a detector repeats itself window after window).
struct Raised {
  size_t count = 0;
  std::map<std::string, int> modalities;
  std::vector<std::string> strongest;
};
Raised RaisedAbout(const nlohmann::json& inc, const std::string& service, size_t shown = 3) {
  Raised out;
  std::vector<std::pair<double, std::string>> own;
  if (auto as = inc.find("anomalies"); as != inc.end() && as->is_array())
    for (const auto& a : *as)
      if (Str(a, "service") == service) {
        own.push_back({Strength(a), Str(a, "summary")});
        ++out.modalities[Str(a, "modality")];
      }
  out.count = own.size();
  std::stable_sort(own.begin(), own.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (auto& o : own)
    if (out.strongest.size() < shown &&
        std::find(out.strongest.begin(), out.strongest.end(), o.second) == out.strongest.end())
      out.strongest.push_back(std::move(o.second));
  return out;
}

std::string Origin(const nlohmann::json& inc) {
  const auto& r = Ranking(inc);
  if (r.empty()) return "No service was ranked for this incident (there was no localization).";
  std::string out = fmt::format("The most probable origin is {} ({}, {}).", Str(r[0], "service"),
                                Percent(Num(r[0], "probability", 0)), Str(r[0], "level"));
  if (r.size() > 1) {
    out += " Next:";
    for (size_t i = 1; i < r.size() && i < 3; ++i)
      out += fmt::format("{} {} ({})", i > 1 ? "," : "", Str(r[i], "service"),
                         Percent(Num(r[i], "probability", 0)));
    out += ".";
  }
  return out;
}

std::string Why(const nlohmann::json& inc) {
  const auto& r = Ranking(inc);
  if (r.empty()) return Str(inc, "narrative");
  std::string out = fmt::format("The evidence against {}:", Str(r[0], "service"));
  size_t n = 0;
  if (auto ev = r[0].find("evidence"); ev != r[0].end() && ev->is_array())
    for (const auto& e : *ev)
      if (e.is_string() && n < 5) {
        out += fmt::format("\n- {}", e.get<std::string>());
        ++n;
      }
  if (n == 0) out += " none of its own; it ranks first through its callers' symptoms.";
  if (const Raised raised = RaisedAbout(inc, Str(r[0], "service")); raised.count > 0) {
    out += fmt::format("\nDetectors raised {} anomal{} about it; the strongest:", raised.count,
                       raised.count == 1 ? "y" : "ies");
    for (const auto& line : raised.strongest) out += "\n- " + line;
  }
  return out;
}

std::string Type(const nlohmann::json& inc) {
  const std::string type = Str(inc, "fault_type");
  if (type.empty() || type == "unknown")
    return "The evidence does not say what kind of fault it is.";
  std::string out = fmt::format("It looks like {} {} fault ({} of the evidence weight).",
                                Article(type), type, Percent(Num(inc, "fault_confidence", 0)));
  if (const std::string reason = Str(inc, "fault_reason"); !reason.empty())
    out += " Strongest signal: " + reason + ".";
  return out;
}

std::string When(const nlohmann::json& inc) {
  const std::string start = Time(inc, "start"), end = Time(inc, "end");
  const double s = Num(inc, "start_ns"), e = Num(inc, "end_ns");
  std::string out = fmt::format("It started at {} and lasted until {}", start.empty() ? "?" : start,
                                end.empty() ? "?" : end);
  if (s >= 0 && e >= s) out += fmt::format(" ({:.1f} min)", (e - s) / 60e9);
  out += ".";
  if (const double o = Num(inc, "onset_ns"); s >= 0 && o - s >= 60e9)
    out += fmt::format(" It took hold at {}; the alarms before were isolated.", Time(inc, "onset"));
  if (auto as = inc.find("anomalies"); as != inc.end() && as->is_array() && !as->empty()) {
    auto first = std::min_element(as->begin(), as->end(), [](const auto& a, const auto& b) {
      return Num(a, "start_ns", 0) < Num(b, "start_ns", 0);
    });
    out += fmt::format(" The first sign: {} ({}).", Str(*first, "summary"), Time(*first, "start"));
  }
  return out;
}

std::string Impact(const nlohmann::json& inc) {
  std::map<std::string, std::map<std::string, int>> by_service;  // service → modality → count
  if (auto as = inc.find("anomalies"); as != inc.end() && as->is_array())
    for (const auto& a : *as) ++by_service[Str(a, "service")][Str(a, "modality")];
  if (by_service.empty()) return "No anomaly is recorded with this incident.";
  std::string out = fmt::format("{} service(s) showed anomalies:", by_service.size());
  for (const auto& [service, mods] : by_service) {
    int total = 0;
    std::string parts;
    for (const auto& [m, c] : mods) {
      total += c;
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", c, m.empty() ? "other" : m);
    }
    out +=
        fmt::format("\n- {}: {} ({})", service.empty() ? "(unattributed)" : service, total, parts);
  }
  for (const auto& r : Ranking(inc))
    if (Str(r, "level") == "red")
      out += fmt::format("\n{} is likely failing (outage level red).", Str(r, "service"));
  return out;
}

std::string Confidence(const nlohmann::json& inc) {
  const auto& r = Ranking(inc);
  std::string out;
  if (!r.empty())
    out += fmt::format("P(origin) of {} is {}.", Str(r[0], "service"),
                       Percent(Num(r[0], "probability", 0)));
  if (double c = Num(inc, "localization_confidence"); c >= 0)
    out += fmt::format(" The data covered {} of the system (localization confidence).", Percent(c));
  if (double f = Num(inc, "fault_confidence"); f > 0)
    out += fmt::format(" The fault type has {} of the evidence weight behind it.", Percent(f));
  return out.empty() ? "The record holds no probability." : out;
}

std::string Action(const nlohmann::json& inc) {
  const auto& r = Ranking(inc);
  const std::string s = r.empty() ? "the service" : Str(r[0], "service");
  static const std::map<std::string, std::string> kSteps = {
      {"pod_failure",
       "Check the pods of {s} for restarts, OOM kills, failed probes and recent events (kubectl "
       "get pods / describe pod); restart or reschedule them and check their node."},
      {"network_partition",
       "{s} runs but its callers cannot reach it: check network policies, service endpoints, DNS, "
       "the mesh sidecars, and connectivity between the callers' nodes and {s}'s."},
      {"network_delay",
       "Check latency, packet loss and bandwidth on the paths to {s} (mesh telemetry, node "
       "network) and recent network changes."},
      {"cpu_contention",
       "Check CPU use and throttling of {s} and of its node; raise its CPU limit or scale it "
       "out, and look for what else loads the node."},
      {"memory_stress",
       "Check memory use, OOM kills and garbage collection of {s}; look for a leak in its latest "
       "release; raise the limit or restart it as a stopgap."},
      {"error_response",
       "Read {s}'s error lines and failing operations in the evidence; check its recent deploys "
       "and configuration changes, and roll back one that coincides with the start."},
      {"wrong_return",
       "{s} answers without errors but its code takes other paths: compare it with its last "
       "release, check recent deploys, feature flags and the data it reads."},
  };
  auto it = kSteps.find(Str(inc, "fault_type"));
  std::string steps =
      it == kSteps.end() ? "Start from the evidence lines of {s} (ask why)." : it->second;
  for (size_t at; (at = steps.find("{s}")) != std::string::npos;) steps.replace(at, 3, s);
  return "Suggested first steps (generic, from the fault type; not learned from your system): " +
         steps;
}

// One named service: where it ranks, how likely it is failing, and what the detectors saw of it.
std::string About(const nlohmann::json& inc, const std::string& service) {
  const auto& r = Ranking(inc);
  std::string out;
  for (size_t i = 0; i < r.size(); ++i)
    if (Str(r[i], "service") == service) {
      out = fmt::format("{} ranks {} of {} as the origin (P(origin) {})", service, i + 1, r.size(),
                        Percent(Num(r[i], "probability", 0)));
      if (double o = Num(r[i], "outage_probability"); o >= 0)
        out +=
            fmt::format("; its probability of outage is {} ({})", Percent(o), Str(r[i], "level"));
      out += ".";
      break;
    }
  const Raised raised = RaisedAbout(inc, service);
  if (raised.count == 0)
    return out + (out.empty() ? "" : " ") + service + " raised no anomaly here.";
  std::string parts;
  for (const auto& [m, c] : raised.modalities)
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", c, m.empty() ? "other" : m);
  out += fmt::format("{}{} anomal{} ({}); the strongest:", out.empty() ? "" : " ", raised.count,
                     raised.count == 1 ? "y" : "ies", parts);
  for (const auto& line : raised.strongest) out += "\n- " + line;
  return out;
}

// The service a question names, as a whole word ("is carts-db ok"; not "user" in "users"): the
// longest of the incident's services found, or "".
std::string NamedService(const nlohmann::json& inc, std::string_view question) {
  const std::string q = AsciiLower(question);
  auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  };
  std::string best;
  auto consider = [&](const std::string& name) {
    const std::string n = AsciiLower(name);
    if (n.empty() || n.size() <= best.size()) return;
    for (size_t at = q.find(n); at != std::string::npos; at = q.find(n, at + 1)) {
      size_t end = at + n.size();
      // A sentence's full stop after the name is not part of it.
      bool after_ok = end == q.size() || !word_char(q[end]) ||
                      (q[end] == '.' && (end + 1 == q.size() || !word_char(q[end + 1])));
      if ((at == 0 || !word_char(q[at - 1])) && after_ok) {
        best = name;
        return;
      }
    }
  };
  for (const auto& r : Ranking(inc)) consider(Str(r, "service"));
  if (auto as = inc.find("anomalies"); as != inc.end() && as->is_array())
    for (const auto& a : *as) consider(Str(a, "service"));
  return best;
}

// The intents, most specific first: "why is it slow" asks why, "what should I do about the
// memory" asks for action.
struct Intent {
  const char* name;
  std::array<const char*, 10> words;
  std::string (*answer)(const nlohmann::json& incident);
};
constexpr std::array<Intent, 7> kIntents = {{
    {"action",
     {"what should", "what do i do", "fix", "remedia", "mitigat", "next step", "runbook", "resolve",
      "recommend", "how do i"},
     Action},
    {"why",
     {"why", "evidence", "how do you know", "proof", "because", "show me", "logs", "", "", ""},
     Why},
    {"confidence",
     {"how sure", "confiden", "certain", "probab", "trust", "", "", "", "", ""},
     Confidence},
    {"type",
     {"what kind", "type", "what happened", "what is wrong", "what's wrong", "fault", "cause of",
      "", "", ""},
     Type},
    {"when", {"when", "start", "began", "how long", "duration", "time", "", "", "", ""}, When},
    {"impact",
     {"affected", "impact", "other service", "spread", "blast", "who else", "which services", "",
      "", ""},
     Impact},
    {"origin",
     {"which service", "root cause", "who", "where", "culprit", "blame", "origin", "responsible",
      "service", ""},
     Origin},
}};

const Intent* IntentOf(std::string_view question) {
  const std::string q = AsciiLower(question);
  for (const auto& intent : kIntents)
    for (const char* w : intent.words)
      if (*w && q.find(w) != std::string::npos) return &intent;
  return nullptr;
}

}  // namespace

ChatAnswer AnswerQuestion(const nlohmann::json& incident, std::string_view question) {
  const Intent* intent = IntentOf(question);
  // A question about a service other than the most probable origin gets that service's record;
  // one about the origin, or about none, the intent's answer.
  const std::string named = NamedService(incident, question);
  const auto& r = Ranking(incident);
  if (!named.empty() && (!intent || r.empty() || Str(r[0], "service") != named))
    return {"service", About(incident, named)};
  if (intent) return {intent->name, intent->answer(incident)};
  return {"overview", Str(incident, "summary") +
                          "\nAsk which service, why, what kind of fault, when, what else is "
                          "affected, how sure, or what to do."};
}

std::string ChatPrompt(const nlohmann::json& incident, std::string_view question) {
  // A compact record (a few thousand characters): a model with a 4k-token context must hold it
  // with room to answer. The first five ranked services, the strongest eight anomalies, two
  // evidence lines each, strings cut at 160 characters (summary and narrative at 1,200).
  auto cut = [](const nlohmann::json& v, size_t limit = 160) {
    if (!v.is_string()) return v;
    return nlohmann::json(CutUtf8(v.get<std::string>(), limit));
  };
  auto first = [&](const nlohmann::json& arr, size_t n) {
    nlohmann::json out = nlohmann::json::array();
    if (arr.is_array())
      for (size_t i = 0; i < arr.size() && i < n; ++i) out.push_back(cut(arr[i]));
    return out;
  };
  nlohmann::json record = nlohmann::json::object();
  for (const char* k : {"id", "start", "end", "summary", "narrative", "fault_type",
                        "fault_confidence", "localization_confidence", "services"})
    if (auto it = incident.find(k); it != incident.end())
      record[k] = it->is_array() ? first(*it, 20) : cut(*it, 1200);
  record["ranking"] = nlohmann::json::array();
  for (const auto& r : Ranking(incident)) {
    if (record["ranking"].size() == 5) break;
    nlohmann::json e = r.is_object() ? r : nlohmann::json::object();
    if (auto ev = e.find("evidence"); ev != e.end()) *ev = first(*ev, 2);
    record["ranking"].push_back(e);
  }
  std::vector<nlohmann::json> as;
  if (auto it = incident.find("anomalies"); it != incident.end() && it->is_array())
    as.assign(it->begin(), it->end());
  std::stable_sort(as.begin(), as.end(),
                   [](const auto& a, const auto& b) { return Strength(a) > Strength(b); });
  record["anomalies"] = nlohmann::json::array();
  for (size_t i = 0; i < as.size() && i < 8; ++i) {
    nlohmann::json a = nlohmann::json::object();
    for (const char* k : {"start", "service", "detector", "modality", "summary"})
      if (auto it = as[i].find(k); it != as[i].end()) a[k] = cut(*it);
    a["evidence"] = first(as[i].value("evidence", nlohmann::json::array()), 2);
    record["anomalies"].push_back(a);
  }
  record["anomalies_in_all"] = as.size();
  return "You are augur's incident assistant for the engineer on call. Answer the question from "
         "the incident record below only; say so when the record does not tell. Be brief and name "
         "services, times and figures as the record gives them.\n\nIncident record (JSON):\n" +
         record.dump() + "\n\nQuestion: " + std::string(question) + "\nAnswer:";
}

}  // namespace augur::explain
