// Seed 001's evaluation of the next-key model (`augur eval next-key`): k-fold cross-validation of
// next-key prediction on normal key sequences, macro precision/recall/F-score over the keys.
// A plain header (no torch includes).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "learn/key_sequences.h"
#include "learn/torch/next_key_model.h"

namespace augur::learn {

struct NextKeyEvalOptions {
  NextKeyConfig model;
  int folds = 5;
  NextKeyEvalOptions() { model.threads = 2; }
};

struct NextKeyEvalResult {
  double precision = 0, recall = 0, f_score = 0;  // macro over keys, averaged over folds
  double accuracy = 0;                            // top-1 over all predictions
  size_t sequences = 0, predictions = 0, keys = 0;
  int folds = 0;
  double train_seconds = 0;  // all folds
};

Result<NextKeyEvalResult> EvalNextKey(const std::vector<std::vector<std::string>>& sequences,
                                      const NextKeyEvalOptions& options);

}  // namespace augur::learn
