// The generative log model of seed 000's method, small enough for a laptop CPU: a decoder-only
// transformer over whole log lines. Each input line is encoded from its subword pieces (so unseen
// lines still get a vector); the output is a distribution over the lines seen in normal training.
// It reads the previous `context` lines of a stream and generates the next `horizon` lines,
// greedily or by sampling, batched across streams, with a key/value cache. Plain header: no torch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace augur::learn {

struct LogLmModelOptions {
  int dim = 64;  // line vector and transformer width
  int layers = 2;
  int heads = 4;
  int ff = 128;
  int context = 10;  // lines read before generating (seed 000: 10)
  int horizon = 10;  // lines generated (seed 000: a block of 10)
  int epochs = 8;
  int batch = 64;
  double learning_rate = 3e-3;
  int stride = 3;  // training sequences start every `stride` lines of a stream
  // Big inputs: at most this many optimiser steps (epochs are cut short), so that the learning
  // rate's decay ends where training does and the model does not depend on the machine's speed.
  int64_t max_train_steps = 20000;
  double max_train_seconds = 420;  // training stops here even mid-epoch (bar: < 10 min end to end)
  int threads = 0;                 // libtorch intra-op threads; 0 = leave libtorch's default
  uint64_t seed = 7;
  Status Validate() const;
};

struct LogLmDecodeOptions {
  bool sample = false;       // false: greedy (argmax at each step)
  double temperature = 1.0;  // sampling only
  uint64_t seed = 1;         // sampling only: same seed, same blocks
};

struct LogLmTrainFigures {
  int64_t steps = 0;
  int64_t sequences = 0;
  double first_loss = 0;
  double final_loss = 0;
  double seconds = 0;
  bool stopped_by_time = false;
  bool stopped_by_steps = false;  // max_train_steps reached before the last epoch ended
};

// A line as the model reads it: a known line id (>= kFirstLine), kBos (stream start padding), or an
// unknown line (kUnknownLine) given by its subword pieces.
struct LogLmLineRef {
  int id = 0;
  const std::vector<int>* pieces = nullptr;  // needed when id == kUnknownLine
};

class LogLmModel {
 public:
  static constexpr int kBos = 0;
  static constexpr int kUnknownLine = 1;
  static constexpr int kFirstLine = 2;

  // `line_pieces[i]` are the subword ids of known line i (entries 0 and 1 unused).
  static Result<LogLmModel> Create(const LogLmModelOptions& options, int subword_vocab,
                                   std::vector<std::vector<int>> line_pieces);
  // Trains on line-id streams (each in time order). Library code: progress through core/log.h.
  // `starts[i]` false: streams[i] continues a stream (a part after held-out lines), so it is not
  // learned as a stream start. Empty: every one starts a stream.
  Result<LogLmTrainFigures> Train(const std::vector<std::vector<int>>& streams,
                                  const std::vector<bool>& starts = {});
  Status Save(const std::filesystem::path& file) const;
  static Result<LogLmModel> Load(const std::filesystem::path& file,
                                 const LogLmModelOptions& options, int subword_vocab,
                                 std::vector<std::vector<int>> line_pieces);

  LogLmModel(LogLmModel&&) noexcept;
  LogLmModel& operator=(LogLmModel&&) noexcept;
  ~LogLmModel();

  const LogLmModelOptions& options() const;
  int dim() const;
  int lines() const;  // known lines incl. the two reserved ids
  // The model's own line vector (its input encoder: the pooled subword states) of a known line.
  const float* LineVector(int id) const;
  // Line vectors of lines given by pieces, row-major [n, dim()].
  std::vector<float> EncodePieces(const std::vector<const std::vector<int>*>& lines) const;

  // Generation groups (one per service): group g may only generate the lines in allowed[g], the
  // lines its streams wrote in normal training, so a stream never "continues" with another
  // service's lines.
  void SetGroups(const std::vector<std::vector<int>>& allowed);

  // For each context (up to options().context lines, oldest first; shorter ones are padded with
  // kBos), the ids of `horizon` generated known lines. One batched pass per generated line.
  // `groups` (optional, one per context, -1 = unrestricted) picks the group of each context.
  std::vector<std::vector<int>> Generate(const std::vector<std::vector<LogLmLineRef>>& contexts,
                                         int horizon, const LogLmDecodeOptions& decode,
                                         const std::vector<int>* groups = nullptr) const;

 private:
  struct Impl;
  explicit LogLmModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::learn
