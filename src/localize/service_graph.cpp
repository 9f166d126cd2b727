#include "localize/service_graph.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace augur::localize {

void CallStats::Add(double ms, bool error, int http_status) {
  ++count;
  if (error) ++errors;
  if (http_status > 0) {
    ++http_any;
    if (http_status >= 200 && http_status < 300) ++http_2xx;
    if (http_status >= 500 && http_status < 600) ++http_5xx;
  }
  latency_ms.push_back(ms);
}

double CallStats::Percentile(double q) const {
  if (latency_ms.empty()) return 0;
  std::vector<double> v = latency_ms;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * v.size())) - (q > 0 ? 1 : 0));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

double CallStats::MeanLatency() const {
  if (latency_ms.empty()) return 0;
  double s = 0;
  for (double x : latency_ms) s += x;
  return s / latency_ms.size();
}

void ServiceGraph::AddSpans(const std::vector<Span>& spans) {
  for (const Span& s : spans) {
    ++quality_.spans;
    if (s.service.empty()) {
      ++quality_.no_service;
      continue;
    }
    Obs o{s.trace_id,   s.span_id,
          s.parent_id,  s.service,
          s.instance,   s.name,
          {},           s.kind,
          s.start,      std::max(s.end, s.start),
          s.is_error(), s.http_status_code};
    if (s.kind == SpanKind::kClient || s.kind == SpanKind::kProducer)
      if (const std::string* peer = FindAttribute(s.attributes, "peer.service")) o.peer = *peer;
    if (obs_.empty() || o.start < start_) start_ = o.start;
    end_ = std::max(end_, o.end);
    obs_.push_back(std::move(o));
  }
  dirty_ = true;
}

void ServiceGraph::Advance(TimeNs now) {
  if (window_ <= 0) return;
  TimeNs cut = now - window_;
  auto it = std::remove_if(obs_.begin(), obs_.end(), [&](const Obs& o) { return o.start < cut; });
  if (it != obs_.end()) {
    obs_.erase(it, obs_.end());
    dirty_ = true;
  }
  start_ = std::max(start_, cut);
}

void ServiceGraph::AddEdge(const std::string& caller, const std::string& callee, uint64_t calls) {
  static_edges_[{caller, callee}] += calls;
  static_services_[caller].name = caller;
  static_services_[callee].name = callee;
  dirty_ = true;
}

void ServiceGraph::AddService(const std::string& name, const std::set<std::string>& instances) {
  ServiceNode& n = static_services_[name];
  n.name = name;
  n.instances.insert(instances.begin(), instances.end());
  dirty_ = true;
}

void ServiceGraph::Rebuild() const {
  services_ = static_services_;
  edges_.clear();
  for (const auto& [k, calls] : static_edges_) {
    Edge& e = edges_[k];
    e.caller = k.first;
    e.callee = k.second;
    e.stats.count = calls;
  }
  GraphQuality q;
  q.spans = quality_.spans;
  q.no_service = quality_.no_service;

  struct Key {
    TraceId t;
    SpanId s;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return TraceIdHash{}(k.t) * 31 + std::hash<uint64_t>{}(k.s.value);
    }
  };
  std::unordered_map<Key, size_t, KeyHash> index;
  std::map<std::pair<std::string, std::string>, Edge> peer_edges;
  index.reserve(obs_.size());
  for (size_t i = 0; i < obs_.size(); ++i) index.emplace(Key{obs_[i].trace, obs_[i].id}, i);

  for (const Obs& o : obs_) {
    ServiceNode& node = services_[o.service];
    node.name = o.service;
    if (!o.instance.empty()) node.instances.insert(o.instance);
    if (node.first_seen == 0 || o.start < node.first_seen) node.first_seen = o.start;
    node.last_seen = std::max(node.last_seen, o.end);
    const double ms = static_cast<double>(o.end - o.start) / 1e6;
    node.operations[o.name].Add(ms, o.error, o.http_status);

    const Obs* parent = nullptr;
    if (!o.parent.empty()) {
      auto it = index.find(Key{o.trace, o.parent});
      if (it == index.end())
        ++q.missing_parent;
      else
        parent = &obs_[it->second];
    }
    if (parent && (o.start + 1'000'000 < parent->start || o.end > parent->end + 1'000'000'000))
      ++q.clock_skew;
    // Entry spans: what the service was asked to do. A span with a missing parent counts as an
    // entry (its caller is unknown), so services whose callers are not traced still get a request
    // count.
    if (!parent || parent->service != o.service) node.requests.Add(ms, o.error, o.http_status);
    if (parent && parent->service != o.service) {
      Edge& e = edges_[{parent->service, o.service}];
      e.caller = parent->service;
      e.callee = o.service;
      // The caller's view of the call is its client span when it has one.
      const Obs& view =
          (parent->kind == SpanKind::kClient || parent->kind == SpanKind::kProducer) ? *parent : o;
      e.stats.Add(static_cast<double>(view.end - view.start) / 1e6, o.error, o.http_status);
    }
    if (!o.peer.empty() && o.peer != o.service) {
      Edge& e = peer_edges[{o.service, o.peer}];
      e.caller = o.service;
      e.callee = o.peer;
      e.stats.Add(ms, o.error, o.http_status);
    }
  }
  // `peer.service` names callees that are not traced themselves (databases, caches); when the
  // callee is traced the parent/child join above already counted the calls, so those edges win.
  for (auto& [k, e] : peer_edges) {
    if (edges_.count(k)) continue;
    services_[k.second].name = k.second;
    edges_.emplace(k, std::move(e));
  }
  quality_ = q;
  dirty_ = false;
}

const std::map<std::string, ServiceNode>& ServiceGraph::services() const {
  if (dirty_) Rebuild();
  return services_;
}

const std::map<std::pair<std::string, std::string>, Edge>& ServiceGraph::edges() const {
  if (dirty_) Rebuild();
  return edges_;
}

std::vector<std::string> ServiceGraph::Callees(const std::string& service) const {
  std::vector<std::string> out;
  for (const auto& [k, e] : edges())
    if (k.first == service) out.push_back(k.second);
  return out;
}

std::vector<std::string> ServiceGraph::Callers(const std::string& service) const {
  std::vector<std::string> out;
  for (const auto& [k, e] : edges())
    if (k.second == service) out.push_back(k.first);
  return out;
}

nlohmann::json ServiceGraph::ToJson() const {
  nlohmann::json svc = nlohmann::json::array(), edg = nlohmann::json::array();
  for (const auto& [name, n] : services())
    svc.push_back({{"name", name}, {"instances", n.instances}, {"requests", n.requests.count}});
  for (const auto& [k, e] : edges())
    edg.push_back({{"caller", e.caller},
                   {"callee", e.callee},
                   {"calls", e.stats.count},
                   {"errors", e.stats.errors},
                   {"p50_ms", e.stats.Percentile(0.5)},
                   {"p99_ms", e.stats.Percentile(0.99)}});
  return {{"services", svc}, {"edges", edg}};
}

Result<ServiceGraph> ServiceGraph::FromJson(const nlohmann::json& j, const std::string& origin) {
  ServiceGraph g;
  if (!j.is_object() || !j.contains("edges") || !j["edges"].is_array())
    return Result<ServiceGraph>::Error(origin + ": topology JSON needs an \"edges\" array");
  if (j.contains("services") && j["services"].is_array()) {
    for (const auto& s : j["services"]) {
      if (!s.is_object() || !s.contains("name") || !s["name"].is_string())
        return Result<ServiceGraph>::Error(origin + ": a service entry lacks a string \"name\"");
      ServiceNode& n = g.static_services_[s["name"].get<std::string>()];
      n.name = s["name"].get<std::string>();
      if (s.contains("instances") && s["instances"].is_array())
        for (const auto& i : s["instances"])
          if (i.is_string()) n.instances.insert(i.get<std::string>());
    }
  }
  size_t idx = 0;
  for (const auto& e : j["edges"]) {
    if (!e.is_object() || !e.contains("caller") || !e.contains("callee") ||
        !e["caller"].is_string() || !e["callee"].is_string())
      return Result<ServiceGraph>::Error(origin + ": edge " + std::to_string(idx) +
                                         " needs string fields \"caller\" and \"callee\"");
    uint64_t calls =
        e.contains("calls") && e["calls"].is_number_unsigned() ? e["calls"].get<uint64_t>() : 0;
    g.AddEdge(e["caller"].get<std::string>(), e["callee"].get<std::string>(), calls);
    ++idx;
  }
  return g;
}

Result<ServiceGraph> ServiceGraph::LoadFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Result<ServiceGraph>::Error(path + ": not a topology file (not a regular file)");
  if (std::filesystem::file_size(path, ec) > (64u << 20))
    return Result<ServiceGraph>::Error(path + ": over 64 MiB, too large for a topology file");
  std::ifstream in(path);
  if (!in) return Result<ServiceGraph>::Error(path + ": cannot open topology file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    try {
      return FromJson(nlohmann::json::parse(text), path);
    } catch (const std::exception& e) {
      return Result<ServiceGraph>::Error(path + ": invalid topology JSON: " + e.what());
    }
  }
  ServiceGraph g;
  std::istringstream lines(text);
  std::string line;
  int lineno = 0;
  while (std::getline(lines, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    if (lineno == 1 && !cells.empty() && (cells[0] == "caller" || cells[0] == "source")) continue;
    if (cells.size() < 2 || cells[0].empty() || cells[1].empty())
      return Result<ServiceGraph>::Error(path + ":" + std::to_string(lineno) +
                                         ": expected \"caller,callee[,calls]\"");
    uint64_t calls = 0;
    if (cells.size() > 2 && !cells[2].empty()) {
      try {
        calls = std::stoull(cells[2]);
      } catch (...) {
        return Result<ServiceGraph>::Error(path + ":" + std::to_string(lineno) + ": calls \"" +
                                           cells[2] + "\" is not a count");
      }
    }
    g.AddEdge(cells[0], cells[1], calls);
  }
  if (g.edges().empty()) return Result<ServiceGraph>::Error(path + ": holds no caller,callee edge");
  return g;
}

}  // namespace augur::localize
