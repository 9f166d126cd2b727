// HDFS block sessions for the DeepLog protocol (`augur eval hdfs-sessions`, `augur eval next-key`),
// read from any of the layouts HDFS is published in:
//   - a sessions CSV (split,BlockId,Label,EventSequence; deep-loglizer's preprocessing, as in
//     ../shared/datasets/hdfs-100k-sessions), under any file name;
//   - LogHub's HDFS_v1 raw log (HDFS.log) with anomaly_label.csv (BlockId,Label Normal/Anomaly):
//     lines are parsed by augur's own header detector and template miner, and each template id is
//     appended to the sequence of every block the line names (blk_...), as DeepLog does;
//   - LogHub's preprocessed/Event_traces.csv (BlockId,Label Success/Fail,...,Features "[E5,E22]").
// Layouts without a split take the first `train_ratio` of the sessions, in order of appearance, as
// the train split.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace augur::learn {

struct HdfsSession {
  bool train = false;  // split column
  bool anomalous = false;
  std::string block;
  std::vector<std::string> events;
};

struct HdfsSessionSet {
  std::vector<HdfsSession> sessions;
  std::string layout;        // "sessions CSV", "raw log", "Event_traces.csv"
  std::string files;         // what was read, for messages
  bool split_given = false;  // false: split by order of appearance
  uint64_t lines = 0;        // raw log lines read
  size_t templates = 0;      // templates the miner found in the raw log
  size_t unlabelled = 0;     // blocks named in the raw log without a label (left out)
};

// Reads a sessions CSV (split,BlockId,Label,EventSequence). Bad rows are an error naming the file,
// line and field.
Result<std::vector<HdfsSession>> ReadHdfsSessions(const std::string& csv_path);

// Where the sessions at `path` are: the layout ("sessions CSV", "raw log", "Event_traces.csv"), the
// file and, for a raw log, its labels. nullopt when `path` holds none of the layouts.
struct HdfsSource {
  std::string layout;
  std::filesystem::path file, labels;
};
std::optional<HdfsSource> FindHdfsSource(const std::string& path);

// `path`: a folder holding one of the layouts above (searched in that order, the raw log also
// with its labels in preprocessed/), or one file of them (a raw log finds anomaly_label.csv beside
// it or in preprocessed/ beside it).
Result<HdfsSessionSet> LoadHdfsSessions(const std::string& path, double train_ratio = 0.8);
// The same for a source FindHdfsSource() found.
Result<HdfsSessionSet> LoadHdfsSessions(const HdfsSource& source, double train_ratio = 0.8);

}  // namespace augur::learn
