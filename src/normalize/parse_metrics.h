// Log parsing accuracy as the LogHub-2.0 benchmark defines it (GA, PA, FGA, FTA) and its template
// normalisation. Used by `augur eval loghub`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace augur::normalize {

// LogHub-2.0's correct_single_template(): collapses whitespace, turns path-like tokens, plain
// numbers, booleans/null/root/admin and tokens with an embedded `<*>` into `<*>`, then merges
// `<*>` joined by '.', ':', '/', '@', '#' or nothing. Applied to both sides before comparing text.
std::string NormalizeTemplate(std::string_view tmpl);

struct ParseScores {
  double ga = 0, pa = 0, fga = 0, fta = 0;
  double pga = 0, rga = 0, pta = 0, rta = 0;
  size_t lines = 0, templates_truth = 0, templates_found = 0;
};

// truth[i] / found[i]: the template text of line i (truth as written in the file, found as the
// miner rendered it). GA/FGA group lines by the raw strings; PA/FTA compare normalised strings.
ParseScores ScoreParse(const std::vector<std::string>& truth,
                       const std::vector<std::string>& found);
// The same on ids: line i has truth template truth_texts[truth_ids[i]] and found template
// found_texts[found_ids[i]]. Ids with equal texts count as one template. For millions of lines.
ParseScores ScoreParseIds(const std::vector<uint32_t>& truth_ids,
                          const std::vector<std::string>& truth_texts,
                          const std::vector<uint32_t>& found_ids,
                          const std::vector<std::string>& found_texts);

}  // namespace augur::normalize
