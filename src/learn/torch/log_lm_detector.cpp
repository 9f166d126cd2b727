#include "learn/torch/log_lm_detector.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/log.h"
#include "learn/log_lm_text.h"
#include "learn/torch/compute_device.h"
#include "learn/torch/log_lm_tokenizer.h"
#include "learn/torch/sentence_encoder.h"

namespace augur::detect {
namespace {

using learn::LogLmModel;

constexpr const char* kTokenizerFile = "log_lm_tokenizer.model";
constexpr const char* kModelFile = "log_lm_model.pt";
constexpr const char* kStateFile = "log_lm.json";
// A user-supplied TorchScript encoder travels inside the bundle, so a bundle moved to another
// machine (or a deleted original) still loads.
constexpr const char* kEncoderFile = "log_lm_encoder.pt";
constexpr size_t kScoreBatch = 512;  // windows per generation pass

// FNV-1a: stable across builds, so hashes saved in the bundle stay valid.
uint64_t TextHash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// A line as the scorer holds it: raw text for the report, the id of its prepared text among the
// known lines (or kUnknownLine), and its subword pieces.
struct Line {
  TimeNs time = 0;
  std::string raw;
  int id = LogLmModel::kUnknownLine;
  std::shared_ptr<const std::vector<int>> pieces;
  uint64_t text_hash = 0;
  bool slow = false;   // a duration above its statement's normal quantile
  bool drift = false;  // its statement's recent durations in the stream are above normal
};

// The key of a duration's normal bound: the service, the statement (its line without magnitudes)
// and the duration's place in the line.
uint64_t SlowKey(std::string_view service, uint64_t statement, size_t position) {
  return Mix(Mix(TextHash(service), statement), position);
}

// The last `n` durations of one statement in one stream. Add returns their median once `n` have
// come, else a negative number.
class RecentDurations {
 public:
  float Add(float d, size_t n) {
    if (ring_.size() < n) {
      ring_.push_back(d);
      if (ring_.size() < n) return -1;
    } else {
      ring_[next_] = d;
      next_ = (next_ + 1) % n;
    }
    sorted_ = ring_;
    auto mid = sorted_.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(sorted_.begin(), mid, sorted_.end());
    return *mid;
  }

 private:
  std::vector<float> ring_, sorted_;
  size_t next_ = 0;
};

struct PendingWindow {
  size_t stream = 0;
  int group = -1;  // calibration windows (no scoring streams): the generation group
  std::vector<Line> context;
  std::vector<Line> real;
};

struct StreamState {
  std::string service, instance;
  std::vector<Line> context;                             // last `context` lines
  std::vector<Line> pending;                             // the window being filled
  std::unordered_map<uint64_t, RecentDurations> recent;  // per SlowKey, for the drift rule
};

struct Cached {
  std::vector<int> generated;
  double similarity = 0;
};

nlohmann::json ConfigJson(const LogLmConfig& c) {
  const auto& m = c.model;
  return {{"window", c.window},
          {"tokenizer", c.tokenizer},
          {"subword_vocab", c.subword_vocab},
          {"max_lines", c.max_lines},
          {"embedder", c.embedder},
          {"tfidf_features", c.tfidf_features},
          {"magnitudes", c.magnitudes},
          {"model",
           {{"dim", m.dim},
            {"layers", m.layers},
            {"heads", m.heads},
            {"ff", m.ff},
            {"context", m.context},
            {"horizon", m.horizon}}}};
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find_first_of(",+", i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Per-statement bounds (SlowKey → milliseconds) as saved in log_lm.json: a list of pairs; a
// bundle without `key` has none.
using Bounds = std::unordered_map<uint64_t, float>;
nlohmann::json BoundsJson(const Bounds& b) {
  return std::vector<std::pair<uint64_t, float>>(b.begin(), b.end());
}
Bounds ReadBounds(const nlohmann::json& state, const char* key) {
  Bounds out;
  if (state.contains(key))
    for (const auto& [k, b] : state[key].get<std::vector<std::pair<uint64_t, float>>>()) out[k] = b;
  return out;
}

nlohmann::json GroupsJson(const std::map<std::string, int>& groups,
                          const std::vector<std::vector<int>>& lines) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [service, g] : groups) j[service] = lines[g];
  return j;
}

}  // namespace

Status LogLmConfig::Validate() const {
  if (window < 1 || window > model.horizon)
    return Status::Error("log_lm: window must be between 1 and the model horizon");
  if (!(threshold > -1 && threshold <= 1))
    return Status::Error("log_lm: threshold must be in (-1, 1]");
  if (calibrate_fpr < 0 || calibrate_fpr >= 1)
    return Status::Error("log_lm: calibrate_fpr must be in [0, 1)");
  if (validation_fraction <= 0 || validation_fraction >= 1)
    return Status::Error("log_lm: validation_fraction must be in (0, 1)");
  if (validation_blocks < 1) return Status::Error("log_lm: validation_blocks must be at least 1");
  if (calibration_stride < 1 || calibration_stride > window)
    return Status::Error("log_lm: calibration_stride must be between 1 and the window");
  if (tokenizer != "sentencepiece" && tokenizer != "word")
    return Status::Error("log_lm: tokenizer must be \"sentencepiece\" or \"word\", not \"" +
                         tokenizer + "\"");
  if (embedder.empty())
    return Status::Error(
        "log_lm: embedder must be \"tfidf\", \"model\" or a TorchScript encoder file");
  if (uses_encoder()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(embedder, ec))
      return Status::Error("log_lm: embedder \"" + embedder +
                           "\" is neither tfidf, model nor an existing TorchScript file");
  }
  if (uses_llm()) {
    if (embedder == "model")
      return Status::Error(
          "log_lm: the \"model\" embedder needs the built-in generator; with an LLM endpoint "
          "use tfidf or a TorchScript encoder");
    if (auto st = llm.Validate(); !st) return st;
  }
  for (const auto& f : Split(tfidf_features))
    if (f != "pieces" && f != "lines" && f != "transitions")
      return Status::Error("log_lm: tfidf_features lists \"" + f +
                           "\"; known: pieces, lines, transitions");
  if (decoding != "greedy" && decoding != "sample")
    return Status::Error("log_lm: decoding must be \"greedy\" or \"sample\", not \"" + decoding +
                         "\"");
  if (samples < 1) return Status::Error("log_lm: samples must be at least 1");
  if (service_fpr < 0 || service_fpr >= 1)
    return Status::Error("log_lm: service_fpr must be in [0, 1)");
  if (novelty_fpr < 0 || novelty_fpr >= 1)
    return Status::Error("log_lm: novelty_fpr must be in [0, 1)");
  if (slow_fpr < 0 || slow_fpr >= 1) return Status::Error("log_lm: slow_fpr must be in [0, 1)");
  if (drift_run < 0 || drift_run > 10000)
    return Status::Error("log_lm: drift_run must be between 0 (off) and 10000");
  if (!(drift_margin >= 1 && drift_margin <= 100))
    return Status::Error("log_lm: drift_margin must be between 1 and 100");
  if (!(slow_quantile > 0 && slow_quantile <= 1))
    return Status::Error("log_lm: slow_quantile must be in (0, 1]");
  if (subword_vocab < 16) return Status::Error("log_lm: subword_vocab must be at least 16");
  if (max_lines < 3) return Status::Error("log_lm: max_lines must be at least 3");
  return model.Validate();
}

struct LogLmDetector::Impl {
  LogLmConfig cfg;
  double threshold = 0.8;
  std::map<std::string, double> service_threshold;  // calibrated, below `threshold`
  nlohmann::json figures = nlohmann::json::object();
  std::function<void(const LogLmWindow&)> sink;

  // --- learning state
  std::unordered_map<std::string, uint32_t> text_ids;  // prepared text -> distinct index
  std::vector<std::string> texts;
  std::vector<uint64_t> text_counts;
  std::map<std::string, size_t> learn_stream_index;
  struct LearnLine {
    TimeNs time;
    uint32_t text;
    uint32_t durations_at;  // into LearnStream::durations
    uint32_t durations;
  };
  struct LearnStream {
    std::string service, instance;
    std::vector<LearnLine> lines;
    std::vector<float> durations;  // milliseconds, per line in arrival order
  };
  std::vector<LearnStream> learn_streams;

  // --- model state
  std::unique_ptr<learn::LogLmTokenizer> tok;
  std::unique_ptr<LogLmModel> model;
  std::vector<std::string> known;  // known line texts (0, 1 reserved)
  std::unordered_map<std::string, int> known_ids;
  std::vector<std::shared_ptr<const std::vector<int>>> known_pieces;
  std::vector<float> idf;  // per subword id
  // Normal-log document frequencies of whole lines and of line-to-line transitions (by text hash),
  // and the number of normal lines they were counted over.
  std::unordered_map<uint64_t, double> line_df, transition_df;
  double docs = 0;
  std::vector<uint64_t> known_hash;
  // Generation groups: the known lines each service wrote in normal training.
  std::map<std::string, int> service_group;
  std::vector<std::vector<int>> group_lines;
  std::set<int> novelty_groups;  // groups whose windows are judged by novelty too (calibrated)
  // Normal upper bound of each statement's durations (SlowKey), and per group the slow lines that
  // make a window anomalous (calibrated; groups without one do not use the rule).
  std::unordered_map<uint64_t, float> slow_bound;
  std::map<int, int> slow_groups;
  // Per SlowKey, the bound of its recent median in a stream (LogLmConfig::drift_run; empty: off).
  std::unordered_map<uint64_t, float> drift_bound;
  bool use_pieces = true, use_lines = true, use_transitions = true;
  std::vector<std::vector<float>> known_unit;  // model embedder: unit line vectors
  std::vector<Line> known_lines;  // generated blocks point at these (built-in generator)

  // --- optional parts supplied by the user
  std::optional<learn::LlmClient> llm;              // generator when cfg.llm.url is set
  std::unique_ptr<learn::SentenceEncoder> encoder;  // embedder when cfg.embedder is a file
  // Completions by prompt hash (temperature 0 only: then a repeated context is answered alike).
  std::unordered_map<uint64_t, std::vector<std::string>> llm_cache;
  LogLmStats stats;

  // --- scoring state
  std::map<std::string, size_t> stream_index;
  std::vector<StreamState> streams;
  std::vector<PendingWindow> ready;
  // What a prepared text gives every line that reads so: its known-line id (or kUnknownLine), its
  // subword pieces, its hash and its statement's hash (learn::StatementOf, for the duration rules).
  struct CachedLine {
    int id;
    std::shared_ptr<const std::vector<int>> pieces;
    uint64_t hash, statement;
  };
  std::unordered_map<std::string, CachedLine> line_cache;
  std::unordered_map<uint64_t, Cached> window_cache;

  static std::string StreamKey(const LogRecord& r) { return r.service + '\x1f' + r.instance; }

  // ---------------------------------------------------------------- text → ids
  Line MakeLine(const LogRecord& r, StreamState& s) {
    return MakeLine(r.time, r.body, &r.service, &s);
  }
  // `service` (scored lines): whose normal durations say whether the line is slow.
  // Whether any of a line's `n` durations (milliseconds, in order) is above its statement's
  // normal bound.
  template <class T>
  bool Slow(const std::string& service, uint64_t statement, const T* durations, size_t n) const {
    for (size_t k = 0; k < n; ++k)
      if (auto b = slow_bound.find(SlowKey(service, statement, k));
          b != slow_bound.end() && durations[k] > b->second)
        return true;
    return false;
  }
  // The same for a learned line (`statement` maps its text id to its statement's hash).
  bool Slow(const LearnStream& s, const LearnLine& l,
            const std::vector<uint64_t>& statement) const {
    return Slow(s.service, statement[l.text], s.durations.data() + l.durations_at, l.durations);
  }
  // Adds a scored line's durations to its stream's recent ones: whether the line takes part in a
  // drift, that is the recent median of one of them is above its statement's drift bound and the
  // line's own duration above the highest normal median (the bound without its margin). A line at
  // normal speed right after a slow run, or among the untouched requests of a partly slowed
  // statement, does not drift: the run's median is high, the line is not.
  bool Drifting(StreamState& s, const std::string& service, uint64_t statement,
                const std::vector<double>& durations) {
    bool drift = false;
    for (size_t k = 0; k < durations.size(); ++k) {
      const uint64_t key = SlowKey(service, statement, k);
      auto b = drift_bound.find(key);
      if (b == drift_bound.end()) continue;
      const float median =
          s.recent[key].Add(static_cast<float>(durations[k]), static_cast<size_t>(cfg.drift_run));
      if (median > b->second && durations[k] * cfg.drift_margin > b->second) drift = true;
    }
    return drift;
  }
  // `stream` (scored lines): the stream whose recent durations the line joins (drift rule).
  Line MakeLine(TimeNs time, std::string_view raw, const std::string* service = nullptr,
                StreamState* stream = nullptr) {
    Line l;
    l.time = time;
    l.raw = std::string(raw);
    std::vector<double> durations;
    std::string text = learn::PrepareLogLine(raw, cfg.mask(), &durations);
    auto it = line_cache.find(text);
    if (it == line_cache.end()) {
      if (line_cache.size() > cfg.cache_entries) line_cache.clear();
      auto k = known_ids.find(text);
      int id = k == known_ids.end() ? LogLmModel::kUnknownLine : k->second;
      auto pieces = id >= LogLmModel::kFirstLine
                        ? known_pieces[id]
                        : std::make_shared<const std::vector<int>>(tok->Encode(text));
      CachedLine c{id, std::move(pieces), TextHash(text), TextHash(learn::StatementOf(text))};
      it = line_cache.emplace(std::move(text), std::move(c)).first;
    }
    const CachedLine& c = it->second;
    l.id = c.id;
    l.pieces = c.pieces;
    l.text_hash = c.hash;
    if (service && !durations.empty() && !slow_bound.empty()) {
      l.slow = Slow(*service, c.statement, durations.data(), durations.size());
      if (stream && !drift_bound.empty())
        l.drift = Drifting(*stream, *service, c.statement, durations);
    }
    return l;
  }

  // ---------------------------------------------------------------- embedders
  // Sparse TF-IDF vectors over subword pieces, whole lines and line transitions: what a block says,
  // which log statements it holds, and in which order. Feature kinds live in separate key ranges.
  using Sparse = std::unordered_map<uint64_t, float>;
  static constexpr uint64_t kLineKey = 1ULL << 62, kTransitionKey = 2ULL << 62;
  float Idf(double df) const { return static_cast<float>(std::log((1 + docs) / (1 + df)) + 1); }
  void AddLine(Sparse& v, const std::vector<int>& pieces, uint64_t prev_hash, uint64_t hash) const {
    if (use_pieces)
      for (int p : pieces) v[static_cast<uint64_t>(p)] += 1;
    if (use_lines) v[kLineKey | (hash >> 2)] += 1;
    if (use_transitions) v[kTransitionKey | (Mix(prev_hash, hash) >> 2)] += 1;
  }
  // Raw counts → sublinear tf × idf.
  void Weigh(Sparse& v) const {
    for (auto& [k, x] : v) {
      float w;
      if ((k & (3ULL << 62)) == 0) {
        w = k < idf.size() ? idf[k] : Idf(0);
      } else {
        const auto& df = (k & (3ULL << 62)) == kLineKey ? line_df : transition_df;
        auto it = df.find(k & ~(3ULL << 62));
        w = Idf(it == df.end() ? 0 : it->second);
      }
      x = static_cast<float>((1 + std::log(x)) * w);
    }
  }
  static double Cosine(const Sparse& a, const Sparse& b) {
    double dot = 0, na = 0, nb = 0;
    for (auto& [k, x] : a) {
      na += double(x) * x;
      auto it = b.find(k);
      if (it != b.end()) dot += double(x) * it->second;
    }
    for (auto& [k, x] : b) nb += double(x) * x;
    if (na == 0 && nb == 0) return 1;
    if (na == 0 || nb == 0) return 0;
    return dot / std::sqrt(na * nb);
  }
  static double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      dot += double(a[i]) * b[i];
      na += double(a[i]) * a[i];
      nb += double(b[i]) * b[i];
    }
    if (na == 0 || nb == 0) return 0;
    return dot / std::sqrt(na * nb);
  }
  std::vector<float> Unit(const float* v) const {
    const int d = model->dim();
    std::vector<float> u(v, v + d);
    double n = 0;
    for (float x : u) n += double(x) * x;
    n = std::sqrt(n);
    if (n > 0)
      for (float& x : u) x = static_cast<float>(x / n);
    return u;
  }

  // Similarity of a real block to a generated one, and each real line's similarity to the generated
  // block (for the least-contributing lines).
  using Block = std::vector<const Line*>;
  double Similarity(const Block& real, const Block& gen, uint64_t context_hash,
                    std::vector<double>* per_line,
                    const std::vector<std::vector<float>>* real_vecs) const {
    if (cfg.embedder == "tfidf") {
      Sparse r, g;
      uint64_t prev = context_hash;
      for (auto* l : real) {
        AddLine(r, *l->pieces, prev, l->text_hash);
        prev = l->text_hash;
      }
      prev = context_hash;
      for (auto* l : gen) {
        AddLine(g, *l->pieces, prev, l->text_hash);
        prev = l->text_hash;
      }
      Weigh(r);
      Weigh(g);
      if (per_line) {
        per_line->clear();
        prev = context_hash;
        for (auto* l : real) {
          Sparse one;
          AddLine(one, *l->pieces, prev, l->text_hash);
          prev = l->text_hash;
          Weigh(one);
          per_line->push_back(Cosine(one, g));
        }
      }
      return Cosine(r, g);
    }
    const int d = model->dim();
    std::vector<float> r(d, 0.f), g(d, 0.f);
    for (const auto& v : *real_vecs)
      for (int i = 0; i < d; ++i) r[i] += v[i];
    for (auto* l : gen)
      for (int i = 0; i < d; ++i) g[i] += known_unit[l->id][i];
    if (per_line) {
      per_line->clear();
      for (const auto& v : *real_vecs) per_line->push_back(Cosine(v, g));
    }
    return Cosine(r, g);
  }

  // ---------------------------------------------------------------- scoring
  // The threshold a window is judged by: its service's when calibration lowered it.
  double ThresholdOf(const PendingWindow& w) const {
    if (w.group >= 0 || streams.empty()) return threshold;
    auto it = service_threshold.find(streams[w.stream].service);
    return it == service_threshold.end() ? threshold : std::min(threshold, it->second);
  }

  // What calibration needs of every scored window.
  struct ScoredWindow {
    int group;
    double similarity;
    bool novel;
    int slow;  // slow lines
  };
  // sims_out (optional) receives every scored window.
  void ScoreWindows(std::vector<PendingWindow>& windows, std::vector<Anomaly>* out,
                    std::vector<ScoredWindow>* sims_out) {
    for (size_t lo = 0; lo < windows.size(); lo += kScoreBatch) {
      const size_t hi = std::min(windows.size(), lo + kScoreBatch);
      ScoreChunk(windows, lo, hi, out, sims_out);
    }
  }

  uint64_t ContextKey(const PendingWindow& w, bool& cacheable) const {
    uint64_t h = 1469598103934665603ULL;
    cacheable = true;
    for (const auto& l : w.context) {
      if (l.id == LogLmModel::kUnknownLine) cacheable = false;
      h = Mix(h, static_cast<uint64_t>(l.id));
    }
    h = Mix(h, w.real.size());
    return Mix(h, static_cast<uint64_t>(GroupOf(w) + 1));
  }

  // Windows being scored belong to a stream; calibration windows carry their group.
  int GroupOf(const PendingWindow& w) const {
    if (w.group >= 0 || streams.empty()) return w.group;
    auto it = service_group.find(streams[w.stream].service);
    return it == service_group.end() ? -1 : it->second;
  }

  std::vector<std::string> NoveltyServices() const {
    std::vector<std::string> out;
    for (const auto& [service, group] : service_group)
      if (novelty_groups.count(group)) out.push_back(service);
    return out;
  }
  std::map<std::string, int> SlowServices() const {
    std::map<std::string, int> out;
    for (const auto& [service, group] : service_group)
      if (auto it = slow_groups.find(group); it != slow_groups.end()) out[service] = it->second;
    return out;
  }
  // Slow lines that make a scored window anomalous (0: the rule is off for its service).
  int SlowNeeded(const PendingWindow& w) const {
    if (w.group >= 0) return 0;
    auto it = slow_groups.find(GroupOf(w));
    return it == slow_groups.end() ? 0 : it->second;
  }

  // The lines of the window its service never wrote in normal training (indices into `real`).
  std::vector<int> NovelLines(const PendingWindow& w, const Block& real) const {
    std::vector<int> out;
    const int g = GroupOf(w);
    if (g < 0) return out;  // a service never seen at all: not this rule's to judge
    const auto& known_here = group_lines[g];
    for (size_t i = 0; i < real.size(); ++i)
      if (!std::binary_search(known_here.begin(), known_here.end(), real[i]->id))
        out.push_back(static_cast<int>(i));
    return out;
  }

  void BuildGroups(const std::vector<std::string>& services,
                   const std::vector<std::vector<int>>& lines) {
    service_group.clear();
    group_lines.clear();
    for (size_t i = 0; i < services.size(); ++i) {
      auto [it, fresh] = service_group.emplace(services[i], static_cast<int>(group_lines.size()));
      if (fresh) group_lines.emplace_back();
      auto& g = group_lines[it->second];
      for (int id : lines[i])
        if (id >= LogLmModel::kFirstLine) g.push_back(id);
    }
    for (auto& g : group_lines) {
      std::sort(g.begin(), g.end());
      g.erase(std::unique(g.begin(), g.end()), g.end());
    }
    if (model) model->SetGroups(group_lines);
  }

  // Built-in generator: `k` blocks per window (sampled), or one (greedy, cached per context).
  void GenerateWithModel(std::vector<PendingWindow>& windows, size_t lo, size_t hi,
                         std::vector<std::vector<Block>>& cands) {
    const bool sample = cfg.decoding == "sample";
    const int k = sample ? cfg.samples : 1;
    std::vector<std::vector<learn::LogLmLineRef>> ctx;
    std::vector<size_t> owner;
    std::vector<int> groups;
    std::unordered_map<uint64_t, size_t> in_chunk;  // same context twice in this chunk
    std::vector<std::pair<size_t, size_t>> copy_from;
    auto block = [&](const std::vector<int>& ids) {
      Block b;
      for (int id : ids) b.push_back(&known_lines[id]);
      return b;
    };
    for (size_t i = lo; i < hi; ++i) {
      bool cacheable = false;
      uint64_t key = ContextKey(windows[i], cacheable);
      if (cacheable && !sample) {
        auto it = window_cache.find(key);
        if (it != window_cache.end()) {
          cands[i - lo] = {block(it->second.generated)};
          continue;
        }
        auto [pos, fresh] = in_chunk.emplace(key, i);
        if (!fresh) {
          copy_from.emplace_back(i, pos->second);
          continue;
        }
      }
      std::vector<learn::LogLmLineRef> c;
      for (const auto& l : windows[i].context) c.push_back({l.id, l.pieces.get()});
      const int group = GroupOf(windows[i]);
      for (int s = 0; s < k; ++s) {
        ctx.push_back(c);
        owner.push_back(i);
        groups.push_back(group);
      }
    }
    if (!ctx.empty()) {
      learn::LogLmDecodeOptions dec;
      dec.sample = sample;
      dec.temperature = cfg.temperature;
      dec.seed = cfg.model.seed + windows_scored;
      auto g = model->Generate(ctx, cfg.window, dec, &groups);
      for (size_t j = 0; j < g.size(); ++j) cands[owner[j] - lo].push_back(block(g[j]));
    }
    for (auto [i, from] : copy_from) cands[i - lo] = cands[from - lo];
  }

  // LLM endpoint: one completion per window, prompted with the stripped previous lines. A window
  // whose request failed gets its error instead of a block.
  void GenerateWithLlm(std::vector<PendingWindow>& windows, size_t lo, size_t hi,
                       std::vector<std::vector<Block>>& cands, std::vector<std::string>& failed,
                       std::deque<Line>& owned) {
    const bool cacheable = cfg.llm.temperature == 0;
    auto block = [&](const std::vector<std::string>& lines) {
      Block b;
      for (const auto& text : lines) {
        owned.push_back(MakeLine(0, text));
        b.push_back(&owned.back());
      }
      return b;
    };
    std::vector<std::string> prompts;
    std::vector<size_t> owner;
    std::vector<uint64_t> keys;
    std::unordered_map<uint64_t, size_t> in_chunk;
    std::vector<std::pair<size_t, size_t>> copy_from;  // window, prompt index
    for (size_t i = lo; i < hi; ++i) {
      const auto& c = windows[i].context;
      const size_t from = c.size() > static_cast<size_t>(cfg.window) ? c.size() - cfg.window : 0;
      std::vector<std::string> lines;
      for (size_t j = from; j < c.size(); ++j) lines.push_back(learn::StripLogHeader(c[j].raw));
      std::string prompt = learn::CompletionPrompt(lines);
      const uint64_t key = TextHash(prompt);
      if (cacheable) {
        auto it = llm_cache.find(key);
        if (it != llm_cache.end()) {
          cands[i - lo] = {block(it->second)};
          continue;
        }
        auto [pos, fresh] = in_chunk.emplace(key, prompts.size());
        if (!fresh) {
          copy_from.emplace_back(i, pos->second);
          continue;
        }
      }
      prompts.push_back(std::move(prompt));
      owner.push_back(i);
      keys.push_back(key);
    }
    if (prompts.empty()) return;
    auto answers = llm->Complete(prompts);
    stats.llm_requests += prompts.size();
    std::vector<std::vector<std::string>> lines(answers.size());
    for (size_t j = 0; j < answers.size(); ++j) {
      if (!answers[j].ok) {
        failed[owner[j] - lo] = answers[j].error;
        continue;
      }
      lines[j] = learn::CompletionLines(answers[j].text, static_cast<size_t>(cfg.window));
      if (lines[j].empty()) ++stats.llm_empty;
      cands[owner[j] - lo] = {block(lines[j])};
      if (cacheable) {
        if (llm_cache.size() > cfg.cache_entries) llm_cache.clear();
        llm_cache[keys[j]] = lines[j];
      }
    }
    for (auto [i, j] : copy_from) {
      if (!answers[j].ok)
        failed[i - lo] = answers[j].error;
      else
        cands[i - lo] = {block(lines[j])};
    }
  }

  // The text a sentence encoder reads for a block: its prepared lines, one per line.
  std::string BlockText(const Block& b) const {
    std::string t;
    for (auto* l : b) {
      if (!t.empty()) t += '\n';
      t += learn::PrepareLogLine(l->raw, cfg.mask());
    }
    return t;
  }

  void ScoreChunk(std::vector<PendingWindow>& windows, size_t lo, size_t hi,
                  std::vector<Anomaly>* out, std::vector<ScoredWindow>* sims_out) {
    const size_t n = hi - lo;
    std::vector<std::vector<Block>> cands(n);
    std::vector<std::string> failed(n);
    std::deque<Line> owned;  // lines written by the LLM (the built-in model writes known lines)
    if (llm)
      GenerateWithLlm(windows, lo, hi, cands, failed, owned);
    else
      GenerateWithModel(windows, lo, hi, cands);

    std::vector<Block> reals(n);
    for (size_t i = lo; i < hi; ++i) {
      for (auto& l : windows[i].real) reals[i - lo].push_back(&l);
      // Candidates are cut to the real block's length (a stream's last block may be short).
      for (auto& c : cands[i - lo])
        if (c.size() > reals[i - lo].size()) c.resize(reals[i - lo].size());
    }

    // Similarity of every candidate block to its real block.
    std::vector<std::vector<double>> sims(n);
    std::vector<std::vector<std::vector<float>>> real_vecs(n);
    if (encoder) {
      // One batched pass over all blocks of the chunk: real block, then its candidates.
      std::vector<std::string> texts;
      for (size_t i = 0; i < n; ++i) {
        if (!failed[i].empty() || cands[i].empty()) continue;
        texts.push_back(BlockText(reals[i]));
        for (auto& c : cands[i]) texts.push_back(BlockText(c));
      }
      auto vecs = encoder->Embed(texts);
      const size_t d = static_cast<size_t>(encoder->dim());
      size_t row = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!failed[i].empty() || cands[i].empty()) continue;
        if (!vecs) {
          failed[i] = vecs.message();
          continue;
        }
        const float* r = vecs->data() + row * d;
        for (size_t j = 0; j < cands[i].size(); ++j) {
          const float* g = vecs->data() + (row + 1 + j) * d;
          double dot = 0;
          for (size_t x = 0; x < d; ++x) dot += double(r[x]) * g[x];
          sims[i].push_back(dot);
        }
        row += 1 + cands[i].size();
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (!failed[i].empty()) continue;
        auto& w = windows[lo + i];
        if (cfg.embedder == "model") {
          std::vector<const std::vector<int>*> unknown;
          for (auto* l : reals[i])
            if (l->id < LogLmModel::kFirstLine) unknown.push_back(l->pieces.get());
          auto enc = model->EncodePieces(unknown);
          size_t u = 0;
          for (auto* l : reals[i]) {
            if (l->id >= LogLmModel::kFirstLine) {
              real_vecs[i].push_back(known_unit[l->id]);
            } else {
              real_vecs[i].push_back(Unit(enc.data() + u * model->dim()));
              ++u;
            }
          }
        }
        const uint64_t chash = w.context.empty() ? 0 : w.context.back().text_hash;
        for (auto& c : cands[i])
          sims[i].push_back(Similarity(reals[i], c, chash, nullptr, &real_vecs[i]));
      }
    }

    for (size_t i = lo; i < hi; ++i) {
      auto& w = windows[i];
      const auto& real = reals[i - lo];
      if (!failed[i - lo].empty()) {
        ++stats.failed;
        if (stats.first_error.empty()) {
          stats.first_error = failed[i - lo];
          LogWarn(
              "log_lm: a block could not be generated ({}); such windows are counted as "
              "not generated, neither normal nor anomalous",
              stats.first_error);
        }
        if (sink) {
          LogLmWindow win;
          win.service = streams.empty() ? std::string() : streams[w.stream].service;
          win.instance = streams.empty() ? std::string() : streams[w.stream].instance;
          win.start = w.real.front().time;
          win.end = w.real.back().time;
          win.threshold = ThresholdOf(w);
          for (auto* l : real) win.real.push_back(l->raw);
          win.error = failed[i - lo];
          sink(win);
        }
        continue;
      }
      auto& cs = cands[i - lo];
      if (cs.empty()) continue;
      // Best of the generated blocks (one when greedy or through an LLM).
      double best = -2;
      size_t best_j = 0;
      for (size_t j = 0; j < cs.size(); ++j)
        if (sims[i - lo][j] > best) {
          best = sims[i - lo][j];
          best_j = j;
        }
      if (!llm && cfg.decoding != "sample") {
        bool cacheable = false;
        uint64_t key = ContextKey(w, cacheable);
        if (cacheable) {
          if (window_cache.size() > cfg.cache_entries) window_cache.clear();
          std::vector<int> ids;
          for (auto* l : cs[best_j]) ids.push_back(l->id);
          window_cache[key] = {std::move(ids), 0};
        }
      }
      ++windows_scored;
      ++stats.windows;
      std::vector<int> novel = NovelLines(w, real);
      std::vector<int> slow, drift;
      for (size_t j = 0; j < real.size(); ++j) {
        if (real[j]->slow) slow.push_back(static_cast<int>(j));
        if (real[j]->drift) drift.push_back(static_cast<int>(j));
      }
      if (sims_out)
        sims_out->push_back({GroupOf(w), best, !novel.empty(), static_cast<int>(slow.size())});
      const double w_threshold = ThresholdOf(w);
      const int slow_needed = SlowNeeded(w);
      // A stream's first window has no context to be predicted from: the generator saw one start
      // per stream in training, and a run's start-up (a burst of registrations, say) is its own.
      const bool by_similarity = !w.context.empty() || w.group >= 0;
      const bool anomalous = (by_similarity && best < w_threshold) ||
                             (!novel.empty() && w.group < 0 && novelty_groups.count(GroupOf(w))) ||
                             (slow_needed > 0 && static_cast<int>(slow.size()) >= slow_needed) ||
                             !drift.empty();
      if (!out && !sink) continue;
      if (!anomalous && !sink) continue;
      LogLmWindow win;
      win.service = streams.empty() ? std::string() : streams[w.stream].service;
      win.instance = streams.empty() ? std::string() : streams[w.stream].instance;
      win.start = w.real.front().time;
      win.end = w.real.back().time;
      win.similarity = best;
      win.anomalous = anomalous;
      win.novel = std::move(novel);
      win.slow = std::move(slow);
      win.slow_needed = slow_needed;
      win.drift = std::move(drift);
      win.by_similarity = by_similarity;
      win.threshold = w_threshold;
      for (auto* l : real) win.real.push_back(l->raw);
      for (auto* l : cs[best_j]) win.generated.push_back(llm ? l->raw : known[l->id]);
      win.least = LeastSimilar(real, cs[best_j], w, real_vecs[i - lo]);
      if (sink) sink(win);
      if (anomalous && out) out->push_back(ToAnomaly(win));
    }
  }

  // Indices of the real lines least similar to the generated block, least first.
  std::vector<int> LeastSimilar(const Block& real, const Block& gen, const PendingWindow& w,
                                const std::vector<std::vector<float>>& real_vecs) const {
    std::vector<double> per;
    if (encoder) {
      std::vector<std::string> texts{BlockText(gen)};
      for (auto* l : real) texts.push_back(learn::PrepareLogLine(l->raw, cfg.mask()));
      auto v = encoder->Embed(texts);
      if (v) {
        const size_t d = static_cast<size_t>(encoder->dim());
        for (size_t r = 1; r < texts.size(); ++r) {
          double dot = 0;
          for (size_t x = 0; x < d; ++x) dot += double((*v)[x]) * (*v)[r * d + x];
          per.push_back(dot);
        }
      } else {
        per.assign(real.size(), 0);
      }
    } else {
      const uint64_t chash = w.context.empty() ? 0 : w.context.back().text_hash;
      Similarity(real, gen, chash, &per, &real_vecs);
    }
    std::vector<int> order(per.size());
    for (size_t t = 0; t < order.size(); ++t) order[t] = static_cast<int>(t);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return per[a] < per[b]; });
    order.resize(std::min<size_t>(order.size(), cfg.least_lines));
    return order;
  }

  Anomaly ToAnomaly(const LogLmWindow& w) const {
    Anomaly a;
    a.start = w.start;
    a.end = w.end;
    a.service = w.service;
    a.instance = w.instance;
    a.modality = Modality::kLog;
    a.detector = "log_lm";
    a.score = 1 - w.similarity;
    a.threshold = 1 - w.threshold;
    const std::string who = (w.service.empty() ? "an unnamed stream" : w.service) +
                            (w.instance.empty() ? "" : " (" + w.instance + ")");
    const bool similar = !w.by_similarity || w.similarity >= w.threshold;
    if (similar && !w.novel.empty()) {
      // Flagged by the novelty rule alone: scored at the threshold, named for what is new.
      a.score = a.threshold;
      a.summary = fmt::format(
          "{} lines of {} hold {} line(s) it never wrote in normal logs (block similarity {:.2f})",
          w.real.size(), who, w.novel.size(), w.similarity);
    } else if (similar && (w.slow_needed == 0 || static_cast<int>(w.slow.size()) < w.slow_needed)) {
      // Flagged by the drift rule alone.
      a.score = a.threshold;
      a.summary = fmt::format(
          "{} lines of {} hold {} line(s) of statements whose recent durations in this stream run "
          "above anything in normal logs (block similarity {:.2f})",
          w.real.size(), who, w.drift.size(), w.similarity);
    } else if (similar) {
      // Flagged by the slow rule alone.
      a.score = a.threshold;
      a.summary = fmt::format(
          "{} lines of {} hold {} line(s) slower than their statement's normal durations (at "
          "least {} make a window anomalous; block similarity {:.2f})",
          w.real.size(), who, w.slow.size(), w.slow_needed, w.similarity);
    } else {
      a.summary = fmt::format(
          "{} lines of {} read unlike what the log model expected: block similarity {:.2f} < "
          "{:.2f}",
          w.real.size(), who, w.similarity, w.threshold);
    }
    for (int i : w.novel) a.evidence.push_back("never in normal logs: " + w.real[i]);
    for (int i : w.slow) a.evidence.push_back("slower than normal: " + w.real[i]);
    for (int i : w.drift) a.evidence.push_back("slower than normal for a while: " + w.real[i]);
    for (int i : w.least) a.evidence.push_back("least similar: " + w.real[i]);
    for (const auto& l : w.real) a.evidence.push_back("real: " + l);
    for (const auto& l : w.generated) a.evidence.push_back("generated: " + l);
    return a;
  }

  void Push(const LogRecord& r) {
    std::string key = StreamKey(r);
    auto [it, fresh] = stream_index.emplace(key, streams.size());
    if (fresh) {
      StreamState s;
      s.service = r.service;
      s.instance = r.instance;
      streams.push_back(std::move(s));
    }
    auto& s = streams[it->second];
    s.pending.push_back(MakeLine(r, s));
    if (static_cast<int>(s.pending.size()) >= cfg.window) CloseWindow(it->second);
  }

  void CloseWindow(size_t si) {
    auto& s = streams[si];
    PendingWindow w;
    w.stream = si;
    w.context = s.context;
    w.real = std::move(s.pending);
    s.pending.clear();
    // The next context: the last `context` lines seen.
    std::vector<Line> next = s.context;
    next.insert(next.end(), w.real.begin(), w.real.end());
    const size_t c = static_cast<size_t>(cfg.model.context);
    if (next.size() > c) next.erase(next.begin(), next.end() - static_cast<std::ptrdiff_t>(c));
    s.context = std::move(next);
    ready.push_back(std::move(w));
  }

  uint64_t windows_scored = 0;

  // ---------------------------------------------------------------- model setup
  Status BuildKnown(std::vector<std::string> lines) {
    known = {"<bos>", "<unknown line>"};
    known.insert(known.end(), std::make_move_iterator(lines.begin()),
                 std::make_move_iterator(lines.end()));
    known_ids.clear();
    known_pieces.assign(known.size(), std::make_shared<const std::vector<int>>());
    known_hash.assign(known.size(), 0);
    for (size_t i = LogLmModel::kFirstLine; i < known.size(); ++i)
      known_hash[i] = TextHash(known[i]);
    for (size_t i = LogLmModel::kFirstLine; i < known.size(); ++i) {
      known_ids[known[i]] = static_cast<int>(i);
      known_pieces[i] = std::make_shared<const std::vector<int>>(tok->Encode(known[i]));
    }
    known_lines.assign(known.size(), Line());
    for (size_t i = 0; i < known.size(); ++i) {
      known_lines[i].raw = known[i];
      known_lines[i].id = static_cast<int>(i);
      known_lines[i].pieces = known_pieces[i];
      known_lines[i].text_hash = known_hash[i];
    }
    return Status::Ok();
  }

  std::vector<std::vector<int>> PiecesCopy() const {
    std::vector<std::vector<int>> p;
    p.reserve(known_pieces.size());
    for (auto& x : known_pieces) p.push_back(*x);
    return p;
  }

  void ApplyFeatures() {
    auto f = Split(cfg.tfidf_features);
    auto has = [&](const char* n) { return std::find(f.begin(), f.end(), n) != f.end(); };
    use_pieces = has("pieces");
    use_lines = has("lines");
    use_transitions = has("transitions");
  }

  // The LLM client and the sentence encoder the configuration names, if any.
  Status OpenOptionalParts() {
    llm.reset();
    if (cfg.uses_llm()) {
      auto c = learn::LlmClient::Create(cfg.llm);
      if (!c) return c.status();
      llm.emplace(std::move(*c));
    }
    encoder.reset();
    if (cfg.uses_encoder()) {
      auto e = learn::SentenceEncoder::Load(cfg.embedder, cfg.model.threads);
      if (!e) return e.status();
      encoder = std::make_unique<learn::SentenceEncoder>(std::move(*e));
    }
    return Status::Ok();
  }

  void RefreshUnit() {
    known_unit.clear();
    if (!model) return;
    known_unit.assign(known.size(), {});
    for (size_t i = 0; i < known.size(); ++i)
      known_unit[i] = Unit(model->LineVector(static_cast<int>(i)));
  }
};

LogLmDetector::LogLmDetector(LogLmConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(config);
  impl_->threshold = impl_->cfg.threshold;
  impl_->ApplyFeatures();
}
LogLmDetector::~LogLmDetector() = default;

void LogLmDetector::SetWindowSink(std::function<void(const LogLmWindow&)> sink) {
  impl_->sink = std::move(sink);
}
double LogLmDetector::threshold() const {
  return impl_->threshold;
}
void LogLmDetector::set_threshold(double t) {
  impl_->threshold = t;
}
const LogLmConfig& LogLmDetector::config() const {
  return impl_->cfg;
}
const nlohmann::json& LogLmDetector::figures() const {
  return impl_->figures;
}

void LogLmDetector::Learn(const Batch& batch) {
  auto& m = *impl_;
  for (const auto& r : batch.logs) {
    std::string key = Impl::StreamKey(r);
    auto [it, fresh] = m.learn_stream_index.emplace(key, m.learn_streams.size());
    if (fresh) m.learn_streams.push_back({r.service, r.instance, {}, {}});
    std::vector<double> durations;
    std::string text = learn::PrepareLogLine(r.body, m.cfg.mask(), &durations);
    auto [t, added] = m.text_ids.emplace(std::move(text), static_cast<uint32_t>(m.texts.size()));
    if (added) {
      m.texts.push_back(t->first);
      m.text_counts.push_back(0);
    }
    ++m.text_counts[t->second];
    auto& st = m.learn_streams[it->second];
    st.lines.push_back({r.time, t->second, static_cast<uint32_t>(st.durations.size()),
                        static_cast<uint32_t>(durations.size())});
    for (double d : durations) st.durations.push_back(static_cast<float>(d));
  }
}

Status LogLmDetector::FinishLearning(learn::ModelBundle& bundle) {
  auto& m = *impl_;
  if (auto st = m.cfg.Validate(); !st) return st;
  if (m.texts.empty()) return Status::Error("log_lm: no log lines to learn from");
  {
    size_t total = 0;
    for (const auto& st : m.learn_streams) total += st.lines.size();
    if (total < m.cfg.min_lines)
      return Status::Error(fmt::format(
          "log_lm: {} normal log lines are too few to learn the next lines from (needs {})", total,
          m.cfg.min_lines));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  // Streams in time order. When calibrating, a share `validation_fraction` of each stream is held
  // out: the end of each of `validation_blocks` equal segments (1: the stream's tail), so the
  // held-out windows come from all of the run. The model learns from the parts between them.
  std::vector<std::vector<uint32_t>> train;  // parts of streams
  std::vector<size_t> train_stream;          // the stream of each part
  std::vector<bool> train_start;             // whether the part starts its stream
  struct HeldOut {
    size_t stream;
    std::vector<uint32_t> context, ids;  // the lines before the block, and the block
    size_t from;                         // where the block starts in the stream
  };
  // Durations of the training parts, per statement (SlowKey), for the slow rule's bounds.
  std::vector<uint64_t> statement_hash(m.texts.size());
  for (size_t i = 0; i < m.texts.size(); ++i)
    statement_hash[i] = TextHash(learn::StatementOf(m.texts[i]));
  std::unordered_map<uint64_t, std::vector<float>> normal_durations;
  auto learn_durations = [&](const Impl::LearnStream& s, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto& l = s.lines[i];
      for (uint32_t k = 0; k < l.durations; ++k)
        normal_durations[SlowKey(s.service, statement_hash[l.text], k)].push_back(
            s.durations[l.durations_at + k]);
    }
  };
  std::vector<HeldOut> valid;
  uint64_t lines = 0;
  const bool calibrating = m.cfg.calibrate_fpr > 0 || m.cfg.service_fpr > 0;
  const size_t window = static_cast<size_t>(m.cfg.window);
  for (size_t si = 0; si < m.learn_streams.size(); ++si) {
    auto& s = m.learn_streams[si];
    std::stable_sort(s.lines.begin(), s.lines.end(),
                     [](auto& a, auto& b) { return a.time < b.time; });
    std::vector<uint32_t> ids;
    for (auto& l : s.lines) ids.push_back(l.text);
    lines += ids.size();
    const size_t n = ids.size();
    if (!calibrating || n < 2 * window) {
      learn_durations(s, 0, n);
      train.push_back(std::move(ids));
      train_stream.push_back(si);
      train_start.push_back(true);
      continue;
    }
    const size_t held = static_cast<size_t>(std::ceil(n * m.cfg.validation_fraction));
    // Blocks of at least one window each.
    const size_t blocks = std::max<size_t>(
        1, std::min<size_t>(static_cast<size_t>(m.cfg.validation_blocks), held / window));
    const size_t c = static_cast<size_t>(m.cfg.model.context);
    for (size_t b = 0; b < blocks; ++b) {
      const size_t start = n * b / blocks, end = n * (b + 1) / blocks;
      const size_t h = held * (b + 1) / blocks - held * b / blocks;
      const size_t cut = end - std::min(h, end - start);
      train.emplace_back(ids.begin() + start, ids.begin() + cut);
      learn_durations(s, start, cut);
      train_stream.push_back(si);
      // Only the stream's own start is one: a run starts once, and the generator writes what
      // follows a start-of-stream context (a start-up burst) from these.
      train_start.push_back(b == 0);
      valid.push_back({si,
                       {ids.begin() + (cut > c ? cut - c : 0), ids.begin() + cut},
                       {ids.begin() + cut, ids.begin() + end},
                       cut});
    }
  }

  // Tokenizer and the known-line vocabulary from the training part.
  std::vector<uint64_t> counts(m.texts.size(), 0);
  for (auto& s : train)
    for (auto id : s) ++counts[id];
  std::vector<std::string> tok_lines;
  std::vector<uint64_t> tok_counts;
  for (size_t i = 0; i < m.texts.size(); ++i)
    if (counts[i]) {
      tok_lines.push_back(m.texts[i]);
      tok_counts.push_back(counts[i]);
    }
  auto kind = m.cfg.tokenizer == "word" ? learn::LogLmTokenizer::Kind::kWord
                                        : learn::LogLmTokenizer::Kind::kSentencePiece;
  auto tok = learn::LogLmTokenizer::Train(kind, tok_lines, tok_counts, m.cfg.subword_vocab);
  if (!tok) return tok.status();
  m.tok = std::make_unique<learn::LogLmTokenizer>(std::move(*tok));
  const double tok_seconds = secs();

  std::vector<size_t> by_count;
  for (size_t i = 0; i < m.texts.size(); ++i)
    if (counts[i]) by_count.push_back(i);
  std::stable_sort(by_count.begin(), by_count.end(),
                   [&](size_t a, size_t b) { return counts[a] > counts[b]; });
  if (by_count.size() > static_cast<size_t>(m.cfg.max_lines - LogLmModel::kFirstLine))
    by_count.resize(m.cfg.max_lines - LogLmModel::kFirstLine);
  std::vector<std::string> known;
  std::vector<int> id_of_text(m.texts.size(), LogLmModel::kUnknownLine);
  for (size_t i = 0; i < by_count.size(); ++i) {
    known.push_back(m.texts[by_count[i]]);
    id_of_text[by_count[i]] = static_cast<int>(i) + LogLmModel::kFirstLine;
  }
  m.BuildKnown(std::move(known));

  // Inverse document frequency of subword pieces over normal lines (line = document).
  {
    std::vector<double> df(m.tok->vocab_size(), 0);
    double docs = 0;
    for (size_t i = 0; i < tok_lines.size(); ++i) {
      auto p = m.tok->Encode(tok_lines[i]);
      std::sort(p.begin(), p.end());
      p.erase(std::unique(p.begin(), p.end()), p.end());
      for (int x : p)
        if (x >= 0 && x < static_cast<int>(df.size())) df[x] += static_cast<double>(tok_counts[i]);
      docs += static_cast<double>(tok_counts[i]);
    }
    m.docs = docs;
    m.idf.resize(df.size());
    for (size_t i = 0; i < df.size(); ++i) m.idf[i] = m.Idf(df[i]);
    // Whole lines and transitions, per stream in time order (stream starts follow hash 0).
    m.line_df.clear();
    m.transition_df.clear();
    std::vector<uint64_t> text_hash(m.texts.size());
    for (size_t i = 0; i < m.texts.size(); ++i) text_hash[i] = TextHash(m.texts[i]);
    for (auto& st : train) {
      uint64_t prev = 0;
      for (auto id : st) {
        m.line_df[text_hash[id] >> 2] += 1;
        m.transition_df[Mix(prev, text_hash[id]) >> 2] += 1;
        prev = text_hash[id];
      }
    }
  }

  // The slow rule's bounds: the `slow_quantile` of each statement's normal durations.
  m.slow_bound.clear();
  m.slow_groups.clear();
  if (m.cfg.magnitudes && m.cfg.slow_fpr > 0)
    for (auto& [key, d] : normal_durations) {
      if (d.size() < std::max<size_t>(1, m.cfg.slow_min_samples)) continue;
      const size_t k = std::min(
          d.size() - 1, static_cast<size_t>(m.cfg.slow_quantile * static_cast<double>(d.size())));
      std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
      m.slow_bound[key] = d[k];
    }
  normal_durations.clear();
  // The drift rule's bounds: the highest median of `drift_run` consecutive durations of a statement
  // in one stream anywhere in the normal run (training parts and held-out blocks alike: no
  // generation is involved), times `drift_margin`.
  m.drift_bound.clear();
  if (m.cfg.drift_run > 0 && !m.slow_bound.empty()) {
    const size_t n = static_cast<size_t>(m.cfg.drift_run);
    for (const auto& ls : m.learn_streams) {
      std::unordered_map<uint64_t, RecentDurations> recent;
      for (const auto& l : ls.lines)
        for (uint32_t k = 0; k < l.durations; ++k) {
          const uint64_t key = SlowKey(ls.service, statement_hash[l.text], k);
          if (!m.slow_bound.count(key)) continue;
          const float median = recent[key].Add(ls.durations[l.durations_at + k], n);
          if (median >= 0) m.drift_bound[key] = std::max(m.drift_bound[key], median);
        }
    }
    for (auto& [key, b] : m.drift_bound) b *= static_cast<float>(m.cfg.drift_margin);
  }
  m.figures["drift_bounds"] = m.drift_bound.size();

  std::vector<std::vector<int>> streams;
  for (auto& s : train) {
    std::vector<int> ids;
    for (auto id : s) ids.push_back(id_of_text[id]);
    streams.push_back(std::move(ids));
  }
  if (auto st = m.OpenOptionalParts(); !st) return st;
  m.model.reset();
  learn::LogLmTrainFigures train_fig;
  if (m.llm) {
    // The LLM was fine-tuned by its owner; the TF-IDF statistics and thresholds are still ours.
    LogInfo("log_lm: generating through {} ({} lines in {} streams learned for the embedder)",
            m.llm->endpoint(), lines, m.learn_streams.size());
  } else {
    auto model = LogLmModel::Create(m.cfg.model, m.tok->vocab_size(), m.PiecesCopy());
    if (!model) return model.status();
    m.model = std::make_unique<LogLmModel>(std::move(*model));
    LogInfo("log_lm: training on {} lines in {} streams ({} known lines, {} subword pieces)", lines,
            m.learn_streams.size(), m.known.size() - 2, m.tok->vocab_size());
    auto fig = m.model->Train(streams, train_start);
    if (!fig) return fig.status();
    train_fig = *fig;
  }
  m.RefreshUnit();
  {
    std::vector<std::string> services;
    for (size_t si : train_stream) services.push_back(m.learn_streams[si].service);
    m.BuildGroups(services, streams);
  }

  m.figures = {{"lines", lines},
               {"streams", m.learn_streams.size()},
               {"known_lines", m.known.size() - 2},
               {"subword_pieces", m.tok->vocab_size()},
               {"tokenizer_seconds", tok_seconds},
               {"generator", m.llm ? "llm" : "model"},
               {"embedder", m.cfg.embedder},
               {"train_steps", train_fig.steps},
               {"train_sequences", train_fig.sequences},
               {"first_loss", train_fig.first_loss},
               {"final_loss", train_fig.final_loss},
               {"train_seconds", train_fig.seconds},
               {"train_device", learn::ComputeDeviceName()},
               {"stopped_by_time", train_fig.stopped_by_time},
               {"stopped_by_steps", train_fig.stopped_by_steps}};
  if (m.llm) m.figures["llm_endpoint"] = m.llm->endpoint();

  // Calibration: score the held-out normal windows and flag the requested fraction of them.
  m.service_threshold.clear();
  if (m.cfg.calibrate_fpr > 0 || m.cfg.service_fpr > 0) {
    std::vector<PendingWindow> windows;
    std::map<int, size_t> held_out_windows;  // per group, not overlapping
    for (const auto& part : valid) {
      if (part.ids.empty()) continue;
      auto mk = [&](uint32_t text) {
        Line l;
        l.raw = m.texts[text];
        l.text_hash = TextHash(m.texts[text]);
        l.id = id_of_text[text];
        l.pieces = l.id >= LogLmModel::kFirstLine
                       ? m.known_pieces[l.id]
                       : std::make_shared<const std::vector<int>>(m.tok->Encode(m.texts[text]));
        return l;
      };
      const size_t c = static_cast<size_t>(m.cfg.model.context);
      std::vector<Line> seq;  // the context before the held-out block, then the block
      for (auto id : part.context) seq.push_back(mk(id));
      const size_t before = seq.size();
      const auto& va = part.ids;
      const auto& ls = m.learn_streams[part.stream];
      const auto& service = ls.service;
      for (size_t i = 0; i < va.size(); ++i) {
        Line l = mk(va[i]);
        l.slow = m.Slow(ls, ls.lines[part.from + i], statement_hash);
        seq.push_back(std::move(l));
      }
      const int group = m.service_group.count(service) ? m.service_group.at(service) : -1;
      // Every `calibration_stride`-th line starts a window (1: every line), so the quantile is read
      // off windows at every alignment, each with its own sampled blocks: one alignment of the
      // simulator's user service (~150 windows) put its 1 % threshold where 3.4 % of normal
      // windows fall. An LLM answers one completion per window: there they do not overlap.
      const size_t stride = m.llm ? window : static_cast<size_t>(m.cfg.calibration_stride);
      if (group >= 0) held_out_windows[group] += va.size() / static_cast<size_t>(m.cfg.window);
      for (size_t i = 0; i + m.cfg.window <= va.size(); i += stride) {
        PendingWindow w;
        w.group = group;
        const size_t at = before + i;
        w.context.assign(seq.begin() + (at > c ? at - c : 0), seq.begin() + at);
        w.real.assign(seq.begin() + at, seq.begin() + at + m.cfg.window);
        windows.push_back(std::move(w));
      }
    }
    std::vector<Impl::ScoredWindow> scored;
    auto saved_sink = std::move(m.sink);
    m.sink = nullptr;
    m.ScoreWindows(windows, nullptr, &scored);
    m.sink = std::move(saved_sink);
    m.window_cache.clear();
    // The similarity below which a share `fpr` of `sims` lies.
    auto quantile = [](std::vector<double>& sims, double fpr) {
      std::sort(sims.begin(), sims.end());
      size_t k = static_cast<size_t>(std::floor(fpr * static_cast<double>(sims.size())));
      return std::min(1.0, sims[std::min(k, sims.size() - 1)]);
    };
    // Overlapping windows are not independent: a service needs 20 non-overlapping held-out
    // windows for its own threshold or the novelty rule, however many overlap them.
    auto too_few = [&](int g) { return g < 0 || held_out_windows[g] < 20; };
    std::vector<double> sims;
    std::map<int, std::vector<double>> by_group;
    std::map<int, size_t> novel_in_group;
    for (const auto& sw : scored) {
      sims.push_back(sw.similarity);
      by_group[sw.group].push_back(sw.similarity);
      novel_in_group[sw.group] += sw.novel;
    }
    if (sims.empty()) {
      LogWarn("log_lm: no validation windows to calibrate on; keeping threshold {:.2f}",
              m.threshold);
    } else {
      m.figures["calibration_windows"] = sims.size();
      if (m.cfg.calibrate_fpr > 0) {
        m.threshold = quantile(sims, m.cfg.calibrate_fpr);
        m.figures["calibrated_threshold"] = m.threshold;
      }
      m.figures["validation_similarity_median"] = sims[sims.size() / 2];
      if (m.cfg.service_fpr > 0) {
        for (auto& [g, gs] : by_group) {
          if (too_few(g)) continue;
          double t = quantile(gs, m.cfg.service_fpr);
          if (t >= m.threshold) continue;
          for (const auto& [service, group] : m.service_group)
            if (group == g) m.service_threshold[service] = t;
        }
        m.figures["service_thresholds"] = m.service_threshold;
      }
      // Novelty for the services whose held-out normal windows seldom hold a new line.
      m.novelty_groups.clear();
      if (m.cfg.novelty) {
        const double fpr = m.cfg.novelty_fpr;
        std::vector<std::string> on;
        for (auto& [g, gs] : by_group) {
          if (too_few(g)) continue;
          if (static_cast<double>(novel_in_group[g]) > fpr * static_cast<double>(gs.size()))
            continue;
          m.novelty_groups.insert(g);
          for (const auto& [service, group] : m.service_group)
            if (group == g) on.push_back(service);
        }
        m.figures["novelty_services"] = on;
      }
      // Slow rule: per service the fewest slow lines that at most `slow_fpr` of its normal
      // windows reach. Unlike similarity, counting slow lines needs no generation, so every
      // window of the whole normal run counts, at every alignment, training parts included: the
      // bounds are quantiles of thousands of durations, so a training line exceeds its bound
      // about as often as a held-out one, while slow lines come in bursts (a pause slows what
      // runs at that moment) that the held-out 15 % alone catches too seldom: on the two
      // simulations this was developed on, the held-out windows alone set the front-end's k
      // at 3 on one and 2 on the other.
      if (!m.slow_bound.empty()) {
        std::map<int, std::vector<size_t>> slow_in_group;  // windows with exactly k slow lines
        for (const auto& ls : m.learn_streams) {
          auto git = m.service_group.find(ls.service);
          if (git == m.service_group.end() || ls.lines.size() < window) continue;
          std::vector<int> slow(ls.lines.size(), 0);
          for (size_t i = 0; i < ls.lines.size(); ++i)
            slow[i] = m.Slow(ls, ls.lines[i], statement_hash);
          auto& h = slow_in_group[git->second];
          h.resize(window + 1, 0);
          int in_window = 0;
          for (size_t i = 0; i < slow.size(); ++i) {
            in_window += slow[i];
            if (i >= window) in_window -= slow[i - window];
            if (i + 1 >= window) ++h[static_cast<size_t>(in_window)];
          }
        }
        for (auto& [g, h] : slow_in_group) {
          if (too_few(g)) continue;
          double n = 0;
          for (size_t x : h) n += static_cast<double>(x);
          size_t at_least = 0;  // windows with >= k slow lines, k from the top down
          int needed = 0;
          for (int k = m.cfg.window; k >= 1; --k) {
            at_least += h[k];
            if (static_cast<double>(at_least) > m.cfg.slow_fpr * n) break;
            needed = k;
          }
          if (needed > 0) m.slow_groups[g] = needed;
        }
        m.figures["slow_services"] = m.SlowServices();
        m.figures["slow_bounds"] = m.slow_bound.size();
      }
    }
  }

  // Save.
  if (auto st = m.tok->Save(bundle.File(kTokenizerFile)); !st) return st;
  if (m.model)
    if (auto st = m.model->Save(bundle.File(kModelFile)); !st) return st;
  if (m.cfg.uses_encoder()) {
    const std::filesystem::path to = bundle.File(kEncoderFile);
    std::error_code ec;
    std::filesystem::remove(to, ec);
    std::filesystem::create_hard_link(m.cfg.embedder, to, ec);  // no copy of a large encoder
    if (ec) std::filesystem::copy_file(m.cfg.embedder, to, ec);
    if (ec)
      return Status::Error(to.string() + ": cannot copy the encoder " + m.cfg.embedder + ": " +
                           ec.message());
  }
  nlohmann::json state = {
      {"version", 1},
      {"config", ConfigJson(m.cfg)},
      {"generator", m.llm ? "llm" : "model"},
      {"llm_url", m.cfg.llm.url},
      {"llm_model", m.cfg.llm.model},
      {"encoder_file", m.cfg.uses_encoder() ? kEncoderFile : ""},
      {"threshold", m.threshold},
      {"service_thresholds", m.service_threshold},
      {"novelty_services", m.NoveltyServices()},
      {"slow_services", m.SlowServices()},
      {"slow_bounds", BoundsJson(m.slow_bound)},
      {"drift_run", m.cfg.drift_run},
      {"drift_margin", m.cfg.drift_margin},
      {"drift_bounds", BoundsJson(m.drift_bound)},
      {"idf", m.idf},
      {"docs", m.docs},
      {"service_groups", GroupsJson(m.service_group, m.group_lines)},
      {"line_df", m.line_df},
      {"transition_df", m.transition_df},
      {"lines", std::vector<std::string>(m.known.begin() + LogLmModel::kFirstLine, m.known.end())}};
  {
    std::ofstream out(bundle.File(kStateFile));
    out << state.dump();
    if (!out) return Status::Error(bundle.File(kStateFile).string() + ": cannot write");
  }
  m.figures["total_seconds"] = secs();
  std::vector<std::string> files{kTokenizerFile, kStateFile};
  if (m.model) files.push_back(kModelFile);
  if (m.cfg.uses_encoder()) files.push_back(kEncoderFile);
  bundle.AddModel("log_lm", "log_lm", files, m.figures);
  // Learning state is no longer needed.
  m.learn_streams.clear();
  m.learn_stream_index.clear();
  return Status::Ok();
}

Status LogLmDetector::Load(const learn::ModelBundle& bundle) {
  auto& m = *impl_;
  if (!bundle.HasModel("log_lm"))
    return Status::Error(bundle.dir().string() + ": bundle has no log_lm model");
  auto tok = learn::LogLmTokenizer::Load(bundle.File(kTokenizerFile));
  if (!tok) return tok.status();
  m.tok = std::make_unique<learn::LogLmTokenizer>(std::move(*tok));
  nlohmann::json state;
  std::string generator = "model";
  {
    std::ifstream in(bundle.File(kStateFile));
    if (!in) return Status::Error(bundle.File(kStateFile).string() + ": cannot open");
    try {
      in >> state;
      const auto& c = state.at("config");
      m.cfg.window = c.at("window");
      m.cfg.tokenizer = c.at("tokenizer");
      m.cfg.embedder = c.at("embedder");
      // The encoder the bundle carries (bundles from before it did name the original file).
      if (const std::string f = state.value("encoder_file", ""); !f.empty())
        m.cfg.embedder = bundle.File(f).string();
      m.cfg.tfidf_features = c.at("tfidf_features");
      // Bundles from before magnitudes existed masked every number.
      m.cfg.magnitudes = c.value("magnitudes", false);
      m.ApplyFeatures();
      generator = state.value("generator", "model");
      if (generator != "model" && generator != "llm")
        return Status::Error(bundle.File(kStateFile).string() + ": unknown generator \"" +
                             generator + "\"");
      // A url given now wins over the remembered one (the server may have moved).
      if (m.cfg.llm.url.empty() && generator == "llm") {
        m.cfg.llm.url = state.value("llm_url", "");
        if (m.cfg.llm.model.empty()) m.cfg.llm.model = state.value("llm_model", "");
      }
      const auto& mo = c.at("model");
      m.cfg.model.dim = mo.at("dim");
      m.cfg.model.layers = mo.at("layers");
      m.cfg.model.heads = mo.at("heads");
      m.cfg.model.ff = mo.at("ff");
      m.cfg.model.context = mo.at("context");
      m.cfg.model.horizon = mo.at("horizon");
      m.idf = state.at("idf").get<std::vector<float>>();
      m.docs = state.at("docs");
      m.line_df = state.at("line_df").get<std::unordered_map<uint64_t, double>>();
      m.transition_df = state.at("transition_df").get<std::unordered_map<uint64_t, double>>();
      m.service_threshold.clear();
      if (!m.cfg.keep_threshold) {
        m.threshold = state.at("threshold");
        if (state.contains("service_thresholds"))
          m.service_threshold = state["service_thresholds"].get<std::map<std::string, double>>();
      }
      m.BuildKnown(state.at("lines").get<std::vector<std::string>>());
      // Bundles from before the slow rule have no bounds, those from before the drift rule no
      // drift bounds: the rules stay off.
      m.slow_bound = ReadBounds(state, "slow_bounds");
      m.drift_bound = ReadBounds(state, "drift_bounds");
      m.cfg.drift_run = state.value("drift_run", 0);
      // The bounds hold the margin; bundles from before it was saved used the default, 1.1.
      m.cfg.drift_margin = state.value("drift_margin", 1.1);
      if (!(m.cfg.drift_margin >= 1 && m.cfg.drift_margin <= 100))
        return Status::Error(bundle.File(kStateFile).string() +
                             ": bad log_lm state: drift_margin must be between 1 and 100");
      if (m.cfg.drift_run < 0 || m.cfg.drift_run > 10000)
        return Status::Error(bundle.File(kStateFile).string() +
                             ": bad log_lm state: drift_run must be between 0 and 10000");
      if (m.cfg.drift_run == 0) m.drift_bound.clear();
    } catch (const std::exception& e) {
      return Status::Error(bundle.File(kStateFile).string() + ": bad log_lm state: " + e.what());
    }
  }
  m.model.reset();
  if (generator == "llm") {
    if (m.cfg.llm.url.empty())
      return Status::Error(bundle.File(kStateFile).string() +
                           ": the log model was trained for an LLM endpoint and none is known "
                           "(give --llm-url)");
  } else {
    auto model =
        LogLmModel::Load(bundle.File(kModelFile), m.cfg.model, m.tok->vocab_size(), m.PiecesCopy());
    if (!model) return model.status();
    m.model = std::make_unique<LogLmModel>(std::move(*model));
  }
  if (m.cfg.uses_llm() && m.cfg.embedder == "model")
    return Status::Error(bundle.File(kStateFile).string() +
                         ": the \"model\" embedder needs the built-in generator, not an LLM");
  if (auto st = m.OpenOptionalParts(); !st) return st;
  m.RefreshUnit();
  std::vector<std::string> services;
  std::vector<std::vector<int>> lines;
  for (auto& [service, ids] : state.at("service_groups").items()) {
    services.push_back(service);
    lines.push_back(ids.get<std::vector<int>>());
  }
  m.BuildGroups(services, lines);
  // Bundles from before the novelty rule judge by similarity alone.
  m.novelty_groups.clear();
  for (const auto& service : state.value("novelty_services", std::vector<std::string>{}))
    if (auto it = m.service_group.find(service); it != m.service_group.end())
      m.novelty_groups.insert(it->second);
  m.slow_groups.clear();
  for (const auto& [service, k] : state.value("slow_services", std::map<std::string, int>{}))
    if (auto it = m.service_group.find(service); it != m.service_group.end() && k > 0)
      m.slow_groups[it->second] = k;
  return Status::Ok();
}

void LogLmDetector::Score(const Batch& batch, std::vector<Anomaly>& out) {
  auto& m = *impl_;
  if (!m.tok || (!m.model && !m.llm)) return;
  for (const auto& r : batch.logs) m.Push(r);
  m.ScoreWindows(m.ready, &out, nullptr);
  m.ready.clear();
}

void LogLmDetector::Flush(std::vector<Anomaly>& out) {
  auto& m = *impl_;
  if (!m.tok || (!m.model && !m.llm)) return;
  // Partial windows (streams shorter than a window, or their tail) are compared with a generated
  // block of the same length.
  for (size_t si = 0; si < m.streams.size(); ++si)
    if (!m.streams[si].pending.empty()) m.CloseWindow(si);
  m.ScoreWindows(m.ready, &out, nullptr);
  m.ready.clear();
  if (m.stats.failed > 0)
    LogWarn("log_lm: {} of {} windows could not be generated; first failure: {}", m.stats.failed,
            m.stats.failed + m.stats.windows, m.stats.first_error);
}

const LogLmStats& LogLmDetector::stats() const {
  return impl_->stats;
}

std::unique_ptr<Detector> MakeLogLmDetector(const learn::LlmClientOptions& llm,
                                            const std::string& embedder, bool magnitudes,
                                            bool novelty) {
  LogLmConfig c;
  c.min_lines = 5000;
  c.magnitudes = magnitudes;
  c.novelty = novelty;
  c.llm = llm;
  if (!embedder.empty()) c.embedder = embedder;
  return std::make_unique<LogLmDetector>(c);
}

}  // namespace augur::detect
