// Exact inference over binary Bayesian networks: factors, min-fill / min-weight elimination orders
// and a junction tree built from the elimination (variable elimination that yields every marginal
// at once).
//
// Why a junction tree: the localizer asks for P(outage) and P(origin) of every service. Plain
// variable elimination would run once per query; the clusters that one elimination creates, passed
// messages up and down once (Hugin scheme), give all marginals exactly for the price of two
// eliminations. Evidence changes only re-run the two passes; the order and the tree are kept
// (JunctionTree::Propagate).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace augur::localize {

// A table over binary variables. `vars` is sorted ascending; bit i of an index into `table` is the
// value of vars[i].
struct Factor {
  std::vector<int> vars;
  std::vector<double> table;

  static Factor Ones(std::vector<int> vars);  // vars need not be sorted
  double Sum() const;
};

// Multiplies `src` into `dst`; src.vars must be a subset of dst.vars.
void MultiplyInto(Factor& dst, const Factor& src);
// Divides `dst` by `src` entry-wise (0/0 = 0, the Hugin convention); src.vars ⊆ dst.vars.
void DivideInto(Factor& dst, const Factor& src);
// Sums `f` down to `keep` (sorted, a subset of f.vars).
Factor Project(const Factor& f, const std::vector<int>& keep);
Factor Multiply(const Factor& a, const Factor& b);

// A Bayesian network of binary variables. Each variable has a CPT P(var = 1 | parents) and an
// optional likelihood (virtual evidence) L(var) = (P(e | var=0), P(e | var=1)).
class BayesNet {
 public:
  int AddVariable(std::string name);
  // p_true[j] = P(var = 1 | parents = j), bit i of j being the value of parents[i]; size
  // 2^|parents|.
  void SetCpt(int var, std::vector<int> parents, std::vector<double> p_true);
  void SetLikelihood(int var, double given_false, double given_true);
  void ClearLikelihood(int var);

  int size() const { return static_cast<int>(vars_.size()); }
  const std::string& name(int var) const { return vars_[var].name; }
  const std::vector<int>& parents(int var) const { return vars_[var].parents; }
  // The CPT as a factor over {var} ∪ parents.
  Factor CptFactor(int var) const;
  const double* likelihood(int var) const {
    return vars_[var].has_likelihood ? vars_[var].lik : nullptr;
  }
  // Bumped whenever a CPT or the variable set changes (not on likelihood changes).
  uint64_t structure_version() const { return structure_version_; }

 private:
  struct Var {
    std::string name;
    std::vector<int> parents;
    std::vector<double> p_true{0.5};
    bool has_likelihood = false;
    double lik[2] = {1, 1};
  };
  std::vector<Var> vars_;
  uint64_t structure_version_ = 0;
};

enum class EliminationHeuristic { kMinFill, kMinWeight };

// Greedy elimination order over the moral graph of `net` (min-fill with min-weight tie-break, or
// min-weight alone). `max_cluster_vars` reports the largest cluster the order creates; with
// `abort_above` > 0 the search stops (returning a partial order) once a cluster exceeds that size.
std::vector<int> EliminationOrder(const BayesNet& net, EliminationHeuristic h,
                                  int* max_cluster_vars = nullptr, int abort_above = 0);

struct InferenceStats {
  int variables = 0;
  int clusters = 0;
  int max_cluster_vars = 0;    // treewidth + 1 of the order used
  uint64_t table_entries = 0;  // sum of cluster table sizes (memory ≈ 8 bytes × 3 × this)
  double log_evidence = 0;     // ln P(evidence)
};

// Compiled network: Compile once per structure, then Propagate after any likelihood change.
class JunctionTree {
 public:
  // Fails when a cluster would exceed `max_cluster_vars` variables (2^max entries).
  static Result<JunctionTree> Compile(const BayesNet& net,
                                      EliminationHeuristic h = EliminationHeuristic::kMinFill,
                                      int max_cluster_vars = 24);
  // Exact marginals P(var = 1 | all likelihoods) for every variable. Fails when the evidence is
  // impossible under the model (P(e) = 0).
  Status Propagate(const BayesNet& net);
  double Marginal(int var) const { return marginal_[var]; }
  const std::vector<double>& marginals() const { return marginal_; }
  const InferenceStats& stats() const { return stats_; }
  uint64_t compiled_version() const { return version_; }

 private:
  struct Cluster {
    std::vector<int> vars;  // sorted
    int eliminated = -1;    // the variable this cluster eliminates
    int parent = -1;        // cluster index, -1 for a root
    std::vector<int> children;
    std::vector<int> cpts;         // variables whose CPT is assigned here
    std::vector<int> likelihoods;  // variables whose likelihood is assigned here
  };
  std::vector<Cluster> clusters_;  // in elimination order
  std::vector<Factor> psi_;  // product of each cluster's CPTs (fixed until the structure changes)
  std::vector<Factor> belief_, up_;  // working storage reused by Propagate
  std::vector<int> cluster_of_var_;  // the cluster that eliminates the variable
  std::vector<double> marginal_;
  InferenceStats stats_;
  uint64_t version_ = 0;
};

}  // namespace augur::localize
