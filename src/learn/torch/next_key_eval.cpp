#include "learn/torch/next_key_eval.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "core/log.h"
#include "learn/torch/hdfs_sessions_eval.h"

namespace augur::learn {

Result<NextKeyEvalResult> EvalNextKey(const std::vector<std::vector<std::string>>& sequences,
                                      const NextKeyEvalOptions& o) {
  if (o.folds < 2) return Result<NextKeyEvalResult>::Error("next-key eval: at least 2 folds");
  if ((int)sequences.size() < o.folds)
    return Result<NextKeyEvalResult>::Error("next-key eval: fewer sequences than folds");
  std::mt19937_64 rng(o.model.seed);
  std::vector<size_t> order(sequences.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  NextKeyEvalResult r;
  r.sequences = sequences.size();
  r.folds = o.folds;
  size_t correct = 0;
  std::set<std::string> all_keys;
  for (const auto& s : sequences) all_keys.insert(s.begin(), s.end());
  r.keys = all_keys.size();
  for (int f = 0; f < o.folds; ++f) {
    std::vector<std::vector<std::string>> train, test;
    for (size_t i = 0; i < order.size(); ++i)
      ((int)(i % o.folds) == f ? test : train).push_back(sequences[order[i]]);
    NextKeyModel model;
    auto rep = model.Train(train, o.model);
    if (!rep) return rep.status();
    r.train_seconds += rep->seconds;
    // Every window of the held-out fold: the true next key against the most probable prediction.
    std::vector<int> ctx, truth;
    const int w = model.window();
    for (const auto& s : test) {
      auto ids = model.Encode(s);
      size_t n = ids.size() + (o.model.end_token ? 1 : 0);
      for (size_t i = 0; i < n; ++i) {
        size_t have = std::min<size_t>(i, w);
        for (size_t p = have; p < (size_t)w; ++p) ctx.push_back(NextKeyModel::kPad);
        for (size_t j = i - have; j < i; ++j) ctx.push_back(ids[j]);
        truth.push_back(i < ids.size() ? ids[i] : NextKeyModel::kEnd);
      }
    }
    auto pred = model.Top1(ctx);
    std::map<int, std::array<size_t, 3>> per;  // tp, fp, fn
    for (size_t i = 0; i < truth.size(); ++i) {
      if (pred[i] == truth[i]) {
        per[truth[i]][0]++;
        ++correct;
      } else {
        per[pred[i]][1]++;
        per[truth[i]][2]++;
      }
    }
    double p = 0, rc = 0, fs = 0;
    for (const auto& [k, c] : per) {
      double pk = c[0] + c[1] ? (double)c[0] / (c[0] + c[1]) : 0;
      double rk = c[0] + c[2] ? (double)c[0] / (c[0] + c[2]) : 0;
      p += pk;
      rc += rk;
      fs += pk + rk > 0 ? 2 * pk * rk / (pk + rk) : 0;
    }
    size_t nk = std::max<size_t>(1, per.size());
    r.precision += p / nk / o.folds;
    r.recall += rc / nk / o.folds;
    r.f_score += fs / nk / o.folds;
    r.predictions += truth.size();
    LogInfo("next-key eval: fold {}/{}: macro P {:.3f} R {:.3f} F {:.3f}", f + 1, o.folds, p / nk,
            rc / nk, fs / nk);
  }
  r.accuracy = r.predictions ? (double)correct / r.predictions : 0;
  return r;
}

}  // namespace augur::learn
