// The log language-model detector of seed 000 (section V-A): per stream (service/instance), read
// the previous 10 lines, let a generative model trained on normal logs write the 10 lines that
// should come next, embed the generated and the real block, and call the block anomalous when their
// cosine similarity falls below a threshold (0.8 by default, or calibrated on normal validation
// windows).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "detect/detector.h"
#include "learn/llm_client.h"
#include "learn/log_lm_text.h"
#include "learn/torch/log_lm_model.h"

namespace augur::detect {

struct LogLmConfig {
  int window = 10;  // lines per real/generated block (seed 000: 10)
  // Fewer normal lines than this teach the generator too little: the detector declines to train
  // (the pipeline's detector asks for 5000; evaluations on small corpora set their own).
  size_t min_lines = 0;
  double threshold = 0.8;       // seed 000's similarity threshold
  bool keep_threshold = false;  // Load keeps `threshold` instead of the bundle's (calibrated) one
  double calibrate_fpr = 0;     // > 0: hold out part of each normal stream and pick the threshold
                                // that flags this fraction of its windows (overrides `threshold`)
  // > 0: a service whose own held-out normal windows fall below `threshold` more often than this
  // (chatty, interleaved streams) gets its threshold lowered to where this share of them would be
  // flagged; never raised above the global one. The other services keep the seed's rule. A
  // 30-minute run holds about 5,000 normal windows: at 1 % that is 50 false alarms, as many as a
  // quiet fault has windows to find (docs/log-lm.md, step 6). 0.05 %: windows that the similarity
  // rule alone flagged were nearly all false alarms once novelty, slow lines and drift existed
  // (simulator, seeds 1 and 8: 7-15 hits against 380-440 false alarms at 0.2 %).
  double service_fpr = 0.0005;
  // A window holding a line the service never wrote in normal training (after masking: with
  // magnitudes, also a known statement in a duration bucket it never reached) is anomalous
  // whatever its similarity, for the services whose held-out normal windows hold such a line at
  // most `novelty_fpr` of the time (others: too chatty for novelty to mean anything). augur's
  // addition to seed 000: in interleaved streams, whose calibrated threshold is low, one new line
  // in ten barely moves the block's similarity. Its own gate, not `service_fpr`: tied to it, a
  // 0.2 % target cost one simulation's front-end its novelty rule (recall 0.91 -> 0.77).
  bool novelty = true;
  double novelty_fpr = 0.01;
  // Slow lines (with magnitudes): a duration above the `slow_quantile` of what its statement took
  // in normal training (statements with at least `slow_min_samples` durations there) makes its
  // line slow. A window is anomalous when it holds at least k slow lines, k per service: the
  // smallest whose held-out normal windows reach it at most `slow_fpr` of the time (none: the
  // rule is off for that service). Half-decade buckets hide a 1.5-3x slowdown that stays inside
  // one bucket; a slowed dependency slows several lines of a window at once, normal jitter seldom.
  // slow_fpr 0: off. 0.05 %: with the drift rule, windows flagged by slow lines alone were mostly
  // false alarms (simulator, seeds 1 and 8: 8-10 hits against 51-111 at 0.2 %).
  double slow_quantile = 0.99;
  double slow_fpr = 0.0005;
  size_t slow_min_samples = 100;
  // Sustained slowdowns (with magnitudes and the slow rule's statements): per stream and statement,
  // the median of its last `drift_run` durations; above `drift_margin` times the highest such
  // median anywhere in the normal run, and the line itself above that highest median, the line
  // drifts, and a window holding a drifting line is anomalous. A slowdown by a quarter to a half
  // hides line by line in a statement's normal spread, and a window holds one or two of its lines,
  // but it moves the median of 16 of them far past anything normal. drift_run 0: off.
  int drift_run = 16;
  double drift_margin = 1.1;
  double validation_fraction = 0.15;  // share of each stream held out when calibrating
  // Held out as this many blocks, each at the end of an equal segment of the stream (1: its tail).
  int validation_blocks = 5;
  // Held-out windows start every this many lines (1: at every line, so they overlap): a quantile
  // read off one alignment of ~150 windows rests on one or two of them and their sampled blocks.
  // Through an LLM endpoint, where each window costs a completion, they never overlap.
  int calibration_stride = 1;
  std::string tokenizer = "sentencepiece";  // "sentencepiece" | "word"
  int subword_vocab = 800;
  int max_lines = 8192;  // known-line vocabulary of the generator, most frequent first
  // Durations keep a half-decade bucket instead of "<*>" when lines are masked
  // (learn::LogMaskOptions): slowdowns then change what a service says.
  bool magnitudes = true;
  learn::LogMaskOptions mask() const { return {.magnitudes = magnitudes}; }
  // "tfidf" (subword TF-IDF learned from normal logs) | "model" (the generator's pooled line
  // vectors) | the path of a TorchScript sentence encoder (learn/torch/sentence_encoder.h: e.g.
  // MPNet, seed 000's embedder), which embeds each block's text.
  std::string embedder = "tfidf";
  // What the TF-IDF embedder counts (learned from normal logs): subword pieces, whole lines, and
  // transitions from one line to the next.
  std::string tfidf_features = "pieces,lines,transitions";
  // Sampling several blocks and keeping the closest copes with streams whose next lines are a
  // coin toss (interleaved requests); greedy decoding writes only the single likeliest block.
  std::string decoding = "sample";  // "sample" | "greedy"
  int samples = 4;  // sampled blocks per window (best one kept) when decoding = sample
  double temperature = 1.0;
  int least_lines = 3;            // real lines reported as contributing least to the similarity
  size_t cache_entries = 200000;  // generation/similarity cache for repeated windows (bursts)
  learn::LogLmModelOptions model;
  // Generation through an OpenAI-compatible completion endpoint instead of the built-in model
  // (seed 000: a fine-tuned Llama-3 served by llama.cpp, Ollama or vLLM). Empty url: built-in.
  // Trained with a url, the bundle holds no generator and remembers the url and model name;
  // Load uses the url given here when there is one, else the remembered one.
  learn::LlmClientOptions llm;
  Status Validate() const;
  bool uses_llm() const { return !llm.url.empty(); }
  bool uses_encoder() const { return embedder != "tfidf" && embedder != "model"; }
};

// One scored window, anomalous or not (the evaluation reads all of them).
struct LogLmWindow {
  std::string service;
  std::string instance;
  TimeNs start = 0;
  TimeNs end = 0;
  std::vector<std::string> real;       // raw lines
  std::vector<std::string> generated;  // generated lines (prepared text)
  double similarity = 0;
  double threshold = 0;    // the one it was judged by (its service's, when calibrated)
  std::vector<int> least;  // indices into `real`, least similar first
  bool anomalous = false;
  // Indices into `real` of the lines its service never wrote in normal training.
  std::vector<int> novel;
  // Indices into `real` of the slow lines (a duration above its statement's normal quantile), and
  // how many of them make a window of this service anomalous (0: the slow rule is off for it).
  std::vector<int> slow;
  int slow_needed = 0;
  // Indices into `real` of the drifting lines: the median of their statement's last durations in
  // this stream is above anything seen in normal logs (LogLmConfig::drift_run).
  std::vector<int> drift;
  // False for a stream's first window: with no previous lines there is nothing to predict it
  // from (training holds one start per stream), so only the novelty and slow rules judge it.
  bool by_similarity = true;
  // Not empty when no block could be generated (the LLM endpoint failed): the window is neither
  // normal nor anomalous, and `similarity` means nothing.
  std::string error;
};

// What scoring went through, for reports: windows scored, and those that could not be generated.
struct LogLmStats {
  uint64_t windows = 0;
  uint64_t failed = 0;
  uint64_t llm_requests = 0;
  uint64_t llm_empty = 0;   // completions holding no line at all
  std::string first_error;  // the first failure, with the endpoint and reason
};

class LogLmDetector : public Detector {
 public:
  explicit LogLmDetector(LogLmConfig config = {});
  ~LogLmDetector() override;

  std::string_view name() const override { return "log_lm"; }
  void Learn(const Batch& batch) override;
  Status FinishLearning(learn::ModelBundle& bundle) override;
  Status Load(const learn::ModelBundle& bundle) override;
  void Score(const Batch& batch, std::vector<Anomaly>& out) override;
  void Flush(std::vector<Anomaly>& out) override;

  // Called for every scored window, normal ones included (evaluation, calibration reports).
  void SetWindowSink(std::function<void(const LogLmWindow&)> sink);
  double threshold() const;
  void set_threshold(double t);
  const LogLmConfig& config() const;
  // Training figures of the last FinishLearning (also written into the bundle manifest).
  const nlohmann::json& figures() const;
  const LogLmStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The pipeline's log_lm (at least 5,000 normal lines to train), with an LLM endpoint as the
// generator and/or a TorchScript encoder as the embedder (each left as the default when empty),
// durations masked with or without their magnitude (LogLmConfig::magnitudes), and the novelty rule
// on or off (LogLmConfig::novelty).
std::unique_ptr<Detector> MakeLogLmDetector(const learn::LlmClientOptions& llm,
                                            const std::string& embedder, bool magnitudes = true,
                                            bool novelty = true);

}  // namespace augur::detect
