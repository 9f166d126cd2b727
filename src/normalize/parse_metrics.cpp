#include "normalize/parse_metrics.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
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

namespace {

// Ids of distinct texts: ids[i] is the first index of texts whose text equals texts[i].
std::vector<uint32_t> CanonicalIds(const std::vector<std::string>& texts) {
  std::unordered_map<std::string_view, uint32_t> first;
  std::vector<uint32_t> ids(texts.size());
  for (uint32_t i = 0; i < texts.size(); ++i) ids[i] = first.emplace(texts[i], i).first->second;
  return ids;
}

// Ids of the first n strings, in order of first appearance, and the strings by id.
void Intern(const std::vector<std::string>& xs, size_t n, std::vector<uint32_t>* ids,
            std::vector<std::string>* texts) {
  std::unordered_map<std::string_view, uint32_t> index;
  ids->resize(n);
  for (size_t i = 0; i < n; ++i) {
    auto [it, fresh] = index.emplace(xs[i], static_cast<uint32_t>(texts->size()));
    if (fresh) texts->push_back(xs[i]);
    (*ids)[i] = it->second;
  }
}

}  // namespace

ParseScores ScoreParse(const std::vector<std::string>& truth,
                       const std::vector<std::string>& found) {
  const size_t n = std::min(truth.size(), found.size());
  std::vector<uint32_t> t, f;
  std::vector<std::string> tt, ft;
  Intern(truth, n, &t, &tt);
  Intern(found, n, &f, &ft);
  return ScoreParseIds(t, tt, f, ft);
}

ParseScores ScoreParseIds(const std::vector<uint32_t>& truth_ids,
                          const std::vector<std::string>& truth_texts,
                          const std::vector<uint32_t>& found_ids,
                          const std::vector<std::string>& found_texts) {
  ParseScores s;
  const size_t n = std::min(truth_ids.size(), found_ids.size());
  s.lines = n;
  if (n == 0) return s;
  // Lines are grouped by text: two ids with one text are one template.
  const auto tcanon = CanonicalIds(truth_texts), fcanon = CanonicalIds(found_texts);
  std::vector<uint32_t> t(n), f(n);
  for (size_t i = 0; i < n; ++i) {
    t[i] = tcanon[truth_ids[i]];
    f[i] = fcanon[found_ids[i]];
  }
  // Dense group numbers for the templates that occur.
  std::vector<int> tgroup(truth_texts.size(), -1), fgroup(found_texts.size(), -1);
  std::vector<uint32_t> tg(n), fg(n);
  std::vector<uint32_t> tgroup_text, fgroup_text;
  for (size_t i = 0; i < n; ++i) {
    if (tgroup[t[i]] < 0) {
      tgroup[t[i]] = static_cast<int>(tgroup_text.size());
      tgroup_text.push_back(t[i]);
    }
    if (fgroup[f[i]] < 0) {
      fgroup[f[i]] = static_cast<int>(fgroup_text.size());
      fgroup_text.push_back(f[i]);
    }
    tg[i] = tgroup[t[i]];
    fg[i] = fgroup[f[i]];
  }
  s.templates_truth = tgroup_text.size();
  s.templates_found = fgroup_text.size();
  // GA: a truth group counts when all its lines carry one found group and that group has no other
  // line.
  std::vector<size_t> tsize(tgroup_text.size(), 0), fsize(fgroup_text.size(), 0);
  std::vector<int64_t> only(tgroup_text.size(), -1);  // the one found group, -2 if several
  for (size_t i = 0; i < n; ++i) {
    ++tsize[tg[i]];
    ++fsize[fg[i]];
    int64_t& o = only[tg[i]];
    if (o == -1)
      o = fg[i];
    else if (o != fg[i])
      o = -2;
  }
  size_t ok_lines = 0, ok_groups = 0;
  for (size_t g = 0; g < tsize.size(); ++g) {
    if (only[g] >= 0 && fsize[only[g]] == tsize[g]) {
      ok_lines += tsize[g];
      ++ok_groups;
    }
  }
  s.ga = static_cast<double>(ok_lines) / n;
  s.pga = static_cast<double>(ok_groups) / s.templates_found;
  s.rga = static_cast<double>(ok_groups) / s.templates_truth;
  s.fga = s.pga + s.rga > 0 ? 2 * s.pga * s.rga / (s.pga + s.rga) : 0;
  // PA and FTA on normalised text, both sides numbered in one space.
  std::unordered_map<std::string, uint32_t> norm_index;
  auto norm_id = [&](const std::string& text) {
    return norm_index.emplace(NormalizeTemplate(text), static_cast<uint32_t>(norm_index.size()))
        .first->second;
  };
  std::vector<uint32_t> tnorm(tgroup_text.size()), fnorm(fgroup_text.size());
  for (size_t g = 0; g < tnorm.size(); ++g) tnorm[g] = norm_id(truth_texts[tgroup_text[g]]);
  for (size_t g = 0; g < fnorm.size(); ++g) fnorm[g] = norm_id(found_texts[fgroup_text[g]]);
  size_t pa = 0;
  // FTA: an identified template is right when every line it holds has the same truth template and
  // that truth template is its text. Per normalised found text: its one truth text, -1 before any
  // line, -2 once two differ.
  std::vector<int64_t> truth_of(norm_index.size(), -1);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t a = tnorm[tg[i]], b = fnorm[fg[i]];
    pa += a == b;
    int64_t& o = truth_of[b];
    if (o == -1)
      o = a;
    else if (o != a)
      o = -2;
  }
  s.pa = static_cast<double>(pa) / n;
  const std::set<uint32_t> found_norm(fnorm.begin(), fnorm.end()),
      truth_norm(tnorm.begin(), tnorm.end());
  size_t sm = 0;
  for (uint32_t b : found_norm) sm += truth_of[b] == static_cast<int64_t>(b);
  s.pta = static_cast<double>(sm) / found_norm.size();
  s.rta = static_cast<double>(sm) / truth_norm.size();
  s.fta = s.pta + s.rta > 0 ? 2 * s.pta * s.rta / (s.pta + s.rta) : 0;
  return s;
}

}  // namespace augur::normalize
