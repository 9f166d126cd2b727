// `augur compare`: a new trace (LTTng CTF, Chrome Trace) against a bundle trained on an older one
// (seed 001's release-over-release view): what changed, per span type and per key, and new keys.
// With --out, the analysed events as Chrome Trace JSON and the anomalous spans/intervals as CSV.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "learn/torch/event_analysis.h"
#include "store/chrome_trace.h"

namespace augur::app {

namespace {

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Status WriteOutputs(const std::filesystem::path& dir, const std::vector<TraceEvent>& events,
                    const learn::CompareReport& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error(dir.string() + ": " + ec.message());
  const auto& a = r.analysis;
  store::ChromeTraceWriter w;
  for (size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    if (!e.process_name.empty()) w.ThreadName(e.pid, e.tid, e.process_name);
    store::ChromeEvent c;
    c.name = e.name;
    c.category = a.unexpected[i] ? "unexpected" : "expected";
    c.time = e.time;
    c.pid = e.pid;
    c.tid = e.tid;
    c.args["unexpected"] = static_cast<bool>(a.unexpected[i]);
    c.args["key"] = a.keys[i];
    int32_t s = a.spans.span_of[i];
    c.args["span_tag"] = s >= 0 ? nlohmann::json(a.spans.spans[s].tag) : nlohmann::json(nullptr);
    c.args["span"] = s >= 0 ? nlohmann::json(s) : nlohmann::json(nullptr);
    c.args["span_anomalous"] = s >= 0 && a.span_anomalous[s];
    for (const auto& f : e.fields) c.args[f.key] = f.value;
    w.Add(std::move(c));
  }
  for (size_t s = 0; s < a.spans.spans.size(); ++s) {
    const auto& sp = a.spans.spans[s];
    store::ChromeEvent c;
    c.name = "span " + sp.tag + " " + sp.type;
    c.category = a.span_anomalous[s] ? "anomalous span" : "span";
    c.phase = 'X';
    c.time = sp.start;
    c.duration = sp.end - sp.start;
    c.pid = sp.pid;
    c.tid = sp.tid;
    c.args = {{"span", s},
              {"span_tag", sp.tag},
              {"type", sp.type},
              {"keys", sp.events.size()},
              {"unexpected_rate", a.span_rate[s]},
              {"span_anomalous", static_cast<bool>(a.span_anomalous[s])},
              {"complete", sp.complete}};
    w.Add(std::move(c));
  }
  w.ProcessName(0, "augur");
  for (const auto& iv : a.intervals)
    w.Counter("unexpected-key rate", 0, iv.start, {{"rate", iv.rate()}});
  if (Status s = w.Write(dir / "analysed.trace.json"); !s) return s;

  std::ofstream spans(dir / "anomalous_spans.csv");
  spans
      << "span,tag,type,start_ns,end_ns,pid,tid,process,keys,unexpected,unexpected_rate,complete\n";
  for (size_t s = 0; s < a.spans.spans.size(); ++s) {
    if (!a.span_anomalous[s]) continue;
    const auto& sp = a.spans.spans[s];
    uint64_t bad = 0;
    for (size_t i : sp.events) bad += a.unexpected[i];
    spans << s << ',' << CsvCell(sp.tag) << ',' << CsvCell(sp.type) << ',' << sp.start << ','
          << sp.end << ',' << sp.pid << ',' << sp.tid << ',' << CsvCell(sp.process_name) << ','
          << sp.events.size() << ',' << bad << ',' << a.span_rate[s] << ','
          << (sp.complete ? "true" : "false") << '\n';
  }
  std::ofstream iv(dir / "intervals.csv");
  iv << "start_ns,keys,unexpected,unexpected_rate,alarm\n";
  for (const auto& x : a.intervals)
    iv << x.start << ',' << x.keys << ',' << x.unexpected << ',' << x.rate() << ','
       << (x.rate() > r.alarm_rate ? "true" : "false") << '\n';
  if (!spans || !iv) return Status::Error(dir.string() + ": cannot write the CSV files");
  return Status::Ok();
}

}  // namespace

void RegisterCompare(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare a new trace with a model of an older one: span types and keys that changed");
  struct Opts {
    std::string model, out;
    std::vector<std::string> inputs;
    ingest::ReadOptions read;
    double interval_s = 1, span_threshold = 0.5;
    size_t top = 15;
    uint64_t min_keys = 5;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "Model bundle trained on the old trace (next_key model)")
      ->required();
  cmd->add_option("-i,--input", o->inputs, "The new trace: CTF folders, Chrome Trace JSON, ...")
      ->required();
  cmd->add_option(
      "--out", o->out,
      "Folder for analysed.trace.json (Chrome Trace), anomalous_spans.csv, intervals.csv");
  cmd->add_option("--interval", o->interval_s, "Seconds per interval of the system view")
      ->capture_default_str();
  cmd->add_option("--span-threshold", o->span_threshold,
                  "A span is anomalous above this rate of unexpected keys")
      ->capture_default_str();
  cmd->add_option("--min-keys", o->min_keys, "Fewest keys for a span type or key to be judged")
      ->capture_default_str();
  cmd->add_option("--top", o->top, "Rows per table")->capture_default_str();
  AddReadFlags(cmd, o->read);
  cmd->add_flag("--json", g.json, "Print one JSON object");
  cmd->footer(
      "Example:\n  augur train --input old-trace/ --model old-model/ --detectors next_key\n"
      "  augur compare --model old-model/ --input new-trace/ --out analysis/");
  cmd->callback([o, &g] {
    learn::TorchModels* torch = TorchModelsFor("augur compare", g.exit_code);
    if (!torch) return;
    learn::CompareConfig config;
    config.analysis.interval = static_cast<TimeNs>(o->interval_s * 1e9);
    config.analysis.anomalous_span_rate = o->span_threshold;
    config.min_keys = o->min_keys;
    if (Status s = config.analysis.Validate(); !s) {
      std::fprintf(stderr, "augur compare: %s\n", s.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    auto bundle = learn::ModelBundle::Open(o->model);
    if (!bundle) {
      std::fprintf(stderr, "augur compare: %s\n", bundle.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    ingest::ReadReport report;
    auto batch = ingest::ReadAll(o->inputs, o->read, &report);
    if (!batch) {
      std::fprintf(stderr, "augur compare: %s\n", batch.message().c_str());
      g.exit_code = o->read.strict ? kExitRejected : kExitUnreadable;
      return;
    }
    if (batch->trace_events.empty()) {
      std::fprintf(stderr, "augur compare: no trace events in the input\n");
      g.exit_code = kExitUnreadable;
      return;
    }
    auto r = torch->CompareTraceEvents(*bundle, batch->trace_events, config);
    if (!r) {
      std::fprintf(stderr, "augur compare: %s\n", r.message().c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (!o->out.empty())
      if (Status s = WriteOutputs(o->out, batch->trace_events, *r); !s) {
        std::fprintf(stderr, "augur compare: %s\n", s.message().c_str());
        g.exit_code = kExitUnreadable;
        return;
      }
    const auto& a = r->analysis;
    auto span_type_json = [&](const std::string& t) {
      const auto& st = a.by_span_type.at(t);
      return nlohmann::json{{"type", t},
                            {"spans", st.spans},
                            {"anomalous", st.anomalous},
                            {"incomplete", st.incomplete},
                            {"keys", st.keys},
                            {"unexpected", st.unexpected},
                            {"unexpected_rate", st.rate()}};
    };
    auto key_json = [&](const std::string& k) {
      const auto& ks = a.by_key.at(k);
      return nlohmann::json{{"key", k},
                            {"count", ks.count},
                            {"unexpected", ks.unexpected},
                            {"unexpected_rate", ks.rate()}};
    };
    if (g.json) {
      nlohmann::json j = {{"model", o->model},
                          {"events", batch->trace_events.size()},
                          {"predictions", a.predictions},
                          {"unexpected", a.unexpected_total},
                          {"unexpected_rate", a.rate()},
                          {"alarm_rate", r->alarm_rate},
                          {"training_rate", r->training_rate},
                          {"spans", a.spans.spans.size()},
                          {"anomalous_spans", r->anomalous_spans},
                          {"unassigned_events", a.spans.unassigned},
                          {"intervals", a.intervals.size()},
                          {"alarm_intervals", r->alarm_intervals},
                          {"span_types", nlohmann::json::array()},
                          {"changed_span_types", nlohmann::json::array()},
                          {"changed_keys", nlohmann::json::array()},
                          {"new_keys", nlohmann::json::array()},
                          {"rejected", report.rejected.count}};
      for (const auto& [t, st] : a.by_span_type) j["span_types"].push_back(span_type_json(t));
      for (const auto& t : r->changed_span_types) j["changed_span_types"].push_back(t);
      for (const auto& k : r->changed_keys) j["changed_keys"].push_back(key_json(k));
      for (const auto& k : r->new_keys) j["new_keys"].push_back(key_json(k));
      if (!o->out.empty()) j["out"] = o->out;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf(
          "%zu trace events, %zu spans (%llu anomalous), %zu intervals (%llu above the alarm "
          "rate %.3f)\nunexpected keys: %llu of %llu (%.2f %%; training intervals: %.2f %%)\n",
          batch->trace_events.size(), a.spans.spans.size(),
          static_cast<unsigned long long>(r->anomalous_spans), a.intervals.size(),
          static_cast<unsigned long long>(r->alarm_intervals), r->alarm_rate,
          static_cast<unsigned long long>(a.unexpected_total),
          static_cast<unsigned long long>(a.predictions), 100 * a.rate(), 100 * r->training_rate);
      std::printf("\n%-48s %7s %9s %8s %9s  %s\n", "span type", "spans", "anomalous", "keys",
                  "unexp. %", "changed");
      for (const auto& [t, st] : a.by_span_type) {
        bool changed = std::find(r->changed_span_types.begin(), r->changed_span_types.end(), t) !=
                       r->changed_span_types.end();
        std::printf("%-48s %7llu %9llu %8llu %9.2f  %s\n", t.substr(0, 48).c_str(),
                    static_cast<unsigned long long>(st.spans),
                    static_cast<unsigned long long>(st.anomalous),
                    static_cast<unsigned long long>(st.keys), 100 * st.rate(),
                    changed ? "yes" : "");
      }
      auto table = [&](const char* title, const std::vector<std::string>& keys) {
        std::printf("\n%s: %zu\n", title, keys.size());
        for (size_t i = 0; i < keys.size() && i < o->top; ++i) {
          const auto& ks = a.by_key.at(keys[i]);
          std::printf("  %7llu x %6.2f %% unexpected  %s\n",
                      static_cast<unsigned long long>(ks.count), 100 * ks.rate(), keys[i].c_str());
        }
      };
      table("keys whose behaviour changed", r->changed_keys);
      table("new keys (never seen in training)", r->new_keys);
      if (!o->out.empty())
        std::printf("\nwrote %s/analysed.trace.json, anomalous_spans.csv, intervals.csv\n",
                    o->out.c_str());
      PrintRejects(report.rejected);
    }
    g.exit_code = (o->read.strict && report.rejected.count) ? kExitRejected : kExitOk;
  });
}

}  // namespace augur::app
