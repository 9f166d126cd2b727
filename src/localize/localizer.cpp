#include "localize/localizer.h"

#include "core/file.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

namespace augur::localize {

namespace {

constexpr double kOriginShows = 0.99;  // P(a failing origin shows failure itself)
constexpr int kMaxDirectParents = 7;   // larger noisy-ORs are split into chains (parent divorcing)
constexpr double kMaxLog10Bf = 30;     // keeps likelihood products inside double range

// P(child = 1 | parents) for a noisy-OR with the given weights and leak.
std::vector<double> NoisyOr(const std::vector<double>& w, double leak) {
  std::vector<double> p(size_t{1} << w.size());
  for (size_t j = 0; j < p.size(); ++j) {
    double off = 1 - leak;
    for (size_t i = 0; i < w.size(); ++i)
      if (j >> i & 1) off *= 1 - w[i];
    p[j] = 1 - off;
  }
  return p;
}

// Gives `target` the CPT of a noisy-OR of `parents`; more than kMaxDirectParents causes are split
// into a chain (parent divorcing): Y1 = noisyOR(first block, leak), Y(k+1) = OR(Yk, next block), so
// that no CPT grows with in-degree.
void SetNoisyOr(BayesNet& net, int target, const std::vector<int>& parents,
                const std::vector<double>& w, double leak, const std::string& name) {
  int carry = -1;
  size_t pos = 0;
  int chain = 0;
  while (true) {
    std::vector<int> p;
    std::vector<double> pw;
    if (carry >= 0) {
      p.push_back(carry);
      pw.push_back(1.0);
    }
    while (pos < parents.size() && p.size() < static_cast<size_t>(kMaxDirectParents)) {
      p.push_back(parents[pos]);
      pw.push_back(w[pos]);
      ++pos;
    }
    const bool last = pos >= parents.size();
    int node = last ? target : net.AddVariable(fmt::format("or{}:{}", chain++, name));
    net.SetCpt(node, p, NoisyOr(pw, carry >= 0 ? 0.0 : leak));
    if (last) break;
    carry = node;
  }
}

}  // namespace

Status LocalizerConfig::Validate() const {
  if (Status s = health.Validate(); !s) return s;
  if (!(origin_prior > 0 && origin_prior < 1))
    return Status::Error("origin_prior must lie in (0, 1)");
  if (!(propagation >= 0 && propagation < 1))
    return Status::Error("propagation must lie in [0, 1)");
  if (!(leak > 0 && leak < 1)) return Status::Error("leak must lie in (0, 1)");
  if (health_max_bf < 1)
    return Status::Error("the health Bayes factor cap (--health-bf, health_max_bf) must be >= 1");
  if (!(sensitivity > 0 && sensitivity <= 1))
    return Status::Error("sensitivity must lie in (0, 1]");
  if (!(own_from_propagation >= 0 && own_from_propagation < 1))
    return Status::Error("own_from_propagation must lie in [0, 1)");
  if (!(host_effect >= 0 && host_effect < 1))
    return Status::Error("host_effect must lie in [0, 1)");
  if (!(host_load >= 0 && host_load < 1)) return Status::Error("host_load must lie in [0, 1)");
  if (max_cluster_vars < 4 || max_cluster_vars > 28)
    return Status::Error("max_cluster_vars must lie in [4, 28]");
  return Status::Ok();
}

std::string_view ColourOf(double p) {
  // Seed 000's levels are whole percentages: 0-15 green, 16-45 yellow, 46-99 red.
  const double pct = std::round(p * 100);
  if (pct <= 15) return "green";
  if (pct <= 45) return "yellow";
  return "red";
}

Localizer::Localizer(LocalizerConfig config) : config_(std::move(config)) {}

void Localizer::Learn(const Batch& batch) {
  learn_graph_.AddSpans(batch.spans);
  profile_.Learn(batch);
  placement_.Add(batch);
}

void Localizer::FinishLearning() {
  profile_.Finish();
  for (const auto& [k, e] : learn_graph_.edges())
    topology_.AddEdge(k.first, k.second, e.stats.count);
  for (const auto& [name, n] : learn_graph_.services()) {
    topology_.AddService(name, n.instances);
    normal_requests_[name] = n.requests.count;
  }
  for (const HealthScore& h : ComputeHealth(learn_graph_, config_.health, {}, learn_graph_.end()))
    normal_health_[h.service] = h.score;
  learn_graph_ = ServiceGraph();
}

Status Localizer::AddTopologyFile(const std::string& path) {
  auto g = ServiceGraph::LoadFile(path);
  if (!g) return g.status();
  for (const auto& [k, e] : g->edges()) topology_.AddEdge(k.first, k.second, e.stats.count);
  return Status::Ok();
}

Status Localizer::Save(learn::ModelBundle& bundle) const {
  nlohmann::json j = {{"format", 1},
                      {"topology", topology_.ToJson()},
                      {"normal_health", normal_health_},
                      {"normal_requests", normal_requests_},
                      {"profile", profile_.ToJson()},
                      {"placement", placement_.ToJson()}};
  if (Status st = WriteFileAtomic(bundle.File("localize.json"), j.dump() + "\n"); !st) return st;
  if (Status st = profile_.SaveTemplates(bundle.File("localize_templates.txt")); !st) return st;
  bundle.AddModel("localize", "service_graph+normal_profile",
                  {"localize.json", "localize_templates.txt"},
                  {{"services", topology_.services().size()},
                   {"edges", topology_.edges().size()},
                   {"operations", profile_.operations()},
                   {"log_keys", profile_.log_keys()},
                   {"statement_groups", profile_.statement_groups()},
                   {"metric_series", profile_.metric_series()}});
  return Status::Ok();
}

Status Localizer::Load(const learn::ModelBundle& bundle) {
  if (!bundle.HasModel("localize"))
    return Status::Error(bundle.dir().string() +
                         ": the model bundle has no localize model; run `augur train` first");
  const auto path = bundle.File("localize.json");
  std::ifstream in(path);
  if (!in) return Status::Error(path.string() + ": cannot open");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    return Status::Error(path.string() + ": invalid JSON: " + e.what());
  }
  if (!j.contains("topology") || !j.contains("profile"))
    return Status::Error(path.string() + ": missing \"topology\" or \"profile\"");
  auto g = ServiceGraph::FromJson(j["topology"], path.string());
  if (!g) return g.status();
  auto p = NormalProfile::FromJson(j["profile"]);
  if (!p) return Status::Error(path.string() + ": " + p.message());
  topology_ = std::move(*g);
  profile_ = std::move(*p);
  if (std::filesystem::exists(bundle.File("localize_templates.txt")))
    if (Status st = profile_.LoadTemplates(bundle.File("localize_templates.txt")); !st)
      return Status::Error(bundle.File("localize_templates.txt").string() + ": " + st.message());
  if (j.contains("normal_health") && j["normal_health"].is_object())
    normal_health_ = j["normal_health"].get<std::map<std::string, double>>();
  if (j.contains("normal_requests") && j["normal_requests"].is_object())
    normal_requests_ = j["normal_requests"].get<std::map<std::string, uint64_t>>();
  placement_ = j.contains("placement") ? Placement::FromJson(j["placement"]) : Placement{};
  structure_key_.clear();
  tree_.reset();
  return Status::Ok();
}

double Localizer::CallShare(const std::string& caller, const std::string& callee,
                            const ServiceGraph& window) const {
  // Learned shares first (normal traffic), then the window's; an edge known only from a topology
  // file has no counts and is taken as always called.
  auto share = [&](const ServiceGraph& g, uint64_t requests) -> double {
    auto e = g.edges().find({caller, callee});
    if (e == g.edges().end() || requests == 0 || e->second.stats.count == 0) return -1;
    return std::min(1.0, static_cast<double>(e->second.stats.count) / requests);
  };
  auto nr = normal_requests_.find(caller);
  double s = share(topology_, nr == normal_requests_.end() ? 0 : nr->second);
  if (s < 0) {
    auto n = window.services().find(caller);
    s = share(window, n == window.services().end() ? 0 : n->second.requests.count);
  }
  return s < 0 ? 1.0 : s;
}

Result<Localization> Localizer::Localize(const Batch& window,
                                         const std::vector<detect::Anomaly>* anomalies) {
  const auto t0 = std::chrono::steady_clock::now();
  Localization r;
  ServiceGraph graph;
  graph.AddSpans(window.spans);
  r.start = graph.start();
  r.end = graph.end();
  for (const auto& l : window.logs) {
    if (l.time <= 0) continue;
    if (r.start == 0 || l.time < r.start) r.start = l.time;
    r.end = std::max(r.end, l.time);
  }
  for (const auto& m : window.metrics) {
    if (m.time <= 0) continue;
    if (r.start == 0 || m.time < r.start) r.start = m.time;
    r.end = std::max(r.end, m.time);
  }

  // Services: the learned topology, plus whatever the window shows.
  std::set<std::string> services;
  std::map<std::pair<std::string, std::string>, uint64_t> edges;
  for (const auto& [name, n] : topology_.services()) services.insert(name);
  for (const auto& [name, n] : graph.services()) services.insert(name);
  for (const auto& [k, e] : topology_.edges())
    if (k.first != k.second) edges[k] += std::max<uint64_t>(1, e.stats.count);
  for (const auto& [k, e] : graph.edges()) {
    if (k.first == k.second) continue;
    edges[k] += std::max<uint64_t>(1, e.stats.count);
    r.edge_stats[k] = e.stats;
  }

  Placement placement = placement_;
  placement.Add(window);
  std::map<std::string, HostEvidence> host_evidence;
  auto evidence = profile_.Score(window, &placement, config_.hosts ? &host_evidence : nullptr);
  for (const auto& [s, e] : evidence) services.insert(s);
  if (anomalies)
    for (const auto& a : *anomalies)
      if (!a.service.empty()) services.insert(a.service);

  if (services.empty()) {
    r.notes.push_back("no services: the window is empty and no topology was learned");
    r.confidence = 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  r.health = ComputeHealth(graph, config_.health, config_.deploy_times, r.end);
  std::map<std::string, double> health_of;
  for (const auto& h : r.health) health_of[h.service] = h.score;

  // Network structure (cached while services and edges are unchanged).
  std::vector<std::string> svc(services.begin(), services.end());
  std::string key;
  for (const auto& s : svc) key += s + '\n';
  key += '\x01';
  for (const auto& [k, c] : edges) key += k.first + '>' + k.second + '\n';
  // Hosts: the machines the placed pods of the network's services run on.
  std::map<std::string, std::map<std::string, double>> host_services;  // host → service → share
  if (config_.hosts)
    for (const std::string& s : svc)
      for (const auto& [h, share] : placement.HostsOf(s)) host_services[h][s] = share;
  for (const auto& [h, ss] : host_services) {
    key += "\x02" + h;
    for (const auto& [s, share] : ss) key += fmt::format("\n{}={:.6f}", s, share);
  }
  if (key != structure_key_ || !tree_) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < svc.size(); ++i) index[svc[i]] = static_cast<int>(i);
    std::vector<std::vector<std::pair<int, uint64_t>>> callees(svc.size());
    for (const auto& [k, c] : edges) callees[index[k.first]].push_back({index[k.second], c});
    // Cycles (A calls B calls A) cannot be in a Bayesian network: keep the DFS tree and forward
    // edges, drop back edges (heaviest edges first explored, so the dropped ones are the lighter
    // ones).
    std::vector<int> state(svc.size(), 0);  // 0 new, 1 on stack, 2 done
    std::vector<std::vector<std::pair<int, uint64_t>>> dag(svc.size());
    std::vector<std::string> notes;
    std::vector<int> callers_count(svc.size(), 0);
    for (const auto& [k, c] : edges) ++callers_count[index[k.second]];
    std::vector<int> roots(svc.size());
    for (size_t i = 0; i < svc.size(); ++i) roots[i] = static_cast<int>(i);
    std::stable_sort(roots.begin(), roots.end(),
                     [&](int a, int b) { return callers_count[a] < callers_count[b]; });
    for (auto& c : callees)
      std::stable_sort(c.begin(), c.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
    size_t dropped_cycle = 0;
    for (int root : roots) {
      if (state[root]) continue;
      std::vector<std::pair<int, size_t>> stack{{root, 0}};
      state[root] = 1;
      while (!stack.empty()) {
        auto& [v, next] = stack.back();
        if (next < callees[v].size()) {
          auto [u, c] = callees[v][next++];
          if (state[u] == 1) {
            ++dropped_cycle;
            continue;
          }
          dag[v].push_back({u, c});
          if (state[u] == 0) {
            state[u] = 1;
            stack.push_back({u, 0});
          }
        } else {
          state[v] = 2;
          stack.pop_back();
        }
      }
    }
    if (dropped_cycle)
      notes.push_back(fmt::format("{} call edge(s) closing a cycle were left out of the network",
                                  dropped_cycle));

    std::map<std::string, int> svc_index;
    for (size_t i = 0; i < svc.size(); ++i) svc_index[svc[i]] = static_cast<int>(i);
    // Build and compile; if too dense, leave the hosts out, then drop the lightest edges until
    // exact inference fits.
    size_t dropped_dense = 0;
    bool use_hosts = !host_services.empty();
    for (int attempt = 0;; ++attempt) {
      BayesNet net;
      std::vector<int> origin(svc.size()), outage(svc.size()), own(svc.size());
      for (size_t i = 0; i < svc.size(); ++i) {
        origin[i] = net.AddVariable("origin:" + svc[i]);
        outage[i] = net.AddVariable("outage:" + svc[i]);
        own[i] = net.AddVariable("own:" + svc[i]);
        net.SetCpt(origin[i], {}, {config_.origin_prior});
      }
      // Per host: `host` (the machine fails: a root cause like a service's origin) and `hostobs`
      // (its host metrics turn abnormal: from its own failure, or from a pod on it loading it).
      std::vector<std::string> hosts;
      std::vector<int> host_var, hostobs_var;
      std::vector<std::vector<std::pair<int, double>>> hosts_of(svc.size());  // (host index, share)
      if (use_hosts)
        for (const auto& [h, ss] : host_services) {
          const int hi = static_cast<int>(hosts.size());
          hosts.push_back(h);
          host_var.push_back(net.AddVariable("host:" + h));
          hostobs_var.push_back(net.AddVariable("hostobs:" + h));
          net.SetCpt(host_var.back(), {}, {config_.origin_prior});
          std::vector<int> parents{host_var.back()};
          std::vector<double> w{kOriginShows};
          for (const auto& [s, share] : ss) {
            const int i = svc_index.at(s);
            hosts_of[i].push_back({hi, share});
            if (config_.host_load <= 0) continue;  // no load links: the origins stay unmarried
            parents.push_back(origin[i]);
            w.push_back(config_.host_load * share);
          }
          SetNoisyOr(net, hostobs_var.back(), parents, w, config_.leak, "hostobs:" + h);
        }
      for (size_t i = 0; i < svc.size(); ++i) {
        // The service's own behaviour (its log templates, self time, metrics) turns abnormal when
        // the fault is in it, only sometimes when the failure comes from a callee, and when the
        // machine under its pods fails.
        std::vector<int> own_parents{origin[i], outage[i]};
        std::vector<double> own_w{kOriginShows, config_.own_from_propagation};
        std::vector<int> parents{origin[i]};
        std::vector<double> w{kOriginShows};
        for (auto [u, c] : dag[i]) {
          parents.push_back(outage[u]);
          w.push_back(config_.propagation * CallShare(svc[i], svc[u], graph));
        }
        for (auto [hi, share] : hosts_of[i]) {
          own_parents.push_back(host_var[hi]);
          own_w.push_back(config_.host_effect * share);
          parents.push_back(host_var[hi]);
          w.push_back(config_.host_effect * share);
        }
        SetNoisyOr(net, own[i], own_parents, own_w, config_.leak, "own:" + svc[i]);
        SetNoisyOr(net, outage[i], parents, w, config_.leak, svc[i]);
      }
      auto jt = JunctionTree::Compile(net, config_.heuristic, config_.max_cluster_vars);
      if (jt) {
        net_ = std::move(net);
        tree_ = std::move(*jt);
        origin_var_ = origin;
        outage_var_ = outage;
        own_var_ = own;
        net_hosts_ = hosts;
        host_var_ = host_var;
        hostobs_var_ = hostobs_var;
        break;
      }
      if (use_hosts) {
        use_hosts = false;
        notes.push_back(fmt::format(
            "graph with its {} host node(s) too dense for exact inference within {} variables per "
            "cluster: hosts were left out",
            host_services.size(), config_.max_cluster_vars));
        continue;
      }
      // Drop the lightest 10 % of the remaining edges.
      std::vector<std::tuple<uint64_t, int, int>> all;
      for (size_t i = 0; i < dag.size(); ++i)
        for (size_t k = 0; k < dag[i].size(); ++k)
          all.push_back({dag[i][k].second, static_cast<int>(i), static_cast<int>(k)});
      if (all.empty() || attempt > 50) return Result<Localization>::Error(jt.message());
      std::sort(all.begin(), all.end());
      size_t n_drop = std::max<size_t>(1, all.size() / 10);
      std::set<std::pair<int, int>> drop;
      for (size_t k = 0; k < n_drop; ++k) drop.insert({std::get<1>(all[k]), std::get<2>(all[k])});
      for (size_t i = 0; i < dag.size(); ++i) {
        std::vector<std::pair<int, uint64_t>> kept;
        for (size_t k = 0; k < dag[i].size(); ++k)
          if (!drop.count({static_cast<int>(i), static_cast<int>(k)})) kept.push_back(dag[i][k]);
        dag[i] = std::move(kept);
      }
      dropped_dense += n_drop;
    }
    if (dropped_dense)
      notes.push_back(
          fmt::format("graph too dense for exact inference within {} variables per cluster: the {} "
                      "lightest edge(s) were left out",
                      config_.max_cluster_vars, dropped_dense));
    net_services_ = svc;
    net_edges_.clear();
    for (size_t i = 0; i < dag.size(); ++i)
      for (auto [u, c] : dag[i]) net_edges_.push_back({svc[i], svc[u]});
    net_host_edges_.clear();
    for (const std::string& h : net_hosts_)
      for (const auto& [s, share] : host_services[h]) net_host_edges_.push_back({h, s});
    net_notes_ = notes;
    structure_key_ = key;
  } else {
    r.reused_structure = true;
  }
  r.edges = net_edges_;
  r.host_edges = net_host_edges_;
  r.notes = net_notes_;

  // Evidence → likelihoods on the outage variables.
  std::map<std::string, double> anomaly_l10;
  if (anomalies) {
    std::map<std::pair<std::string, std::string>, double> best;
    for (const auto& a : *anomalies) {
      if (a.service.empty()) continue;
      double p = 0.05;
      if (a.threshold > 0 && a.score > a.threshold) p *= std::pow(a.threshold / a.score, 2);
      auto& b = best[{a.service, a.detector}];
      b = b == 0 ? p : std::min(b, p);
    }
    for (const auto& [k, p] : best) anomaly_l10[k.first] += std::log10(BayesFactorFromP(p));
  }
  std::vector<double> own_l10(svc.size(), 0);
  size_t observed = 0;
  for (size_t i = 0; i < net_services_.size(); ++i) {
    const std::string& s = net_services_[i];
    // Evidence about the service's own behaviour (normal-profile tests) goes on `own`;
    // request-level symptoms (health score drop, detector anomalies) on `outage`.
    double intrinsic = 0, symptom = 0;
    bool obs = false;
    if (auto it = evidence.find(s); it != evidence.end()) {
      intrinsic = it->second.log10_bf;
      symptom += it->second.callers_log10_bf;
      obs = it->second.observed;
    }
    if (auto it = health_of.find(s); it != health_of.end()) {
      auto nh = normal_health_.find(s);
      const double drop =
          std::max(0.0, (nh == normal_health_.end() ? 1.0 : nh->second) - it->second);
      symptom += std::log10(1 + (config_.health_max_bf - 1) * drop);
    }
    if (auto it = anomaly_l10.find(s); it != anomaly_l10.end()) symptom += it->second;
    own_l10[i] = intrinsic + symptom;
    if (obs) ++observed;
    // Seen and normal-looking is evidence against failure; unseen is no evidence at all.
    const double bf = std::pow(10.0, std::min(intrinsic, kMaxLog10Bf));
    const double lr =
        obs ? (1 - config_.sensitivity) + config_.sensitivity * (intrinsic > 0 ? bf : 0.0) : bf;
    net_.SetLikelihood(own_var_[i], 1.0, lr);
    net_.SetLikelihood(outage_var_[i], 1.0, std::pow(10.0, std::min(symptom, kMaxLog10Bf)));
  }
  for (size_t k = 0; k < net_hosts_.size(); ++k) {
    // As for a service's own behaviour: host metrics seen and normal count against the machine.
    auto it = host_evidence.find(net_hosts_[k]);
    const bool obs = it != host_evidence.end() && it->second.observed;
    const double l10 = it == host_evidence.end() ? 0.0 : it->second.log10_bf;
    const double bf = std::pow(10.0, std::min(l10, kMaxLog10Bf));
    const double lr =
        obs ? (1 - config_.sensitivity) + config_.sensitivity * (l10 > 0 ? bf : 0.0) : 1.0;
    net_.SetLikelihood(hostobs_var_[k], 1.0, lr);
  }
  if (Status st = tree_->Propagate(net_); !st) return Result<Localization>::Error(st.message());
  r.inference = tree_->stats();

  for (size_t i = 0; i < net_services_.size(); ++i) {
    RootCause rc;
    rc.service = net_services_[i];
    rc.p_origin = tree_->Marginal(origin_var_[i]);
    rc.p_outage = tree_->Marginal(outage_var_[i]);
    rc.colour = std::string(ColourOf(rc.p_outage));
    rc.log10_bf = own_l10[i];
    if (auto it = health_of.find(rc.service); it != health_of.end()) rc.health = it->second;
    if (auto it = evidence.find(rc.service); it != evidence.end()) {
      rc.observed = it->second.observed;
      rc.evidence = it->second.items;
      // Which pod, given the service is the origin: the pods of the window, uniformly a priori,
      // weighted by the Bayes factors of their own tests.
      const auto& pb = it->second.pod_log10_bf;
      double top = -1e300, norm = 0;
      for (const auto& [pod, l10] : pb) top = std::max(top, l10);
      for (const auto& [pod, l10] : pb) norm += std::pow(10.0, l10 - top);
      for (const auto& [pod, l10] : pb) {
        auto h = placement.pod_host.find(pod);
        rc.pods.push_back({pod, h == placement.pod_host.end() ? "" : h->second,
                           rc.p_origin * std::pow(10.0, l10 - top) / norm, l10});
      }
      std::stable_sort(rc.pods.begin(), rc.pods.end(), [](const PodCause& a, const PodCause& b) {
        return a.p_origin > b.p_origin;
      });
      if (rc.pods.size() >= 2 && rc.pods[0].p_origin > rc.pods[1].p_origin) rc.pod = rc.pods[0].pod;
    }
    if (auto hs = placement.HostsOf(rc.service); hs.size() == 1) rc.host = hs.begin()->first;
    r.ranking.push_back(std::move(rc));
  }
  for (size_t k = 0; k < net_hosts_.size(); ++k) {
    RootCause rc;
    rc.kind = "host";
    rc.host = net_hosts_[k];
    rc.service = "host " + rc.host;
    rc.p_origin = rc.p_outage = tree_->Marginal(host_var_[k]);
    rc.colour = std::string(ColourOf(rc.p_outage));
    if (auto it = host_evidence.find(rc.host); it != host_evidence.end()) {
      rc.observed = it->second.observed;
      rc.log10_bf = it->second.log10_bf;
      rc.evidence = it->second.items;
    }
    for (const RootCause& s : r.ranking)
      for (const PodCause& p : s.pods)
        if (p.host == rc.host) rc.pods.push_back(p);
    r.ranking.push_back(std::move(rc));
  }
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [](const RootCause& a, const RootCause& b) {
    if (a.p_origin != b.p_origin) return a.p_origin > b.p_origin;
    return a.log10_bf > b.log10_bf;  // ties at probability 1 or at the prior
  });

  const auto& q = graph.quality();
  double joined = q.spans ? 1.0 - static_cast<double>(q.missing_parent) / q.spans : 1.0;
  r.confidence = static_cast<double>(observed) / net_services_.size() * joined;
  if (window.empty())
    r.notes.push_back("the window holds no data: probabilities are the model's priors");
  if (q.missing_parent)
    r.notes.push_back(fmt::format("{} of {} spans name a parent that is not in the window",
                                  q.missing_parent, q.spans));
  if (q.clock_skew)
    r.notes.push_back(fmt::format("{} spans lie outside their parent (clock skew)", q.clock_skew));
  if (q.no_service)
    r.notes.push_back(fmt::format("{} spans have no service and were ignored", q.no_service));
  if (profile_.empty())
    r.notes.push_back("no normal profile learned: only health scores and detector anomalies count");
  const size_t unobserved = net_services_.size() - observed;
  if (unobserved)
    r.notes.push_back(fmt::format("{} of {} services have no data in the window", unobserved,
                                  net_services_.size()));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string OutageProbabilitiesCsv(const Localization& r) {
  std::string out = "service,p_outage,p_origin,colour,health,kind,pod,host\n";
  for (const auto& c : r.ranking) {
    out += fmt::format("{},{:.6f},{:.6f},{},{:.4f},{},{},{}\n", c.service, c.p_outage, c.p_origin,
                       c.colour, c.health, c.kind, c.pod, c.host);
    if (c.kind == "service" && c.pods.size() >= 2)
      for (const auto& p : c.pods)
        out += fmt::format("{},{:.6f},{:.6f},{},{:.4f},pod,{},{}\n", c.service, c.p_outage,
                           p.p_origin, c.colour, c.health, p.pod, p.host);
  }
  return out;
}

nlohmann::json ToJson(const Localization& r, size_t max_evidence) {
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& c : r.ranking) {
    nlohmann::json ev = nlohmann::json::array();
    for (size_t i = 0; i < c.evidence.size() && i < max_evidence; ++i) {
      const auto& e = c.evidence[i];
      ev.push_back({{"modality", e.modality},
                    {"kind", e.kind},
                    {"what", e.what},
                    {"instance", e.instance},
                    {"observed", e.observed},
                    {"expected", e.expected},
                    {"p_value", e.p_value},
                    {"detail", e.detail}});
    }
    nlohmann::json pods = nlohmann::json::array();
    for (const auto& p : c.pods)
      pods.push_back({{"pod", p.pod},
                      {"host", p.host},
                      {"p_origin", p.p_origin},
                      {"log10_bayes_factor", p.log10_bf}});
    ranking.push_back({{"kind", c.kind},
                       {"service", c.service},
                       {"host", c.host},
                       {"pod", c.pod},
                       {"pods", pods},
                       {"p_origin", c.p_origin},
                       {"p_outage", c.p_outage},
                       {"colour", c.colour},
                       {"health", c.health},
                       {"log10_bayes_factor", c.log10_bf},
                       {"observed", c.observed},
                       {"evidence", ev}});
  }
  nlohmann::json edges = nlohmann::json::array();
  for (const auto& [a, b] : r.edges) edges.push_back({{"caller", a}, {"callee", b}});
  nlohmann::json host_edges = nlohmann::json::array();
  for (const auto& [h, s] : r.host_edges) host_edges.push_back({{"host", h}, {"service", s}});
  return {{"start", r.start},
          {"end", r.end},
          {"confidence", r.confidence},
          {"notes", r.notes},
          {"ranking", ranking},
          {"edges", edges},
          {"host_edges", host_edges},
          {"inference",
           {{"variables", r.inference.variables},
            {"max_cluster_vars", r.inference.max_cluster_vars},
            {"table_entries", r.inference.table_entries},
            {"reused_structure", r.reused_structure}}},
          {"seconds", r.seconds}};
}

nlohmann::json NodeGraphJson(const Localization& r) {
  auto field = [](const char* name, const char* type, const char* display = nullptr) {
    nlohmann::json f = {{"field_name", name}, {"type", type}};
    if (display) f["displayName"] = display;
    return f;
  };
  nlohmann::json nodes_fields = nlohmann::json::array(
      {field("id", "string"), field("title", "string"), field("subtitle", "string"),
       field("mainstat", "string", "P(outage)"), field("secondarystat", "string", "P(origin)"),
       field("color", "string"), field("detail__kind", "string", "Kind"),
       field("detail__health", "number", "Health score"),
       field("detail__evidence", "string", "Strongest evidence")});
  nlohmann::json edges_fields = nlohmann::json::array(
      {field("id", "string"), field("source", "string"), field("target", "string"),
       field("mainstat", "string", "Calls"), field("secondarystat", "string", "Errors")});
  nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
  for (const auto& c : r.ranking) {
    nodes.push_back({{"id", c.service},
                     {"title", c.service},
                     {"subtitle", c.colour},
                     {"mainstat", fmt::format("{:.1f} %", 100 * c.p_outage)},
                     {"secondarystat", fmt::format("origin {:.1f} %", 100 * c.p_origin)},
                     {"color", c.colour},
                     {"detail__kind", c.kind},
                     {"detail__health", c.health},
                     {"detail__evidence", c.evidence.empty() ? "" : c.evidence.front().detail}});
    // Pods of a service with several: their own nodes under the service, with their origin share.
    if (c.kind != "service" || c.pods.size() < 2) continue;
    for (const auto& p : c.pods) {
      nodes.push_back({{"id", "pod " + p.pod},
                       {"title", p.pod},
                       {"subtitle", c.service},
                       {"mainstat", fmt::format("{:.1f} %", 100 * c.p_outage)},
                       {"secondarystat", fmt::format("origin {:.1f} %", 100 * p.p_origin)},
                       {"color", std::string(ColourOf(p.p_origin))},
                       {"detail__kind", "pod"},
                       {"detail__health", c.health},
                       {"detail__evidence", ""}});
      edges.push_back({{"id", c.service + "->pod " + p.pod},
                       {"source", c.service},
                       {"target", "pod " + p.pod},
                       {"mainstat", "pod"},
                       {"secondarystat", p.host.empty() ? "" : "on " + p.host}});
    }
  }
  for (const auto& [h, s] : r.host_edges)
    edges.push_back({{"id", "host " + h + "->" + s},
                     {"source", "host " + h},
                     {"target", s},
                     {"mainstat", "runs"},
                     {"secondarystat", ""}});
  for (const auto& [a, b] : r.edges) {
    auto it = r.edge_stats.find({a, b});
    uint64_t calls = it == r.edge_stats.end() ? 0 : it->second.count;
    uint64_t errors = it == r.edge_stats.end() ? 0 : it->second.errors;
    edges.push_back({{"id", a + "->" + b},
                     {"source", a},
                     {"target", b},
                     {"mainstat", fmt::format("{} calls", calls)},
                     {"secondarystat", fmt::format("{} errors", errors)}});
  }
  return {{"fields", {{"nodes_fields", nodes_fields}, {"edges_fields", edges_fields}}},
          {"data", {{"nodes", nodes}, {"edges", edges}}}};
}

}  // namespace augur::localize
