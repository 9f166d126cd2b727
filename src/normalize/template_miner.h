// The online log template miner: turns each log message (the content part of a line, after
// log_header.h split off timestamp/level/component) into a stable template id, the template text
// with `<*>` for variables, and the extracted parameters, at line rate and with bounded memory.
//
// How it works (details in docs/template-miner.md):
//  1. Masking: each whitespace token is cut into segments at punctuation; segments with a digit,
//     hex runs, UUIDs, URLs, paths and the values of key=value pairs become `<*>` (DefaultMasks(),
//     plus user regexes in TemplateMinerConfig::extra_masks); code locations stay as written. Runs
//     of fully masked tokens collapse into one position, so variable-length lists of variables do
//     not split a template.
//  2. Fast path: the masked token sequence is hashed; a sequence seen before maps straight to its
//     template (one hash lookup per line).
//  3. Slow path (a new sequence): the closest template with the same number of positions is found.
//     It absorbs the line when the positions that differ hold variable-like tokens (identifiers,
//     not plain words). Plain words that differ make a new template, unless one position of
//     otherwise identical templates has taken `word_variable_threshold` distinct words: then that
//     position is a variable (positional statistics) and the templates merge. Code locations that
//     differ always make a new template.
//  4. Merges keep the oldest id; the absorbed ids stay resolvable through Resolve() (merge
//     history).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace augur::normalize {

// A user mask: a whitespace-separated token that fully matches `regex` (ECMAScript) becomes `<*>`.
// Checked before the built-in masks; std::regex is slow, so each extra mask costs throughput.
struct MaskPattern {
  std::string name;
  std::string regex;
};

// The built-in masks, in the order they are applied to a token (after the user's extra_masks).
// Names accepted by TemplateMinerConfig::disabled_masks: "code" (a code location is kept as
// written, see IsCodeLocation(); not a mask but a rule ahead of them), "url", "path", "uuid",
// "hostport", "kv", "hex", "bool", "number", "date" (a weekday or month name followed within three
// tokens by a time of day, so that a date inside a message becomes one variable with its numbers).
std::vector<std::string> DefaultMasks();

// A source location as loggers write it, as a whole token (without surrounding brackets):
// "t.s.TravelServiceImpl#372" (a qualified class and its line, TrainTicket's logback
// `%logger{1.}#%line`) or "logging.go:37", "Foo.java:120" (a source file and line). It names the
// log statement, so the miner keeps it as template text, not a variable: two statements with the
// same message stay two templates, and a statement that stops running is seen to stop.
bool IsCodeLocation(std::string_view token);
// The code location a token of a line or template holds: the token without surrounding brackets and
// punctuation, or a `key=value`'s value ("caller=logging.go:37" → "logging.go:37"); empty if none.
std::string_view CodeLocationIn(std::string_view token);

struct TemplateMinerConfig {
  // At most this many live templates; beyond it the least recently used one is evicted (counted).
  size_t max_templates = 100000;
  // Distinct plain words seen at one position of otherwise identical templates before that position
  // is declared a variable (GET/POST/DELETE stay three templates; user names merge).
  int word_variable_threshold = 5;
  // Share of a template's positions that must agree for a line with variable-like differences to
  // join it.
  double similarity = 0.5;
  // Templates of the same length compared on the slow path (most recent first); bounds the cost of
  // a flood of never-seen lines.
  size_t max_candidates = 4096;
  // Lines are cut at this many tokens; the rest becomes one `<*>`. Messages rarely carry template
  // words that far in (LogHub's longest has 105 tokens); payload dumps do, and stay cheap.
  size_t max_tokens = 128;
  // Built-in masks to switch off (names from DefaultMasks()).
  std::vector<std::string> disabled_masks;
  // User masks, applied before the built-in ones.
  std::vector<MaskPattern> extra_masks;

  Status Validate() const;
};

// What Add()/Match() return for one line. `params` point into the caller's line (valid while it
// is).
struct TemplateMatch {
  uint32_t template_id = 0;  // 0 = none (Match() found nothing)
  bool created = false;      // Add() made a new template for this line
  std::vector<std::string_view> params;
};

struct TemplateInfo {
  uint32_t id = 0;
  std::string text;    // tokens joined by single spaces, variables as `<*>`
  uint64_t count = 0;  // lines assigned (including those of templates merged into it)
};

struct TemplateMinerStats {
  uint64_t lines = 0;
  uint64_t fast_path = 0;  // lines resolved by the signature cache
  uint64_t word_path = 0;  // lines resolved by the plain-words cache (new values, known template)
  uint64_t created = 0;    // templates ever created
  uint64_t merged = 0;     // templates merged into another
  uint64_t evicted = 0;    // templates dropped by the LRU cap
  uint64_t live = 0;       // templates alive now
  uint64_t truncated = 0;  // lines cut at max_tokens
};

class TemplateMiner {
 public:
  explicit TemplateMiner(TemplateMinerConfig config = {});
  ~TemplateMiner();
  TemplateMiner(TemplateMiner&&) noexcept;
  TemplateMiner& operator=(TemplateMiner&&) noexcept;

  // Online: assigns the line to a template (creating or generalising one) and returns its id.
  TemplateMatch Add(std::string_view line);
  // Same, reusing `out` (no allocation once warmed up): the form for hot loops.
  void Add(std::string_view line, TemplateMatch& out);
  // Lookup only (scoring): the template the line fits, without learning anything; id 0 if none.
  TemplateMatch Match(std::string_view line) const;
  // The line masked as Add() masks it, without learning anything: the text a new template for it
  // would start from, with each run of variables as one `<*>` ("took <*> ms"). Gives never-seen
  // lines a readable key that does not split on their values.
  std::string Mask(std::string_view line) const;

  // Follows the merge history: the live id an earlier id now belongs to (0 if it was evicted).
  uint32_t Resolve(uint32_t id) const;
  // The current template of an id (resolved through merges); nullopt if unknown or evicted.
  std::optional<TemplateInfo> Get(uint32_t id) const;
  // Every live template, by id.
  std::vector<TemplateInfo> Templates() const;
  // (absorbed id, surviving id) in the order merges happened.
  std::vector<std::pair<uint32_t, uint32_t>> MergeHistory() const;
  TemplateMinerStats stats() const;
  const TemplateMinerConfig& config() const;

  // A text file (one template per line plus the merge history). Load() takes the configuration
  // because user masks are code-like settings that belong to the caller, not to the data.
  Status Save(const std::filesystem::path& path) const;
  static Result<TemplateMiner> Load(const std::filesystem::path& path,
                                    TemplateMinerConfig config = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::normalize
