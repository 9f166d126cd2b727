#include "normalize/parse_metrics.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/text.h"

namespace augur::normalize {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Python's re.split('(d1|d2|...)', s): alternating tokens and single-character delimiters.
template <class IsDelim>
std::vector<std::string> SplitKeep(const std::string& s, IsDelim is_delim) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (is_delim(c)) {
      out.push_back(cur);
      out.push_back(std::string(1, c));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

bool PathDelim(char c) {
  return IsSpace(c) || std::string_view(",!;:=|\"'[](){}").find(c) != std::string_view::npos;
}
bool TokenDelim(char c) {
  return PathDelim(c) || std::string_view(".-+@#$%&").find(c) != std::string_view::npos;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  while (true) {
    size_t p = s.find(from);
    if (p == std::string::npos) return;
    // Python's str.replace replaces every occurrence left to right, then the while loop repeats.
    std::string out;
    size_t last = 0;
    while (p != std::string::npos) {
      out.append(s, last, p - last);
      out.append(to);
      last = p + from.size();
      p = s.find(from, last);
    }
    out.append(s, last);
    s = std::move(out);
  }
}

}  // namespace

std::string NormalizeTemplate(std::string_view tmpl) {
  // DS: strip, collapse whitespace runs.
  std::string t;
  {
    size_t b = 0, e = tmpl.size();
    while (b < e && IsSpace(tmpl[b])) ++b;
    while (e > b && IsSpace(tmpl[e - 1])) --e;
    bool sp = false;
    for (size_t i = b; i < e; ++i) {
      if (IsSpace(tmpl[i])) {
        sp = true;
        continue;
      }
      if (sp) t.push_back(' ');
      sp = false;
      t.push_back(tmpl[i]);
    }
  }
  // PS: ^(\/[^\/]+)+$ — starts with '/', no empty segment, does not end with '/'.
  {
    std::string out;
    for (auto& tok : SplitKeep(t, PathDelim)) {
      bool path = tok.size() >= 2 && tok[0] == '/' && tok.back() != '/' &&
                  tok.find("//") == std::string::npos;
      out += path ? std::string("<*>") : tok;
    }
    t = std::move(out);
  }
  // BL, US, DG, WV on the finer tokens.
  {
    static const char* kWords[] = {"true", "false", "null", "root", "admin"};
    std::string out;
    for (auto tok : SplitKeep(t, TokenDelim)) {
      std::string low = AsciiLower(tok);
      for (const char* w : kWords)
        if (low == w) tok = "<*>";
      if (!tok.empty() &&
          std::all_of(tok.begin(), tok.end(), [](char c) { return c >= '0' && c <= '9'; }))
        tok = "<*>";
      if (tok.find("<*>") != std::string::npos && tok.find('/') == std::string::npos &&
          std::none_of(tok.begin(), tok.end(), IsSpace) && tok != "<*>/<*>")
        tok = "<*>";
      out += tok;
    }
    t = std::move(out);
  }
  ReplaceAll(t, "<*>.<*>", "<*>");  // DV
  ReplaceAll(t, "<*><*>", "<*>");   // CV
  ReplaceAll(t, "#<*>#", "<*>");
  ReplaceAll(t, "<*>:<*>", "<*>");
  ReplaceAll(t, "<*>#<*>", "<*>");
  ReplaceAll(t, "<*>/<*>", "<*>");
  ReplaceAll(t, "<*>@<*>", "<*>");
  ReplaceAll(t, "<*>.<*>", "<*>");
  ReplaceAll(t, " \"<*>\" ", " <*> ");
  ReplaceAll(t, " '<*>' ", " <*> ");
  ReplaceAll(t, "<*><*>", "<*>");
  return t;
}

ParseScores ScoreParse(const std::vector<std::string>& truth,
                       const std::vector<std::string>& found) {
  ParseScores s;
  const size_t n = std::min(truth.size(), found.size());
  s.lines = n;
  if (n == 0) return s;
  // Integer ids for the raw strings.
  std::unordered_map<std::string, int> tid, fid;
  std::vector<int> t(n), f(n);
  for (size_t i = 0; i < n; ++i) {
    t[i] = tid.emplace(truth[i], (int)tid.size()).first->second;
    f[i] = fid.emplace(found[i], (int)fid.size()).first->second;
  }
  s.templates_truth = tid.size();
  s.templates_found = fid.size();
  std::vector<size_t> fsize(fid.size(), 0);
  for (size_t i = 0; i < n; ++i) ++fsize[f[i]];
  // GA: a truth group counts when all its lines carry one found group and that group has no other
  // line.
  std::vector<std::vector<size_t>> groups(tid.size());
  for (size_t i = 0; i < n; ++i) groups[t[i]].push_back(i);
  size_t ok_lines = 0, ok_groups = 0;
  for (const auto& g : groups) {
    int only = f[g[0]];
    bool one = std::all_of(g.begin(), g.end(), [&](size_t i) { return f[i] == only; });
    if (one && fsize[only] == g.size()) {
      ok_lines += g.size();
      ++ok_groups;
    }
  }
  s.ga = (double)ok_lines / n;
  s.pga = (double)ok_groups / fid.size();
  s.rga = (double)ok_groups / tid.size();
  s.fga = s.pga + s.rga > 0 ? 2 * s.pga * s.rga / (s.pga + s.rga) : 0;
  // PA and FTA on normalised text.
  std::unordered_map<std::string, std::string> cache;
  auto norm = [&](const std::string& x) -> const std::string& {
    auto it = cache.find(x);
    if (it == cache.end()) it = cache.emplace(x, NormalizeTemplate(x)).first;
    return it->second;
  };
  size_t pa = 0;
  for (size_t i = 0; i < n; ++i) pa += norm(truth[i]) == norm(found[i]);
  s.pa = (double)pa / n;
  // FTA: an identified template is right when every line it holds has the same truth template and
  // that truth template is its text.
  std::map<std::string, std::set<std::string>> by_found;
  std::set<std::string> truth_norm;
  for (size_t i = 0; i < n; ++i) {
    by_found[norm(found[i])].insert(norm(truth[i]));
    truth_norm.insert(norm(truth[i]));
  }
  size_t sm = 0;
  for (const auto& [text, truths] : by_found) sm += truths.size() == 1 && *truths.begin() == text;
  s.pta = (double)sm / by_found.size();
  s.rta = (double)sm / truth_norm.size();
  s.fta = s.pta + s.rta > 0 ? 2 * s.pta * s.rta / (s.pta + s.rta) : 0;
  return s;
}

int CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return (int)i;
  return -1;
}

Result<CsvTable> ReadCsv(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Result<CsvTable>::Error(path.string() + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string data = ss.str();
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  size_t line = 1, row_line = 1;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    if (table.header.empty()) {
      table.header = std::move(row);
    } else if (!(row.size() == 1 && row[0].empty())) {
      table.rows.push_back(std::move(row));
    }
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < data.size() && data[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n') {
      if (!field.empty() && field.back() == '\r') field.pop_back();
      end_row();
      row_line = ++line;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (quoted)
    return Result<CsvTable>::Error(path.string() + ":" + std::to_string(row_line) +
                                   ": unterminated quoted field");
  if (any || !field.empty()) end_row();
  if (table.header.empty())
    return Result<CsvTable>::Error(path.string() + ": empty file (no header)");
  for (size_t r = 0; r < table.rows.size(); ++r)
    if (table.rows[r].size() != table.header.size())
      return Result<CsvTable>::Error(path.string() + ": row " + std::to_string(r + 1) + " has " +
                                     std::to_string(table.rows[r].size()) + " fields, header has " +
                                     std::to_string(table.header.size()));
  return table;
}

}  // namespace augur::normalize
