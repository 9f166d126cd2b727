#include "localize/bayes_net.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <tuple>

namespace augur::localize {

namespace {

// For each bit of an index over `big` (sorted), the bit it maps to in an index over `small` (a
// sorted subset of big), or -1.
std::vector<int> BitMap(const std::vector<int>& big, const std::vector<int>& small) {
  std::vector<int> map(big.size(), -1);
  size_t j = 0;
  for (size_t i = 0; i < big.size() && j < small.size(); ++i)
    if (big[i] == small[j]) map[i] = static_cast<int>(j++);
  return map;
}

// Index over `small` of every index over `big`; computed incrementally (binary counter carries) so
// that a whole sweep costs O(2^k) amortised rather than O(k 2^k).
template <class Fn>
void ForEachIndex(const std::vector<int>& big, const std::vector<int>& small, Fn&& fn) {
  const std::vector<int> map = BitMap(big, small);
  const size_t k = big.size();
  const size_t n = size_t{1} << k;
  size_t s = 0;
  for (size_t t = 0; t < n; ++t) {
    fn(t, s);
    // Increment t: bits 0..b-1 flip 1→0, bit b flips 0→1.
    for (size_t b = 0; b < k; ++b) {
      const size_t bit = size_t{1} << b;
      if (t & bit) {
        if (map[b] >= 0) s &= ~(size_t{1} << map[b]);
      } else {
        if (map[b] >= 0) s |= size_t{1} << map[b];
        break;
      }
    }
  }
}

std::vector<int> SortedUnion(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void Normalize(Factor& f) {
  double s = f.Sum();
  if (s > 0)
    for (double& v : f.table) v /= s;
}

}  // namespace

Factor Factor::Ones(std::vector<int> vars) {
  std::sort(vars.begin(), vars.end());
  vars.erase(std::unique(vars.begin(), vars.end()), vars.end());
  Factor f;
  f.table.assign(size_t{1} << vars.size(), 1.0);
  f.vars = std::move(vars);
  return f;
}

double Factor::Sum() const {
  return std::accumulate(table.begin(), table.end(), 0.0);
}

void MultiplyInto(Factor& dst, const Factor& src) {
  if (src.vars == dst.vars) {
    for (size_t i = 0; i < dst.table.size(); ++i) dst.table[i] *= src.table[i];
    return;
  }
  ForEachIndex(dst.vars, src.vars, [&](size_t t, size_t s) { dst.table[t] *= src.table[s]; });
}

void DivideInto(Factor& dst, const Factor& src) {
  ForEachIndex(dst.vars, src.vars, [&](size_t t, size_t s) {
    dst.table[t] = src.table[s] == 0 ? 0 : dst.table[t] / src.table[s];
  });
}

Factor Project(const Factor& f, const std::vector<int>& keep) {
  Factor out;
  out.vars = keep;
  out.table.assign(size_t{1} << keep.size(), 0.0);
  ForEachIndex(f.vars, keep, [&](size_t t, size_t s) { out.table[s] += f.table[t]; });
  return out;
}

Factor Multiply(const Factor& a, const Factor& b) {
  Factor out = Factor::Ones(SortedUnion(a.vars, b.vars));
  MultiplyInto(out, a);
  MultiplyInto(out, b);
  return out;
}

int BayesNet::AddVariable(std::string name) {
  vars_.push_back(Var{std::move(name), {}, {0.5}, false, {1, 1}});
  ++structure_version_;
  return static_cast<int>(vars_.size()) - 1;
}

void BayesNet::SetCpt(int var, std::vector<int> parents, std::vector<double> p_true) {
  Var& v = vars_[var];
  v.parents = std::move(parents);
  v.p_true = std::move(p_true);
  v.p_true.resize(size_t{1} << v.parents.size(), 0.5);
  for (double& p : v.p_true) p = std::clamp(p, 0.0, 1.0);
  ++structure_version_;
}

void BayesNet::SetLikelihood(int var, double given_false, double given_true) {
  Var& v = vars_[var];
  v.has_likelihood = true;
  v.lik[0] = std::max(0.0, given_false);
  v.lik[1] = std::max(0.0, given_true);
}

void BayesNet::ClearLikelihood(int var) {
  vars_[var].has_likelihood = false;
  vars_[var].lik[0] = vars_[var].lik[1] = 1;
}

Factor BayesNet::CptFactor(int var) const {
  const Var& v = vars_[var];
  // Table in "local" order: bit 0 = var, bit 1+i = parents[i]; then permuted into sorted order.
  std::vector<int> local{var};
  local.insert(local.end(), v.parents.begin(), v.parents.end());
  Factor f = Factor::Ones(local);
  std::vector<int> pos(local.size());
  for (size_t i = 0; i < local.size(); ++i)
    pos[i] =
        static_cast<int>(std::lower_bound(f.vars.begin(), f.vars.end(), local[i]) - f.vars.begin());
  for (size_t j = 0; j < f.table.size(); ++j) {
    size_t parent_index = 0;
    for (size_t i = 1; i < local.size(); ++i)
      if (j >> pos[i] & 1) parent_index |= size_t{1} << (i - 1);
    const double p = v.p_true[parent_index];
    f.table[j] = (j >> pos[0] & 1) ? p : 1 - p;
  }
  return f;
}

namespace {

// Undirected moral graph as sorted adjacency lists.
std::vector<std::vector<int>> MoralGraph(const BayesNet& net) {
  std::vector<std::set<int>> adj(net.size());
  for (int v = 0; v < net.size(); ++v) {
    std::vector<int> family = net.parents(v);
    family.push_back(v);
    for (size_t i = 0; i < family.size(); ++i)
      for (size_t j = i + 1; j < family.size(); ++j)
        if (family[i] != family[j]) {
          adj[family[i]].insert(family[j]);
          adj[family[j]].insert(family[i]);
        }
  }
  std::vector<std::vector<int>> out(net.size());
  for (int v = 0; v < net.size(); ++v) out[v].assign(adj[v].begin(), adj[v].end());
  return out;
}

bool Adjacent(const std::vector<std::vector<int>>& adj, int a, int b) {
  const auto& n = adj[a].size() < adj[b].size() ? adj[a] : adj[b];
  int other = adj[a].size() < adj[b].size() ? b : a;
  return std::binary_search(n.begin(), n.end(), other);
}

constexpr int64_t kHubDegree = 64;

int64_t FillIn(const std::vector<std::vector<int>>& adj, int v) {
  int64_t fill = 0;
  const auto& n = adj[v];
  for (size_t i = 0; i < n.size(); ++i)
    for (size_t j = i + 1; j < n.size(); ++j)
      if (!Adjacent(adj, n[i], n[j])) ++fill;
  return fill;
}

void InsertSorted(std::vector<int>& v, int x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

void EraseSorted(std::vector<int>& v, int x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}

}  // namespace

std::vector<int> EliminationOrder(const BayesNet& net, EliminationHeuristic h,
                                  int* max_cluster_vars, int abort_above) {
  auto adj = MoralGraph(net);
  const int n = net.size();
  // Cost key: (primary, secondary). Binary variables: weight of a cluster = 2^(degree+1), so
  // min-weight ranks by degree.
  auto cost = [&](int v) -> std::pair<int64_t, int64_t> {
    int64_t degree = static_cast<int64_t>(adj[v].size());
    if (h == EliminationHeuristic::kMinWeight) return {degree, 0};
    // A hub (a host node linked to hundreds of services) would cost O(degree^2) per update, and
    // every elimination next to it updates it: its fill is taken at its upper bound instead. Such
    // a variable goes last under either value, since its cluster alone is then past any limit.
    if (degree > kHubDegree) return {degree * (degree - 1) / 2, degree};
    return {FillIn(adj, v), degree};
  };
  std::vector<std::pair<int64_t, int64_t>> key(n);
  std::set<std::tuple<int64_t, int64_t, int>> queue;
  for (int v = 0; v < n; ++v) {
    key[v] = cost(v);
    queue.insert({key[v].first, key[v].second, v});
  }
  std::vector<int> order;
  order.reserve(n);
  std::vector<char> done(n, 0);
  int widest = 0;
  std::vector<int> touched;
  std::vector<std::pair<int, int>> fills;
  std::vector<char> mark(n, 0);
  while (!queue.empty()) {
    auto [a, b, v] = *queue.begin();
    queue.erase(queue.begin());
    order.push_back(v);
    done[v] = 1;
    const std::vector<int> nb = adj[v];
    widest = std::max(widest, static_cast<int>(nb.size()) + 1);
    for (int u : nb) EraseSorted(adj[u], v);
    fills.clear();
    for (size_t i = 0; i < nb.size(); ++i)
      for (size_t j = i + 1; j < nb.size(); ++j)
        if (!Adjacent(adj, nb[i], nb[j])) {
          InsertSorted(adj[nb[i]], nb[j]);
          InsertSorted(adj[nb[j]], nb[i]);
          fills.push_back({nb[i], nb[j]});
        }
    adj[v].clear();
    // Neighbours changed degree/fill. Any other variable's fill changes only where a fill edge
    // joined two of its neighbours, i.e. it is a neighbour of both ends: the neighbours of the
    // non-hub neighbours cover it unless both ends are hubs, whose common neighbours are added
    // (walking all of a hub's neighbours on every elimination next to it is what costs).
    touched.clear();
    for (int u : nb) {
      if (!mark[u]) mark[u] = 1, touched.push_back(u);
      if (h == EliminationHeuristic::kMinFill && !fills.empty() &&
          static_cast<int64_t>(adj[u].size()) <= kHubDegree)
        for (int w : adj[u])
          if (!mark[w]) mark[w] = 1, touched.push_back(w);
    }
    if (h == EliminationHeuristic::kMinFill)
      for (auto [x, y] : fills) {
        if (static_cast<int64_t>(adj[x].size()) <= kHubDegree ||
            static_cast<int64_t>(adj[y].size()) <= kHubDegree)
          continue;
        const auto &ax = adj[x], &ay = adj[y];
        for (size_t i = 0, j = 0; i < ax.size() && j < ay.size();) {
          if (ax[i] < ay[j]) {
            ++i;
          } else if (ay[j] < ax[i]) {
            ++j;
          } else {
            if (!mark[ax[i]]) mark[ax[i]] = 1, touched.push_back(ax[i]);
            ++i, ++j;
          }
        }
      }
    if (abort_above > 0 && widest > abort_above) break;
    for (int u : touched) {
      mark[u] = 0;
      if (done[u]) continue;
      queue.erase({key[u].first, key[u].second, u});
      key[u] = cost(u);
      queue.insert({key[u].first, key[u].second, u});
    }
  }
  if (max_cluster_vars) *max_cluster_vars = widest;
  return order;
}

Result<JunctionTree> JunctionTree::Compile(const BayesNet& net, EliminationHeuristic h,
                                           int max_cluster_vars) {
  JunctionTree jt;
  const int n = net.size();
  int widest = 0;
  std::vector<int> order = EliminationOrder(net, h, &widest, max_cluster_vars);
  if (widest > max_cluster_vars)
    return Result<JunctionTree>::Error(
        "Bayesian network too dense for exact inference: the best elimination "
        "order found needs a cluster of " +
        std::to_string(widest) + " variables (limit " + std::to_string(max_cluster_vars) + ")");
  std::vector<int> position(n);
  for (int i = 0; i < n; ++i) position[order[i]] = i;

  // Replay the elimination to get each variable's cluster (itself plus its neighbours then).
  auto adj = MoralGraph(net);
  jt.clusters_.resize(n);
  jt.cluster_of_var_.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    const int v = order[i];
    Cluster& c = jt.clusters_[i];
    c.eliminated = v;
    c.vars = adj[v];
    InsertSorted(c.vars, v);
    const std::vector<int> nb = adj[v];
    for (int u : nb) EraseSorted(adj[u], v);
    for (size_t a = 0; a < nb.size(); ++a)
      for (size_t b = a + 1; b < nb.size(); ++b) {
        InsertSorted(adj[nb[a]], nb[b]);
        InsertSorted(adj[nb[b]], nb[a]);
      }
    adj[v].clear();
    jt.cluster_of_var_[v] = i;
    // Parent: the cluster of the earliest-eliminated other variable of this cluster.
    int best = -1;
    for (int u : c.vars)
      if (u != v && (best < 0 || position[u] < position[best])) best = u;
    c.parent = best < 0 ? -1 : position[best];
  }
  for (int i = 0; i < n; ++i)
    if (jt.clusters_[i].parent >= 0) jt.clusters_[jt.clusters_[i].parent].children.push_back(i);
  // Assign each CPT to the cluster of the first-eliminated variable of its family: that cluster
  // contains the whole family. Likelihoods go to their variable's own cluster.
  for (int v = 0; v < n; ++v) {
    int first = v;
    for (int p : net.parents(v))
      if (position[p] < position[first]) first = p;
    jt.clusters_[position[first]].cpts.push_back(v);
    jt.clusters_[position[v]].likelihoods.push_back(v);
  }
  jt.psi_.resize(n);
  for (int i = 0; i < n; ++i) {
    jt.psi_[i] = Factor::Ones(jt.clusters_[i].vars);
    for (int v : jt.clusters_[i].cpts) MultiplyInto(jt.psi_[i], net.CptFactor(v));
  }
  jt.stats_.variables = n;
  jt.stats_.clusters = n;
  jt.stats_.max_cluster_vars = widest;
  for (const Cluster& c : jt.clusters_) jt.stats_.table_entries += uint64_t{1} << c.vars.size();
  jt.version_ = net.structure_version();
  jt.marginal_.assign(n, 0.5);
  return jt;
}

Status JunctionTree::Propagate(const BayesNet& net) {
  if (net.structure_version() != version_)
    return Status::Error(
        "Bayesian network changed since the junction tree was compiled; compile again");
  const size_t n = clusters_.size();
  belief_.resize(n);
  up_.resize(n);
  // Upward pass in elimination order: children are always eliminated before their parent.
  double log_evidence = 0;
  for (size_t i = 0; i < n; ++i) {
    const Cluster& c = clusters_[i];
    Factor& b = belief_[i];
    b.vars = psi_[i].vars;
    b.table.assign(psi_[i].table.begin(), psi_[i].table.end());
    for (int v : c.likelihoods)
      if (const double* l = net.likelihood(v)) {
        const size_t bit = std::lower_bound(b.vars.begin(), b.vars.end(), v) - b.vars.begin();
        for (size_t t = 0; t < b.table.size(); ++t) b.table[t] *= l[t >> bit & 1];
      }
    for (int ch : c.children) MultiplyInto(b, up_[ch]);
    std::vector<int> sep = c.vars;
    EraseSorted(sep, c.eliminated);
    up_[i] = Project(b, sep);
    double s = up_[i].Sum();
    if (!(s > 0) || !std::isfinite(s))
      return Status::Error("evidence is impossible under the model (probability of evidence is 0)");
    for (double& x : up_[i].table) x /= s;
    log_evidence += std::log(s);
  }
  stats_.log_evidence = log_evidence;
  // Downward pass: a root's belief is final after the upward pass; each child's belief is its
  // upward belief times the parent's belief projected to the separator, divided by its own upward
  // message.
  for (size_t k = n; k-- > 0;) {
    const Cluster& c = clusters_[k];
    if (c.parent >= 0) {
      Factor msg = Project(belief_[c.parent], up_[k].vars);
      DivideInto(msg, up_[k]);
      Normalize(msg);
      MultiplyInto(belief_[k], msg);
    }
    Normalize(belief_[k]);
    const Factor& b = belief_[k];
    const size_t bit =
        std::lower_bound(b.vars.begin(), b.vars.end(), c.eliminated) - b.vars.begin();
    double p1 = 0, z = 0;
    for (size_t t = 0; t < b.table.size(); ++t) {
      z += b.table[t];
      if (t >> bit & 1) p1 += b.table[t];
    }
    marginal_[c.eliminated] = z > 0 ? p1 / z : 0.5;
  }
  return Status::Ok();
}

}  // namespace augur::localize
