// The DeepLog protocol on HDFS block sessions (`augur eval hdfs-sessions`): train the next-key
// model on the normal train sessions only, choose the detection rule on a validation split carved
// from train, and score the test split. A plain header (no torch includes).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "learn/torch/next_key_model.h"

namespace augur::learn {

struct HdfsSession {
  bool train = false;  // split column
  bool anomalous = false;
  std::string block;
  std::vector<std::string> events;
};

// Reads hdfs_100k_sessions.csv (split,BlockId,Label,EventSequence). Bad rows are an error naming
// the file, line and field.
Result<std::vector<HdfsSession>> ReadHdfsSessions(const std::string& csv_path);

struct HdfsEvalOptions {
  NextKeyConfig model;               // window defaults to 10 here, as DeepLog on HDFS
  double validation_fraction = 0.2;  // of the normal train sessions: early stopping and rule choice
  HdfsEvalOptions() {
    model.window = 10;
    model.threads = 2;
  }
};

struct HdfsEvalResult {
  double precision = 0, recall = 0, f1 = 0;
  int tp = 0, fp = 0, fn = 0, tn = 0;
  double train_seconds = 0;
  NextKeyTrainReport train;
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

// `dir` holds hdfs_100k_sessions.csv.
Result<HdfsEvalResult> EvalHdfsSessions(const std::string& dir, const HdfsEvalOptions& options);

}  // namespace augur::learn
