#include "ingest/read.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include <simdjson.h>

#include "core/log.h"
#include "core/text.h"
#include "ingest/ctf.h"
#include "ingest/reader.h"

namespace augur::ingest {

namespace fs = std::filesystem;

void RejectStats::Add(const std::string& file, uint64_t line, const std::string& reason) {
  ++count;
  ++reasons[reason];
  if (first.size() < kMaxFirstRejects)
    first.push_back(line ? file + ":" + std::to_string(line) + ": " + reason
                         : file + ": " + reason);
}

bool ReadContext::Reject(uint64_t line, std::string_view reason, std::string_view detail) {
  std::string r(reason);
  rejects_.Add(path_, line, r);
  if (!detail.empty() && !rejects_.first.empty() &&
      rejects_.first.size() <= RejectStats::kMaxFirstRejects)
    rejects_.first.back() += " (" + std::string(detail) + ")";
  if (options_.strict && !stopped_) {
    stopped_ = true;
    stop_message_ = line ? path_ + ":" + std::to_string(line) + ": " + r : path_ + ": " + r;
  }
  return !stopped_;
}

namespace {

// Most text is short and ASCII: checked 8 bytes at a time, without simdjson's dispatch per call.
bool IsAscii(const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t high = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    high |= w;
  }
  for (; n > 0; ++p, --n) high |= static_cast<unsigned char>(*p);
  return (high & 0x8080808080808080ULL) == 0;
}

}  // namespace

bool RepairUtf8(std::string& s) {
  if (IsAscii(s) || simdjson::validate_utf8(s.data(), s.size())) return false;
  s = ReplaceInvalidUtf8(s);
  return true;
}

bool RepairUtf8(Attributes& attributes) {
  bool any = false;
  for (auto& a : attributes) any = RepairUtf8(a.key) | RepairUtf8(a.value) | any;
  return any;
}

LogRecord& ReadContext::Repair(LogRecord& r) {
  if (text_is_utf8) return r;
  if (RepairUtf8(r.service) | RepairUtf8(r.instance) | RepairUtf8(r.severity_text) |
      RepairUtf8(r.body) | RepairUtf8(r.attributes))
    ++repaired_records;
  return r;
}

Span& ReadContext::Repair(Span& r) {
  if (text_is_utf8) return r;
  bool any = RepairUtf8(r.service) | RepairUtf8(r.instance) | RepairUtf8(r.name) |
             RepairUtf8(r.status_message) | RepairUtf8(r.http_method) | RepairUtf8(r.http_route) |
             RepairUtf8(r.http_url) | RepairUtf8(r.attributes);
  for (auto& e : r.events) any = RepairUtf8(e.name) | RepairUtf8(e.attributes) | any;
  if (any) ++repaired_records;
  return r;
}

MetricPoint& ReadContext::Repair(MetricPoint& r) {
  if (text_is_utf8) return r;
  if (RepairUtf8(r.name) | RepairUtf8(r.service) | RepairUtf8(r.instance) | RepairUtf8(r.labels))
    ++repaired_records;
  return r;
}

TraceEvent& ReadContext::Repair(TraceEvent& r) {
  if (text_is_utf8) return r;
  if (RepairUtf8(r.name) | RepairUtf8(r.category) | RepairUtf8(r.process_name) |
      RepairUtf8(r.fields))
    ++repaired_records;
  return r;
}

void ReadContext::Flush() {
  if (batch_.empty()) return;
  on_batch_(batch_);
  batch_.clear();
}

std::vector<std::string> FormatNames() {
  std::vector<std::string> names;
  for (const auto& f : Formats()) names.push_back(f.name);
  return names;
}

namespace {

std::string UnknownFormat(const std::string& name) {
  std::string known;
  for (const auto& f : FormatNames()) known += (known.empty() ? "" : ", ") + f;
  return "unknown format '" + name + "'; known: " + known;
}

bool SkippedInFolder(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (const char* prefix : {"LICENSE", "LICENCE", "README", "COPYING", "NOTICE", "CHANGELOG"})
    if (name.rfind(prefix, 0) == 0) return true;
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".md") == 0;
}

// A CTF trace folder (one holding `metadata`) is read as a whole, not file by file.
// `seen` holds the folders walked so far, by their canonical paths: a symbolic link back up the
// tree is walked once, not until the path gets too long. A subfolder that cannot be listed goes
// to `unreadable` (path, reason) and costs only itself; `ec` is this folder's own listing error.
using Unreadable = std::vector<std::pair<std::string, std::string>>;
void Walk(const fs::path& dir, std::vector<std::string>* files, std::vector<std::string>* ctf_dirs,
          std::set<fs::path>& seen, Unreadable* unreadable, std::error_code& ec) {
  std::error_code canon_ec;
  fs::path canonical = fs::canonical(dir, canon_ec);
  if (!canon_ec && !seen.insert(canonical).second) return;
  if (IsCtfTraceDir(dir)) {
    ctf_dirs->push_back(dir.string());
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    entries.push_back(*it);
  if (ec) return;
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    std::string name = e.path().filename().string();
    if (SkippedInFolder(name)) continue;
    std::error_code ec2;
    if (e.is_directory(ec2)) {
      std::error_code sub;
      Walk(e.path(), files, ctf_dirs, seen, unreadable, sub);
      if (sub) unreadable->emplace_back(e.path().string(), sub.message());
    } else if (e.is_regular_file(ec2)) {
      files->push_back(e.path().string());
    }
  }
}

// Reads one opened source; returns false when a strict stop happened.
bool ReadSource(ByteSource& src, const std::string& path, const ReadOptions& options,
                const BatchCallback& on_batch, Batch& batch, ReadReport& report) {
  FileReport file;
  file.path = path;
  file.bytes = src.file_size();
  std::string format = options.format;
  if (format.empty()) format = DetectFormat(src.Peek(64 << 10), path);
  src.SkipByteOrderMark();  // every reader sees the content without it
  file.format = format;
  ReadContext ctx(path, options, on_batch, batch, report.rejected);
  if (const FormatInfo* info = FindFormat(format)) {
    info->read(src, ctx);
    if (!ctx.skipped_as.empty()) file.note = ctx.skipped_as;
  } else if (format == "empty") {
    ctx.Reject(0, "empty file");
  } else if (format == "binary") {
    ctx.Reject(0, "binary data, not a known telemetry format");
  } else if (format == "json-other") {
    file.note = "JSON document of no known telemetry format (skipped)";
  } else {
    file.note = "no reader for format " + format + " in this build (skipped)";
  }
  // A cut or corrupt gzip stream ends the file early; what came before it is kept.
  if (!src.error().empty() && !ctx.stopped()) ctx.Reject(0, src.error());
  ctx.Flush();
  file.records = ctx.records();
  file.continuation_lines = ctx.continuation_lines;
  if (file.continuation_lines > 0 && !options.multiline)
    LogInfo(
        "{}: {} lines without a time of their own follow timed lines (stack traces?); "
        "--multiline joins them to their records",
        path, file.continuation_lines);
  file.repaired_records = ctx.repaired_records;
  if (file.repaired_records > 0)
    LogInfo(
        "{}: {} record(s) held text that is not UTF-8 (Latin-1?); each such byte was read as "
        "U+FFFD and the records kept",
        path, file.repaired_records);
  report.files.push_back(std::move(file));
  if (ctx.stopped()) {
    report.error = ctx.stop_message();
    return false;
  }
  return true;
}

}  // namespace

Result<ReadReport> ReadPaths(const std::vector<std::string>& paths, const ReadOptions& options,
                             const BatchCallback& on_batch, ReadReport* partial) {
  ReadReport report;
  auto fail = [&](std::string message) {
    if (partial) *partial = report;
    return Result<ReadReport>::Error(std::move(message));
  };
  if (!options.format.empty() && !FindFormat(options.format))
    return fail(UnknownFormat(options.format));
  std::vector<std::string> files, ctf_dirs;
  std::set<fs::path> seen_dirs;
  std::set<std::string> named;  // files given by name, not met in a folder
  Unreadable unreadable;
  for (const auto& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return fail(p + ": no such file or directory");
    if (fs::is_directory(st)) {
      Walk(p, &files, &ctf_dirs, seen_dirs, &unreadable, ec);
      if (ec) return fail(p + ": " + ec.message());
    } else if (fs::path(p).filename() == "metadata" && IsCtfTraceDir(fs::path(p).parent_path())) {
      ctf_dirs.push_back(fs::path(p).parent_path().string());
    } else {
      files.push_back(p);
      named.insert(p);
    }
  }
  for (const auto& [dir, why] : unreadable) {
    if (options.strict) return fail(dir + ": " + why);
    report.rejected.Add(dir, 0, "cannot list folder: " + why);
    report.files.push_back({dir, "unreadable", 0, 0, "cannot list folder: " + why + " (skipped)"});
  }
  // A file named twice, or reached through two links, is read once.
  std::set<fs::path> seen_files;
  std::erase_if(files, [&](const std::string& f) {
    std::error_code canon_ec;
    fs::path canonical = fs::canonical(f, canon_ec);
    return !canon_ec && !seen_files.insert(canonical).second;
  });
  uint64_t total = 0, done = 0;
  for (const auto& f : files) {
    std::error_code ec;
    total += fs::file_size(f, ec);
  }
  Batch batch;
  for (const auto& f : files) {
    auto src = ByteSource::Open(f);
    if (!src.ok()) {
      if (named.count(f) || options.strict) return fail(src.message());
      // A file met in a folder that cannot be opened costs itself, not the rest of the folder.
      std::string reason = src.message();
      if (reason.starts_with(f + ": ")) reason.erase(0, f.size() + 2);
      report.rejected.Add(f, 0, "cannot open: " + reason);
      report.files.push_back({f, "unreadable", 0, 0, "cannot open: " + reason + " (skipped)"});
      continue;
    }
    if (!ReadSource(**src, f, options, on_batch, batch, report)) {
      std::string message = report.error;
      return fail(message);
    }
    done += report.files.back().bytes;
    // Small inputs read in a blink: no progress lines for them.
    if (total > (64u << 20))
      Progress::Update("read", static_cast<double>(done), static_cast<double>(total), "B");
  }
  if (total > (64u << 20)) Progress::Finish("read");
  if (!ReadCtfTraces(ctf_dirs, options, on_batch, batch, report)) {
    std::string message = report.error;
    return fail(message);
  }
  if (partial) *partial = report;
  return report;
}

Result<ReadReport> ReadBuffer(std::string_view data, const std::string& name,
                              const ReadOptions& options, const BatchCallback& on_batch) {
  if (!options.format.empty() && !FindFormat(options.format))
    return Result<ReadReport>::Error(UnknownFormat(options.format));
  ReadReport report;
  Batch batch;
  auto src = ByteSource::FromMemory(data);
  if (!ReadSource(*src, name, options, on_batch, batch, report))
    return Result<ReadReport>::Error(report.error);
  return report;
}

Result<Batch> ReadAll(const std::vector<std::string>& paths, const ReadOptions& options,
                      ReadReport* report) {
  Batch all;
  auto move_into = [](auto& dst, auto& src) {
    if (dst.empty()) {
      dst.swap(src);
      return;
    }
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
    src.clear();
  };
  ReadReport partial;
  auto r = ReadPaths(
      paths, options,
      [&](Batch& b) {
        move_into(all.logs, b.logs);
        move_into(all.spans, b.spans);
        move_into(all.metrics, b.metrics);
        move_into(all.trace_events, b.trace_events);
      },
      &partial);
  if (report) *report = partial;
  if (!r.ok()) return r.status();
  return all;
}

}  // namespace augur::ingest
