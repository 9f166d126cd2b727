// Template miner throughput: streams each file (4 MiB reads), splits the header off with the
// detected format and mines the content, one miner per file. Prints lines/s per file and overall,
// and the process's peak resident memory. Used by bench/miner.sh; see docs/BENCHMARKS.md.
#include <sys/resource.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "normalize/log_header.h"
#include "normalize/template_miner.h"

using namespace augur::normalize;

namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Calls f(line) for each line of the file; false if it cannot be read. `buf` is reused across
// calls: a fresh 4 MiB buffer per file put its page faults into the timed loop.
template <class F>
bool ForEachLine(const char* path, size_t max_lines, std::vector<char>& buf, F&& f) {
  FILE* in = std::fopen(path, "rb");
  if (!in) return false;
  size_t have = 0, lines = 0;
  bool eof = false;
  while (!eof && lines < max_lines) {
    size_t got = std::fread(buf.data() + have, 1, buf.size() - have, in);
    eof = got == 0;
    have += got;
    size_t start = 0;
    while (lines < max_lines) {
      const char* nl = (const char*)std::memchr(buf.data() + start, '\n', have - start);
      if (!nl) break;
      size_t end = nl - buf.data();
      f(std::string_view(buf.data() + start, end - start));
      ++lines;
      start = end + 1;
    }
    if (eof && start < have && lines < max_lines) {
      f(std::string_view(buf.data() + start, have - start));
      ++lines;
      start = have;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
    if (have == buf.size()) buf.resize(buf.size() * 2);  // a line longer than the buffer
  }
  std::fclose(in);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool no_header = false;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-header") == 0)
      no_header = true;
    else
      files.push_back(argv[i]);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: bench_miner [--no-header] FILE...\n");
    return 2;
  }
  uint64_t total_lines = 0, total_bytes = 0;
  double total_s = 0, total_cpu = 0;
  // The machine is shared: lines per CPU-second (this thread) is the figure; wall time is shown
  // too.
  std::printf("%-20s %10s %8s %8s %12s %12s %9s %6s  %s\n", "file", "lines", "wall_s", "cpu_s",
              "lines/s", "lines/cpu_s", "templates", "fast%", "header");
  std::vector<char> buf(4 << 20);
  for (const char* path : files) {
    std::vector<std::string> sample;
    if (!ForEachLine(path, 1000, buf, [&](std::string_view l) { sample.emplace_back(l); })) {
      std::fprintf(stderr, "bench_miner: cannot read %s\n", path);
      return 3;
    }
    HeaderParser header;
    if (!no_header)
      header = HeaderParser::Detect(std::vector<std::string_view>(sample.begin(), sample.end()));
    TemplateMiner miner;
    TemplateMatch m;
    uint64_t lines = 0, bytes = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds();
    ForEachLine(path, SIZE_MAX, buf, [&](std::string_view l) {
      miner.Add(header.Parse(l).content, m);
      ++lines;
      bytes += l.size() + 1;
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = CpuSeconds() - c0;
    auto st = miner.stats();
    const char* name = std::strrchr(path, '/') ? std::strrchr(path, '/') + 1 : path;
    std::printf("%-20s %10llu %8.3f %8.3f %12.0f %12.0f %9llu %5.1f%%  %s\n", name,
                (unsigned long long)lines, s, cpu, lines / s, lines / cpu,
                (unsigned long long)st.live, 100.0 * st.fast_path / std::max<uint64_t>(1, st.lines),
                header.Describe().c_str());
    total_lines += lines;
    total_bytes += bytes;
    total_s += s;
    total_cpu += cpu;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%-20s %10llu %8.3f %8.3f %12.0f %12.0f   (%.1f MB per CPU-second)\n", "total",
              (unsigned long long)total_lines, total_s, total_cpu, total_lines / total_s,
              total_lines / total_cpu, total_bytes / total_cpu / 1e6);
  std::printf("peak resident memory: %.1f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
