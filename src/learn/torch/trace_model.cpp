// libtorch side of the multimodal trace model (learn/torch/trace_model.h).
#include "learn/torch/trace_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/log.h"
#include "learn/torch/compute_device.h"
#include "learn/torch/train_loop.h"

namespace augur::learn {
namespace {

// Labels and response times enter through their own first LSTM layer; the second layer sees both.
// The response-time head also sees the label of the event it predicts for: that label is observed
// (the structural rule judges it separately), and without it the prediction blends the times of
// every label that might come next.
struct TraceNetImpl : torch::nn::Module {
  static constexpr int kRtInputs = 2;  // per-label and global standardized log response time
  TraceNetImpl(int labels, int embed, int hidden)
      : emb(register_module("emb", torch::nn::Embedding(labels, embed))),
        label_lstm(register_module(
            "label_lstm",
            torch::nn::LSTM(torch::nn::LSTMOptions(embed, hidden).batch_first(true)))),
        rt_lstm(register_module(
            "rt_lstm",
            torch::nn::LSTM(torch::nn::LSTMOptions(kRtInputs, hidden / 2).batch_first(true)))),
        joint(register_module(
            "joint", torch::nn::LSTM(
                         torch::nn::LSTMOptions(hidden + hidden / 2, hidden).batch_first(true)))),
        label_out(register_module("label_out", torch::nn::Linear(hidden, labels))),
        rt_hidden(register_module("rt_hidden", torch::nn::Linear(hidden + embed, hidden))),
        rt_out(register_module("rt_out", torch::nn::Linear(hidden, 1))) {}
  // x: [N, T] previous labels, r: [N, T, 2] previous scaled times, y: [N, T] the labels whose
  // times are predicted → logits [N, T, labels], times [N, T].
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& r,
                                                  const torch::Tensor& y) {
    auto a = std::get<0>(label_lstm->forward(emb->forward(x)));
    auto b = std::get<0>(rt_lstm->forward(r));
    auto h = std::get<0>(joint->forward(torch::cat({a, b}, -1)));
    auto q = torch::relu(rt_hidden->forward(torch::cat({h, emb->forward(y)}, -1)));
    return {label_out->forward(h), rt_out->forward(q).squeeze(-1)};
  }
  torch::nn::Embedding emb;
  torch::nn::LSTM label_lstm, rt_lstm, joint;
  torch::nn::Linear label_out, rt_hidden, rt_out;
};
TORCH_MODULE(TraceNet);

// Plain-C++ inference of a trained TraceNet. libtorch runs an LSTM step by step with a dozen
// operator dispatches per step and layer, which for one trace cost far more than the arithmetic
// (13 ms for 76 events); here the recurrences are plain loops over weights laid out for them and
// the steps' non-recurrent products are small blocked matrix products over the whole trace.
struct FastNet {
  int L = 0, E = 0, H = 0, H2 = 0;
  std::vector<float> gates1;  // [L][4H]: label LSTM input gates of each label's embedding + biases
  std::vector<float> whh1;    // [H][4H] (transposed: one row per input)
  std::vector<float> wih2, b2;    // [2][4H2], [4H2]
  std::vector<float> whh2;        // [H2][4H2]
  std::vector<float> wih3, b3;    // [H+H2][4H], [4H]
  std::vector<float> whh3;        // [H][4H]
  std::vector<float> wout, bout;  // [H][L], [L]
  std::vector<float> wq;          // [H][H]: the response-time hidden layer, joint-state part
  std::vector<float> q_label;     // [L][H]: its label-embedding part + bias, per label
  std::vector<float> wo;          // [H]
  float bo = 0;
  bool ready() const { return H > 0; }
};

// Row-major copy of a 2-D tensor, transposed ([out, in] → [in][out]).
std::vector<float> Transposed(const torch::Tensor& w) {
  auto t = w.detach().to(torch::kFloat).t().contiguous().cpu();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}
std::vector<float> Flat(const torch::Tensor& w) {
  auto t = w.detach().to(torch::kFloat).contiguous().cpu();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

FastNet MakeFastNet(TraceNet& net) {
  torch::NoGradGuard ng;
  FastNet f;
  auto emb = net->emb->weight;
  f.L = (int)emb.size(0);
  f.E = (int)emb.size(1);
  auto p1 = net->label_lstm->named_parameters();
  auto p2 = net->rt_lstm->named_parameters();
  auto p3 = net->joint->named_parameters();
  f.H = (int)p1["weight_hh_l0"].size(1);
  f.H2 = (int)p2["weight_hh_l0"].size(1);
  f.gates1 = Flat(torch::addmm(p1["bias_ih_l0"] + p1["bias_hh_l0"], emb, p1["weight_ih_l0"].t()));
  f.whh1 = Transposed(p1["weight_hh_l0"]);
  f.wih2 = Transposed(p2["weight_ih_l0"]);
  f.b2 = Flat(p2["bias_ih_l0"] + p2["bias_hh_l0"]);
  f.whh2 = Transposed(p2["weight_hh_l0"]);
  f.wih3 = Transposed(p3["weight_ih_l0"]);
  f.b3 = Flat(p3["bias_ih_l0"] + p3["bias_hh_l0"]);
  f.whh3 = Transposed(p3["weight_hh_l0"]);
  f.wout = Transposed(net->label_out->weight);
  f.bout = Flat(net->label_out->bias);
  auto wq = net->rt_hidden->weight;  // [H, H + E]: joint state, then label embedding
  f.wq = Transposed(wq.slice(1, 0, f.H));
  f.q_label = Flat(torch::addmm(net->rt_hidden->bias, emb, wq.slice(1, f.H, f.H + f.E).t()));
  f.wo = Flat(net->rt_out->weight);
  f.bo = net->rt_out->bias.item<float>();
  return f;
}

// Scaled response times as network inputs: outliers clipped so they do not saturate the LSTM.
inline float InputClamp(float v) {
  return std::clamp(v, -8.0f, 8.0f);
}

// exp for the gates and the softmax: Cody-Waite range reduction and a degree-6 polynomial, within
// about 2 ulp of std::exp over the range the network produces, and vectorizable.
__attribute__((always_inline)) inline float FastExp(float x) {
  x = std::clamp(x, -87.0f, 88.0f);
  float n = std::nearbyint(x * 1.44269504f);
  float r = x - n * 0.693145752f - n * 1.42860677e-6f;
  float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666418f + r * (0.00833336823f +
                                                                            r * 0.00138888252f)))));
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}
__attribute__((always_inline)) inline float Sigmoid(float x) {
  return 1.0f / (1.0f + FastExp(-x));
}
__attribute__((always_inline)) inline float Tanh(float x) {
  return 2.0f / (1.0f + FastExp(-2.0f * x)) - 1.0f;
}

// Y[T][out] += X[T][in] · W[in][out]. Columns go in blocks of 32 held in registers over the whole
// sum, and each block of W (in x 32) stays in the L1 cache across the time steps.
__attribute__((always_inline)) inline void AddProduct(const float* __restrict X, int T, int in,
                                                      const float* __restrict W, int out,
                                                      float* __restrict Y) {
  constexpr int kCols = 32;
  int j0 = 0;
  for (; j0 + kCols <= out; j0 += kCols)
    for (int t = 0; t < T; ++t) {
      float acc[kCols];
      float* y = Y + (size_t)t * out + j0;
      for (int j = 0; j < kCols; ++j) acc[j] = y[j];
      const float* x = X + (size_t)t * in;
      for (int k = 0; k < in; ++k) {
        const float xk = x[k];
        const float* w = W + (size_t)k * out + j0;
        for (int j = 0; j < kCols; ++j) acc[j] += xk * w[j];
      }
      for (int j = 0; j < kCols; ++j) y[j] = acc[j];
    }
  if (j0 == out) return;
  for (int t = 0; t < T; ++t) {
    const float* x = X + (size_t)t * in;
    float* y = Y + (size_t)t * out;
    for (int k = 0; k < in; ++k)
      for (int j = j0; j < out; ++j) y[j] += x[k] * W[(size_t)k * out + j];
  }
}

// One LSTM cell update from its pre-activation gates (torch order: input, forget, cell, output).
__attribute__((always_inline)) inline void Cell(const float* __restrict g, float* __restrict c,
                                                float* __restrict h, int H) {
  for (int j = 0; j < H; ++j) {
    float i = Sigmoid(g[j]), f = Sigmoid(g[H + j]), u = Tanh(g[2 * H + j]),
          o = Sigmoid(g[3 * H + j]);
    c[j] = f * c[j] + i * u;
    h[j] = o * Tanh(c[j]);
  }
}

struct FastOut {
  std::vector<float> prob;  // [T]: probability of the observed label (the end at T - 1)
  std::vector<int> rank;    // [T]
  std::vector<float> rt;    // [T - 1]: predicted scaled response time of each event
};

// Scores one encoded trace: T = events + 1 steps (the last predicts the end).
// Scratch space of FastForward, reused from trace to trace (no allocation, no fresh pages).
struct FastScratch {
  std::vector<float> ab, g3, hs, g, c, c2, g2, logits, q, exps;
};

// AVX2/FMA where the CPU has them (x86-64-v3), else the baseline; chosen once at load time.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void FastForward(
    const FastNet& f, const int* ids, const float* rts, const float* global, int n,
    FastScratch& scratch, FastOut& out) {
  const int T = n + 1, H = f.H, H2 = f.H2, G = 4 * H, G2 = 4 * H2, L = f.L, HB = H + H2;
  auto& [ab, g3, hs, g, c, c2, g2, logits, q, q_exp] = scratch;
  q_exp.resize(L);
  ab.resize((size_t)T * HB);
  g3.resize((size_t)T * G);
  hs.resize((size_t)T * H);
  g.resize(G);
  c.resize(H);
  c2.resize(H2);
  g2.resize(G2);
  logits.resize((size_t)T * L);
  q.resize((size_t)n * H);
  // Label and response-time LSTMs, step by step (input at t is event t - 1; a zero start step).
  std::fill(c.begin(), c.end(), 0.f);
  std::fill(c2.begin(), c2.end(), 0.f);
  for (int t = 0; t < T; ++t) {
    const int x = t == 0 ? 0 : ids[t - 1];
    std::copy_n(&f.gates1[(size_t)x * G], G, g.data());
    if (t > 0) AddProduct(&ab[(size_t)(t - 1) * HB], 1, H, f.whh1.data(), G, g.data());
    Cell(g.data(), c.data(), &ab[(size_t)t * HB], H);
    std::copy(f.b2.begin(), f.b2.end(), g2.begin());
    if (t > 0) {
      const float r[2] = {InputClamp(rts[t - 1]), InputClamp(global[t - 1])};
      AddProduct(r, 1, 2, f.wih2.data(), G2, g2.data());
      AddProduct(&ab[(size_t)(t - 1) * HB + H], 1, H2, f.whh2.data(), G2, g2.data());
    }
    Cell(g2.data(), c2.data(), &ab[(size_t)t * HB + H], H2);
  }
  // Joint LSTM: input products for every step at once, then the recurrence.
  for (int t = 0; t < T; ++t) std::copy(f.b3.begin(), f.b3.end(), &g3[(size_t)t * G]);
  AddProduct(ab.data(), T, HB, f.wih3.data(), G, g3.data());
  std::fill(c.begin(), c.end(), 0.f);
  for (int t = 0; t < T; ++t) {
    float* gt = &g3[(size_t)t * G];
    if (t > 0) AddProduct(&hs[(size_t)(t - 1) * H], 1, H, f.whh3.data(), G, gt);
    Cell(gt, c.data(), &hs[(size_t)t * H], H);
  }
  // Label logits and the response-time head, for every step at once.
  for (int t = 0; t < T; ++t) std::copy(f.bout.begin(), f.bout.end(), &logits[(size_t)t * L]);
  AddProduct(hs.data(), T, H, f.wout.data(), L, logits.data());
  for (int t = 0; t < n; ++t) std::copy_n(&f.q_label[(size_t)ids[t] * H], H, &q[(size_t)t * H]);
  AddProduct(hs.data(), n, H, f.wq.data(), H, q.data());
  out.prob.resize(T);
  out.rank.resize(T);
  out.rt.resize(n);
  for (int t = 0; t < T; ++t) {
    const float* l = &logits[(size_t)t * L];
    const int y = t < n ? ids[t] : 0;
    float mx = l[0];
    for (int j = 1; j < L; ++j) mx = std::max(mx, l[j]);
    float* e = &q_exp[0];
    int above = 0;
    for (int j = 0; j < L; ++j) {  // vectorized: no reduction in it but the count
      e[j] = FastExp(l[j] - mx);
      above += l[j] > l[y];
    }
    float sum = 0;
    for (int j = 0; j < L; ++j) sum += e[j];
    out.prob[t] = e[y] / sum;
    out.rank[t] = above;
    if (t < n) {
      const float* qt = &q[(size_t)t * H];
      float p = f.bo;
      for (int j = 0; j < H; ++j) p += f.wo[j] * std::max(0.f, qt[j]);
      out.rt[t] = p;
    }
  }
}

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

// Median and 1.4826 x median absolute deviation (the deviation of a Gaussian, robust to outliers).
std::pair<double, double> RobustCenterScale(std::vector<double> v) {
  if (v.empty()) return {0, 1};
  auto mid = v.begin() + v.size() / 2;
  std::nth_element(v.begin(), mid, v.end());
  double med = *mid;
  for (double& x : v) x = std::abs(x - med);
  std::nth_element(v.begin(), mid, v.end());
  return {med, 1.4826 * *mid};
}
// The per-label Gaussian of residuals under each RtSpread: (mean, deviation).
std::pair<double, double> FitSpread(const std::vector<double>& v, RtSpread kind) {
  if (v.empty()) return {0, 1};
  if (kind == RtSpread::kStd) {
    double s1 = 0, s2 = 0;
    for (double x : v) s1 += x, s2 += x * x;
    double mean = s1 / v.size();
    return {mean, std::sqrt(std::max(0.0, s2 / v.size() - mean * mean))};
  }
  auto [med, mad_sd] = RobustCenterScale(v);
  if (kind == RtSpread::kRobust) return {med, mad_sd};
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::abs(x - med));
  auto at = dev.begin() + (ptrdiff_t)std::min(dev.size() - 1, (size_t)(0.99 * dev.size()));
  std::nth_element(dev.begin(), at, dev.end());
  return {med, *at / 2.5758};  // |x - mean| of a Gaussian passes 2.5758 deviations 1 % of the time
}

// A label's density of residuals for the likelihood rule: a Gaussian kernel estimate between the
// outer tenths of the training residuals, exponential tails beyond them (fitted to the mean
// excess). Real response times have long tails: a kernel estimate alone falls to ~0 past the
// largest training residual, so any later call a little slower than every training call would
// score without bound; an exponential tail caps what one shift can gain on a label whose tail is
// long anyway.
struct RtDensity {
  static constexpr int kGrid = 48;
  double lo = 0, hi = 0;     // body between these residuals
  double bl = 1, bh = 1;     // mean excess of the lower and upper tails
  double pl = 0, ph = 0;     // tail density at lo and hi (tail mass / mean excess)
  std::vector<double> body;  // kernel density at kGrid points from lo to hi

  double Density(double x) const {
    double f;
    if (x > hi)
      f = ph * std::exp(-(x - hi) / bh);
    else if (x < lo)
      f = pl * std::exp(-(lo - x) / bl);
    else if (hi - lo <= 0 || body.size() < 2)
      f = body.empty() ? 0 : body[0];
    else {
      double u = (x - lo) / (hi - lo) * (double)(body.size() - 1);
      size_t i = std::min(body.size() - 2, (size_t)u);
      double w = u - (double)i;
      f = body[i] * (1 - w) + body[i + 1] * w;
    }
    return std::max(f, 1e-12);
  }
  // log f(x - shift) - log f(x): how much likelier x is if the call was `shift` slower.
  double LogRatio(double x, double shift) const {
    return std::log(Density(x - shift)) - std::log(Density(x));
  }
  std::vector<double> Flat() const {
    std::vector<double> v = {lo, hi, bl, bh, pl, ph};
    v.insert(v.end(), body.begin(), body.end());
    return v;
  }
  static bool FromFlat(const std::vector<double>& v, RtDensity& d) {
    if (v.size() != 6 + (size_t)kGrid) return false;
    for (double x : v)
      if (!std::isfinite(x)) return false;
    d.lo = v[0], d.hi = v[1], d.bl = v[2], d.bh = v[3], d.pl = v[4], d.ph = v[5];
    d.body.assign(v.begin() + 6, v.end());
    return d.hi >= d.lo && d.bl > 0 && d.bh > 0 && d.pl >= 0 && d.ph >= 0;
  }
};

RtDensity FitDensity(std::vector<double> v) {
  RtDensity d;
  if (v.empty()) {
    d.body.assign(RtDensity::kGrid, 0.0);
    d.pl = d.ph = 0.5;  // a unit exponential each side
    return d;
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const size_t m =
      std::max<size_t>(1, std::min(n - 1, std::max<size_t>(5, (size_t)std::ceil(0.1 * (double)n))));
  if (n < 2) {
    d.lo = d.hi = v[0];
    d.pl = d.ph = 0.5;
    d.body.assign(RtDensity::kGrid, 0.5);
    return d;
  }
  d.hi = v[n - m - 1];
  d.lo = v[m];
  if (d.lo > d.hi) std::swap(d.lo, d.hi);
  double eh = 0, el = 0;
  for (size_t i = n - m; i < n; ++i) eh += v[i] - d.hi;
  for (size_t i = 0; i < m; ++i) el += d.lo - v[i];
  d.bh = std::max(eh / (double)m, 0.01);
  d.bl = std::max(el / (double)m, 0.01);
  d.ph = (double)m / (double)n / d.bh;
  d.pl = (double)m / (double)n / d.bl;
  // Silverman's bandwidth on the robust deviation.
  auto [med, sd] = RobustCenterScale(v);
  (void)med;
  const double h = std::max(0.9 * std::max(sd, 0.05) * std::pow((double)n, -0.2), 0.02);
  const double norm = 1.0 / ((double)n * h * std::sqrt(2 * M_PI));
  d.body.resize(RtDensity::kGrid);
  for (int g = 0; g < RtDensity::kGrid; ++g) {
    const double x = d.lo + (d.hi - d.lo) * g / (RtDensity::kGrid - 1);
    // Samples beyond 6 bandwidths add nothing measurable: only the window around x is summed.
    auto a = std::lower_bound(v.begin(), v.end(), x - 6 * h);
    auto b = std::upper_bound(a, v.end(), x + 6 * h);
    double sum = 0;
    for (auto it = a; it != b; ++it) {
      const double z = (x - *it) / h;
      sum += std::exp(-0.5 * z * z);
    }
    d.body[g] = sum * norm;
  }
  return d;
}

// The shift of a call that took twice its normal time, in the label's scaled units: log(1 + 2t)
// - log(1 + t) is log 2 for any call of more than a few microseconds. A doubling is the smallest
// slow-down the rule is meant for; a larger one scores at least as high in the tails.
constexpr double kLikelihoodFactor = 2.0;

// 3: per-label residual densities (the likelihood rule). 2: log scaling, residual Gaussians.
constexpr int kTraceModelFormat = 3;
constexpr size_t kMinPerLabel = 10;  // fewer samples of a label: pooled statistics instead
constexpr double kMinScale = 0.05;   // log units: 5 % of a response time
constexpr double kMinErrStd = 0.05;  // scaled units

struct Encoded {
  std::vector<int> ids;
  std::vector<float> rts, global;  // standardized log response time: per label, over all labels
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
    // Iterative depth-first walks (traces can be deep); children are already in start order.
    std::unordered_set<const Span*> seen;
    auto walk = [&](const Span* from) {
      std::vector<const Span*> stack{from};
      while (!stack.empty()) {
        const Span* s = stack.back();
        stack.pop_back();
        if (!seen.insert(s).second) continue;
        b.seq.push_back({SpanLabel(*s), (double)s->duration() / 1000.0});
        auto it = children.find(s->span_id.value);
        if (it != children.end()) stack.insert(stack.end(), it->second.rbegin(), it->second.rend());
      }
    };
    for (const Span* r : roots) walk(r);
    // Spans that no root reaches (parents in a cycle, in bad data) follow in start order.
    for (const Span* s : list) walk(s);
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
  if (embed > 4096 || hidden > 4096 || max_labels > 1000000)
    return Status::Error("trace model: embed and hidden must be <= 4096, max_labels <= 1000000");
  if (top_k < 1) return Status::Error("trace model: top_k must be >= 1");
  if (rt_confidence <= 0 || rt_confidence >= 1)
    return Status::Error("trace model: rt_confidence must be in (0, 1)");
  if (max_epochs < 1 || patience < 1 || batch < 1)
    return Status::Error("trace model: epochs, patience, batch must be >= 1");
  if (min_steps < 0 || min_steps > 10000000)
    return Status::Error("trace model: min_steps must be in 0..10000000");
  if (validation_fraction < 0 || validation_fraction >= 1)
    return Status::Error("trace model: validation_fraction must be in [0, 1)");
  return Status::Ok();
}

struct TraceModel::Impl {
  TraceModelConfig config;
  std::vector<std::string> labels{"!0", "other"};
  std::unordered_map<std::string, int> ids;
  // Per label: median and robust deviation of log(1 + time) on the training traces; the same over
  // all labels in global_center / global_scale.
  std::vector<double> center, scale;
  double global_center = 0, global_scale = 1;
  // Per label Gaussian of the prediction residuals (observed - predicted, scaled units) on the
  // training traces.
  std::vector<double> err_mean, err_std;
  // The same for every Gaussian RtSpread, by its value (empty after loading).
  std::array<std::vector<double>, 3> spread_mean, spread_std;
  // Per label residual density (the likelihood rule); kept after loading.
  std::vector<RtDensity> density;
  double z = 1.96;
  mutable TraceNet net{nullptr};
  FastNet fast;  // the same weights for scoring (MakeFastNet after training or loading)

  int Id(const std::string& l) const {
    auto it = ids.find(l);
    return it == ids.end() ? kOther : it->second;
  }
  // Seed 002 min-max scales per label. On real spans that squashes: one slow outlier in training
  // sets the maximum, and a 2-5x slow-down of a typical call becomes a few hundredths, drowned by
  // the label loss. Instead: log(1 + time) (a slow-down by a factor is the same shift for fast and
  // slow calls), centred on the label's median and divided by its robust deviation. Outliers are
  // clipped by InputClamp as inputs (not to saturate the LSTM) and weigh linearly in the loss
  // (Huber); as targets they keep their size, or a 5x slow-down of a steady call would be capped.
  static float Standardize(double log_rt, double c, double sd) {
    return (float)std::clamp((log_rt - c) / sd, -kClamp, kClamp);
  }
  static constexpr double kClamp = 50;
  float Scale(int id, double rt) const {
    return Standardize(std::log1p(std::max(0.0, rt)), center[id], scale[id]);
  }
  Encoded Encode(const TraceSequence& t) const {
    Encoded e;
    size_t n = std::min<size_t>(t.size(), config.max_length);
    e.truncated = t.size() > n;
    e.ids.reserve(n);
    e.rts.reserve(n);
    e.global.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      int id = Id(t[i].label);
      double v = std::log1p(std::max(0.0, t[i].response_time));
      e.ids.push_back(id);
      e.rts.push_back(Standardize(v, center[id], scale[id]));
      e.global.push_back(Standardize(v, global_center, global_scale));
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
    auto r = torch::zeros({N, T, TraceNetImpl::kRtInputs}), t = torch::zeros({N, T}),
         mask = torch::zeros({N, T});
    auto xa = x.accessor<int64_t, 2>(), ya = y.accessor<int64_t, 2>();
    auto ra = r.accessor<float, 3>();
    auto ta = t.accessor<float, 2>(), ma = mask.accessor<float, 2>();
    for (int64_t i = 0; i < N; ++i) {
      const Encoded& e = *es[i];
      int64_t n = (int64_t)e.ids.size();
      for (int64_t j = 0; j < n; ++j) {
        xa[i][j + 1] = e.ids[j];
        ra[i][j + 1][0] = InputClamp(e.rts[j]);
        ra[i][j + 1][1] = InputClamp(e.global[j]);
        ya[i][j] = e.ids[j];
        ta[i][j] = e.rts[j];
      }
      for (int64_t j = 0; j < n + (e.truncated ? 0 : 1); ++j) ma[i][j] = 1;  // events and the end
    }
    const auto dev = TorchDevice();
    return {x.to(dev), r.to(dev), y.to(dev), t.to(dev), mask.to(dev)};
  }
  // Joint loss: cross-entropy over labels plus the squared error over the events' times (Huber
  // beyond one deviation, so that the few wild training times do not steer the fit).
  torch::Tensor Loss(const std::vector<const Encoded*>& es) const {
    auto [x, r, y, t, mask] = Batch(es);
    auto [logits, rt] = net->forward(x, r, y);
    auto ce = torch::nn::functional::cross_entropy(
                  logits.reshape({-1, logits.size(-1)}), y.reshape({-1}),
                  torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
                  .view_as(mask);
    auto se = torch::nn::functional::smooth_l1_loss(
                  rt, t, torch::nn::functional::SmoothL1LossFuncOptions().reduction(torch::kNone)) *
              (y != kEnd).to(torch::kFloat);
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
bool TraceModel::SetRtRule(RtSpread spread, bool two_sided) {
  Impl& m = *impl_;
  if (spread == RtSpread::kLikelihood) {
    if (m.density.empty()) return false;
    m.config.rt_spread = spread;
    m.config.rt_two_sided = false;  // a slow-down's likelihood: slower only
    return true;
  }
  if (m.spread_mean[(int)spread].empty()) return false;
  m.config.rt_spread = spread;
  m.config.rt_two_sided = two_sided;
  m.err_mean = m.spread_mean[(int)spread];
  m.err_std = m.spread_std[(int)spread];
  return true;
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
double TraceModel::TypicalResponseTime(int label) const {
  if (label < 0 || label >= (int)impl_->center.size()) return 0;
  return std::expm1(impl_->center[label]);
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
  SetTorchThreads(config.threads);
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
  {
    std::vector<std::vector<double>> logs(L);
    std::vector<double> all;
    for (const auto& t : train)
      for (size_t i = 0; i < std::min<size_t>(t.size(), config.max_length); ++i) {
        double v = std::log1p(std::max(0.0, t[i].response_time));
        logs[m.Id(t[i].label)].push_back(v);
        all.push_back(v);
      }
    auto [gc, gs] = RobustCenterScale(all);
    m.global_center = gc;
    m.global_scale = std::max(gs, kMinScale);
    m.center.assign(L, m.global_center);
    m.scale.assign(L, m.global_scale);
    for (size_t l = 0; l < L; ++l) {
      if (logs[l].size() < kMinPerLabel) continue;  // too few to say: the global scale
      auto [c, sd] = RobustCenterScale(logs[l]);
      m.center[l] = c;
      m.scale[l] = std::max(sd, kMinScale);
    }
  }

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
  m.net->to(TorchDevice());
  LogInfo("trace model: training on {}", ComputeDeviceName());
  torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(config.learning_rate));
  auto eval_loss = [&](const std::vector<const Encoded*>& set) {
    torch::NoGradGuard ng;
    auto sum = torch::zeros({}, torch::TensorOptions(torch::kDouble).device(TorchDevice()));
    for (size_t b = 0; b < set.size(); b += 256) {
      std::vector<const Encoded*> chunk(set.begin() + b,
                                        set.begin() + std::min(set.size(), b + 256));
      sum += m.Loss(chunk) * static_cast<double>(chunk.size());
    }
    return set.empty() ? 0.0 : sum.item<double>() / set.size();
  };
  EpochLoopOptions loop;
  loop.what = "trace model";
  loop.max_epochs = config.max_epochs;
  loop.patience = config.patience;
  loop.min_steps = config.min_steps;
  loop.steps_per_epoch = static_cast<int64_t>(batches.size());
  auto done = RunEpochs(
      *m.net, loop,
      [&] {
        std::shuffle(batches.begin(), batches.end(), rng);
        // Losses add up on the device: a GPU is not made to wait for each batch's figure.
        auto sum = torch::zeros({}, torch::TensorOptions(torch::kDouble).device(TorchDevice()));
        for (const auto& b : batches) {
          auto loss = m.Loss(b);
          opt.zero_grad();
          loss.backward();
          torch::nn::utils::clip_grad_norm_(m.net->parameters(), 5.0);
          opt.step();
          sum += loss.detach() * static_cast<double>(b.size());
        }
        return sum.item<double>() / tr.size();
      },
      [&](double train_loss) { return va.empty() ? train_loss : eval_loss(vptr); });
  rep.epochs = done.epochs;
  rep.train_loss = done.train_loss;
  rep.validation_loss = done.validation_loss;
  m.fast = MakeFastNet(m.net);

  // The per-label Gaussian of the residuals on the training traces, fitted robustly (median and
  // scaled MAD): the few wild times in normal data would otherwise widen every interval.
  m.err_mean.assign(L, 0);
  m.err_std.assign(L, 1);
  m.z = 1e9;  // no response-time flags while fitting
  std::vector<std::vector<double>> res(L);
  std::vector<double> pooled;
  std::vector<TraceScore> scores = Score(train);
  for (size_t i = 0; i < train.size(); ++i) {
    Encoded e = m.Encode(train[i]);
    for (size_t j = 0; j < e.ids.size(); ++j) {
      double err = scores[i].events[j].rt_error;
      res[e.ids[j]].push_back(err);
      pooled.push_back(err);
    }
  }
  for (RtSpread kind : {RtSpread::kStd, RtSpread::kRobust, RtSpread::kTail}) {
    auto fit = [kind](const std::vector<double>& v) { return FitSpread(v, kind); };
    auto [pm, ps] = fit(pooled);
    auto& means = m.spread_mean[(int)kind];
    auto& stds = m.spread_std[(int)kind];
    means.assign(L, pm);
    stds.assign(L, std::max(ps, kMinErrStd));
    for (size_t l = 0; l < L; ++l) {
      if (res[l].size() < kMinPerLabel) continue;
      auto [mean, sd] = fit(res[l]);
      means[l] = mean;
      // A floor keeps a label whose errors were all alike from flagging every tiny wobble.
      stds[l] = std::max(sd, kMinErrStd);
    }
  }
  m.density.assign(L, FitDensity(pooled));
  for (size_t l = 0; l < L; ++l)
    if (res[l].size() >= kMinPerLabel) m.density[l] = FitDensity(res[l]);
  // The Gaussian tables are kept whatever the rule (the likelihood rule's fallback when saved).
  const int gauss =
      config.rt_spread == RtSpread::kLikelihood ? (int)RtSpread::kRobust : (int)config.rt_spread;
  m.err_mean = m.spread_mean[gauss];
  m.err_std = m.spread_std[gauss];
  m.z = NormalZ(config.rt_confidence);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rep;
}

std::vector<TraceScore> TraceModel::Score(const std::vector<TraceSequence>& traces) const {
  const Impl& m = *impl_;
  std::vector<TraceScore> out(traces.size());
  if (!trained() || traces.empty()) return out;
  // Traces are independent: split them over libtorch's threads (the arithmetic is plain C++).
  // When every training label kept its own id, "other" was never a target: a label that maps to it
  // was never seen, and is unexpected whatever probability the model gives "other" (as seed 001
  // treats unseen keys). Its rank is past every label and its probability 0, so no floor excuses
  // it.
  const bool other_unseen = m.labels.size() - 2 < static_cast<size_t>(m.config.max_labels);
  at::parallel_for(0, (int64_t)traces.size(), 1, [&](int64_t begin, int64_t end) {
    FastOut f;
    thread_local FastScratch scratch;
    for (int64_t i = begin; i < end; ++i) {
      const Encoded e = m.Encode(traces[i]);
      const int n = (int)e.ids.size();
      FastForward(m.fast, e.ids.data(), e.rts.data(), e.global.data(), n, scratch, f);
      TraceScore& s = out[i];
      s.events.resize(n + 1);
      for (int j = 0; j <= n; ++j) {
        if (j == n && e.truncated) break;  // the end of a truncated trace is not judged
        TraceEventScore& ev = s.events[j];
        ev.rank = f.rank[j];
        ev.probability = f.prob[j];
        if (j < n && other_unseen && e.ids[j] == kOther) {
          ev.rank = static_cast<int>(m.labels.size());
          ev.probability = 0;
        }
        ev.structural = ev.rank >= m.config.top_k && (m.config.min_probability <= 0 ||
                                                      ev.probability < m.config.min_probability);
        if (j < n) {
          const int id = e.ids[j];
          ev.rt_error = e.rts[j] - f.rt[j];
          ev.rt_observed = e.rts[j];
          if (m.config.rt_spread == RtSpread::kLikelihood && !m.density.empty()) {
            ev.rt_bound = m.z;
            ev.rt_z =
                m.density[id].LogRatio(ev.rt_error, std::log(kLikelihoodFactor) / m.scale[id]);
            ev.response_time = ev.rt_z > m.z;
          } else if (!m.err_mean.empty()) {
            ev.rt_bound = m.z * m.err_std[id];
            const double d = (ev.rt_error - m.err_mean[id]) / m.err_std[id];
            ev.rt_z = m.config.rt_two_sided ? std::abs(d) : std::max(0.0, d);
            ev.response_time = ev.rt_z > m.z;
          }
        }
        s.structural |= ev.structural;
        s.response_time |= ev.response_time;
      }
    }
  });
  return out;
}

bool StructuralAt(const TraceScore& s, int k, double floor) {
  for (const auto& e : s.events)
    if (e.rank >= k && (floor <= 0 || e.probability < floor)) return true;
  return false;
}

double MaxRtZ(const TraceScore& s, size_t from) {
  double z = -1e300;
  for (size_t i = from; i + 1 < s.events.size(); ++i) z = std::max(z, s.events[i].rt_z);
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
    constexpr double kFloors[] = {0.0,   0.1,   0.05, 0.02, 0.01, 0.005,
                                  0.002, 0.001, 1e-4, 1e-5, 1e-6};
    auto flagged_at = [&](double floor) {
      double flagged = 0;
      for (const auto& s : scores) flagged += StructuralAt(s, k, floor);
      return flagged;
    };
    // Traces flagged even at the lowest floor (a label never seen in training, which no floor
    // excuses) do not count against the target: with a small validation set one such trace
    // would otherwise push the floor to the bottom and leave only those labels detectable.
    const double unavoidable = flagged_at(kFloors[std::size(kFloors) - 1]);
    for (double floor : kFloors) {
      c.min_probability = floor;
      if ((flagged_at(floor) - unavoidable) / n <= structural_fpr) break;
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
  auto [logits, rt] = m.net->forward(x, r, y);
  auto prob = torch::softmax(logits[0][(int64_t)e.ids.size()], -1).cpu();
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
    longer.push_back({label, TypicalResponseTime(id)});
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
                      {"format", kTraceModelFormat},
                      {"center", m.center},
                      {"scale", m.scale},
                      {"global_center", m.global_center},
                      {"global_scale", m.global_scale},
                      {"rt_spread", RtSpreadName(c.rt_spread)},
                      {"rt_two_sided", c.rt_two_sided},
                      {"err_mean", m.err_mean},
                      {"err_std", m.err_std}};
  nlohmann::json dens = nlohmann::json::array();
  for (const auto& d : m.density) dens.push_back(d.Flat());
  j["rt_density"] = std::move(dens);
  auto json_path = bundle.File(name + ".json");
  {
    std::ofstream out(json_path);
    out << j.dump(1) << "\n";
    if (!out) return Status::Error(json_path.string() + ": cannot write");
  }
  if (Status s = SaveWeights(*m.net, bundle.File(name + ".pt")); !s) return s;
  bundle.AddModel(name, "trace_lstm", {name + ".pt", name + ".json"},
                  {{"epochs", rep.epochs},
                   {"train_loss", rep.train_loss},
                   {"validation_loss", rep.validation_loss},
                   {"train_seconds", rep.seconds},
                   {"train_device", ComputeDeviceName()},
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
    if (int format = j.value("format", 1); format != kTraceModelFormat)
      return Result<TraceModel>::Error(
          json_path.string() + ": trace model of format " + std::to_string(format) +
          (format < kTraceModelFormat
               ? " (older: no response-time densities); train the bundle again"
               : " (newer than this augur); train the bundle again or update augur") +
          " (this augur reads format " + std::to_string(kTraceModelFormat) + ")");
    m.center = j.at("center").get<std::vector<double>>();
    m.scale = j.at("scale").get<std::vector<double>>();
    m.global_center = j.at("global_center");
    m.global_scale = j.at("global_scale");
    m.config.rt_spread =
        RtSpreadFromName(j.value("rt_spread", "robust")).value_or(RtSpread::kRobust);
    for (const auto& d : j.at("rt_density")) {
      m.density.emplace_back();
      if (!RtDensity::FromFlat(d.get<std::vector<double>>(), m.density.back()))
        return Result<TraceModel>::Error(json_path.string() + ": rt_density " +
                                         std::to_string(m.density.size() - 1) + ": needs 6 + " +
                                         std::to_string(RtDensity::kGrid) +
                                         " finite values with hi >= lo and positive tails");
    }
    m.config.rt_two_sided = j.value("rt_two_sided", true);
    m.err_mean = j.at("err_mean").get<std::vector<double>>();
    m.err_std = j.at("err_std").get<std::vector<double>>();
  } catch (const std::exception& e) {
    return Result<TraceModel>::Error(json_path.string() +
                                     ": bad trace model description: " + e.what());
  }
  if (Status s = m.config.Validate(); !s)
    return Result<TraceModel>::Error(json_path.string() + ": " + s.message());
  size_t L = m.labels.size();
  if (L < 2 || m.center.size() != L || m.scale.size() != L || m.err_mean.size() != L ||
      m.err_std.size() != L || m.density.size() != L)
    return Result<TraceModel>::Error(json_path.string() + ": label tables disagree in size");
  for (size_t i = 0; i < L; ++i)
    if (!(m.scale[i] > 0) || !(m.err_std[i] > 0) || !std::isfinite(m.center[i]) ||
        !std::isfinite(m.err_mean[i]))
      return Result<TraceModel>::Error(json_path.string() + ": label " + std::to_string(i) +
                                       ": scale and error deviation must be positive and finite");
  if (!(m.global_scale > 0))
    return Result<TraceModel>::Error(json_path.string() + ": global_scale must be positive");
  for (size_t i = 2; i < L; ++i) m.ids[m.labels[i]] = (int)i;
  m.z = NormalZ(m.config.rt_confidence);
  try {
    std::ifstream in(json_path);
    nlohmann::json j;
    in >> j;
    m.z = j.value("rt_z", m.z);
  } catch (const std::exception&) {
  }
  m.net = TraceNet((int)L, m.config.embed, m.config.hidden);
  if (Status s = LoadWeights(*m.net, bundle.File(name + ".pt")); !s)
    return Result<TraceModel>::Error(s.message());
  m.fast = MakeFastNet(m.net);
  return model;
}

}  // namespace augur::learn
