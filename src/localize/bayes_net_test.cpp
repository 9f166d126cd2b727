#include "localize/bayes_net.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace augur::localize {
namespace {

// Brute-force marginals by enumerating every joint assignment.
std::vector<double> Enumerate(const BayesNet& net) {
  const int n = net.size();
  std::vector<double> m(n, 0);
  double total = 0;
  for (uint64_t x = 0; x < (uint64_t{1} << n); ++x) {
    double p = 1;
    for (int v = 0; v < n; ++v) {
      Factor f = net.CptFactor(v);
      size_t idx = 0;
      for (size_t i = 0; i < f.vars.size(); ++i)
        if (x >> f.vars[i] & 1) idx |= size_t{1} << i;
      p *= f.table[idx];
      if (const double* l = net.likelihood(v)) p *= l[x >> v & 1];
    }
    total += p;
    for (int v = 0; v < n; ++v)
      if (x >> v & 1) m[v] += p;
  }
  for (double& v : m) v /= total;
  return m;
}

BayesNet RandomNet(int n, int max_parents, std::mt19937& rng) {
  BayesNet net;
  std::uniform_real_distribution<double> u(0.01, 0.99);
  for (int v = 0; v < n; ++v) net.AddVariable("v" + std::to_string(v));
  for (int v = 0; v < n; ++v) {
    std::vector<int> parents;
    for (int p = 0; p < v && static_cast<int>(parents.size()) < max_parents; ++p)
      if (u(rng) < 0.4) parents.push_back(p);
    std::vector<double> cpt(size_t{1} << parents.size());
    for (double& c : cpt) c = u(rng);
    net.SetCpt(v, parents, cpt);
    if (u(rng) < 0.6) net.SetLikelihood(v, u(rng), u(rng));
  }
  return net;
}

TEST(BayesNet, JunctionTreeMatchesEnumerationOnRandomNetworks) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    BayesNet net = RandomNet(3 + trial % 10, 3, rng);
    for (auto h : {EliminationHeuristic::kMinFill, EliminationHeuristic::kMinWeight}) {
      auto jt = JunctionTree::Compile(net, h);
      ASSERT_TRUE(jt.ok()) << jt.message();
      ASSERT_TRUE(jt->Propagate(net).ok());
      auto truth = Enumerate(net);
      for (int v = 0; v < net.size(); ++v)
        EXPECT_NEAR(jt->Marginal(v), truth[v], 1e-9) << "trial " << trial;
    }
  }
}

TEST(BayesNet, EvidenceUpdateReusesCompiledTree) {
  std::mt19937 rng(11);
  BayesNet net = RandomNet(10, 3, rng);
  auto jt = JunctionTree::Compile(net);
  ASSERT_TRUE(jt.ok());
  net.SetLikelihood(3, 0.1, 0.9);
  net.ClearLikelihood(5);
  ASSERT_TRUE(jt->Propagate(net).ok());
  auto truth = Enumerate(net);
  for (int v = 0; v < net.size(); ++v) EXPECT_NEAR(jt->Marginal(v), truth[v], 1e-9);
  // A CPT change is a structure change: the old tree refuses it.
  net.SetCpt(0, {}, {0.3});
  EXPECT_FALSE(jt->Propagate(net).ok());
}

TEST(BayesNet, ImpossibleEvidenceIsAnError) {
  BayesNet net;
  int a = net.AddVariable("a");
  net.SetCpt(a, {}, {0.0});
  net.SetLikelihood(a, 0.0, 1.0);
  auto jt = JunctionTree::Compile(net);
  ASSERT_TRUE(jt.ok());
  EXPECT_FALSE(jt->Propagate(net).ok());
}

TEST(BayesNet, ExplainingAwayInNoisyOr) {
  // cause1 → effect ← cause2; observing effect and cause2 lowers P(cause1).
  BayesNet net;
  int c1 = net.AddVariable("c1"), c2 = net.AddVariable("c2"), e = net.AddVariable("e");
  net.SetCpt(c1, {}, {0.1});
  net.SetCpt(c2, {}, {0.1});
  net.SetCpt(e, {c1, c2}, {0.01, 0.9, 0.9, 0.99});
  net.SetLikelihood(e, 0.0, 1.0);
  auto jt = JunctionTree::Compile(net);
  ASSERT_TRUE(jt->Propagate(net).ok());
  double before = jt->Marginal(c1);
  net.SetLikelihood(c2, 0.0, 1.0);
  ASSERT_TRUE(jt->Propagate(net).ok());
  EXPECT_LT(jt->Marginal(c1), before);
}

TEST(BayesNet, TooDenseIsReported) {
  BayesNet net;
  std::vector<int> all;
  for (int i = 0; i < 12; ++i) all.push_back(net.AddVariable("x"));
  int child = net.AddVariable("child");
  net.SetCpt(child, all, std::vector<double>(size_t{1} << all.size(), 0.5));
  auto jt = JunctionTree::Compile(net, EliminationHeuristic::kMinFill, 8);
  EXPECT_FALSE(jt.ok());
  EXPECT_NE(jt.message().find("too dense"), std::string::npos);
}

}  // namespace
}  // namespace augur::localize
