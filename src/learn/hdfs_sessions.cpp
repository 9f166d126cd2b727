#include "learn/hdfs_sessions.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>

#include "core/log.h"
#include "ingest/byte_source.h"
#include "ingest/record_reader.h"
#include "normalize/log_header.h"
#include "normalize/template_miner.h"

namespace augur::learn {
namespace fs = std::filesystem;
namespace {

using SetResult = Result<HdfsSessionSet>;

constexpr std::string_view kSessionsHeader = "split,BlockId,Label,EventSequence";

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string FirstLine(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string line;
  std::getline(in, line);
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The layout a CSV file's header names ("sessions CSV", "Event_traces.csv"), else "".
std::string CsvLayout(const fs::path& p) {
  const std::string h = FirstLine(p);
  if (h.rfind(kSessionsHeader, 0) == 0) return "sessions CSV";
  if (h.rfind("BlockId,", 0) == 0 && h.find("Features") != std::string::npos)
    return "Event_traces.csv";
  return "";
}

// Normal / anomalous from the label words LogHub and deep-loglizer use.
bool ParseLabel(std::string_view v, bool* anomalous) {
  if (v == "Normal" || v == "Success" || v == "0") {
    *anomalous = false;
    return true;
  }
  if (v == "Anomaly" || v == "Fail" || v == "1") {
    *anomalous = true;
    return true;
  }
  return false;
}

// Sessions in order of appearance: the first share is the train split.
void SplitByOrder(std::vector<HdfsSession>* sessions, double train_ratio) {
  size_t n_train = static_cast<size_t>(sessions->size() * train_ratio + 0.5);
  for (size_t i = 0; i < sessions->size(); ++i) (*sessions)[i].train = i < n_train;
}

// Every record of a CSV file through `row` (fields, line number); stops at the first error.
Status ForEachCsvRow(
    const fs::path& path,
    const std::function<Status(const std::vector<std::string_view>&, uint64_t)>& row) {
  auto src = ingest::ByteSource::Open(path.string());
  if (!src) return Status::Error(src.message());
  (*src)->SkipByteOrderMark();
  ingest::RecordReader reader(**src, true, 64u << 20);
  std::string_view rec;
  std::vector<std::string_view> fields;
  std::string scratch;
  bool too_long = false;
  while (reader.Next(&rec, &too_long)) {
    if (too_long)
      return Status::Error(path.string() + ":" + std::to_string(reader.line()) +
                           ": record longer than 64 MiB");
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    if (rec.empty()) continue;
    ingest::SplitCsv(rec, &fields, &scratch);
    if (auto st = row(fields, reader.line()); !st) return st;
  }
  return Status::Ok();
}

SetResult ReadEventTraces(const fs::path& path, double train_ratio) {
  HdfsSessionSet set;
  set.layout = "Event_traces.csv";
  set.files = path.string();
  int block_col = -1, label_col = -1, feat_col = -1;
  auto st = ForEachCsvRow(path, [&](const std::vector<std::string_view>& f, uint64_t line) {
    auto where = [&] { return path.string() + ":" + std::to_string(line) + ": "; };
    if (line == 1) {
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "BlockId") block_col = static_cast<int>(i);
        if (f[i] == "Label") label_col = static_cast<int>(i);
        if (f[i] == "Features" || f[i] == "EventSequence") feat_col = static_cast<int>(i);
      }
      if (block_col < 0 || label_col < 0 || feat_col < 0)
        return Status::Error(where() + "header lacks BlockId, Label or Features");
      return Status::Ok();
    }
    if (static_cast<int>(f.size()) <= std::max({block_col, label_col, feat_col}))
      return Status::Error(where() + std::to_string(f.size()) + " fields, too few");
    HdfsSession s;
    s.block = f[block_col];
    if (!ParseLabel(f[label_col], &s.anomalous))
      return Status::Error(where() + "field Label is '" + std::string(f[label_col]) +
                           "', not Success/Fail, Normal/Anomaly or 0/1");
    // "[E5,E22,E5]" or "E5 E22 E5"; quotes and spaces around ids dropped.
    std::string key;
    for (char c : f[feat_col]) {
      if (c == '[' || c == ']' || c == '\'' || c == '"') continue;
      if (c == ',' || c == ' ') {
        if (!key.empty()) s.events.push_back(std::move(key));
        key.clear();
      } else {
        key.push_back(c);
      }
    }
    if (!key.empty()) s.events.push_back(std::move(key));
    set.sessions.push_back(std::move(s));
    return Status::Ok();
  });
  if (!st) return SetResult::Error(st.message());
  SplitByOrder(&set.sessions, train_ratio);
  return set;
}

// anomaly_label.csv beside the log, or in preprocessed/ beside it.
fs::path LabelsFor(const fs::path& log) {
  std::error_code ec;
  for (const fs::path& p : {log.parent_path() / "anomaly_label.csv",
                            log.parent_path() / "preprocessed" / "anomaly_label.csv"})
    if (fs::is_regular_file(p, ec)) return p;
  return {};
}

// Appends to `out` the distinct block ids (blk_ followed by an optional '-' and digits) of a line.
void BlockIds(std::string_view s, std::vector<std::string_view>* out) {
  out->clear();
  for (size_t at = s.find("blk_"); at != std::string_view::npos; at = s.find("blk_", at + 4)) {
    size_t e = at + 4;
    if (e < s.size() && s[e] == '-') ++e;
    size_t digits = e;
    while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
    if (e == digits) continue;
    std::string_view id = s.substr(at, e - at);
    if (std::find(out->begin(), out->end(), id) == out->end()) out->push_back(id);
  }
}

SetResult ReadRawLog(const fs::path& log, const fs::path& labels_path, double train_ratio) {
  HdfsSessionSet set;
  set.layout = "raw log";
  set.files = log.string() + " with " + labels_path.string();
  std::unordered_map<std::string, bool> labels;
  auto st = ForEachCsvRow(labels_path, [&](const std::vector<std::string_view>& f, uint64_t line) {
    if (line == 1) {
      if (f.size() < 2 || f[0] != "BlockId" || f[1] != "Label")
        return Status::Error(labels_path.string() + ":1: header is not BlockId,Label");
      return Status::Ok();
    }
    bool anomalous = false;
    if (f.size() < 2 || !ParseLabel(f[1], &anomalous))
      return Status::Error(labels_path.string() + ":" + std::to_string(line) +
                           ": field Label is not Normal/Anomaly");
    labels[std::string(f[0])] = anomalous;
    return Status::Ok();
  });
  if (!st) return SetResult::Error(st.message());

  auto header = normalize::HeaderParser::DetectFile(log.string());
  if (!header) return SetResult::Error(header.message());
  auto src = ingest::ByteSource::Open(log.string());
  if (!src) return SetResult::Error(src.message());
  (*src)->SkipByteOrderMark();
  ingest::RecordReader reader(**src, false, 1u << 20);
  normalize::TemplateMiner miner;
  normalize::TemplateMatch m;
  std::unordered_map<std::string, uint32_t> index;  // block -> session
  std::vector<std::string> blocks;
  std::vector<std::vector<uint32_t>> raw;  // template ids as mined (resolved at the end)
  std::vector<std::string_view> ids;
  std::string key;  // reused: no allocation per line for the block lookup
  std::string_view rec;
  bool too_long = false;
  while (reader.Next(&rec, &too_long)) {
    if (++set.lines % 1000000 == 0) Progress::Update("read HDFS log", set.lines, 0, "lines");
    if (too_long) continue;  // no block line is a megabyte long
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    std::string_view content = header->Parse(rec).content;
    BlockIds(content, &ids);
    if (ids.empty()) continue;
    miner.Add(content, m);
    for (auto id : ids) {
      key.assign(id);
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, static_cast<uint32_t>(blocks.size())).first;
        blocks.push_back(key);
        raw.emplace_back();
      }
      raw[it->second].push_back(m.template_id);
    }
  }
  if (set.lines >= 1000000) Progress::Finish("read HDFS log");
  if (blocks.empty()) return SetResult::Error(log.string() + ": no line names a block (blk_...)");
  set.templates = miner.stats().live;
  for (size_t b = 0; b < blocks.size(); ++b) {
    auto it = labels.find(blocks[b]);
    if (it == labels.end()) {
      ++set.unlabelled;
      continue;
    }
    HdfsSession s;
    s.block = blocks[b];
    s.anomalous = it->second;
    for (uint32_t id : raw[b]) s.events.push_back("T" + std::to_string(miner.Resolve(id)));
    set.sessions.push_back(std::move(s));
  }
  if (set.sessions.empty())
    return SetResult::Error(log.string() + ": none of its " + std::to_string(blocks.size()) +
                            " blocks has a label in " + labels_path.string());
  if (set.unlabelled > 0)
    LogWarn("{}: {} of {} blocks have no label in {} and are left out", log.string(),
            set.unlabelled, blocks.size(), labels_path.string());
  SplitByOrder(&set.sessions, train_ratio);
  return set;
}

}  // namespace

Result<std::vector<HdfsSession>> ReadHdfsSessions(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Result<std::vector<HdfsSession>>::Error(path + ": cannot open");
  std::vector<HdfsSession> out;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1) {
      if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      if (line.rfind(kSessionsHeader, 0) != 0)
        return Result<std::vector<HdfsSession>>::Error(
            path + ":1: header is not split,BlockId,Label,EventSequence");
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> f;
    size_t at = 0;
    for (int i = 0; i < 3; ++i) {
      size_t c = line.find(',', at);
      if (c == std::string::npos)
        return Result<std::vector<HdfsSession>>::Error(path + ":" + std::to_string(lineno) +
                                                       ": expected 4 fields");
      f.push_back(line.substr(at, c - at));
      at = c + 1;
    }
    f.push_back(line.substr(at));
    HdfsSession s;
    if (f[0] != "train" && f[0] != "test")
      return Result<std::vector<HdfsSession>>::Error(
          path + ":" + std::to_string(lineno) + ": field split is '" + f[0] + "', not train/test");
    if (f[2] != "0" && f[2] != "1")
      return Result<std::vector<HdfsSession>>::Error(path + ":" + std::to_string(lineno) +
                                                     ": field Label is '" + f[2] + "', not 0/1");
    s.train = f[0] == "train";
    s.block = f[1];
    s.anomalous = f[2] == "1";
    s.events = SplitSpaces(f[3]);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<HdfsSource> FindHdfsSource(const std::string& path_text) {
  const fs::path path(path_text);
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    if (path.extension() == ".csv") {
      std::string layout = CsvLayout(path);
      if (layout.empty()) return std::nullopt;
      return HdfsSource{layout, path, {}};
    }
    fs::path labels = LabelsFor(path);
    if (labels.empty()) return std::nullopt;
    return HdfsSource{"raw log", path, labels};
  }
  std::vector<fs::path> csvs, logs;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (!e.is_regular_file(ec)) continue;
    if (e.path().extension() == ".csv") csvs.push_back(e.path());
    if (e.path().extension() == ".log") logs.push_back(e.path());
  }
  std::sort(csvs.begin(), csvs.end());
  std::sort(logs.begin(), logs.end());
  for (const auto& c : csvs)
    if (CsvLayout(c) == "sessions CSV") return HdfsSource{"sessions CSV", c, {}};
  // HDFS.log first, then any other log with labels.
  std::stable_partition(logs.begin(), logs.end(),
                        [](const fs::path& p) { return p.filename() == "HDFS.log"; });
  for (const auto& l : logs)
    if (fs::path labels = LabelsFor(l); !labels.empty()) return HdfsSource{"raw log", l, labels};
  for (const fs::path& p : {path / "Event_traces.csv", path / "preprocessed" / "Event_traces.csv"})
    if (fs::is_regular_file(p, ec) && CsvLayout(p) == "Event_traces.csv")
      return HdfsSource{"Event_traces.csv", p, {}};
  return std::nullopt;
}

Result<HdfsSessionSet> LoadHdfsSessions(const std::string& path, double train_ratio) {
  auto source = FindHdfsSource(path);
  if (!source) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec) && fs::path(path).extension() != ".csv")
      return SetResult::Error(path +
                              ": a raw log needs anomaly_label.csv (BlockId,Label) beside it or "
                              "in preprocessed/ beside it");
    if (fs::is_regular_file(path, ec))
      return SetResult::Error(path + ":1: header is neither " + std::string(kSessionsHeader) +
                              " nor BlockId,Label,...,Features (LogHub's Event_traces.csv)");
    if (!fs::is_directory(path, ec)) return SetResult::Error(path + ": no such file or folder");
    return SetResult::Error(path + ": no HDFS sessions here: expected a CSV with header " +
                            std::string(kSessionsHeader) +
                            ", a raw log (HDFS.log) with anomaly_label.csv, or "
                            "preprocessed/Event_traces.csv");
  }
  return LoadHdfsSessions(*source, train_ratio);
}

Result<HdfsSessionSet> LoadHdfsSessions(const HdfsSource& source, double train_ratio) {
  if (source.layout == "raw log") return ReadRawLog(source.file, source.labels, train_ratio);
  if (source.layout == "Event_traces.csv") return ReadEventTraces(source.file, train_ratio);
  auto s = ReadHdfsSessions(source.file.string());
  if (!s) return SetResult::Error(s.message());
  HdfsSessionSet set;
  set.sessions = std::move(*s);
  set.layout = source.layout;
  set.files = source.file.string();
  set.split_given = true;
  return set;
}

}  // namespace augur::learn
