#include "learn/torch/hdfs_sessions_eval.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "core/log.h"

namespace augur::learn {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& k : v) s += (s.empty() ? "" : " ") + k;
  return s;
}

// What a session's scores reduce to: enough to apply any top-k or threshold rule afterwards.
struct Verdict {
  bool unseen = false;
  int max_rank = 0;
  float min_prob = 1;
  size_t worst = 0;  // position of the least probable key
};

bool Flags(const Verdict& v, int top_k, double threshold) {
  return v.unseen || (top_k > 0 ? v.max_rank >= top_k : v.min_prob < threshold);
}

// Scores each distinct sequence once (sessions repeat a lot).
std::map<std::string, Verdict> ScoreDistinct(const NextKeyModel& model,
                                             const std::vector<const HdfsSession*>& sessions) {
  std::map<std::string, Verdict> out;
  std::vector<std::string> names;
  std::vector<std::vector<int>> seqs;
  for (const auto* s : sessions) {
    std::string key = Join(s->events);
    if (out.emplace(key, Verdict{}).second) {
      names.push_back(key);
      seqs.push_back(model.Encode(s->events));
    }
  }
  auto scores = model.ScoreSequences(seqs);
  for (size_t i = 0; i < seqs.size(); ++i) {
    Verdict& v = out[names[i]];
    for (size_t p = 0; p < scores[i].size(); ++p) {
      const KeyScore& k = scores[i][p];
      v.unseen |= k.unseen;
      v.max_rank = std::max(v.max_rank, k.rank);
      if (k.probability < v.min_prob) {
        v.min_prob = k.probability;
        v.worst = p;
      }
    }
  }
  return out;
}

struct Counts {
  int tp = 0, fp = 0, fn = 0, tn = 0;
  double precision() const { return tp + fp ? (double)tp / (tp + fp) : 0; }
  double recall() const { return tp + fn ? (double)tp / (tp + fn) : 0; }
  double f1() const {
    double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

Counts Count(const std::vector<const HdfsSession*>& sessions,
             const std::map<std::string, Verdict>& verdicts, int top_k, double threshold) {
  Counts c;
  for (const auto* s : sessions) {
    bool flagged = Flags(verdicts.at(Join(s->events)), top_k, threshold);
    if (s->anomalous)
      (flagged ? c.tp : c.fn)++;
    else
      (flagged ? c.fp : c.tn)++;
  }
  return c;
}

}  // namespace

Result<HdfsEvalResult> EvalHdfsSessions(const std::string& dir, const HdfsEvalOptions& options) {
  const auto read_start = std::chrono::steady_clock::now();
  auto set = LoadHdfsSessions(dir, options.train_ratio);
  if (!set) return set.status();
  const double read_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
  LogInfo("hdfs-sessions: {} sessions from {} ({}{})", set->sessions.size(), set->files,
          set->layout, set->split_given ? "" : ", split by order of appearance");
  std::vector<const HdfsSession*> normal_train, anomalous_train, test;
  for (const auto& s : set->sessions) {
    if (!s.train)
      test.push_back(&s);
    else
      (s.anomalous ? anomalous_train : normal_train).push_back(&s);
  }
  if (normal_train.empty() || test.empty())
    return Result<HdfsEvalResult>::Error(dir + ": no normal train sessions or no test sessions");

  // Validation: a seeded share of the normal train sessions (early stopping, false alarms) plus the
  // anomalous train sessions (detections); the test split is never looked at before scoring.
  std::mt19937_64 rng(options.model.seed);
  std::vector<const HdfsSession*> shuffled = normal_train;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  size_t n_val = (size_t)(shuffled.size() * options.validation_fraction);
  std::vector<std::vector<std::string>> train_seqs, val_seqs;
  std::vector<const HdfsSession*> val = anomalous_train;
  for (size_t i = 0; i < shuffled.size(); ++i) {
    if (i < n_val) {
      val_seqs.push_back(shuffled[i]->events);
      val.push_back(shuffled[i]);
    } else {
      train_seqs.push_back(shuffled[i]->events);
    }
  }

  HdfsEvalResult r;
  r.read_seconds = read_seconds;
  r.layout = set->layout;
  r.files = set->files;
  r.split_given = set->split_given;
  r.train_sessions = normal_train.size() + anomalous_train.size();
  r.test_sessions = test.size();
  NextKeyModel model;
  auto rep = model.Train(train_seqs, val_seqs, options.model);
  if (!rep) return rep.status();
  r.train = *rep;
  r.train_seconds = rep->seconds;

  // Rule choice on validation: best F1, ties to the stricter rule (fewer alarms).
  auto vverdicts = ScoreDistinct(model, val);
  struct Rule {
    int k;
    double t;
  };
  std::vector<Rule> rules;
  int max_k = std::min<int>(20, (int)model.keys().size());
  for (int k = 1; k <= max_k; ++k) rules.push_back({k, 0});
  for (double t : {0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 1e-4, 1e-5})
    rules.push_back({0, t});
  Counts best;
  bool have = false;
  for (const Rule& rule : rules) {
    Counts c = Count(val, vverdicts, rule.k, rule.t);
    if (!have || c.f1() > best.f1() + 1e-12 ||
        (std::abs(c.f1() - best.f1()) <= 1e-12 && c.fp + c.tp < best.fp + best.tp)) {
      best = c;
      r.top_k = rule.k;
      r.threshold = rule.t;
      have = true;
    }
  }
  r.validation_f1 = best.f1();
  r.validation_precision = best.precision();
  r.validation_recall = best.recall();
  model.SetRule(r.top_k, r.threshold);
  LogInfo("hdfs-sessions: chose {} on validation (F1 {:.3f})",
          r.top_k > 0 ? fmt::format("top-{}", r.top_k) : fmt::format("threshold {}", r.threshold),
          r.validation_f1);

  auto tverdicts = ScoreDistinct(model, test);
  Counts c = Count(test, tverdicts, r.top_k, r.threshold);
  r.tp = c.tp, r.fp = c.fp, r.fn = c.fn, r.tn = c.tn;
  r.precision = c.precision(), r.recall = c.recall(), r.f1 = c.f1();

  std::set<std::string> normal_seen;
  for (const auto* s : normal_train) normal_seen.insert(Join(s->events));
  for (const auto* s : test) {
    std::string key = Join(s->events);
    const Verdict& v = tverdicts.at(key);
    bool flagged = Flags(v, r.top_k, r.threshold);
    if (s->anomalous) {
      if (normal_seen.count(key))
        ++r.identical_to_normal;
      else if (!flagged)
        r.missed.push_back(s->block + ": " + key);
    } else if (flagged) {
      std::string what = v.worst < s->events.size() ? s->events[v.worst] : "<end>";
      r.false_alarms.push_back(s->block + ": " + key + " (least expected: " + what + " at " +
                               std::to_string(v.worst) + ")");
    }
  }
  return r;
}

}  // namespace augur::learn
