#include "learn/torch/trace_injection_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"

namespace augur::learn {
namespace {

struct Tally {
  int n = 0, k1 = 0, k3 = 0, k5 = 0;
  int rt_n = 0, rt = 0;
};

double Ratio(int a, int b) {
  return b ? (double)a / b : 0;
}

std::string LengthBucket(size_t n) {
  if (n <= 10) return "1-10";
  if (n <= 20) return "11-20";
  if (n <= 50) return "21-50";
  if (n <= 100) return "51-100";
  return "101+";
}
std::string PositionBucket(size_t p) {
  if (p == 0) return "0";
  if (p < 5) return "1-4";
  if (p < 10) return "5-9";
  if (p < 20) return "10-19";
  if (p < 50) return "20-49";
  return "50+";
}

std::vector<InjectionBucket> Buckets(const std::vector<std::pair<std::string, Tally>>& named) {
  std::vector<InjectionBucket> out;
  for (const auto& [name, t] : named) {
    if (t.n == 0 && t.rt_n == 0) continue;
    out.push_back({name, t.n, t.rt_n, Ratio(t.k1, t.n), Ratio(t.k3, t.n), Ratio(t.k5, t.n),
                   Ratio(t.rt, t.rt_n)});
  }
  return out;
}

// A slowed event is detected when the response-time rule flags it or a later event of its trace:
// the model reads the slowed time as input for every later prediction, so a slow parent shows as
// children that look too fast for it. Earlier events cannot see the change; a flag there is a
// false alarm and does not count.
bool SlowFlagged(const TraceScore& s, size_t at) {
  for (size_t j = at; j < s.events.size(); ++j)
    if (s.events[j].response_time) return true;
  return false;
}

// One response time of each trace, at a random position, multiplied by a factor in (2, 5).
void SlowDown(const std::vector<TraceSequence>& from, int max_length, std::mt19937_64& rng,
              std::vector<TraceSequence>& into, std::vector<size_t>& at) {
  for (const auto& t : from) {
    size_t n = std::min<size_t>(t.size(), max_length);
    size_t j = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
    TraceSequence b = t;
    b[j].response_time *= std::uniform_real_distribution<double>(2.0, 5.0)(rng);
    into.push_back(std::move(b));
    at.push_back(j);
  }
}

// One JSON line per scored trace: where it comes from, the slowed position (-1 when clean), and per
// event the label, raw time, the model's scaled observation and residual, label rank and
// probability.
void DumpScores(std::ofstream& out, const char* split, const std::vector<TraceSequence>& traces,
                const std::vector<TraceScore>& scores, const std::vector<size_t>* slowed,
                const TimeNs* starts, const std::vector<char>* likelihood_flags = nullptr) {
  for (size_t i = 0; i < traces.size(); ++i) {
    const auto& s = scores[i];
    nlohmann::json labels = nlohmann::json::array(), rt = nlohmann::json::array(),
                   obs = nlohmann::json::array(), err = nlohmann::json::array(),
                   rank = nlohmann::json::array(), prob = nlohmann::json::array(),
                   score = nlohmann::json::array();
    for (size_t j = 0; j < s.events.size(); ++j) {
      if (j < traces[i].size() && j + 1 < s.events.size()) {
        labels.push_back(traces[i][j].label);
        rt.push_back(traces[i][j].response_time);
        obs.push_back(s.events[j].rt_observed);
        err.push_back(s.events[j].rt_error);
        score.push_back(s.events[j].rt_z);
      }
      rank.push_back(s.events[j].rank);
      prob.push_back(s.events[j].probability);
    }
    nlohmann::json j = {{"split", split},
                        {"trace", i},
                        {"slowed", slowed ? (long)(*slowed)[i] : -1L},
                        {"start_ns", starts[i]},
                        {"flagged_structural", s.structural},
                        {"flagged_response_time", s.response_time},
                        {"length", traces[i].size()},
                        {"labels", labels},
                        {"rt", rt},
                        {"obs", obs},
                        {"err", err},
                        {"score", score},
                        {"rank", rank},
                        {"prob", prob}};
    if (likelihood_flags) j["flagged_likelihood"] = (bool)(*likelihood_flags)[i];
    out << j.dump() << "\n";
  }
}

// The model-free baseline: each label's training distribution of log(1 + time), empirical inside
// and an exponential tail beyond its slowest twentieth; an event's score is -log of its upper tail
// probability, a trace's the largest over its events (from `from` on).
class MarginalRt {
 public:
  explicit MarginalRt(const std::vector<TraceSequence>& train, int max_length) {
    std::unordered_map<std::string, std::vector<double>> by;
    for (const auto& t : train)
      for (size_t i = 0; i < std::min<size_t>(t.size(), max_length); ++i)
        by[t[i].label].push_back(std::log1p(std::max(0.0, t[i].response_time)));
    for (auto& [label, v] : by) {
      if (v.size() < 10) continue;  // too few to say anything: never flagged
      std::sort(v.begin(), v.end());
      Fit f;
      const size_t n = v.size();
      f.m = std::min(n - 1, std::max<size_t>(5, (size_t)std::ceil(0.05 * (double)n)));
      f.u = v[n - f.m - 1];
      double e = 0;
      for (size_t i = n - f.m; i < n; ++i) e += v[i] - f.u;
      f.beta = std::max(e / (double)f.m, 1e-3);
      f.v = std::move(v);
      fits_.emplace(label, std::move(f));
    }
  }
  double Score(const TraceSequence& t, size_t from, int max_length) const {
    double worst = 0;
    for (size_t i = from; i < std::min<size_t>(t.size(), max_length); ++i) {
      auto it = fits_.find(t[i].label);
      if (it == fits_.end()) continue;
      worst =
          std::max(worst, -std::log(it->second.P(std::log1p(std::max(0.0, t[i].response_time)))));
    }
    return worst;
  }

 private:
  struct Fit {
    std::vector<double> v;  // sorted
    size_t m = 5;
    double u = 0, beta = 1;
    double P(double x) const {
      const double n = (double)v.size();
      if (x <= u) {
        double k = (double)(v.end() - std::lower_bound(v.begin(), v.end(), x));
        return (k + 1) / (n + 1);
      }
      return ((double)m + 1) / (n + 1) * std::exp(-(x - u) / beta);
    }
  };
  std::unordered_map<std::string, Fit> fits_;
};

// The bound on a trace score that flags at most `fpr` of `clean` (as TraceModel::Calibrate).
double BoundFor(std::vector<double> clean, double fpr) {
  if (clean.empty()) return 0;
  std::sort(clean.begin(), clean.end());
  const double n = (double)clean.size();
  return clean[std::min(clean.size() - 1, (size_t)std::ceil((1 - fpr) * n))];
}

}  // namespace

Result<TraceInjectionResult> EvalTraceInjection(const std::vector<Span>& spans,
                                                const TraceInjectionOptions& o) {
  if (Status s = o.model.Validate(); !s) return s;
  std::vector<TimeNs> starts;
  auto all = TracesFromSpans(spans, &starts);
  TraceInjectionResult r;
  std::vector<TraceSequence> clean;
  std::vector<TimeNs> clean_starts;
  for (size_t i = 0; i < all.size(); ++i) {
    bool out = false;
    for (const auto& [a, b] : o.exclude) out |= starts[i] >= a && starts[i] < b;
    if (out)
      ++r.excluded;
    else if (!all[i].empty()) {
      clean.push_back(std::move(all[i]));
      clean_starts.push_back(starts[i]);
    }
  }
  if (clean.size() < 20)
    return Result<TraceInjectionResult>::Error("trace-injection: only " +
                                               std::to_string(clean.size()) +
                                               " clean traces; need at least 20");
  size_t n_tr = (size_t)(clean.size() * o.train_fraction);
  size_t n_va = (size_t)(clean.size() * o.validation_fraction);
  std::vector<TraceSequence> train(clean.begin(), clean.begin() + n_tr);
  std::vector<TraceSequence> val(clean.begin() + n_tr, clean.begin() + n_tr + n_va);
  std::vector<TraceSequence> test(clean.begin() + n_tr + n_va, clean.end());

  TraceModel model;
  auto rep = model.Train(train, val, o.model);
  if (!rep) return rep.status();
  r.train = *rep;
  r.train_traces = (int)train.size();
  r.labels = (int)rep->labels;
  r.traces = (int)test.size();

  // The detection rule from the validation traces (never the test ones): for each way of fitting
  // the response-time Gaussians, the bound that flags at most target_fpr of the clean validation
  // traces, and how many slow-downs of the validation traces it then catches; the best is kept.
  model.SetTopK(3);
  r.rt_confidence = o.model.rt_confidence;
  // Slow-downs of the validation traces: what the candidate rules are compared on.
  std::vector<TraceSequence> vslow;
  std::vector<size_t> v_pos;
  if (!val.empty()) {
    std::mt19937_64 vrng(o.seed + 1);
    SlowDown(val, o.model.max_length, vrng, vslow, v_pos);
    double best = -1;
    std::pair<RtSpread, bool> chosen{o.model.rt_spread, o.model.rt_two_sided};
    std::vector<std::pair<RtSpread, bool>> candidates = o.rt_rules;
    if (candidates.empty())
      for (RtSpread spread : {RtSpread::kStd, RtSpread::kRobust, RtSpread::kTail})
        for (bool two_sided : {true, false}) candidates.emplace_back(spread, two_sided);
    for (auto [spread, two_sided] : candidates) {
      if (!model.SetRtRule(spread, two_sided)) continue;
      two_sided = model.config().rt_two_sided;  // the likelihood rule is one-sided
      auto cal = model.Calibrate(val, 0, o.target_fpr);
      auto vs = model.Score(vslow);
      int hit = 0;
      for (size_t i = 0; i < vs.size(); ++i) hit += SlowFlagged(vs[i], v_pos[i]);
      double acc = Ratio(hit, (int)vs.size());
      r.rt_rules.push_back(fmt::format("{} {}: z {:.2f}, validation accuracy {:.3f}",
                                       RtSpreadName(spread), two_sided ? "two-sided" : "one-sided",
                                       cal.rt_z, acc));
      if (acc > best) best = acc, chosen = {spread, two_sided};
    }
    model.SetRtRule(chosen.first, chosen.second);
    r.rt_rule =
        fmt::format("{} {}", RtSpreadName(chosen.first), chosen.second ? "two-sided" : "one-sided");
    r.validation_response_time = std::max(best, 0.0);
    auto cal = model.Calibrate(val, o.structural_target_fpr, o.target_fpr);
    r.rt_z = cal.rt_z;
    if (o.target_fpr > 0) r.rt_confidence = std::erf(cal.rt_z / std::sqrt(2.0));
    r.min_probability = cal.min_probability;
    LogInfo(
        "trace-injection: response-time rule {} bound at z {:.2f}, structural probability floor {} "
        "from validation",
        r.rt_rule, r.rt_z, r.min_probability);
    const double fewest = std::min(o.structural_target_fpr, o.target_fpr);
    if (fewest > 0 && static_cast<double>(val.size()) * fewest < 1)
      LogWarn(
          "trace-injection: {} validation traces cannot measure a {:g} % false-positive rate "
          "(the bounds rest on the few most unusual of them); more traces give steadier bounds",
          val.size(), 100 * fewest);
  }

  // Clean test traces: false positives.
  auto clean_scores = model.Score(test);
  int fp = 0, fp_s = 0, fp_r = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    const TraceScore& s = clean_scores[i];
    fp += s.anomalous();
    fp_s += s.structural;
    fp_r += s.response_time;
    if (!s.anomalous() || r.false_alarms.size() >= 8) continue;
    size_t worst = 0;
    for (size_t j = 0; j < s.events.size(); ++j)
      if (s.structural ? s.events[j].rank > s.events[worst].rank
                       : s.events[j].rt_z > s.events[worst].rt_z)
        worst = j;
    std::string what = worst < test[i].size() ? test[i][worst].label : "<end>";
    std::string line =
        fmt::format("trace of {} events, event {} \"{}\": ", test[i].size(), worst, what);
    if (s.structural) {
      TraceSequence prefix(test[i].begin(), test[i].begin() + std::min(worst, test[i].size()));
      line += fmt::format("rank {}; expected", s.events[worst].rank);
      for (const auto& [l, p] : model.PredictNext(prefix, 3))
        line += fmt::format(" \"{}\" {:.2f}", l, p);
    } else {
      line += fmt::format("response time {:.0f} us, score {:.1f}", test[i][worst].response_time,
                          s.events[worst].rt_z);
    }
    r.false_alarms.push_back(line);
  }
  r.false_positive_rate = Ratio(fp, (int)test.size());
  r.fpr_structural = Ratio(fp_s, (int)test.size());
  r.fpr_response_time = Ratio(fp_r, (int)test.size());

  // Injections: a wrong label (any known label but the observed one) at a random position; or one
  // response time multiplied by a factor in (2, 5).
  std::mt19937_64 rng(o.seed);
  const int n_labels = (int)model.labels().size();
  std::vector<TraceSequence> structural, slow;
  std::vector<size_t> s_pos, r_pos;
  for (const auto& t : test) {
    size_t n = std::min<size_t>(t.size(), o.model.max_length);
    size_t i = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
    TraceSequence a = t;
    int orig = model.LabelId(a[i].label);
    int pick = orig;
    while (pick == orig && n_labels > 3)
      pick = std::uniform_int_distribution<int>(2, n_labels - 1)(rng);
    a[i].label = model.labels()[pick];
    structural.push_back(std::move(a));
    s_pos.push_back(i);
  }
  SlowDown(test, o.model.max_length, rng, slow, r_pos);
  auto ss = model.Score(structural);
  auto rs = model.Score(slow);

  // The likelihood rule beside the chosen one when it was not chosen (same model, its own bound
  // from the clean validation traces at the same target): what it detects and lets through.
  std::vector<char> lk_flags(test.size(), 0);
  if (model.config().rt_spread != RtSpread::kLikelihood && !val.empty()) {
    const RtSpread kept = model.config().rt_spread;
    const bool kept_two_sided = model.config().rt_two_sided;
    const double kept_z = model.rt_z();
    if (model.SetRtRule(RtSpread::kLikelihood, false)) {
      auto cal = model.Calibrate(val, 0, o.target_fpr);  // 0: the structural floor stays
      auto lc = model.Score(test), ls = model.Score(slow);
      int hit = 0, fp = 0, fp_rt = 0;
      for (size_t i = 0; i < test.size(); ++i) {
        hit += SlowFlagged(ls[i], r_pos[i]);
        lk_flags[i] = lc[i].response_time;
        fp_rt += lc[i].response_time;
        fp += lc[i].anomalous();
      }
      r.likelihood_rt_z = cal.rt_z;
      r.likelihood_response_time = Ratio(hit, (int)test.size());
      r.likelihood_fpr = Ratio(fp, (int)test.size());
      r.likelihood_fpr_response_time = Ratio(fp_rt, (int)test.size());
      model.SetRtRule(kept, kept_two_sided);
      model.SetRtZ(kept_z);
    }
  }
  if (!o.events_out.empty()) {
    std::ofstream out(o.events_out);
    if (!out) return Result<TraceInjectionResult>::Error(o.events_out + ": cannot write");
    const TimeNs* t0 = clean_starts.data();
    DumpScores(out, "train", train, model.Score(train), nullptr, t0);
    DumpScores(out, "validation", val, model.Score(val), nullptr, t0 + n_tr);
    DumpScores(out, "validation", vslow, model.Score(vslow), &v_pos, t0 + n_tr);
    DumpScores(out, "test", test, clean_scores, nullptr, t0 + n_tr + n_va, &lk_flags);
    DumpScores(out, "test", slow, rs, &r_pos, t0 + n_tr + n_va);
    if (!out) return Result<TraceInjectionResult>::Error(o.events_out + ": write failed");
  }
  Tally total;
  int at_event = 0;
  std::vector<std::pair<std::string, Tally>> by_len, by_pos;
  for (const char* b : {"1-10", "11-20", "21-50", "51-100", "101+"}) by_len.push_back({b, {}});
  for (const char* b : {"0", "1-4", "5-9", "10-19", "20-49", "50+"}) by_pos.push_back({b, {}});
  auto find = [](auto& v, const std::string& name) -> Tally& {
    for (auto& [n, t] : v)
      if (n == name) return t;
    return v.front().second;
  };
  for (size_t i = 0; i < test.size(); ++i) {
    bool rt = SlowFlagged(rs[i], r_pos[i]);
    at_event += r_pos[i] < rs[i].events.size() && rs[i].events[r_pos[i]].response_time;
    for (Tally* t : {&total, &find(by_len, LengthBucket(test[i].size())),
                     &find(by_pos, PositionBucket(s_pos[i]))}) {
      t->n++;
      t->k1 += StructuralAt(ss[i], 1, r.min_probability);
      t->k3 += StructuralAt(ss[i], 3, r.min_probability);
      t->k5 += StructuralAt(ss[i], 5, r.min_probability);
    }
    for (Tally* t : {&total, &find(by_len, LengthBucket(test[i].size())),
                     &find(by_pos, PositionBucket(r_pos[i]))}) {
      t->rt_n++;
      t->rt += rt;
    }
  }
  // What the response times allow at all. (1) The model-free baseline: per-label marginal tail
  // probabilities, its bound from the clean validation traces at the same target. (2) Ceilings at
  // a 5 % false-positive rate with the bound taken from the clean *test* traces themselves (not a
  // rule one could use: it measures the detections a perfectly calibrated bound would get), for
  // the baseline and for the model's chosen rule.
  {
    MarginalRt marginal(train, o.model.max_length);
    std::vector<double> vc, tc;
    for (const auto& t : val) vc.push_back(marginal.Score(t, 0, o.model.max_length));
    for (const auto& t : test) tc.push_back(marginal.Score(t, 0, o.model.max_length));
    const double bound = BoundFor(vc, o.target_fpr > 0 ? o.target_fpr : 0.03);
    const double ceiling = BoundFor(tc, 0.05);
    int hit = 0, at = 0, fa = 0, hit_ceiling = 0, fa_ceiling = 0, model_ceiling = 0, model_fa = 0;
    std::vector<double> mc;
    for (const auto& s : clean_scores) mc.push_back(MaxRtZ(s));
    const double model_bound = BoundFor(mc, 0.05);
    for (size_t i = 0; i < test.size(); ++i) {
      const double sc = marginal.Score(slow[i], r_pos[i], o.model.max_length);
      hit += sc > bound;
      hit_ceiling += sc > ceiling;
      TraceSequence one(slow[i].begin() + (ptrdiff_t)r_pos[i],
                        slow[i].begin() + (ptrdiff_t)r_pos[i] + 1);
      at += marginal.Score(one, 0, o.model.max_length) > bound;
      fa += tc[i] > bound;
      fa_ceiling += tc[i] > ceiling;
      model_ceiling += MaxRtZ(rs[i], r_pos[i]) > model_bound;
      model_fa += mc[i] > model_bound;
    }
    const int n = (int)test.size();
    r.marginal_response_time = Ratio(hit, n);
    r.marginal_at_event = Ratio(at, n);
    r.marginal_fpr = Ratio(fa, n);
    r.marginal_ceiling = Ratio(hit_ceiling, n);
    r.marginal_ceiling_fpr = Ratio(fa_ceiling, n);
    r.model_ceiling = Ratio(model_ceiling, n);
    r.model_ceiling_fpr = Ratio(model_fa, n);
  }

  // The seed's literal response-time rule: 95 % interval of the per-label Gaussian (plain standard
  // deviation, two-sided) per event; the chosen rule is put back after.
  {
    const double z95 = 1.959964;
    const RtSpread kept = model.config().rt_spread;
    const bool kept_two_sided = model.config().rt_two_sided;
    std::vector<TraceScore> seed_slow = rs, seed_clean = clean_scores;
    if (model.SetRtRule(RtSpread::kStd, true)) {
      seed_slow = model.Score(slow);
      seed_clean = model.Score(test);
      model.SetRtRule(kept, kept_two_sided);
    }
    int hit = 0, fa = 0;
    for (size_t i = 0; i < test.size(); ++i) {
      hit += MaxRtZ(seed_slow[i], r_pos[i]) > z95;
      fa += MaxRtZ(seed_clean[i]) > z95;
    }
    r.response_time_at_95 = Ratio(hit, (int)test.size());
    r.fpr_response_time_at_95 = Ratio(fa, (int)test.size());
  }
  r.k1 = Ratio(total.k1, total.n);
  r.k3 = Ratio(total.k3, total.n);
  r.k5 = Ratio(total.k5, total.n);
  r.response_time = Ratio(total.rt, total.rt_n);
  r.response_time_at_event = Ratio(at_event, total.rt_n);
  r.by_length = Buckets(by_len);
  r.by_position = Buckets(by_pos);

  // Seed 002 III-D after the third event of the test traces: the first five different answers
  // (many traces begin alike).
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < test.size() && r.relations.size() < 5; ++i) {
    if (test[i].size() < 4) continue;
    TraceSequence prefix(test[i].begin(), test[i].begin() + 3);
    auto rel = model.Relation(prefix, 2);
    if (rel.candidates.empty()) continue;
    std::string line = "after \"" + prefix.back().label + "\": ";
    if (rel.dependent)
      line += "\"" + rel.candidates[0].first + "\" dependent";
    else if (!rel.concurrent.empty())
      line +=
          "\"" + rel.concurrent[0].first + "\" and \"" + rel.concurrent[0].second + "\" concurrent";
    else
      line += "\"" + rel.candidates[0].first + "\" or \"" +
              (rel.candidates.size() > 1 ? rel.candidates[1].first : "") + "\" (alternatives)";
    if (seen.insert(line).second) r.relations.push_back(line);
  }
  return r;
}

}  // namespace augur::learn
