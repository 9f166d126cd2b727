#include "store/chrome_trace.h"

#include <algorithm>
#include <fstream>

namespace augur::store {
namespace {

// Microseconds with sub-µs precision kept: Perfetto reads fractional ts.
double Micros(TimeNs t) {
  return (double)(t / 1000) + (double)(t % 1000) / 1000.0;
}

}  // namespace

void ChromeTraceWriter::ProcessName(int64_t pid, const std::string& name) {
  meta_.push_back({{"name", "process_name"},
                   {"ph", "M"},
                   {"pid", pid},
                   {"tid", 0},
                   {"args", {{"name", name}}}});
}

void ChromeTraceWriter::ThreadName(int64_t pid, int64_t tid, const std::string& name) {
  meta_.push_back({{"name", "thread_name"},
                   {"ph", "M"},
                   {"pid", pid},
                   {"tid", tid},
                   {"args", {{"name", name}}}});
}

void ChromeTraceWriter::Add(ChromeEvent e) {
  nlohmann::json j = {{"name", e.name},
                      {"cat", e.category.empty() ? std::string("augur") : e.category},
                      {"ph", std::string(1, e.phase)},
                      {"ts", Micros(e.time)},
                      {"pid", e.pid},
                      {"tid", e.tid},
                      {"args", std::move(e.args)}};
  if (e.phase == 'X') j["dur"] = Micros(e.duration);
  if (e.phase == 'i') j["s"] = "t";
  events_.emplace_back(e.time, std::move(j));
}

void ChromeTraceWriter::Counter(const std::string& name, int64_t pid, TimeNs time,
                                const std::vector<std::pair<std::string, double>>& series) {
  nlohmann::json args = nlohmann::json::object();
  for (const auto& [k, v] : series) args[k] = v;
  events_.emplace_back(
      time, nlohmann::json{
                {"name", name}, {"ph", "C"}, {"ts", Micros(time)}, {"pid", pid}, {"args", args}});
}

std::string ChromeTraceWriter::Json() const {
  std::vector<const std::pair<TimeNs, nlohmann::json>*> order;
  for (const auto& e : events_) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->first < b->first; });
  std::string out = "{\"traceEvents\":[";
  bool first = true;
  for (const auto& m : meta_) {
    out += (first ? "\n" : ",\n") + m.dump();
    first = false;
  }
  for (const auto* e : order) {
    out += (first ? "\n" : ",\n") +
           e->second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    first = false;
  }
  out += "\n],\"displayTimeUnit\":\"ms\"}\n";
  return out;
}

Status ChromeTraceWriter::Write(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::Error(path.string() + ": cannot write");
  out << Json();
  if (!out) return Status::Error(path.string() + ": write failed");
  return Status::Ok();
}

}  // namespace augur::store
