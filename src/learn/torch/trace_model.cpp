// libtorch side of the multimodal trace model (learn/torch/trace_model.h).
#include "learn/torch/trace_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <unordered_map>

#include "core/log.h"

namespace augur::learn {
namespace {

// Labels and response times enter through their own first LSTM layer; the second layer sees both.
struct TraceNetImpl : torch::nn::Module {
  TraceNetImpl(int labels, int embed, int hidden)
      : emb(register_module("emb", torch::nn::Embedding(labels, embed))),
        label_lstm(register_module(
            "label_lstm",
            torch::nn::LSTM(torch::nn::LSTMOptions(embed, hidden).batch_first(true)))),
        rt_lstm(register_module(
            "rt_lstm", torch::nn::LSTM(torch::nn::LSTMOptions(1, hidden / 2).batch_first(true)))),
        joint(register_module(
            "joint", torch::nn::LSTM(
                         torch::nn::LSTMOptions(hidden + hidden / 2, hidden).batch_first(true)))),
        label_out(register_module("label_out", torch::nn::Linear(hidden, labels))),
        rt_out(register_module("rt_out", torch::nn::Linear(hidden, 1))) {}
  // x: [N, T] previous labels, r: [N, T] previous scaled times → logits [N, T, labels], times [N,
  // T].
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& r) {
    auto a = std::get<0>(label_lstm->forward(emb->forward(x)));
    auto b = std::get<0>(rt_lstm->forward(r.unsqueeze(-1)));
    auto h = std::get<0>(joint->forward(torch::cat({a, b}, -1)));
    return {label_out->forward(h), rt_out->forward(h).squeeze(-1)};
  }
  torch::nn::Embedding emb;
  torch::nn::LSTM label_lstm, rt_lstm, joint;
  torch::nn::Linear label_out, rt_out;
};
TORCH_MODULE(TraceNet);

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Two-sided normal quantile for a confidence level (0.95 → 1.96), by bisection on erf.
double NormalZ(double confidence) {
  double lo = 0, hi = 10, target = confidence;
  for (int i = 0; i < 80; ++i) {
    double mid = (lo + hi) / 2;
    (std::erf(mid / std::sqrt(2.0)) < target ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

struct Encoded {
  std::vector<int> ids;
  std::vector<float> rts;
  bool truncated =
      false;  // longer than max_length: its end is not observed, so not predicted either
};

}  // namespace

std::string MaskIds(std::string_view text) {
  // A token (run between separators) that holds a digit and is made of hex digits and dashes, or
  // any token of digits, is an id.
  std::string out;
  size_t i = 0;
  auto sep = [](char c) {
    return c == '/' || c == '?' || c == '&' || c == '=' || c == ' ' || c == '.' || c == ':' ||
           c == ',';
  };
  while (i < text.size()) {
    if (sep(text[i])) {
      out += text[i++];
      continue;
    }
    size_t j = i;
    bool digit = false, hexish = true;
    while (j < text.size() && !sep(text[j])) {
      char c = text[j];
      digit |= (c >= '0' && c <= '9');
      hexish &= IsHex(c) || c == '-';
      ++j;
    }
    std::string_view tok = text.substr(i, j - i);
    if (digit && (hexish || tok.size() >= 16))
      out += "<*>";
    else
      out += tok;
    i = j;
  }
  return out;
}

std::string SpanLabel(const Span& span) {
  std::string pattern;
  if (!span.http_route.empty())
    pattern = span.http_route;
  else if (!span.http_url.empty()) {
    std::string_view u = span.http_url;
    size_t scheme = u.find("://");
    if (scheme != std::string_view::npos) {
      size_t path = u.find('/', scheme + 3);
      u = path == std::string_view::npos ? std::string_view("/") : u.substr(path);
    }
    size_t q = u.find('?');
    pattern = MaskIds(u.substr(0, q));
  } else
    pattern = MaskIds(span.name);
  return std::to_string(span.http_status_code) + " " + span.service + " " + pattern;
}

std::vector<TraceSequence> TracesFromSpans(const std::vector<Span>& spans,
                                           std::vector<TimeNs>* starts, std::vector<TraceId>* ids) {
  std::unordered_map<TraceId, std::vector<const Span*>, TraceIdHash> by_trace;
  for (const auto& s : spans) by_trace[s.trace_id].push_back(&s);
  struct Built {
    TimeNs start;
    TraceId id;
    TraceSequence seq;
  };
  std::vector<Built> built;
  built.reserve(by_trace.size());
  for (auto& [tid, list] : by_trace) {
    std::sort(list.begin(), list.end(), [](const Span* a, const Span* b) {
      return a->start != b->start ? a->start < b->start : a->span_id < b->span_id;
    });
    std::unordered_map<uint64_t, std::vector<const Span*>> children;
    std::unordered_map<uint64_t, bool> present;
    for (const Span* s : list) present[s->span_id.value] = true;
    std::vector<const Span*> roots;
    for (const Span* s : list) {
      if (s->is_root() || !present.count(s->parent_id.value))
        roots.push_back(s);
      else
        children[s->parent_id.value].push_back(s);
    }
    Built b{list.front()->start, tid, {}};
    // Iterative depth-first walk (traces can be deep); children are already in start order.
    std::vector<const Span*> stack(roots.rbegin(), roots.rend());
    while (!stack.empty()) {
      const Span* s = stack.back();
      stack.pop_back();
      b.seq.push_back({SpanLabel(*s), (double)s->duration() / 1000.0});
      auto it = children.find(s->span_id.value);
      if (it != children.end()) stack.insert(stack.end(), it->second.rbegin(), it->second.rend());
      if (b.seq.size() > list.size()) break;  // cycles in bad data
    }
    built.push_back(std::move(b));
  }
  std::sort(built.begin(), built.end(), [](const Built& a, const Built& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  std::vector<TraceSequence> out;
  out.reserve(built.size());
  for (auto& b : built) {
    if (starts) starts->push_back(b.start);
    if (ids) ids->push_back(b.id);
    out.push_back(std::move(b.seq));
  }
  return out;
}

Status TraceModelConfig::Validate() const {
  if (max_labels < 1) return Status::Error("trace model: max_labels must be >= 1");
  if (max_length < 1 || max_length > 100000)
    return Status::Error("trace model: max_length must be in 1..100000");
  if (embed < 1 || hidden < 2) return Status::Error("trace model: embed >= 1 and hidden >= 2");
  if (top_k < 1) return Status::Error("trace model: top_k must be >= 1");
  if (rt_confidence <= 0 || rt_confidence >= 1)
    return Status::Error("trace model: rt_confidence must be in (0, 1)");
  if (max_epochs < 1 || patience < 1 || batch < 1)
    return Status::Error("trace model: epochs, patience, batch must be >= 1");
  if (validation_fraction < 0 || validation_fraction >= 1)
    return Status::Error("trace model: validation_fraction must be in [0, 1)");
  return Status::Ok();
}

struct TraceModel::Impl {
  TraceModelConfig config;
  std::vector<std::string> labels{"!0", "other"};
  std::unordered_map<std::string, int> ids;
  std::vector<double> lo, hi;             // per label min-max of the response time
  std::vector<double> err_mean, err_std;  // per label Gaussian of squared errors on training traces
  double z = 1.96;
  mutable TraceNet net{nullptr};

  int Id(const std::string& l) const {
    auto it = ids.find(l);
    return it == ids.end() ? kOther : it->second;
  }
  // Min-max per label of log(1 + time): response times are heavy-tailed, and on the log scale a
  // slowdown by a factor is the same shift for fast and slow calls.
  float Scale(int id, double rt) const {
    double d = hi[id] - lo[id];
    return d > 0 ? (float)((std::log1p(std::max(0.0, rt)) - lo[id]) / d) : 0.f;
  }
  Encoded Encode(const TraceSequence& t) const {
    Encoded e;
    size_t n = std::min<size_t>(t.size(), config.max_length);
    e.truncated = t.size() > n;
    for (size_t i = 0; i < n; ++i) {
      int id = Id(t[i].label);
      e.ids.push_back(id);
      e.rts.push_back(Scale(id, t[i].response_time));
    }
    return e;
  }
  // Inputs are shifted right by one (a start step of label 0, time 0); targets are the events then
  // the end label. Returns x, r (inputs), y, t (targets), mask [N, T+1] of real target positions.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor, torch::Tensor, torch::Tensor> Batch(
      const std::vector<const Encoded*>& es) const {
    int64_t T = 0;
    for (auto* e : es) T = std::max<int64_t>(T, (int64_t)e->ids.size());
    T += 1;
    int64_t N = (int64_t)es.size();
    auto x = torch::zeros({N, T}, torch::kLong), y = torch::zeros({N, T}, torch::kLong);
    auto r = torch::zeros({N, T}), t = torch::zeros({N, T}), mask = torch::zeros({N, T});
    auto xa = x.accessor<int64_t, 2>(), ya = y.accessor<int64_t, 2>();
    auto ra = r.accessor<float, 2>(), ta = t.accessor<float, 2>(), ma = mask.accessor<float, 2>();
    for (int64_t i = 0; i < N; ++i) {
      const Encoded& e = *es[i];
      int64_t n = (int64_t)e.ids.size();
      for (int64_t j = 0; j < n; ++j) {
        xa[i][j + 1] = e.ids[j];
        ra[i][j + 1] = e.rts[j];
        ya[i][j] = e.ids[j];
        ta[i][j] = e.rts[j];
      }
      for (int64_t j = 0; j < n + (e.truncated ? 0 : 1); ++j) ma[i][j] = 1;  // events and the end
    }
    return {x, r, y, t, mask};
  }
  // Joint loss: cross-entropy over labels plus squared error over the events' times.
  torch::Tensor Loss(const std::vector<const Encoded*>& es) const {
    auto [x, r, y, t, mask] = Batch(es);
    auto [logits, rt] = net->forward(x, r);
    auto ce = torch::nn::functional::cross_entropy(
                  logits.reshape({-1, logits.size(-1)}), y.reshape({-1}),
                  torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
                  .view_as(mask);
    auto se = (rt - t).pow(2) * (y != kEnd).to(torch::kFloat);
    return ((ce + se) * mask).sum() / mask.sum();
  }
};

TraceModel::TraceModel() : impl_(std::make_unique<Impl>()) {}
TraceModel::~TraceModel() = default;
TraceModel::TraceModel(TraceModel&&) noexcept = default;
TraceModel& TraceModel::operator=(TraceModel&&) noexcept = default;
bool TraceModel::trained() const {
  return !impl_->net.is_empty();
}
const TraceModelConfig& TraceModel::config() const {
  return impl_->config;
}
void TraceModel::SetTopK(int k) {
  impl_->config.top_k = std::max(1, k);
}
void TraceModel::SetRtZ(double z) {
  if (z > 0) impl_->z = z;
}
double TraceModel::rt_z() const {
  return impl_->z;
}
void TraceModel::SetMinProbability(double p) {
  impl_->config.min_probability = std::clamp(p, 0.0, 1.0);
}
void TraceModel::SetRtConfidence(double c) {
  if (c <= 0 || c >= 1) return;
  impl_->config.rt_confidence = c;
  impl_->z = NormalZ(c);
}
int TraceModel::LabelId(const std::string& label) const {
  return impl_->Id(label);
}
const std::vector<std::string>& TraceModel::labels() const {
  return impl_->labels;
}
std::pair<double, double> TraceModel::Range(int label) const {
  if (label < 0 || label >= (int)impl_->lo.size()) return {0, 0};
  return {impl_->lo[label], impl_->hi[label]};
}

Result<TraceTrainReport> TraceModel::Train(const std::vector<TraceSequence>& traces,
                                           const TraceModelConfig& config) {
  std::mt19937_64 rng(config.seed);
  std::vector<size_t> order(traces.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  size_t n_val = traces.size() >= 5 ? (size_t)(traces.size() * config.validation_fraction) : 0;
  std::vector<TraceSequence> train, val;
  for (size_t i = 0; i < order.size(); ++i) (i < n_val ? val : train).push_back(traces[order[i]]);
  return Train(train, val, config);
}

Result<TraceTrainReport> TraceModel::Train(const std::vector<TraceSequence>& train,
                                           const std::vector<TraceSequence>& val,
                                           const TraceModelConfig& config) {
  if (Status s = config.Validate(); !s) return s;
  size_t nonempty = 0;
  for (const auto& t : train) nonempty += !t.empty();
  if (nonempty == 0)
    return Result<TraceTrainReport>::Error("trace model: no non-empty training traces");
  auto started = std::chrono::steady_clock::now();
  if (config.threads > 0) torch::set_num_threads(config.threads);
  torch::manual_seed(config.seed);
  std::mt19937_64 rng(config.seed);
  Impl& m = *impl_;
  m = Impl{};
  m.config = config;
  m.z = NormalZ(config.rt_confidence);

  // Top-M labels by frequency (ties by name, for reproducibility).
  std::map<std::string, size_t> counts;
  for (const auto& t : train)
    for (size_t i = 0; i < std::min<size_t>(t.size(), config.max_length); ++i) counts[t[i].label]++;
  std::vector<std::pair<std::string, size_t>> by_count(counts.begin(), counts.end());
  std::stable_sort(by_count.begin(), by_count.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  for (size_t i = 0; i < by_count.size() && (int)i < config.max_labels; ++i) {
    m.ids[by_count[i].first] = (int)m.labels.size();
    m.labels.push_back(by_count[i].first);
  }
  size_t L = m.labels.size();
  m.lo.assign(L, std::numeric_limits<double>::infinity());
  m.hi.assign(L, -std::numeric_limits<double>::infinity());
  for (const auto& t : train)
    for (size_t i = 0; i < std::min<size_t>(t.size(), config.max_length); ++i) {
      int id = m.Id(t[i].label);
      double v = std::log1p(std::max(0.0, t[i].response_time));
      m.lo[id] = std::min(m.lo[id], v);
      m.hi[id] = std::max(m.hi[id], v);
    }
  for (size_t i = 0; i < L; ++i)
    if (m.lo[i] > m.hi[i]) m.lo[i] = m.hi[i] = 0;

  std::vector<Encoded> tr, va;
  for (const auto& t : train)
    if (!t.empty()) tr.push_back(m.Encode(t));
  for (const auto& t : val)
    if (!t.empty()) va.push_back(m.Encode(t));
  // Batches of similar length waste less work on padding.
  std::vector<size_t> by_len(tr.size());
  std::iota(by_len.begin(), by_len.end(), 0);
  std::stable_sort(by_len.begin(), by_len.end(),
                   [&](size_t a, size_t b) { return tr[a].ids.size() < tr[b].ids.size(); });
  std::vector<std::vector<const Encoded*>> batches;
  for (size_t b = 0; b < by_len.size(); b += config.batch) {
    batches.emplace_back();
    for (size_t i = b; i < std::min(by_len.size(), b + config.batch); ++i)
      batches.back().push_back(&tr[by_len[i]]);
  }
  std::vector<const Encoded*> vptr;
  for (auto& e : va) vptr.push_back(&e);
  std::sort(vptr.begin(), vptr.end(),
            [](auto* a, auto* b) { return a->ids.size() < b->ids.size(); });

  TraceTrainReport rep;
  rep.train_traces = tr.size();
  rep.validation_traces = va.size();
  rep.labels = L - 2;
  LogInfo("trace model: {} training traces, {} for validation, {} labels (top {} kept)", tr.size(),
          va.size(), counts.size(), rep.labels);
  m.net = TraceNet((int)L, config.embed, config.hidden);
  torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(config.learning_rate));
  auto eval_loss = [&](const std::vector<const Encoded*>& set) {
    torch::NoGradGuard ng;
    double sum = 0;
    size_t n = 0;
    for (size_t b = 0; b < set.size(); b += 256) {
      std::vector<const Encoded*> chunk(set.begin() + b,
                                        set.begin() + std::min(set.size(), b + 256));
      sum += m.Loss(chunk).item<double>() * chunk.size();
      n += chunk.size();
    }
    return n ? sum / n : 0.0;
  };
  double best = std::numeric_limits<double>::infinity();
  int bad = 0;
  std::stringstream best_state;
  for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
    m.net->train();
    std::shuffle(batches.begin(), batches.end(), rng);
    double sum = 0;
    for (const auto& b : batches) {
      auto loss = m.Loss(b);
      opt.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(m.net->parameters(), 5.0);
      opt.step();
      sum += loss.item<double>() * b.size();
    }
    m.net->eval();
    rep.epochs = epoch;
    rep.train_loss = sum / tr.size();
    double vloss = va.empty() ? rep.train_loss : eval_loss(vptr);
    LogInfo("trace model: epoch {} loss {:.4f} validation {:.4f}", epoch, rep.train_loss, vloss);
    Progress::Update("training trace model", epoch, config.max_epochs, "epochs");
    if (vloss < best - 1e-4) {
      best = vloss;
      bad = 0;
      best_state.str("");
      torch::serialize::OutputArchive a;
      m.net->save(a);
      a.save_to(best_state);
    } else if (++bad >= config.patience) {
      LogInfo("trace model: validation loss flat for {} epochs, stopping early", bad);
      break;
    }
  }
  Progress::Finish("training trace model");
  torch::serialize::InputArchive in;
  in.load_from(best_state);
  m.net->load(in);
  m.net->eval();
  rep.validation_loss = best;

  // The per-label Gaussian of squared errors, fitted on the training traces.
  m.err_mean.assign(L, 0);
  m.err_std.assign(L, 0);
  m.z = 1e9;  // no response-time flags while fitting
  std::vector<double> s1(L, 0), s2(L, 0), cnt(L, 0);
  std::vector<TraceSequence> all;
  std::vector<TraceScore> scores = Score(train);
  for (size_t i = 0; i < train.size(); ++i) {
    Encoded e = m.Encode(train[i]);
    for (size_t j = 0; j < e.ids.size(); ++j) {
      double err = scores[i].events[j].rt_error;
      s1[e.ids[j]] += err;
      s2[e.ids[j]] += err * err;
      cnt[e.ids[j]] += 1;
    }
  }
  // Labels seen fewer than 10 times borrow the pooled Gaussian; a floor on the deviation keeps a
  // label whose errors were all alike from flagging every tiny wobble.
  double p1 = 0, p2 = 0, pc = 0;
  for (size_t l = 0; l < L; ++l) p1 += s1[l], p2 += s2[l], pc += cnt[l];
  double pooled_mean = pc > 0 ? p1 / pc : 0;
  double pooled_std = pc > 0 ? std::sqrt(std::max(0.0, p2 / pc - pooled_mean * pooled_mean)) : 0;
  const double kStdFloor = 1e-3;
  for (size_t l = 0; l < L; ++l) {
    if (cnt[l] >= 10) {
      m.err_mean[l] = s1[l] / cnt[l];
      m.err_std[l] = std::sqrt(std::max(0.0, s2[l] / cnt[l] - m.err_mean[l] * m.err_mean[l]));
    } else {
      m.err_mean[l] = pooled_mean;
      m.err_std[l] = pooled_std;
    }
    m.err_std[l] = std::max(m.err_std[l], kStdFloor);
  }
  m.z = NormalZ(config.rt_confidence);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rep;
}

std::vector<TraceScore> TraceModel::Score(const std::vector<TraceSequence>& traces) const {
  const Impl& m = *impl_;
  std::vector<TraceScore> out(traces.size());
  if (!trained() || traces.empty()) return out;
  torch::NoGradGuard ng;
  std::vector<Encoded> enc;
  enc.reserve(traces.size());
  for (const auto& t : traces) enc.push_back(m.Encode(t));
  std::vector<size_t> order(traces.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return enc[a].ids.size() < enc[b].ids.size(); });
  const size_t batch = 256;
  for (size_t b = 0; b < order.size(); b += batch) {
    std::vector<const Encoded*> chunk;
    for (size_t i = b; i < std::min(order.size(), b + batch); ++i) chunk.push_back(&enc[order[i]]);
    auto [x, r, y, t, mask] = m.Batch(chunk);
    auto [logits, rt] = m.net->forward(x, r);
    auto prob = torch::softmax(logits, -1);
    auto py = prob.gather(2, y.unsqueeze(-1));
    auto rank = (prob > py).sum(-1);
    auto err = (rt - t).pow(2);
    auto pa = py.accessor<float, 3>();
    auto ra = rank.accessor<int64_t, 2>();
    auto ea = err.accessor<float, 2>();
    for (size_t c = 0; c < chunk.size(); ++c) {
      const Encoded& e = *chunk[c];
      TraceScore& s = out[order[b + c]];
      size_t n = e.ids.size();
      s.events.resize(n + 1);
      for (size_t j = 0; j <= n; ++j) {
        if (j == n && e.truncated) break;  // the end of a truncated trace is not judged
        TraceEventScore& ev = s.events[j];
        ev.rank = (int)ra[c][j];
        ev.probability = pa[c][j][0];
        ev.structural = ev.rank >= m.config.top_k && (m.config.min_probability <= 0 ||
                                                      ev.probability < m.config.min_probability);
        if (j < n) {
          int id = e.ids[j];
          ev.rt_error = ea[c][j];
          ev.rt_bound = m.err_mean.empty() ? 0 : m.err_mean[id] + m.z * m.err_std[id];
          ev.response_time = !m.err_mean.empty() && ev.rt_error > ev.rt_bound;
          if (!m.err_mean.empty()) {
            double sd = m.err_std[id], d = ev.rt_error - m.err_mean[id];
            ev.rt_z = sd > 0 ? d / sd : (d > 1e-9 ? 1e9 : 0);
          }
        }
        s.structural |= ev.structural;
        s.response_time |= ev.response_time;
      }
    }
  }
  return out;
}

bool StructuralAt(const TraceScore& s, int k, double floor) {
  for (const auto& e : s.events)
    if (e.rank >= k && (floor <= 0 || e.probability < floor)) return true;
  return false;
}

double MaxRtZ(const TraceScore& s) {
  double z = -1e300;
  for (size_t i = 0; i + 1 < s.events.size(); ++i) z = std::max(z, s.events[i].rt_z);
  return z;
}

TraceCalibration TraceModel::Calibrate(const std::vector<TraceSequence>& clean,
                                       double structural_fpr, double rt_fpr) {
  TraceCalibration c;
  c.rt_z = impl_->z;
  c.min_probability = impl_->config.min_probability;
  auto scores = Score(clean);
  c.traces = scores.size();
  if (scores.empty()) return c;
  const double n = static_cast<double>(scores.size());
  if (rt_fpr > 0) {
    std::vector<double> zs;
    for (const auto& s : scores) zs.push_back(MaxRtZ(s));
    std::sort(zs.begin(), zs.end());
    double z = zs[std::min(zs.size() - 1, (size_t)std::ceil((1 - rt_fpr) * n))];
    c.rt_z = std::max(z, 1.959964);  // never below the seed's 95 %
    SetRtZ(c.rt_z);
  }
  if (structural_fpr > 0) {
    const int k = impl_->config.top_k;
    for (double floor : {0.0, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 1e-4, 1e-5, 1e-6}) {
      c.min_probability = floor;
      double flagged = 0;
      for (const auto& s : scores) flagged += StructuralAt(s, k, floor);
      if (flagged / n <= structural_fpr) break;
    }
    SetMinProbability(c.min_probability);
  }
  double fs = 0, fr = 0;
  for (const auto& s : scores) {
    fs += StructuralAt(s, impl_->config.top_k, impl_->config.min_probability);
    fr += MaxRtZ(s) > impl_->z;
  }
  c.fpr_structural = fs / n;
  c.fpr_response_time = fr / n;
  return c;
}

TraceScore TraceModel::Score(const TraceSequence& trace) const {
  return Score(std::vector<TraceSequence>{trace})[0];
}

std::vector<std::pair<std::string, float>> TraceModel::PredictNext(const TraceSequence& prefix,
                                                                   int k) const {
  std::vector<std::pair<std::string, float>> out;
  if (!trained()) return out;
  const Impl& m = *impl_;
  torch::NoGradGuard ng;
  Encoded e = m.Encode(prefix);
  auto [x, r, y, t, mask] = m.Batch({&e});
  auto [logits, rt] = m.net->forward(x, r);
  auto prob = torch::softmax(logits[0][(int64_t)e.ids.size()], -1);
  auto top = prob.topk(std::min<int64_t>(k, prob.size(0)));
  auto v = std::get<0>(top).accessor<float, 1>();
  auto id = std::get<1>(top).accessor<int64_t, 1>();
  for (int64_t i = 0; i < v.size(0); ++i) out.emplace_back(m.labels[id[i]], v[i]);
  return out;
}

NextEventRelation TraceModel::Relation(const TraceSequence& prefix, int k,
                                       double dependent_at) const {
  NextEventRelation rel;
  rel.candidates = PredictNext(prefix, k);
  if (rel.candidates.empty()) return rel;
  rel.dependent = rel.candidates[0].second >= dependent_at;
  if (rel.dependent) return rel;
  // Concurrent: appending either candidate leads to the same most probable next label.
  std::vector<std::string> after;
  for (const auto& [label, p] : rel.candidates) {
    TraceSequence longer = prefix;
    int id = LabelId(label);
    longer.push_back({label, (Range(id).first + Range(id).second) / 2});
    auto next = PredictNext(longer, 1);
    after.push_back(next.empty() ? "" : next[0].first);
  }
  for (size_t a = 0; a < rel.candidates.size(); ++a)
    for (size_t b = a + 1; b < rel.candidates.size(); ++b)
      if (!after[a].empty() && after[a] == after[b] && rel.candidates[b].second > 0.05)
        rel.concurrent.emplace_back(rel.candidates[a].first, rel.candidates[b].first);
  return rel;
}

Status TraceModel::Save(ModelBundle& bundle, const std::string& name,
                        const TraceTrainReport& rep) const {
  if (!trained()) return Status::Error("trace model: nothing to save (not trained)");
  const Impl& m = *impl_;
  const auto& c = m.config;
  nlohmann::json j = {{"max_labels", c.max_labels},
                      {"max_length", c.max_length},
                      {"embed", c.embed},
                      {"hidden", c.hidden},
                      {"top_k", c.top_k},
                      {"rt_confidence", c.rt_confidence},
                      {"min_probability", c.min_probability},
                      {"rt_z", m.z},
                      {"labels", m.labels},
                      {"lo", m.lo},
                      {"hi", m.hi},
                      {"err_mean", m.err_mean},
                      {"err_std", m.err_std}};
  auto json_path = bundle.File(name + ".json");
  {
    std::ofstream out(json_path);
    out << j.dump(1) << "\n";
    if (!out) return Status::Error(json_path.string() + ": cannot write");
  }
  auto pt_path = bundle.File(name + ".pt");
  try {
    torch::serialize::OutputArchive a;
    m.net->save(a);
    a.save_to(pt_path.string());
  } catch (const std::exception& e) {
    return Status::Error(pt_path.string() + ": cannot write weights: " + e.what());
  }
  bundle.AddModel(name, "trace_lstm", {name + ".pt", name + ".json"},
                  {{"epochs", rep.epochs},
                   {"train_loss", rep.train_loss},
                   {"validation_loss", rep.validation_loss},
                   {"train_seconds", rep.seconds},
                   {"train_traces", rep.train_traces},
                   {"labels", rep.labels}});
  return Status::Ok();
}

Result<TraceModel> TraceModel::Load(const ModelBundle& bundle, const std::string& name) {
  if (!bundle.HasModel(name))
    return Result<TraceModel>::Error(bundle.dir().string() + ": the bundle has no model '" + name +
                                     "'");
  auto json_path = bundle.File(name + ".json");
  TraceModel model;
  Impl& m = *model.impl_;
  try {
    std::ifstream in(json_path);
    if (!in) return Result<TraceModel>::Error(json_path.string() + ": cannot read");
    nlohmann::json j;
    in >> j;
    m.config.max_labels = j.at("max_labels");
    m.config.max_length = j.at("max_length");
    m.config.embed = j.at("embed");
    m.config.hidden = j.at("hidden");
    m.config.top_k = j.at("top_k");
    m.config.rt_confidence = j.at("rt_confidence");
    m.config.min_probability = j.value("min_probability", 0.0);
    m.labels = j.at("labels").get<std::vector<std::string>>();
    m.lo = j.at("lo").get<std::vector<double>>();
    m.hi = j.at("hi").get<std::vector<double>>();
    m.err_mean = j.at("err_mean").get<std::vector<double>>();
    m.err_std = j.at("err_std").get<std::vector<double>>();
  } catch (const std::exception& e) {
    return Result<TraceModel>::Error(json_path.string() +
                                     ": bad trace model description: " + e.what());
  }
  if (Status s = m.config.Validate(); !s)
    return Result<TraceModel>::Error(json_path.string() + ": " + s.message());
  size_t L = m.labels.size();
  if (L < 2 || m.lo.size() != L || m.hi.size() != L || m.err_mean.size() != L ||
      m.err_std.size() != L)
    return Result<TraceModel>::Error(json_path.string() + ": label tables disagree in size");
  for (size_t i = 2; i < L; ++i) m.ids[m.labels[i]] = (int)i;
  m.z = NormalZ(m.config.rt_confidence);
  try {
    std::ifstream in(json_path);
    nlohmann::json j;
    in >> j;
    m.z = j.value("rt_z", m.z);
  } catch (const std::exception&) {
  }
  auto pt_path = bundle.File(name + ".pt");
  try {
    m.net = TraceNet((int)L, m.config.embed, m.config.hidden);
    torch::serialize::InputArchive in;
    in.load_from(pt_path.string());
    m.net->load(in);
    m.net->eval();
  } catch (const std::exception& e) {
    return Result<TraceModel>::Error(
        pt_path.string() + ": cannot load weights: " + std::string(e.what()).substr(0, 300));
  }
  return model;
}

}  // namespace augur::learn
