#include "learn/torch/log_lm_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/log.h"
#include "learn/torch/compute_device.h"
#include "learn/torch/torch_error.h"
#include "learn/torch/train_loop.h"

namespace augur::learn {
namespace {

struct BlockImpl : torch::nn::Module {
  BlockImpl(int d, int h, int ff) : heads(h) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
    proj = register_module("proj", torch::nn::Linear(d, d));
    fc1 = register_module("fc1", torch::nn::Linear(d, ff));
    fc2 = register_module("fc2", torch::nn::Linear(ff, d));
  }

  // x [B,T,d]; k_cache/v_cache [B,H,Tpast,dh] are extended in place (undefined = empty); mask is
  // additive [T, Tpast+T] or undefined (a single new position sees everything before it).
  torch::Tensor forward(torch::Tensor x, torch::Tensor& k_cache, torch::Tensor& v_cache,
                        const torch::Tensor& mask) {
    const int64_t B = x.size(0), T = x.size(1), d = x.size(2), dh = d / heads;
    auto parts = qkv(ln1(x)).chunk(3, -1);
    auto q = parts[0].view({B, T, heads, dh}).transpose(1, 2);
    auto k = parts[1].view({B, T, heads, dh}).transpose(1, 2);
    auto v = parts[2].view({B, T, heads, dh}).transpose(1, 2);
    if (k_cache.defined()) {
      k = torch::cat({k_cache, k}, 2);
      v = torch::cat({v_cache, v}, 2);
    }
    k_cache = k;
    v_cache = v;
    auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(dh)));
    if (mask.defined()) att = att + mask;
    att = torch::softmax(att, -1);
    auto y = torch::matmul(att, v).transpose(1, 2).contiguous().view({B, T, d});
    x = x + proj(y);
    return x + fc2(torch::gelu(fc1(ln2(x))));
  }

  int64_t heads;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Block);

struct NetImpl : torch::nn::Module {
  NetImpl(const LogLmModelOptions& o, int subword_vocab, int lines) {
    bag = register_module(
        "bag", torch::nn::EmbeddingBag(
                   torch::nn::EmbeddingBagOptions(subword_vocab, o.dim).mode(torch::kMean)));
    in = register_module("inp", torch::nn::Linear(o.dim, o.dim));
    special = register_parameter("special", torch::randn({2, o.dim}) * 0.02);
    pos = register_parameter("pos", torch::randn({o.context + o.horizon, o.dim}) * 0.02);
    for (int i = 0; i < o.layers; ++i)
      blocks.push_back(register_module("block" + std::to_string(i), Block(o.dim, o.heads, o.ff)));
    lnf = register_module("lnf", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
    head = register_module("head", torch::nn::Linear(o.dim, lines));
  }

  torch::Tensor Encode(const torch::Tensor& flat, const torch::Tensor& offsets) {
    return in(bag(flat, offsets));
  }

  // x [B,T,d] already holding line vectors + positions; returns hidden states [B,T,d].
  torch::Tensor Run(torch::Tensor x, std::vector<torch::Tensor>& kc, std::vector<torch::Tensor>& vc,
                    const torch::Tensor& mask) {
    if (kc.size() != blocks.size()) {
      kc.assign(blocks.size(), torch::Tensor());
      vc.assign(blocks.size(), torch::Tensor());
    }
    for (size_t i = 0; i < blocks.size(); ++i) x = blocks[i]->forward(x, kc[i], vc[i], mask);
    return lnf(x);
  }

  torch::nn::EmbeddingBag bag{nullptr};
  torch::nn::Linear in{nullptr}, head{nullptr};
  torch::Tensor special, pos;
  std::vector<Block> blocks;
  torch::nn::LayerNorm lnf{nullptr};
};
TORCH_MODULE(Net);

// Flattens bags of piece ids for EmbeddingBag.
void Flatten(const std::vector<const std::vector<int>*>& bags, torch::Tensor& flat,
             torch::Tensor& offsets) {
  std::vector<int64_t> f, o;
  o.reserve(bags.size());
  for (auto* b : bags) {
    o.push_back(static_cast<int64_t>(f.size()));
    if (b)
      for (int id : *b) f.push_back(id);
  }
  flat = torch::tensor(f, torch::kLong).to(TorchDevice());
  offsets = torch::tensor(o, torch::kLong).to(TorchDevice());
}

torch::Tensor CausalMask(int64_t t) {
  return torch::full({t, t}, -1e9f, torch::TensorOptions().device(TorchDevice())).triu(1);
}

}  // namespace

Status LogLmModelOptions::Validate() const {
  if (dim <= 0 || heads <= 0 || dim % heads != 0)
    return Status::Error("log_lm: dim must be a positive multiple of heads");
  if (layers < 1 || ff < 1) return Status::Error("log_lm: layers and ff must be positive");
  if (dim > 4096 || ff > 16384 || layers > 48)
    return Status::Error("log_lm: dim must be <= 4096, ff <= 16384, layers <= 48");
  if (context < 1 || horizon < 1)
    return Status::Error("log_lm: context and horizon must be positive");
  if (epochs < 1 || batch < 1 || stride < 1)
    return Status::Error("log_lm: epochs, batch and stride must be positive");
  if (!(learning_rate > 0)) return Status::Error("log_lm: learning_rate must be positive");
  if (max_train_steps < 1) return Status::Error("log_lm: max_train_steps must be positive");
  return Status::Ok();
}

struct LogLmModel::Impl {
  LogLmModelOptions o;
  int subword_vocab = 0;
  std::vector<std::vector<int>> line_pieces;
  Net net{nullptr};
  torch::Tensor table;       // [lines, d] line vectors (rows 0/1: BOS and unknown), inference only
  torch::Tensor group_mask;  // [groups + 1, lines] additive logit masks; last row unrestricted
  std::vector<float> table_cpu;

  torch::Tensor Table() {
    std::vector<const std::vector<int>*> bags;
    bags.reserve(line_pieces.size());
    for (size_t i = 0; i < line_pieces.size(); ++i)
      bags.push_back(i < kFirstLine ? nullptr : &line_pieces[i]);
    torch::Tensor flat, offsets;
    Flatten(bags, flat, offsets);
    auto t = net->Encode(flat, offsets);
    return torch::cat({net->special, t.slice(0, kFirstLine)}, 0);
  }

  void RefreshTable() {
    torch::NoGradGuard ng;
    net->eval();
    table = Table().contiguous();
    const auto host = table.cpu();
    table_cpu.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
  }
};

LogLmModel::LogLmModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogLmModel::LogLmModel(LogLmModel&&) noexcept = default;
LogLmModel& LogLmModel::operator=(LogLmModel&&) noexcept = default;
LogLmModel::~LogLmModel() = default;

const LogLmModelOptions& LogLmModel::options() const {
  return impl_->o;
}
int LogLmModel::dim() const {
  return impl_->o.dim;
}
int LogLmModel::lines() const {
  return static_cast<int>(impl_->line_pieces.size());
}
const float* LogLmModel::LineVector(int id) const {
  return impl_->table_cpu.data() + static_cast<size_t>(id) * impl_->o.dim;
}

Result<LogLmModel> LogLmModel::Create(const LogLmModelOptions& options, int subword_vocab,
                                      std::vector<std::vector<int>> line_pieces) {
  if (auto st = options.Validate(); !st) return st;
  if (line_pieces.size() < static_cast<size_t>(kFirstLine) + 1)
    return Result<LogLmModel>::Error(
        "log_lm: no known lines to model (training data has no log lines)");
  SetTorchThreads(options.threads);
  torch::manual_seed(options.seed);
  auto impl = std::make_unique<Impl>();
  impl->o = options;
  impl->subword_vocab = subword_vocab;
  impl->line_pieces = std::move(line_pieces);
  try {
    impl->net = Net(options, subword_vocab, static_cast<int>(impl->line_pieces.size()));
    impl->net->to(TorchDevice());
    impl->RefreshTable();
  } catch (const std::exception& e) {
    return Result<LogLmModel>::Error(std::string("log_lm: cannot build model: ") + e.what());
  }
  return LogLmModel(std::move(impl));
}

Result<LogLmTrainFigures> LogLmModel::Train(const std::vector<std::vector<int>>& streams,
                                            const std::vector<bool>& starts) {
  auto& m = *impl_;
  const int C = m.o.context, T = m.o.context + m.o.horizon;
  // Sequences of T ids; streams are left-padded with `context` BOS so stream starts are learned
  // (not the parts that continue a stream).
  std::vector<std::array<int, 32>> seqs;  // T <= 32 checked below
  if (T > 32)
    return Result<LogLmTrainFigures>::Error("log_lm: context + horizon must be at most 32");
  for (size_t i = 0; i < streams.size(); ++i) {
    const auto& s = streams[i];
    if (s.empty()) continue;
    const bool first = starts.empty() || (i < starts.size() && starts[i]);
    std::vector<int> padded(first ? C : 0, kBos);
    padded.insert(padded.end(), s.begin(), s.end());
    for (size_t start = 0; start + 1 < padded.size(); start += m.o.stride) {
      std::array<int, 32> q;
      q.fill(-1);
      for (int t = 0; t < T && start + t < padded.size(); ++t) q[t] = padded[start + t];
      seqs.push_back(q);
      if (start + T >= padded.size()) break;
    }
  }
  LogLmTrainFigures fig;
  fig.sequences = static_cast<int64_t>(seqs.size());
  if (seqs.empty()) return Result<LogLmTrainFigures>::Error("log_lm: no training sequences");

  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::mt19937_64 rng(m.o.seed);
  std::vector<size_t> order(seqs.size());
  std::iota(order.begin(), order.end(), 0);
  torch::optim::AdamW opt(m.net->parameters(),
                          torch::optim::AdamWOptions(m.o.learning_rate).weight_decay(0.01));
  const int64_t steps_per_epoch = (static_cast<int64_t>(seqs.size()) + m.o.batch - 1) / m.o.batch;
  const int64_t total_steps = std::min(steps_per_epoch * m.o.epochs, m.o.max_train_steps);
  auto mask = CausalMask(T - 1);
  const auto dev = TorchDevice();
  LogInfo("log_lm: training on {}", ComputeDeviceName());
  double ema = 0;
  try {
    m.net->train();
    for (int epoch = 0; epoch < m.o.epochs && !fig.stopped_by_time && !fig.stopped_by_steps;
         ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      for (int64_t b = 0; b < steps_per_epoch; ++b) {
        if (fig.steps == total_steps) {
          fig.stopped_by_steps = true;
          break;
        }
        const size_t lo = static_cast<size_t>(b) * m.o.batch,
                     hi = std::min(order.size(), lo + m.o.batch);
        const int64_t B = static_cast<int64_t>(hi - lo);
        std::vector<int64_t> in(B * (T - 1)), tg(B * (T - 1));
        for (int64_t i = 0; i < B; ++i) {
          const auto& q = seqs[order[lo + i]];
          for (int t = 0; t < T - 1; ++t) {
            in[i * (T - 1) + t] = q[t] < 0 ? kBos : q[t];
            int next = q[t + 1];
            tg[i * (T - 1) + t] = (next < kFirstLine && next != kUnknownLine) ? -100 : next;
          }
        }
        // Decaying rate: the tail of training polishes rather than jumps.
        double frac = static_cast<double>(fig.steps) / std::max<int64_t>(1, total_steps);
        for (auto& g : opt.param_groups())
          static_cast<torch::optim::AdamWOptions&>(g.options())
              .lr(m.o.learning_rate * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * frac))));
        auto table = m.Table();
        auto x = table.index_select(0, torch::tensor(in, torch::kLong).to(dev))
                     .view({B, T - 1, m.o.dim}) +
                 m.net->pos.slice(0, 0, T - 1);
        std::vector<torch::Tensor> kc, vc;
        auto h = m.net->Run(x, kc, vc, mask);
        auto logits = m.net->head(h).view({B * (T - 1), -1});
        auto loss = torch::nn::functional::cross_entropy(
            logits, torch::tensor(tg, torch::kLong).to(dev),
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
        opt.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(m.net->parameters(), 1.0);
        opt.step();
        double l = loss.item<double>();
        if (fig.steps == 0) fig.first_loss = ema = l;
        ema = 0.98 * ema + 0.02 * l;
        ++fig.steps;
        if (fig.steps % 50 == 0)
          Progress::Update("log_lm training", static_cast<double>(fig.steps),
                           static_cast<double>(total_steps), "steps");
        if (elapsed() > m.o.max_train_seconds) {
          fig.stopped_by_time = true;
          break;
        }
      }
    }
    Progress::Finish("log_lm training");
    m.RefreshTable();
  } catch (const std::exception& e) {
    return Result<LogLmTrainFigures>::Error(std::string("log_lm: training failed: ") + e.what());
  }
  fig.final_loss = ema;
  fig.seconds = elapsed();
  return fig;
}

Status LogLmModel::Save(const std::filesystem::path& file) const {
  return SaveWeights(*impl_->net, file);
}

Result<LogLmModel> LogLmModel::Load(const std::filesystem::path& file,
                                    const LogLmModelOptions& options, int subword_vocab,
                                    std::vector<std::vector<int>> line_pieces) {
  auto m = Create(options, subword_vocab, std::move(line_pieces));
  if (!m) return m;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(file.string(), torch::Device(torch::kCPU));  // wherever it was trained
    // load() takes whatever shapes the file has; a model saved with other options must be refused.
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
    for (const auto& p : m->impl_->net->named_parameters())
      shapes.emplace_back(p.key(), p.value().sizes().vec());
    m->impl_->net->load(ar);
    for (const auto& [name, shape] : shapes) {
      auto* p = m->impl_->net->named_parameters().find(name);
      if (!p || p->sizes().vec() != shape)
        return Result<LogLmModel>::Error(
            file.string() + ": log_lm model parameter " + name +
            " does not match the options in log_lm.json (different dim/layers/lines)");
    }
    m->impl_->net->to(TorchDevice());
    m->impl_->RefreshTable();
  } catch (const std::exception& e) {
    return Result<LogLmModel>::Error(file.string() + ": cannot load log_lm model (" +
                                     TorchErrorText(e) + ")");
  }
  return m;
}

std::vector<float> LogLmModel::EncodePieces(
    const std::vector<const std::vector<int>*>& lines) const {
  if (lines.empty()) return {};
  torch::InferenceMode guard;
  torch::Tensor flat, offsets;
  Flatten(lines, flat, offsets);
  auto v = impl_->net->Encode(flat, offsets).contiguous().cpu();
  return std::vector<float>(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
}

void LogLmModel::SetGroups(const std::vector<std::vector<int>>& allowed) {
  const int64_t n = static_cast<int64_t>(impl_->line_pieces.size());
  auto mask = torch::zeros({static_cast<int64_t>(allowed.size()) + 1, n});
  for (size_t g = 0; g < allowed.size(); ++g) {
    if (allowed[g].empty()) continue;
    auto row = mask[static_cast<int64_t>(g)];
    row.fill_(-1e9f);
    for (int id : allowed[g])
      if (id >= 0 && id < n) row[id] = 0.f;
  }
  impl_->group_mask = mask.to(TorchDevice());
}

std::vector<std::vector<int>> LogLmModel::Generate(
    const std::vector<std::vector<LogLmLineRef>>& contexts, int horizon,
    const LogLmDecodeOptions& decode, const std::vector<int>* groups) const {
  auto& m = *impl_;
  const int C = m.o.context;
  const int64_t B = static_cast<int64_t>(contexts.size());
  std::vector<std::vector<int>> out(B);
  if (B == 0 || horizon <= 0) return out;
  horizon = std::min(horizon, m.o.horizon);
  torch::InferenceMode guard;
  // Index every context line into [table ; vectors of unknown lines].
  const int64_t N = m.table.size(0);
  std::vector<int64_t> idx(B * C, kBos);
  std::vector<const std::vector<int>*> unknown;
  for (int64_t b = 0; b < B; ++b) {
    const auto& ctx = contexts[b];
    const size_t n = std::min<size_t>(ctx.size(), C);
    const size_t pad = C - n;
    for (size_t i = 0; i < n; ++i) {
      const auto& r = ctx[ctx.size() - n + i];
      int64_t id = r.id;
      if (id == kUnknownLine || id < 0 || id >= N) {
        unknown.push_back(r.pieces);
        id = N + static_cast<int64_t>(unknown.size()) - 1;
      }
      idx[b * C + pad + i] = id;
    }
  }
  auto table = m.table;
  if (!unknown.empty()) {
    torch::Tensor flat, offsets;
    Flatten(unknown, flat, offsets);
    table = torch::cat({table, m.net->Encode(flat, offsets)}, 0);
  }
  const auto dev = TorchDevice();
  auto x = table.index_select(0, torch::tensor(idx, torch::kLong).to(dev)).view({B, C, m.o.dim}) +
           m.net->pos.slice(0, 0, C);
  std::vector<torch::Tensor> kc, vc;
  auto h = m.net->Run(x, kc, vc, CausalMask(C));
  auto last = h.select(1, C - 1);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(decode.seed);
  torch::Tensor mask;
  if (groups && m.group_mask.defined() && groups->size() == contexts.size()) {
    const int64_t last = m.group_mask.size(0) - 1;
    std::vector<int64_t> g(groups->size());
    for (size_t i = 0; i < g.size(); ++i)
      g[i] = (*groups)[i] < 0 || (*groups)[i] >= last ? last : (*groups)[i];
    mask = m.group_mask.index_select(0, torch::tensor(g, torch::kLong).to(dev));
  }
  for (int64_t b = 0; b < B; ++b) out[b].reserve(horizon);
  for (int j = 0; j < horizon; ++j) {
    auto logits = m.net->head(last);
    if (mask.defined()) logits = logits + mask;
    logits.slice(1, 0, kFirstLine).fill_(-1e9f);  // never generate padding or "some unknown line"
    // The chosen line ids, on the device.
    torch::Tensor next;
    if (decode.sample) {
      // Drawn on the CPU with the seeded generator: the same lines whatever the device.
      auto probs = torch::softmax(logits / std::max(1e-3, decode.temperature), -1).cpu();
      next = torch::multinomial(probs, 1, false, gen).squeeze(1).to(dev);
    } else {
      next = logits.argmax(1);
    }
    const auto host = next.contiguous().cpu();
    const int64_t* p = host.data_ptr<int64_t>();
    for (int64_t b = 0; b < B; ++b) out[b].push_back(static_cast<int>(p[b]));
    if (j + 1 == horizon) break;
    auto step =
        m.table.index_select(0, next).view({B, 1, m.o.dim}) + m.net->pos.slice(0, C + j, C + j + 1);
    last = m.net->Run(step, kc, vc, torch::Tensor()).select(1, 0);
  }
  return out;
}

}  // namespace augur::learn
