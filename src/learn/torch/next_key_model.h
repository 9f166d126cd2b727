// The next-key model of seeds 001/DeepLog: a 2-layer LSTM that predicts the next key of a sequence
// from the previous `window` keys, trained on normal sequences only. A plain header (no torch
// includes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "learn/model_bundle.h"

namespace augur::learn {

struct NextKeyConfig {
  int window = 17;  // α: keys of context (DeepLog uses 10 on HDFS)
  int embed = 32;
  int hidden = 64;
  int layers = 2;
  // An end-of-sequence class is learned after the last key of every training sequence, so that a
  // session that stops early (or runs on) is itself unexpected. Off for endless streams.
  bool end_token = true;
  // Detection rule: a key is unexpected when unseen in training, or outside the top-k predictions
  // (top_k > 0), else when its predicted probability is below `threshold`.
  int top_k = 0;
  double threshold = 0.5;
  // Training.
  int max_epochs = 100;
  int patience = 8;  // epochs without validation improvement before stopping
  // Optimizer steps trained at least, whatever max_epochs and patience say: identical windows are
  // trained once (weighted), so an epoch over a small, regular input is a single step.
  int min_steps = 0;
  int batch = 512;
  double learning_rate = 1e-2;
  double validation_fraction = 0.2;  // of the sequences, held out for early stopping
  uint64_t seed = 1;
  int threads = 0;  // libtorch intra-op threads; 0 leaves the process setting alone

  Status Validate() const;
};

// Inline: the command line checks its flags with it without loading the libtorch module.
inline Status NextKeyConfig::Validate() const {
  if (window < 1 || window > 1024)
    return Status::Error("next-key model: window must be in 1..1024");
  if (embed < 1 || hidden < 1 || layers < 1)
    return Status::Error("next-key model: embed, hidden, layers must be >= 1");
  // Far above any model this CPU engine trains; a damaged bundle must not ask for terabytes.
  if (embed > 4096 || hidden > 4096 || layers > 16)
    return Status::Error("next-key model: embed and hidden must be <= 4096, layers <= 16");
  if (top_k < 0) return Status::Error("next-key model: top_k must be >= 0");
  if (threshold < 0 || threshold > 1)
    return Status::Error("next-key model: threshold must be in [0, 1]");
  if (max_epochs < 1 || patience < 1 || batch < 1)
    return Status::Error("next-key model: epochs, patience, batch must be >= 1");
  if (min_steps < 0) return Status::Error("next-key model: min_steps must be >= 0");
  if (validation_fraction < 0 || validation_fraction >= 1)
    return Status::Error("next-key model: validation_fraction must be in [0, 1)");
  return Status::Ok();
}

struct NextKeyTrainReport {
  int epochs = 0;
  double train_loss = 0;
  double validation_loss = 0;
  double seconds = 0;
  size_t train_sequences = 0;
  size_t validation_sequences = 0;
  size_t windows = 0;  // training windows (one per predicted key)
  size_t unique_windows =
      0;  // identical (context, next) pairs are trained once with their count as weight
  size_t vocabulary = 0;  // known keys (without the special classes)
};

// The verdict on one key (or on the end of a sequence).
struct KeyScore {
  float probability = 0;  // predicted probability of the observed key
  int rank = 0;           // 0 = the most probable prediction
  bool unseen = false;    // key never seen in training
  bool unexpected = false;
};

// The detection rule of NextKeyConfig: unseen, or outside the top-k (top_k > 0), else below the
// probability threshold.
inline bool UnexpectedUnder(const KeyScore& s, int top_k, double threshold) {
  return s.unseen || (top_k > 0 ? s.rank >= top_k : s.probability < threshold);
}

class NextKeyModel {
 public:
  // Reserved ids: padding before the first key, end of sequence, unseen key.
  static constexpr int kPad = 0;
  static constexpr int kEnd = 1;
  static constexpr int kUnknown = 2;

  NextKeyModel();
  ~NextKeyModel();
  NextKeyModel(NextKeyModel&&) noexcept;
  NextKeyModel& operator=(NextKeyModel&&) noexcept;

  // Trains from scratch on normal sequences of keys; the vocabulary is every key seen in them.
  Result<NextKeyTrainReport> Train(const std::vector<std::vector<std::string>>& sequences,
                                   const NextKeyConfig& config);
  // Same, with an explicit validation set for early stopping (validation_fraction is ignored).
  Result<NextKeyTrainReport> Train(const std::vector<std::vector<std::string>>& train,
                                   const std::vector<std::vector<std::string>>& validation,
                                   const NextKeyConfig& config);
  bool trained() const;
  const NextKeyConfig& config() const;
  // Changes the detection rule without retraining (top_k > 0 wins over threshold).
  void SetRule(int top_k, double threshold);

  int Id(const std::string& key) const;  // kUnknown when unseen
  std::vector<int> Encode(const std::vector<std::string>& keys) const;
  const std::vector<std::string>& keys()
      const;  // id → key; the reserved ids are "<pad>", "<end>", "<unk>"

  // Scores the predictions for `targets.size()` windows; contexts holds window() ids per target
  // (kPad-filled on the left). Batched internally.
  std::vector<KeyScore> ScoreWindows(const std::vector<int>& contexts,
                                     const std::vector<int>& targets) const;
  // Every key of each sequence, then (with end_token) the end: sequence.size() (+1) scores each.
  std::vector<std::vector<KeyScore>> ScoreSequences(
      const std::vector<std::vector<int>>& sequences) const;
  // The most probable next id for each window (contexts as in ScoreWindows), batched.
  std::vector<int> Top1(const std::vector<int>& contexts) const;
  // The k most probable next ids after a context of window() ids, most probable first.
  std::vector<std::pair<int, float>> Predict(const std::vector<int>& context, int k) const;
  int window() const { return config().window; }

  // Files "<name>.pt" (weights) and "<name>.json" (config, vocabulary) in the bundle, plus its
  // entry.
  Status Save(ModelBundle& bundle, const std::string& name, const NextKeyTrainReport& report) const;
  static Result<NextKeyModel> Load(const ModelBundle& bundle, const std::string& name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::learn
