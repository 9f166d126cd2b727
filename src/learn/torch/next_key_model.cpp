// libtorch side of the next-key model (learn/torch/next_key_model.h).
#include "learn/torch/next_key_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "core/log.h"
#include "learn/torch/compute_device.h"
#include "learn/torch/train_loop.h"

namespace augur::learn {
namespace {

struct NetImpl : torch::nn::Module {
  NetImpl(int vocab, int embed, int hidden, int layers)
      : emb(register_module("emb", torch::nn::Embedding(vocab, embed))),
        lstm(register_module(
            "lstm",
            torch::nn::LSTM(
                torch::nn::LSTMOptions(embed, hidden).num_layers(layers).batch_first(true)))),
        fc(register_module("fc", torch::nn::Linear(hidden, vocab))) {}
  // x: [N, window] ids → logits [N, vocab] for the key after the window.
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = std::get<0>(lstm->forward(emb->forward(x)));
    return fc->forward(out.select(1, out.size(1) - 1));
  }
  torch::nn::Embedding emb;
  torch::nn::LSTM lstm;
  torch::nn::Linear fc;
};
TORCH_MODULE(Net);

// Appends the windows of one sequence: context ids (window each, left-padded) and the target.
void AppendWindows(const std::vector<int>& seq, int window, bool end_token,
                   std::vector<int>& contexts, std::vector<int>& targets) {
  size_t n = seq.size() + (end_token ? 1 : 0);
  for (size_t i = 0; i < n; ++i) {
    size_t have = std::min<size_t>(i, window);
    for (size_t p = have; p < (size_t)window; ++p) contexts.push_back(NextKeyModel::kPad);
    for (size_t j = i - have; j < i; ++j) contexts.push_back(seq[j]);
    targets.push_back(i < seq.size() ? seq[i] : NextKeyModel::kEnd);
  }
}

struct WindowSet {
  torch::Tensor x, y, w;  // contexts [N, window], targets [N], weights [N]
  size_t total = 0;
};

// Identical (context, target) pairs are kept once with their count as weight: the weighted loss
// equals the loss over every window, and normal data repeats itself a lot (HDFS: 70k windows, 1.8k
// unique).
WindowSet Dedupe(const std::vector<std::vector<int>>& seqs, int window, bool end_token) {
  std::map<std::vector<int>, double> counts;
  std::vector<int> ctx, tgt;
  for (const auto& s : seqs) {
    ctx.clear();
    tgt.clear();
    AppendWindows(s, window, end_token, ctx, tgt);
    for (size_t i = 0; i < tgt.size(); ++i) {
      std::vector<int> key(ctx.begin() + i * window, ctx.begin() + (i + 1) * window);
      key.push_back(tgt[i]);
      counts[std::move(key)] += 1;
    }
  }
  WindowSet ws;
  int64_t n = (int64_t)counts.size();
  ws.x = torch::empty({n, window}, torch::kLong);
  ws.y = torch::empty({n}, torch::kLong);
  ws.w = torch::empty({n}, torch::kFloat);
  auto xa = ws.x.accessor<int64_t, 2>();
  auto ya = ws.y.accessor<int64_t, 1>();
  auto wa = ws.w.accessor<float, 1>();
  int64_t i = 0;
  for (const auto& [key, c] : counts) {
    for (int j = 0; j < window; ++j) xa[i][j] = key[j];
    ya[i] = key[window];
    wa[i] = (float)c;
    ws.total += (size_t)c;
    ++i;
  }
  const auto dev = TorchDevice();
  ws.x = ws.x.to(dev);
  ws.y = ws.y.to(dev);
  ws.w = ws.w.to(dev);
  return ws;
}

double WeightedLoss(Net& net, const WindowSet& ws, int batch) {
  torch::NoGradGuard ng;
  auto sum = torch::zeros({}, ws.w.options().dtype(torch::kDouble));
  for (int64_t b = 0; b < ws.x.size(0); b += batch) {
    int64_t e = std::min<int64_t>(b + batch, ws.x.size(0));
    auto l = torch::nn::functional::cross_entropy(
        net->forward(ws.x.slice(0, b, e)), ws.y.slice(0, b, e),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    sum += (l * ws.w.slice(0, b, e)).sum();
  }
  const double wsum = ws.w.sum().item<double>();
  return wsum > 0 ? sum.item<double>() / wsum : 0;
}

}  // namespace

struct NextKeyModel::Impl {
  NextKeyConfig config;
  std::vector<std::string> keys{"<pad>", "<end>", "<unk>"};
  std::unordered_map<std::string, int> ids;
  mutable Net net{nullptr};  // forward() is not const in libtorch; scoring does not change it
};

NextKeyModel::NextKeyModel() : impl_(std::make_unique<Impl>()) {}
NextKeyModel::~NextKeyModel() = default;
NextKeyModel::NextKeyModel(NextKeyModel&&) noexcept = default;
NextKeyModel& NextKeyModel::operator=(NextKeyModel&&) noexcept = default;

bool NextKeyModel::trained() const {
  return !impl_->net.is_empty();
}
const NextKeyConfig& NextKeyModel::config() const {
  return impl_->config;
}
const std::vector<std::string>& NextKeyModel::keys() const {
  return impl_->keys;
}
void NextKeyModel::SetRule(int top_k, double threshold) {
  impl_->config.top_k = top_k;
  impl_->config.threshold = threshold;
}

int NextKeyModel::Id(const std::string& key) const {
  auto it = impl_->ids.find(key);
  return it == impl_->ids.end() ? kUnknown : it->second;
}

std::vector<int> NextKeyModel::Encode(const std::vector<std::string>& keys) const {
  std::vector<int> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(Id(k));
  return out;
}

Result<NextKeyTrainReport> NextKeyModel::Train(
    const std::vector<std::vector<std::string>>& sequences, const NextKeyConfig& config) {
  std::mt19937_64 rng(config.seed);
  std::vector<size_t> order(sequences.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  size_t n_val =
      sequences.size() >= 5 ? (size_t)(sequences.size() * config.validation_fraction) : 0;
  std::vector<std::vector<std::string>> train, val;
  for (size_t i = 0; i < order.size(); ++i)
    (i < n_val ? val : train).push_back(sequences[order[i]]);
  return Train(train, val, config);
}

Result<NextKeyTrainReport> NextKeyModel::Train(
    const std::vector<std::vector<std::string>>& train_keys,
    const std::vector<std::vector<std::string>>& val_keys, const NextKeyConfig& config) {
  if (Status s = config.Validate(); !s) return s;
  if (train_keys.empty())
    return Result<NextKeyTrainReport>::Error("next-key model: no training sequences");
  auto started = std::chrono::steady_clock::now();
  SetTorchThreads(config.threads);
  torch::manual_seed(config.seed);

  Impl& m = *impl_;
  m = Impl{};
  m.config = config;
  // The vocabulary comes from the training part only, so that validation sees unseen keys as a
  // real deployment would.
  for (const auto& s : train_keys)
    for (const auto& k : s)
      if (m.ids.emplace(k, (int)m.keys.size()).second) m.keys.push_back(k);
  std::vector<std::vector<int>> train, val;
  for (const auto& s : train_keys) train.push_back(Encode(s));
  for (const auto& s : val_keys) val.push_back(Encode(s));

  NextKeyTrainReport rep;
  rep.train_sequences = train.size();
  rep.validation_sequences = val.size();
  rep.vocabulary = m.keys.size() - 3;
  WindowSet tr = Dedupe(train, config.window, config.end_token);
  WindowSet va = Dedupe(val, config.window, config.end_token);
  rep.windows = tr.total;
  rep.unique_windows = (size_t)tr.x.size(0);
  if (tr.x.size(0) == 0)
    return Result<NextKeyTrainReport>::Error("next-key model: training sequences are empty");
  LogInfo(
      "next-key model: {} training sequences ({} windows, {} unique), {} for validation, {} keys",
      rep.train_sequences, rep.windows, rep.unique_windows, rep.validation_sequences,
      rep.vocabulary);

  m.net = Net((int)m.keys.size(), config.embed, config.hidden, config.layers);
  m.net->to(TorchDevice());
  LogInfo("next-key model: training on {}", ComputeDeviceName());
  torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(config.learning_rate));
  const int64_t n = tr.x.size(0);
  EpochLoopOptions loop;
  loop.what = "next-key model";
  loop.max_epochs = config.max_epochs;
  loop.patience = config.patience;
  loop.min_steps = config.min_steps;
  loop.steps_per_epoch = (n + config.batch - 1) / config.batch;
  auto done = RunEpochs(
      *m.net, loop,
      [&] {
        // Losses add up on the device: a GPU is not made to wait for each batch's figure.
        auto perm = torch::randperm(n, tr.x.options());
        auto sum = torch::zeros({}, tr.w.options().dtype(torch::kDouble));
        for (int64_t b = 0; b < n; b += config.batch) {
          auto idx = perm.slice(0, b, std::min<int64_t>(b + config.batch, n));
          auto w = tr.w.index_select(0, idx);
          auto l = torch::nn::functional::cross_entropy(
              m.net->forward(tr.x.index_select(0, idx)), tr.y.index_select(0, idx),
              torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
          auto loss = (l * w).sum() / w.sum();
          opt.zero_grad();
          loss.backward();
          opt.step();
          sum += (l.detach() * w).sum();
        }
        return sum.item<double>() / tr.w.sum().item<double>();
      },
      [&](double train_loss) {
        return va.x.size(0) > 0 ? WeightedLoss(m.net, va, 4096) : train_loss;
      });
  rep.epochs = done.epochs;
  rep.train_loss = done.train_loss;
  rep.validation_loss = done.validation_loss;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rep;
}

std::vector<KeyScore> NextKeyModel::ScoreWindows(const std::vector<int>& contexts,
                                                 const std::vector<int>& targets) const {
  const Impl& m = *impl_;
  const int window = m.config.window;
  std::vector<KeyScore> out(targets.size());
  if (targets.empty() || !trained()) return out;
  // Normal sequences repeat themselves (HDFS: 113k windows, a few thousand distinct): each
  // distinct (context, target) pair goes through the network once and its verdict is copied.
  std::vector<int64_t> first(targets.size());  // the window whose verdict this one takes
  std::vector<int64_t> unique;
  {
    std::unordered_map<uint64_t, int64_t> seen;
    seen.reserve(targets.size());
    for (int64_t i = 0; i < (int64_t)targets.size(); ++i) {
      const int* c = &contexts[(size_t)i * window];
      uint64_t h = 1469598103934665603ull ^ (uint32_t)targets[i];
      for (int j = 0; j < window; ++j) h = (h ^ (uint32_t)c[j]) * 1099511628211ull;
      auto [it, fresh] = seen.emplace(h, i);
      const int64_t o = it->second;
      if (!fresh && targets[o] == targets[i] &&
          std::equal(c, c + window, &contexts[(size_t)o * window])) {
        first[i] = o;
      } else {  // new, or a hash collision: computed on its own
        first[i] = i;
        unique.push_back(i);
      }
    }
  }
  torch::NoGradGuard ng;
  const int64_t batch = 4096;
  const int64_t U = (int64_t)unique.size();
  for (int64_t b = 0; b < U; b += batch) {
    int64_t e = std::min<int64_t>(b + batch, U);
    auto x = torch::empty({e - b, window}, torch::kLong);
    int64_t* xp = x.data_ptr<int64_t>();
    auto y = torch::empty({e - b}, torch::kLong);
    int64_t* yp = y.data_ptr<int64_t>();
    for (int64_t u = b; u < e; ++u) {
      const int* c = &contexts[(size_t)unique[u] * window];
      for (int j = 0; j < window; ++j) xp[(u - b) * window + j] = c[j];
      const int t = targets[unique[u]];
      yp[u - b] = t == kUnknown ? kPad : t;
    }
    const auto dev = TorchDevice();
    auto prob = torch::softmax(m.net->forward(x.to(dev)), 1);
    auto py = prob.gather(1, y.to(dev).unsqueeze(1));
    auto rank = (prob > py).sum(1).cpu();
    py = py.cpu();
    auto pa = py.accessor<float, 2>();
    auto ra = rank.accessor<int64_t, 1>();
    for (int64_t u = b; u < e; ++u) {
      const int64_t i = unique[u];
      KeyScore& s = out[i];
      s.unseen = targets[i] == kUnknown;
      s.probability = s.unseen ? 0.f : pa[u - b][0];
      s.rank = s.unseen ? (int)m.keys.size() : (int)ra[u - b];
      s.unexpected = UnexpectedUnder(s, m.config.top_k, m.config.threshold);
    }
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (first[i] != (int64_t)i) out[i] = out[first[i]];
  return out;
}

std::vector<std::vector<KeyScore>> NextKeyModel::ScoreSequences(
    const std::vector<std::vector<int>>& sequences) const {
  std::vector<int> ctx, tgt;
  for (const auto& s : sequences) AppendWindows(s, window(), config().end_token, ctx, tgt);
  auto flat = ScoreWindows(ctx, tgt);
  std::vector<std::vector<KeyScore>> out(sequences.size());
  size_t at = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    size_t n = sequences[i].size() + (config().end_token ? 1 : 0);
    out[i].assign(flat.begin() + at, flat.begin() + at + n);
    at += n;
  }
  return out;
}

std::vector<int> NextKeyModel::Top1(const std::vector<int>& contexts) const {
  const int window = impl_->config.window;
  const int64_t n = (int64_t)contexts.size() / window;
  std::vector<int> out(n, kPad);
  if (n == 0 || !trained()) return out;
  torch::NoGradGuard ng;
  const int64_t batch = 4096;
  for (int64_t b = 0; b < n; b += batch) {
    int64_t e = std::min<int64_t>(b + batch, n);
    auto x = torch::empty({e - b, window}, torch::kLong);
    int64_t* xp = x.data_ptr<int64_t>();
    for (int64_t i = 0; i < (e - b) * window; ++i) xp[i] = contexts[b * window + i];
    auto best = impl_->net->forward(x.to(TorchDevice())).argmax(1).cpu();
    auto ba = best.accessor<int64_t, 1>();
    for (int64_t i = b; i < e; ++i) out[i] = (int)ba[i - b];
  }
  return out;
}

std::vector<std::pair<int, float>> NextKeyModel::Predict(const std::vector<int>& context,
                                                         int k) const {
  std::vector<std::pair<int, float>> out;
  if (!trained()) return out;
  torch::NoGradGuard ng;
  const int window = impl_->config.window;
  auto x = torch::full({1, window}, (int64_t)kPad, torch::kLong);
  size_t have = std::min<size_t>(context.size(), window);
  for (size_t i = 0; i < have; ++i) x[0][window - have + i] = context[context.size() - have + i];
  auto prob = torch::softmax(impl_->net->forward(x.to(TorchDevice())), 1)[0].cpu();
  auto top = prob.topk(std::min<int64_t>(k, prob.size(0)));
  auto v = std::get<0>(top).accessor<float, 1>();
  auto id = std::get<1>(top).accessor<int64_t, 1>();
  for (int64_t i = 0; i < v.size(0); ++i) out.emplace_back((int)id[i], v[i]);
  return out;
}

Status NextKeyModel::Save(ModelBundle& bundle, const std::string& name,
                          const NextKeyTrainReport& rep) const {
  if (!trained()) return Status::Error("next-key model: nothing to save (not trained)");
  const auto& c = impl_->config;
  nlohmann::json j = {
      {"window", c.window},       {"embed", c.embed},         {"hidden", c.hidden},
      {"layers", c.layers},       {"end_token", c.end_token}, {"top_k", c.top_k},
      {"threshold", c.threshold}, {"seed", c.seed},           {"keys", impl_->keys}};
  auto json_path = bundle.File(name + ".json");
  {
    std::ofstream out(json_path);
    out << j.dump(1) << "\n";
    if (!out) return Status::Error(json_path.string() + ": cannot write");
  }
  if (Status s = SaveWeights(*impl_->net, bundle.File(name + ".pt")); !s) return s;
  bundle.AddModel(name, "next_key_lstm", {name + ".pt", name + ".json"},
                  {{"epochs", rep.epochs},
                   {"train_loss", rep.train_loss},
                   {"validation_loss", rep.validation_loss},
                   {"train_seconds", rep.seconds},
                   {"train_device", ComputeDeviceName()},
                   {"train_sequences", rep.train_sequences},
                   {"windows", rep.windows},
                   {"keys", rep.vocabulary}});
  return Status::Ok();
}

Result<NextKeyModel> NextKeyModel::Load(const ModelBundle& bundle, const std::string& name) {
  if (!bundle.HasModel(name))
    return Result<NextKeyModel>::Error(bundle.dir().string() + ": the bundle has no model '" +
                                       name + "'");
  auto json_path = bundle.File(name + ".json");
  NextKeyModel model;
  Impl& m = *model.impl_;
  try {
    std::ifstream in(json_path);
    if (!in) return Result<NextKeyModel>::Error(json_path.string() + ": cannot read");
    nlohmann::json j;
    in >> j;
    m.config.window = j.at("window");
    m.config.embed = j.at("embed");
    m.config.hidden = j.at("hidden");
    m.config.layers = j.at("layers");
    m.config.end_token = j.at("end_token");
    m.config.top_k = j.at("top_k");
    m.config.threshold = j.at("threshold");
    m.config.seed = j.value("seed", 1);
    m.keys = j.at("keys").get<std::vector<std::string>>();
  } catch (const std::exception& e) {
    return Result<NextKeyModel>::Error(json_path.string() +
                                       ": bad next-key model description: " + e.what());
  }
  if (Status s = m.config.Validate(); !s)
    return Result<NextKeyModel>::Error(json_path.string() + ": " + s.message());
  if (m.keys.size() < 3)
    return Result<NextKeyModel>::Error(json_path.string() + ": vocabulary lacks the reserved keys");
  for (size_t i = 3; i < m.keys.size(); ++i) m.ids.emplace(m.keys[i], (int)i);
  m.net = Net((int)m.keys.size(), m.config.embed, m.config.hidden, m.config.layers);
  if (Status s = LoadWeights(*m.net, bundle.File(name + ".pt")); !s)
    return Result<NextKeyModel>::Error(s.message());
  return model;
}

}  // namespace augur::learn
