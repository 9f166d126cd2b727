// Speed of the sequence detectors (docs/BENCHMARKS.md, "Sequence detectors (LSTM)"): training the
// next-key model on the HDFS train split, batched scoring, the whole read-window-score path, and
// one-at-a-time scoring of traces with the multimodal trace model.
// Usage: bench_seq_lstm HDFS_DIR|--traces-only [THREADS]
#include <malloc.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>

#include "learn/torch/compute_device.h"
#include "learn/torch/hdfs_sessions_eval.h"
#include "learn/torch/next_key_model.h"
#include "learn/torch/trace_model.h"

using namespace augur;
using Clock = std::chrono::steady_clock;

static double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_seq_lstm HDFS_DIR [THREADS]\n");
    return 2;
  }
  std::string csv = std::string(argv[1]) + "/hdfs_100k_sessions.csv";
  int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  learn::SetTorchThreads(threads);

  // "--traces-only": only part 4 (for profiling the trace model).
  const bool traces_only = std::string(argv[1]) == "--traces-only";
  size_t flagged = 1;
  if (!traces_only) {
    // 1. Training on the normal train sessions (reading and windowing included), the eval's
    // settings.
    auto t0 = Clock::now();
    auto sessions = learn::ReadHdfsSessions(csv);
    if (!sessions) {
      std::fprintf(stderr, "%s\n", sessions.message().c_str());
      return 3;
    }
    std::vector<std::vector<std::string>> normal;
    for (const auto& s : *sessions)
      if (s.train && !s.anomalous) normal.push_back(s.events);
    learn::NextKeyConfig cfg;
    cfg.window = 10;
    cfg.threads = threads;
    learn::NextKeyModel model;
    auto rep = model.Train(normal, cfg);
    if (!rep) return 1;
    double train_s = Since(t0);
    std::printf(
        "train   next-key LSTM on %zu normal HDFS train sessions: %.1f s (%d epochs, %zu windows, "
        "%zu unique)\n",
        normal.size(), train_s, rep->epochs, rep->windows, rep->unique_windows);

    // 2. Whole path: read the CSV, window every session, score every window (no caching of
    // repeats).
    t0 = Clock::now();
    auto again = learn::ReadHdfsSessions(csv);
    std::vector<std::vector<int>> seqs;
    size_t windows = 0;
    for (const auto& s : *again) {
      seqs.push_back(model.Encode(s.events));
      windows += s.events.size() + 1;
    }
    auto scores = model.ScoreSequences(seqs);
    double path_s = Since(t0);
    flagged = 0;
    for (const auto& sc : scores)
      for (const auto& k : sc)
        if (k.unexpected) {
          ++flagged;
          break;
        }
    std::printf(
        "path    read + window + score %zu sessions (%zu windows): %.3f s = %.0f windows/s, %.0f "
        "sessions/s\n",
        seqs.size(), windows, path_s, windows / path_s, seqs.size() / path_s);

    // 3. Scoring alone, batched (best of 3).
    double best = 1e9;
    for (int r = 0; r < 3; ++r) {
      t0 = Clock::now();
      model.ScoreSequences(seqs);
      best = std::min(best, Since(t0));
    }
    // Scoring computes each distinct (context, next key) pair once: how many there are.
    std::set<std::vector<int>> distinct;
    for (const auto& s : seqs)
      for (size_t i = 0; i <= s.size(); ++i) {
        std::vector<int> key;
        for (size_t j = i >= 10 ? i - 10 : 0; j < i; ++j) key.push_back(s[j]);
        key.push_back(i < s.size() ? s[i] : -1);
        distinct.insert(std::move(key));
      }
    std::printf(
        "score   batched: %.0f windows/s, %.0f sessions/s (%zu distinct windows computed: "
        "%.0f/s)\n",
        windows / best, seqs.size() / best, distinct.size(), distinct.size() / best);
  }

  // 4. Traces one at a time: a trace model of the eval's size, on traces of 76 events (the most
  // common TrainTicket trace length); scoring cost does not depend on what the weights learned.
  std::mt19937_64 rng(1);
  std::vector<learn::TraceSequence> traces;
  for (int i = 0; i < 300; ++i) {
    learn::TraceSequence t;
    for (int j = 0; j < 76; ++j)
      t.push_back({"label" + std::to_string((i + j * 7) % 200), (double)(rng() % 1000)});
    traces.push_back(t);
  }
  learn::TraceModelConfig tc;
  tc.max_epochs = 1;
  tc.threads = threads;
  learn::TraceModel tm;
  if (!tm.Train(traces, tc)) return 1;
  for (int i = 0; i < 20; ++i) tm.Score(traces[i]);  // warm-up
  // Wall time (best of 3 rounds) and the thread's CPU time per trace: on a shared machine the
  // second says what the work costs whatever the load.
  auto time_one_at_a_time = [&](const char* what) {
    double per = 1e9, cpu = 1e9;
    for (int round = 0; round < 3; ++round) {
      timespec c0, c1;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
      auto t0 = Clock::now();
      for (const auto& t : traces) tm.Score(t);
      per = std::min(per, Since(t0) / traces.size());
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
      cpu = std::min(cpu,
                     ((c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9) / traces.size());
    }
    std::printf("trace   one at a time, 76 events%s: %.3f ms per trace (CPU time %.3f ms)\n", what,
                per * 1000, cpu * 1000);
  };
  time_one_at_a_time("");
  // The likelihood response-time rule: two density look-ups per event instead of one division.
  if (tm.SetRtRule(learn::RtSpread::kLikelihood, false)) {
    time_one_at_a_time(", likelihood rule");
    tm.SetRtRule(learn::RtSpread::kRobust, true);
  }
  auto t0 = Clock::now();
  tm.Score(traces);
  double batched = Since(t0);
  std::printf("trace   batched, 76 events: %.0f traces/s\n", traces.size() / batched);
  return flagged > 0 ? 0 : 1;
}
