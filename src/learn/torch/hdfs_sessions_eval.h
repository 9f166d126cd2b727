// The DeepLog protocol on HDFS block sessions (`augur eval hdfs-sessions`): train the next-key
// model on the normal train sessions only, choose the detection rule on a validation split carved
// from train, and score the test split. A plain header (no torch includes).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "learn/hdfs_sessions.h"
#include "learn/torch/next_key_model.h"

namespace augur::learn {

struct HdfsEvalOptions {
  NextKeyConfig model;               // window defaults to 10 here, as DeepLog on HDFS
  double validation_fraction = 0.2;  // of the normal train sessions: early stopping and rule choice
  double train_ratio = 0.8;  // layouts without a split: the first share of sessions is train
  HdfsEvalOptions() {
    model.window = 10;
    model.threads = 2;
  }
};

struct HdfsEvalResult {
  double precision = 0, recall = 0, f1 = 0;
  int tp = 0, fp = 0, fn = 0, tn = 0;
  double train_seconds = 0;
  double read_seconds = 0;  // reading (and, for a raw log, parsing) the input
  NextKeyTrainReport train;
  std::string layout, files;  // HdfsSessionSet's
  bool split_given = true;
  size_t train_sessions = 0, test_sessions = 0;
  // The rule chosen on validation (top_k > 0, else threshold) and its validation figures.
  int top_k = 0;
  double threshold = 0;
  double validation_f1 = 0, validation_precision = 0, validation_recall = 0;
  // Test anomalies whose exact event sequence is also a normal training session: no sequence model
  // can flag them without flagging that normal session too.
  int identical_to_normal = 0;
  std::vector<std::string> missed;  // detectable anomalies not flagged: "blk: E1 E2 ..."
  std::vector<std::string>
      false_alarms;  // normal test sessions flagged, with the first unexpected key
};

// `dir`: a folder or file LoadHdfsSessions() reads.
Result<HdfsEvalResult> EvalHdfsSessions(const std::string& dir, const HdfsEvalOptions& options);

}  // namespace augur::learn
