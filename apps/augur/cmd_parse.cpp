// `augur parse`: mines log templates from files and writes LogHub's structured format
// (LineId,Content,EventId,EventTemplate) and a template table with counts.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "core/log.h"
#include "ingest/read.h"
#include "ingest/reader.h"
#include "normalize/log_header.h"
#include "normalize/template_miner.h"

namespace augur::app {
namespace {

std::string CsvField(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Plain text is read line by line here (fast, no copies); any other format ingest knows (gzip,
// Nezha CSV, OTLP/Loki JSON, ...) goes through ingest::ReadPaths and yields the record bodies.
// The format of the file's head: "gzip", or ingest's verdict ("text", "binary", "nezha-log", ...).
std::string HeadFormat(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string head(64 << 10, '\0');
  f.read(head.data(), (std::streamsize)head.size());
  head.resize((size_t)f.gcount());
  if (head.size() >= 2 && (unsigned char)head[0] == 0x1f && (unsigned char)head[1] == 0x8b)
    return "gzip";
  return ingest::DetectFormat(head, path);
}

// Calls f(line) for every raw line (text) or record body (other formats); false with `err` set when
// the file cannot be read. `warn`: say how many records ingest rejected.
template <class F>
bool ForEachLine(const std::string& path, F&& f, std::string& err, bool warn = true) {
  const std::string format = HeadFormat(path);
  if (format == "binary") {
    err = path + ": binary data, not a log";
    return false;
  }
  if (format == "text" || format == "empty") {
    FILE* in = std::fopen(path.c_str(), "rb");
    if (!in) {
      err = path + ": " + std::strerror(errno);
      return false;
    }
    std::fseek(in, 0, SEEK_END);
    const double total = (double)std::ftell(in);
    std::fseek(in, 0, SEEK_SET);
    std::vector<char> buf(1 << 20);
    size_t have = 0;
    double done = 0;
    bool eof = false;
    while (!eof) {
      size_t got = std::fread(buf.data() + have, 1, buf.size() - have, in);
      eof = got == 0;
      have += got;
      done += (double)got;
      size_t start = 0;
      while (true) {
        const char* nl = (const char*)std::memchr(buf.data() + start, '\n', have - start);
        if (!nl) break;
        size_t end = (size_t)(nl - buf.data());
        size_t e = end;
        if (e > start && buf[e - 1] == '\r') --e;
        f(std::string_view(buf.data() + start, e - start));
        start = end + 1;
      }
      if (eof && start < have) {
        f(std::string_view(buf.data() + start, have - start));
        start = have;
      }
      std::memmove(buf.data(), buf.data() + start, have - start);
      have -= start;
      if (have == buf.size()) buf.resize(buf.size() * 2);  // one line longer than the buffer
      if (total > (16 << 20)) Progress::Update("parse " + path, done, total, "B");
    }
    std::fclose(in);
    if (total > (16 << 20)) Progress::Finish("parse " + path);
    return true;
  }
  auto r = ingest::ReadPaths({path}, {}, [&](Batch& b) {
    for (const auto& rec : b.logs) f(std::string_view(rec.body));
  });
  if (!r) {
    err = r.message();
    return false;
  }
  if (warn && r->rejected.count) LogWarn("{}: {} records rejected", path, r->rejected.count);
  return true;
}

}  // namespace

void RegisterParse(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> files;
    std::string out, templates, header_pattern, save;
    bool no_header = false;
    size_t max_templates = normalize::TemplateMinerConfig{}.max_templates;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("parse", "Mine log templates: LogHub structured CSV and a template table");
  cmd->add_option("files", o->files,
                  "Log files (plain text, gzip, or any log format `augur inspect` knows)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out,
                  "Write LineId,Content,EventId,EventTemplate for every line ('-': stdout)");
  cmd->add_option(
      "--templates", o->templates,
      "Write EventId,EventTemplate,Occurrences ('-': stdout; the default without --out)");
  cmd->add_option(
      "--header-pattern", o->header_pattern,
      "Header layout in LogHub syntax, e.g. '<Date> <Time> <Level> <Component>: <Content>' "
      "(default: detected per file)");
  cmd->add_flag("--no-header", o->no_header, "Lines are messages only: do not split off a header");
  cmd->add_option("--max-templates", o->max_templates,
                  "Live template cap (least recently used evicted)")
      ->check(Positive());
  cmd->add_option("--save", o->save, "Save the miner state to this file (for a model bundle)");
  cmd->footer(
      "Example: augur parse HDFS_2k.log --out HDFS_structured.csv --templates HDFS_templates.csv");
  cmd->callback([o, &g] {
    normalize::TemplateMinerConfig cfg;
    cfg.max_templates = o->max_templates;
    if (auto st = cfg.Validate(); !st) {
      std::fprintf(stderr, "augur parse: %s\n", st.message().c_str());
      g.exit_code = kExitUsage;
      return;
    }
    normalize::HeaderParser fixed;
    if (!o->header_pattern.empty()) {
      auto p = normalize::HeaderParser::FromPattern(o->header_pattern);
      if (!p) {
        std::fprintf(stderr, "augur parse: %s\n", p.message().c_str());
        g.exit_code = kExitUsage;
        return;
      }
      fixed = *p;
    }
    normalize::TemplateMiner miner(cfg);
    normalize::TemplateMatch m;
    std::vector<uint32_t> ids;  // per line, resolved through merges at the end
    std::vector<normalize::HeaderParser> headers;
    std::string err;
    for (const auto& file : o->files) {
      normalize::HeaderParser header = fixed;
      if (o->header_pattern.empty() && !o->no_header) {
        // A plain text file's first 1,000 lines are read on their own; other formats' bodies
        // come through ingest, which reads the whole file.
        // (An unreadable file is reported by the mining pass below.)
        if (HeadFormat(file) == "text") {
          if (auto detected = normalize::HeaderParser::DetectFile(file))
            header = std::move(*detected);
        } else {
          std::vector<std::string> sample;
          ForEachLine(
              file,
              [&](std::string_view l) {
                if (sample.size() < 1000) sample.emplace_back(l);
              },
              err, false);
          header = normalize::HeaderParser::Detect(
              std::vector<std::string_view>(sample.begin(), sample.end()));
        }
        LogInfo("{}: header {}", file, header.Describe());
      }
      if (!ForEachLine(
              file,
              [&](std::string_view l) {
                miner.Add(header.Parse(l).content, m);
                ids.push_back(m.template_id);
              },
              err)) {
        std::fprintf(stderr, "augur parse: %s\n", err.c_str());
        g.exit_code = kExitUnreadable;
        return;
      }
      headers.push_back(std::move(header));
    }
    auto st = miner.stats();
    LogInfo("{} lines, {} templates ({} created, {} merged, {} evicted)", st.lines, st.live,
            st.created, st.merged, st.evicted);
    if (!o->out.empty()) {
      std::ofstream file;
      if (o->out != "-") file.open(o->out, std::ios::binary);
      if (o->out != "-" && !file) {
        std::fprintf(stderr, "augur parse: cannot write %s\n", o->out.c_str());
        g.exit_code = kExitUnreadable;
        return;
      }
      std::ostream& out = o->out == "-" ? std::cout : file;
      out << "LineId,Content,EventId,EventTemplate\n";
      size_t line = 0;
      for (size_t f = 0; f < o->files.size(); ++f) {
        ForEachLine(
            o->files[f],
            [&](std::string_view l) {
              if (line >= ids.size()) return;
              auto info = miner.Get(ids[line]);
              std::string content(headers[f].Parse(l).content);
              out << line + 1 << ',' << CsvField(content) << ','
                  << (info ? "E" + std::to_string(info->id) : std::string("evicted")) << ','
                  << CsvField(info ? info->text : std::string()) << '\n';
              ++line;
            },
            err);
      }
    }
    std::cout.flush();
    std::FILE* tf = stdout;
    if (!o->templates.empty() && o->templates != "-") tf = std::fopen(o->templates.c_str(), "wb");
    if (!tf) {
      std::fprintf(stderr, "augur parse: cannot write %s\n", o->templates.c_str());
      g.exit_code = kExitUnreadable;
      return;
    }
    if (!o->templates.empty() || o->out.empty()) {
      std::fprintf(tf, "EventId,EventTemplate,Occurrences\n");
      for (const auto& t : miner.Templates())
        std::fprintf(tf, "E%u,%s,%llu\n", t.id, CsvField(t.text).c_str(),
                     (unsigned long long)t.count);
    }
    if (tf != stdout) std::fclose(tf);
    if (!o->save.empty()) {
      if (auto s = miner.Save(o->save); !s) {
        std::fprintf(stderr, "augur parse: %s\n", s.message().c_str());
        g.exit_code = kExitUnreadable;
        return;
      }
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace augur::app
