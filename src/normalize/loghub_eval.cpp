#include "normalize/loghub_eval.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include "normalize/log_header.h"

namespace augur::normalize {
namespace fs = std::filesystem;

namespace {

// Whitespace runs collapsed and ends trimmed: LogHub's Content keeps inner spacing as written.
std::string Squeeze(std::string_view s) {
  std::string out;
  bool sp = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      sp = !out.empty();
      continue;
    }
    if (sp) out.push_back(' ');
    sp = false;
    out.push_back(c);
  }
  return out;
}

fs::path SystemDir(const fs::path& dir, const std::string& system) {
  if (fs::exists(dir / (system + "_2k.log"))) return dir;
  return dir / system;
}

}  // namespace

std::vector<std::string> FindLoghubSystems(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  auto check = [&](const fs::path& d) {
    for (const auto& e : fs::directory_iterator(d, ec)) {
      std::string name = e.path().filename().string();
      const std::string suffix = "_2k.log";
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string sys = name.substr(0, name.size() - suffix.size());
        if (fs::exists(d / (name + "_structured.csv"))) out.push_back(sys);
      }
    }
  };
  check(dir);
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) check(e.path());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<LoghubSystemResult> EvaluateLoghubSystem(const fs::path& dir, const std::string& system,
                                                const LoghubEvalOptions& options) {
  using R = Result<LoghubSystemResult>;
  const fs::path d = SystemDir(dir, system);
  const fs::path log = d / (system + "_2k.log");
  fs::path truth = d / (system + "_2k.log_structured_corrected.csv");
  if (!options.corrected || !fs::exists(truth)) truth = d / (system + "_2k.log_structured.csv");
  auto table = ReadCsv(truth);
  if (!table) return R::Error(table.message());
  int content_col = table->Column("Content"), tmpl_col = table->Column("EventTemplate");
  if (content_col < 0 || tmpl_col < 0)
    return R::Error(truth.string() + ":1: header lacks Content or EventTemplate");

  std::vector<std::string> lines;
  if (options.raw) {
    std::ifstream in(log, std::ios::binary);
    if (!in) return R::Error(log.string() + ": cannot open");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
    if (lines.size() != table->rows.size())
      return R::Error(log.string() + ": " + std::to_string(lines.size()) + " lines but " +
                      truth.string() + " has " + std::to_string(table->rows.size()) + " rows");
  } else {
    for (const auto& row : table->rows) lines.push_back(row[content_col]);
  }

  LoghubSystemResult r;
  r.system = system;
  r.truth_file = truth.filename().string();
  auto start = std::chrono::steady_clock::now();
  HeaderParser header;
  if (options.raw) {
    std::vector<std::string_view> sample(lines.begin(),
                                         lines.begin() + std::min<size_t>(lines.size(), 1000));
    header = HeaderParser::Detect(sample);
  }
  TemplateMiner miner(options.miner);
  std::vector<uint32_t> ids(lines.size());
  std::vector<std::string_view> contents(lines.size());
  TemplateMatch m;
  for (size_t i = 0; i < lines.size(); ++i) {
    contents[i] = options.raw ? header.Parse(lines[i]).content : std::string_view(lines[i]);
    miner.Add(contents[i], m);
    ids[i] = m.template_id;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.header = header.Describe();

  std::vector<std::string> truth_t, found_t;
  size_t agree = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    truth_t.push_back(table->rows[i][tmpl_col]);
    auto info = miner.Get(ids[i]);
    found_t.push_back(info ? info->text : std::string());
    agree += Squeeze(contents[i]) == Squeeze(table->rows[i][content_col]);
  }
  r.scores = ScoreParse(truth_t, found_t);
  r.header_agreement = lines.empty() ? 0 : (double)agree / lines.size();
  return r;
}

}  // namespace augur::normalize
