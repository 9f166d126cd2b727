// The live service graph: caller → callee edges found in spans (parent/child across services,
// CLIENT/SERVER and PRODUCER/CONSUMER pairs, `peer.service` on leaf client spans) with request
// rate, error rate and latency per edge and per service over a sliding window; saved as the learned
// topology.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/result.h"

namespace augur::localize {

// Aggregates over a set of observations (calls on an edge, or requests of a service).
struct CallStats {
  uint64_t count = 0;
  uint64_t errors = 0;
  uint64_t http_2xx = 0;
  uint64_t http_5xx = 0;
  uint64_t http_any = 0;           // observations that carried an HTTP status
  std::vector<double> latency_ms;  // one per observation (kept for percentiles)

  void Add(double ms, bool error, int http_status);
  double error_rate() const { return count ? static_cast<double>(errors) / count : 0; }
  double Percentile(double q) const;  // latency, ms; 0 when empty
  double MeanLatency() const;
};

struct Edge {
  std::string caller;
  std::string callee;
  CallStats stats;
};

struct ServiceNode {
  std::string name;
  std::set<std::string> instances;
  CallStats
      requests;  // the service's entry spans: roots and spans whose parent is in another service
  std::map<std::string, CallStats> operations;  // every span of the service by operation name
  TimeNs first_seen = 0;
  TimeNs last_seen = 0;
};

// Data-quality counts: what could not be joined, so results can state their confidence.
struct GraphQuality {
  uint64_t spans = 0;
  uint64_t missing_parent = 0;  // parent id given but not found in the window
  uint64_t clock_skew = 0;      // child starts before its parent or ends > 1 s after it
  uint64_t no_service = 0;      // spans with an empty service (counted, otherwise ignored)
};

class ServiceGraph {
 public:
  explicit ServiceGraph(TimeNs window = 0) : window_(window) {}  // 0: keep everything

  // Adds spans; parents may arrive in a later call (joined then, while both are in the window).
  void AddSpans(const std::vector<Span>& spans);
  // Drops observations that started before `now - window` (no-op for window 0).
  void Advance(TimeNs now);
  // Adds or updates a static edge (service-mesh data, a loaded topology); calls may be 0.
  void AddEdge(const std::string& caller, const std::string& callee, uint64_t calls = 0);
  // Registers a service that may have no edges.
  void AddService(const std::string& name, const std::set<std::string>& instances = {});

  // Current aggregates: recomputed lazily after changes.
  const std::map<std::string, ServiceNode>& services() const;
  const std::map<std::pair<std::string, std::string>, Edge>& edges() const;
  std::vector<std::string> Callees(const std::string& service) const;
  std::vector<std::string> Callers(const std::string& service) const;
  const GraphQuality& quality() const {
    services();
    return quality_;
  }
  TimeNs start() const { return start_; }
  TimeNs end() const { return end_; }
  bool empty() const { return services().empty(); }

  // Topology as JSON {"services":[{name,instances,requests}],
  // "edges":[{caller,callee,calls,errors,p50_ms,p99_ms}]}
  nlohmann::json ToJson() const;
  static Result<ServiceGraph> FromJson(const nlohmann::json& j, const std::string& origin);
  // A topology file: that JSON, or CSV lines "caller,callee[,calls]" (# comments, optional header).
  static Result<ServiceGraph> LoadFile(const std::string& path);

 private:
  struct Obs {  // one span, kept while in the window
    TraceId trace;
    SpanId id;
    SpanId parent;
    std::string service;
    std::string instance;
    std::string name;
    std::string peer;  // peer.service on client spans
    SpanKind kind;
    TimeNs start, end;
    bool error;
    int http_status;
  };
  void Rebuild() const;

  TimeNs window_;
  std::vector<Obs> obs_;
  std::map<std::pair<std::string, std::string>, uint64_t> static_edges_;
  std::map<std::string, ServiceNode> static_services_;
  TimeNs start_ = 0, end_ = 0;
  mutable GraphQuality quality_;
  mutable bool dirty_ = true;
  mutable std::map<std::string, ServiceNode> services_;
  mutable std::map<std::pair<std::string, std::string>, Edge> edges_;
};

}  // namespace augur::localize
