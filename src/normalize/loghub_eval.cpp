#include "normalize/loghub_eval.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/log.h"
#include "ingest/byte_source.h"
#include "ingest/record_reader.h"
#include "normalize/log_header.h"

namespace augur::normalize {
namespace fs = std::filesystem;

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Whitespace runs collapsed and ends trimmed: LogHub's Content keeps inner spacing as written.
std::string Squeeze(std::string_view s) {
  std::string out;
  bool sp = false;
  for (char c : s) {
    if (IsSpace(c)) {
      sp = !out.empty();
      continue;
    }
    if (sp) out.push_back(' ');
    sp = false;
    out.push_back(c);
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Whether `line` ends with `content` when whitespace runs count as one space and both ends are
// trimmed: LogHub's Content is what its log-format regex left after the header, so it is a suffix
// of the stripped line. No allocation: both are walked from the end.
bool EndsWithContent(std::string_view line, std::string_view content) {
  size_t i = line.size(), j = content.size();
  while (i > 0 && IsSpace(line[i - 1])) --i;
  while (j > 0 && IsSpace(content[j - 1])) --j;
  size_t first = 0;
  while (first < j && IsSpace(content[first])) ++first;
  while (j > first) {
    if (IsSpace(content[j - 1])) {
      if (i == 0 || !IsSpace(line[i - 1])) return false;
      while (j > first && IsSpace(content[j - 1])) --j;
      while (i > 0 && IsSpace(line[i - 1])) --i;
      continue;
    }
    if (i == 0 || line[i - 1] != content[j - 1]) return false;
    --i;
    --j;
  }
  return true;
}

// The set of `log` if a truth lies beside it.
bool SetOf(const fs::path& log, LoghubSet* out) {
  std::error_code ec;
  std::string file = log.filename().string();
  if (!EndsWith(file, ".log") || !fs::is_regular_file(log, ec)) return false;
  fs::path truth = log.parent_path() / (file + "_structured.csv");
  fs::path corrected = log.parent_path() / (file + "_structured_corrected.csv");
  if (!fs::exists(corrected, ec)) corrected.clear();
  if (!fs::exists(truth, ec)) {
    if (corrected.empty()) return false;
    truth = corrected;
  }
  std::string stem = file.substr(0, file.size() - 4);
  size_t us = stem.rfind('_');
  out->system = us == std::string::npos || us == 0 ? stem : stem.substr(0, us);
  out->tag = us == std::string::npos || us == 0 ? std::string() : stem.substr(us + 1);
  out->name = out->system;
  out->log = log;
  out->truth = truth;
  out->corrected = corrected;
  return true;
}

// Lines of a raw log, or records of a CSV file split into fields, read in blocks.
class Stream {
 public:
  static Result<std::unique_ptr<Stream>> Open(const fs::path& path, bool csv) {
    auto src = ingest::ByteSource::Open(path.string());
    if (!src) return Result<std::unique_ptr<Stream>>::Error(src.message());
    auto s = std::unique_ptr<Stream>(new Stream(std::move(*src), csv));
    s->path_ = path.string();
    return s;
  }
  // False at the end. A CSV record's fields are in fields(); a log line is in line().
  bool Next() {
    bool too_long = false;
    do {
      if (!reader_.Next(&line_, &too_long)) return false;
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      // CSV: blank records are not rows (LogHub's files end with one).
    } while (csv_ && line_.empty() && !too_long);
    if (too_long) {
      error_ = path_ + ":" + std::to_string(reader_.line()) + ": record longer than 16 MiB";
      return false;
    }
    if (csv_) ingest::SplitCsv(line_, &fields_, &scratch_);
    return true;
  }
  std::string_view line() const { return line_; }
  const std::vector<std::string_view>& fields() const { return fields_; }
  uint64_t line_number() const { return reader_.line(); }
  const std::string& error() const { return error_; }

 private:
  Stream(std::unique_ptr<ingest::ByteSource> src, bool csv)
      : src_(std::move(src)), reader_(*src_, csv, 16u << 20), csv_(csv) {
    src_->SkipByteOrderMark();
  }
  std::unique_ptr<ingest::ByteSource> src_;
  ingest::RecordReader reader_;
  bool csv_;
  std::string path_, error_, scratch_;
  std::string_view line_;
  std::vector<std::string_view> fields_;
};

// Records of a file counted, or an error naming the file and line.
Result<uint64_t> CountRecords(const fs::path& path, bool csv) {
  auto s = Stream::Open(path, csv);
  if (!s) return Result<uint64_t>::Error(s.message());
  uint64_t n = 0;
  while ((*s)->Next()) ++n;
  if (!(*s)->error().empty()) return Result<uint64_t>::Error((*s)->error());
  return n;
}

// The raw log's lines with a look-ahead, for lining them up with the truth's rows.
class Lookahead {
 public:
  explicit Lookahead(std::unique_ptr<Stream> s) : s_(std::move(s)) {}
  // The i-th line not yet taken (0: the next one); false past the end.
  bool Peek(size_t i, std::string_view* out) {
    while (ahead_.size() <= i) {
      if (!s_->Next()) return false;
      ahead_.emplace_back(s_->line());
    }
    *out = ahead_[i];
    return true;
  }
  // Drops the first n lines not yet taken (call Peek(n - 1) first).
  void Drop(size_t n) { ahead_.erase(ahead_.begin(), ahead_.begin() + static_cast<long>(n)); }
  const std::string& error() const { return s_->error(); }

 private:
  std::unique_ptr<Stream> s_;
  std::deque<std::string> ahead_;
};

}  // namespace

std::vector<LoghubSet> FindLoghubSets(const fs::path& path) {
  std::vector<LoghubSet> out;
  std::error_code ec;
  LoghubSet set;
  if (SetOf(path, &set)) return {set};
  auto scan = [&](const fs::path& d) {
    for (const auto& e : fs::directory_iterator(d, ec))
      if (SetOf(e.path(), &set)) out.push_back(set);
  };
  scan(path);
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_directory(ec)) scan(e.path());
  std::map<std::string, int> per_system;
  for (const auto& s : out) ++per_system[s.system];
  for (auto& s : out)
    if (per_system[s.system] > 1 && !s.tag.empty()) s.name = s.system + "_" + s.tag;
  std::sort(out.begin(), out.end(),
            [](const LoghubSet& a, const LoghubSet& b) { return a.name < b.name; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const LoghubSet& a, const LoghubSet& b) { return a.name == b.name; }),
            out.end());
  return out;
}

Result<LoghubSystemResult> EvaluateLoghubSet(const LoghubSet& set,
                                             const LoghubEvalOptions& options) {
  using R = Result<LoghubSystemResult>;
  const fs::path truth = options.corrected && !set.corrected.empty() ? set.corrected : set.truth;
  auto csv = Stream::Open(truth, true);
  if (!csv) return R::Error(csv.message());
  Stream& t = **csv;
  if (!t.Next()) return R::Error(truth.string() + ": empty file (no header)");
  int content_col = -1, tmpl_col = -1;
  for (size_t i = 0; i < t.fields().size(); ++i) {
    if (t.fields()[i] == "Content") content_col = static_cast<int>(i);
    if (t.fields()[i] == "EventTemplate") tmpl_col = static_cast<int>(i);
  }
  if (content_col < 0 || tmpl_col < 0)
    return R::Error(truth.string() + ":1: header lacks Content or EventTemplate");
  const size_t columns = t.fields().size();

  // LogHub-2.0's parser drops lines its log format does not match (continuation lines of a stack
  // trace, say), so a raw log may hold more lines than its truth has rows. Those surplus lines are
  // found by the truth's Content: each row takes the first line, at most the remaining surplus
  // ahead, that ends with its Content; the lines passed over are not scored.
  std::unique_ptr<Lookahead> ahead;
  uint64_t surplus = 0;
  if (options.raw) {
    auto lines = CountRecords(set.log, false);
    if (!lines) return R::Error(lines.message());
    auto truth_rows = CountRecords(truth, true);  // at least the header, read above
    if (!truth_rows) return R::Error(truth_rows.message());
    if (*lines < *truth_rows - 1)
      return R::Error(set.log.string() + ": " + std::to_string(*lines) + " lines but " +
                      truth.string() + " has " + std::to_string(*truth_rows - 1) + " rows");
    surplus = *lines - (*truth_rows - 1);
    auto l = Stream::Open(set.log, false);
    if (!l) return R::Error(l.message());
    ahead = std::make_unique<Lookahead>(std::move(*l));
  }
  constexpr size_t kMaxRun = 100000;        // longest run of dropped lines looked for
  constexpr size_t kMaxFailedLooks = 1000;  // then rows and lines are taken one to one
  size_t failed_looks = 0;

  LoghubSystemResult r;
  r.system = set.name;
  r.truth_file = truth.filename().string();
  // Per line: the truth template's id and the miner's template id.
  std::vector<uint32_t> truth_ids, found_ids;
  std::unordered_map<std::string, uint32_t> truth_index;
  std::vector<std::string> truth_texts;
  size_t agree = 0, rows = 0;
  double mining = 0;
  HeaderParser header;
  if (options.raw) {
    auto start = std::chrono::steady_clock::now();
    auto h = HeaderParser::DetectFile(set.log.string());
    if (!h) return R::Error(h.message());
    header = std::move(*h);
    mining += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  TemplateMiner miner(options.miner);
  TemplateMatch m;
  std::string key;  // reused: no allocation per row for the truth lookup
  while (t.Next()) {
    ++rows;
    if (t.fields().size() != columns)
      return R::Error(truth.string() + ":" + std::to_string(t.line_number()) + ": " +
                      std::to_string(t.fields().size()) + " fields, header has " +
                      std::to_string(columns));
    key.assign(t.fields()[tmpl_col]);
    auto it = truth_index.find(key);
    if (it == truth_index.end()) {
      it = truth_index.emplace(key, static_cast<uint32_t>(truth_texts.size())).first;
      truth_texts.push_back(key);
    }
    truth_ids.push_back(it->second);
    const std::string_view truth_content = t.fields()[content_col];
    std::string_view line = truth_content;
    if (options.raw) {
      if (!ahead->Peek(0, &line))
        return R::Error(ahead->error().empty() ? set.log.string() + ": changed while read"
                                               : ahead->error());
      if (surplus > r.lines_skipped && failed_looks < kMaxFailedLooks &&
          !EndsWithContent(line, truth_content)) {
        const size_t reach = std::min<uint64_t>(surplus - r.lines_skipped, kMaxRun);
        std::string_view later;
        size_t d = 1;
        while (d <= reach && ahead->Peek(d, &later) && !EndsWithContent(later, truth_content)) ++d;
        if (d <= reach && ahead->Peek(d, &later)) {
          ahead->Drop(d);
          r.lines_skipped += d;
          ahead->Peek(0, &line);
        } else {
          ++failed_looks;
        }
      }
    }
    auto start = std::chrono::steady_clock::now();
    std::string_view content = options.raw ? header.Parse(line).content : line;
    miner.Add(content, m);
    mining += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    found_ids.push_back(m.template_id);
    agree += Squeeze(content) == Squeeze(truth_content);
    if (ahead) ahead->Drop(1);
    if (rows % 100000 == 0) Progress::Update("eval loghub " + set.name, rows, 0, "lines");
  }
  if (!t.error().empty()) return R::Error(t.error());
  if (options.raw) r.lines_skipped = surplus;  // with those after the last row
  if (rows >= 100000) Progress::Finish("eval loghub " + set.name);
  r.seconds = mining;
  r.header = header.Describe();

  // Found templates by their final text (the miner refines text after a line is added).
  uint32_t max_id = 0;
  for (uint32_t id : found_ids) max_id = std::max(max_id, id);
  std::vector<std::string> found_texts(found_ids.empty() ? 0 : max_id + 1);
  for (uint32_t id = 0; id < found_texts.size(); ++id)
    if (auto info = miner.Get(id)) found_texts[id] = info->text;
  r.scores = ScoreParseIds(truth_ids, truth_texts, found_ids, found_texts);
  r.header_agreement = rows == 0 ? 0 : static_cast<double>(agree) / rows;
  return r;
}

}  // namespace augur::normalize
