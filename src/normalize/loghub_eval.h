// The LogHub evaluation behind `augur eval loghub`: mines each system's raw log with the default
// miner and scores it against the structured truth (metrics in parse_metrics.h). Works on LogHub's
// 2k samples and on LogHub-2.0's full sets (millions of lines): both files are streamed, and only
// template ids are kept per line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "normalize/parse_metrics.h"
#include "normalize/template_miner.h"

namespace augur::normalize {

struct LoghubEvalOptions {
  bool corrected = true;  // *_structured_corrected.csv where present (LogHub-2.0's fixed truth)
  bool raw =
      true;  // mine the .log lines through HeaderParser::Detect(); false: the truth's Content
  TemplateMinerConfig miner;
};

// One labelled log: <S>_<tag>.log beside <S>_<tag>.log_structured.csv (LogHub: tag "2k";
// LogHub-2.0: "2k" and "full").
struct LoghubSet {
  std::string name;    // the system ("Apache"); "Apache_full" where the system has several sets
  std::string system;  // "Apache"
  std::string tag;     // "2k", "full"
  std::filesystem::path log, truth;
  std::filesystem::path corrected;  // *_structured_corrected.csv, empty if there is none
};

struct LoghubSystemResult {
  std::string system;  // LoghubSet::name
  ParseScores scores;
  double seconds = 0;           // header split + mining of all lines (reading and scoring excluded)
  double header_agreement = 0;  // share of lines whose content equals the truth's Content column
  std::string truth_file;       // file name of the truth used
  std::string header;           // HeaderParser::Describe() of the detected format
  uint64_t lines_skipped = 0;   // raw lines without a truth row (the truth's parser dropped them)
};

// The sets under `path`: a folder of system folders (or of sets), one system's folder, or one .log
// file. A log counts when a structured truth (original or corrected) lies beside it. Sorted by
// name.
std::vector<LoghubSet> FindLoghubSets(const std::filesystem::path& path);

// Evaluates one set; errors name the file and line. A raw log may hold more lines than the truth
// has rows (LogHub-2.0's parser drops lines its log format does not match): each row is lined up
// with the next line that ends with its Content, and the lines passed over are counted, not scored.
Result<LoghubSystemResult> EvaluateLoghubSet(const LoghubSet& set,
                                             const LoghubEvalOptions& options);

}  // namespace augur::normalize
