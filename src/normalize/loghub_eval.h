// The LogHub 2k evaluation behind `augur eval loghub`: mines each system's raw log with the default
// miner and scores it against the structured truth (metrics in parse_metrics.h).
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

struct LoghubSystemResult {
  std::string system;
  ParseScores scores;
  double seconds = 0;           // header split + mining of all lines (reading and scoring excluded)
  double header_agreement = 0;  // share of lines whose content equals the truth's Content column
  std::string truth_file;       // file name of the truth used
  std::string header;           // HeaderParser::Describe() of the detected format
};

// System names: every folder under DIR (or DIR itself) with <S>_2k.log and
// <S>_2k.log_structured.csv.
std::vector<std::string> FindLoghubSystems(const std::filesystem::path& dir);

// Evaluates one system found by FindLoghubSystems(); errors name the file and line.
Result<LoghubSystemResult> EvaluateLoghubSystem(const std::filesystem::path& dir,
                                                const std::string& system,
                                                const LoghubEvalOptions& options);

}  // namespace augur::normalize
