// Reader throughput: generates large synthetic inputs, then reads files through ingest::ReadPaths
// on one thread and prints MB/s, records/s and the process's peak resident memory. Used by
// bench/ingest.sh; figures in docs/BENCHMARKS.md ("Ingest (readers)").
//   bench_ingest gen otlp|text|zipkin|prom|nezha-log PATH MB
//   bench_ingest read [--format F] PATH...
//   bench_ingest lines PATH          (line splitting alone: the floor under every line reader)
#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ingest/byte_source.h"
#include "ingest/read.h"
#include "ingest/reader.h"
#include "ingest/record_reader.h"

using namespace augur;

namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

std::string Hex(std::mt19937_64& rng, int digits) {
  static const char* k = "0123456789abcdef";
  std::string s(digits, '0');
  uint64_t x = rng();
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 0) x = rng();
    s[i] = k[x & 15];
    x >>= 4;
  }
  return s;
}

const char* kServices[] = {"frontend",       "cartservice",     "checkoutservice",
                           "paymentservice", "shippingservice", "currencyservice",
                           "adservice",      "emailservice"};
const char* kRoutes[] = {"/cart",        "/cart/checkout", "/product/{id}",   "/api/v1/users/login",
                         "/setCurrency", "/ads",           "/shipping/quote", "/payment/charge"};

// One OTLP export request per line (the collector's file exporter layout), 50 spans each.
std::string OtlpLine(std::mt19937_64& rng, int64_t& t) {
  std::string s =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")";
  s += kServices[rng() % 8];
  s +=
      R"("}},{"key":"k8s.pod.name","value":{"stringValue":"pod-)" + Hex(rng, 10) +
      R"("}}]},"scopeSpans":[{"scope":{"name":"io.opentelemetry.http","version":"1.2.0"},"spans":[)";
  std::string trace = Hex(rng, 32);
  for (int i = 0; i < 50; ++i) {
    if (i) s += ',';
    int64_t dur = 1000 + static_cast<int64_t>(rng() % 5000000);
    const char* route = kRoutes[rng() % 8];
    s += R"({"traceId":")" + trace + R"(","spanId":")" + Hex(rng, 16) + R"(","parentSpanId":")" +
         Hex(rng, 16) + R"(","name":"GET )" + route + R"(","kind":2,"startTimeUnixNano":")" +
         std::to_string(t) + R"(","endTimeUnixNano":")" + std::to_string(t + dur) +
         R"(","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},)"
         R"({"key":"http.route","value":{"stringValue":")" +
         route + R"("}},{"key":"http.response.status_code","value":{"intValue":")" +
         std::to_string(rng() % 20 ? 200 : 503) +
         R"("}},{"key":"net.peer.port","value":{"intValue":8080}}],"status":{"code":)" +
         std::to_string(rng() % 20 ? 0 : 2) + "}}";
    t += 1000;
  }
  s += "]}]}]}\n";
  return s;
}

std::string TextLine(std::mt19937_64& rng, int64_t& t) {
  static const char* kLevels[] = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
  char head[64];
  int64_t secs = t / 1000000000;
  std::snprintf(head, sizeof head, "2023-01-29 %02lld:%02lld:%02lld,%03lld ",
                (long long)(secs / 3600 % 24), (long long)(secs / 60 % 60), (long long)(secs % 60),
                (long long)(t / 1000000 % 1000));
  t += 1700000;
  std::string s = head;
  s += kLevels[rng() % 6];
  s += " [main] dfs.DataNode$PacketResponder: PacketResponder " + std::to_string(rng() % 3) +
       " for block blk_" + std::to_string(rng() % 100000000000ULL) + " terminating, peer " +
       std::to_string(rng() % 256) + ".251.73." + std::to_string(rng() % 256) + ":50010\n";
  return s;
}

std::string ZipkinSpan(std::mt19937_64& rng, int64_t& t) {
  std::string s = R"({"traceId":")" + Hex(rng, 32) + R"(","id":")" + Hex(rng, 16) +
                  R"(","parentId":")" + Hex(rng, 16) + R"(","kind":"SERVER","name":"get )" +
                  kRoutes[rng() % 8] + R"(","timestamp":)" + std::to_string(t / 1000) +
                  R"(,"duration":)" + std::to_string(rng() % 100000) +
                  R"(,"localEndpoint":{"serviceName":")" + kServices[rng() % 8] +
                  R"(","ipv4":"10.0.0.)" + std::to_string(rng() % 256) +
                  R"("},"tags":{"http.method":"GET","http.status_code":"200"}})";
  t += 1000;
  return s;
}

std::string PromLine(std::mt19937_64& rng, int64_t& t) {
  std::string s = "http_server_requests_seconds_count{service=\"" +
                  std::string(kServices[rng() % 8]) + "\",pod=\"pod-" + Hex(rng, 8) +
                  "\",route=\"" + kRoutes[rng() % 8] + "\",code=\"200\"} " +
                  std::to_string(rng() % 100000) + " " + std::to_string(t / 1000000) + "\n";
  t += 1000000;
  return s;
}

std::string NezhaLogLine(std::mt19937_64& rng, int64_t& t) {
  std::string trace = Hex(rng, 32), span = Hex(rng, 16);
  std::string s =
      "2023-01-29T08:42:22.383150913Z," + std::to_string(t) +
      ",10.0.0.1,ts-travel-service-64469b5b48-25zj6,server," + trace + "," + span +
      ",\"{\"\"log\"\":\"\"16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: " + trace +
      " SpanID: " + span +
      " [getRouteByRouteId][Get Route By Id][Route is: Route(id=" + Hex(rng, 8) +
      ", stations=[shanghai, suzhou], distances=[0, "
      "50])]\\n\"\",\"\"stream\"\":\"\"stdout\"\",\"\"time\"\":\"\"2023-01-29T08:42:22."
      "383150913Z\"\"}\"\n";
  t += 1000000;
  return s;
}

int Gen(const std::string& kind, const std::string& path, double mb) {
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) return 2;
  std::mt19937_64 rng(42);
  int64_t t = 1674981742000000000;
  size_t target = static_cast<size_t>(mb * 1e6), written = 0;
  std::string chunk;
  if (kind == "zipkin") {
    std::fputs("[", out);
    written = 1;
  } else if (kind == "nezha-log") {
    std::fputs("Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log\n", out);
  }
  bool first = true;
  while (written < target) {
    chunk.clear();
    while (chunk.size() < (1 << 20)) {
      if (kind == "otlp")
        chunk += OtlpLine(rng, t);
      else if (kind == "text")
        chunk += TextLine(rng, t);
      else if (kind == "prom")
        chunk += PromLine(rng, t);
      else if (kind == "nezha-log")
        chunk += NezhaLogLine(rng, t);
      else if (kind == "zipkin") {
        if (!first) chunk += ",\n";
        first = false;
        chunk += ZipkinSpan(rng, t);
      } else {
        std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
        return 2;
      }
    }
    std::fwrite(chunk.data(), 1, chunk.size(), out);
    written += chunk.size();
  }
  if (kind == "zipkin") std::fputs("]\n", out);
  std::fclose(out);
  return 0;
}

int Read(int argc, char** argv) {
  ingest::ReadOptions options;
  std::vector<std::string> paths;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      options.format = argv[++i];
    else
      paths.push_back(argv[i]);
  }
  uint64_t records = 0;
  double t0 = CpuSeconds();
  auto r = ingest::ReadPaths(paths, options, [&](Batch& b) { records += b.size(); });
  double secs = CpuSeconds() - t0;
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.message().c_str());
    return 3;
  }
  uint64_t bytes = 0;
  for (const auto& f : r->files) bytes += f.bytes;
  std::string format = r->files.empty() ? "" : r->files[0].format;
  if (r->files.size() > 1) format = "mixed (" + std::to_string(r->files.size()) + " files)";
  std::printf(
      "%-22s %9.1f MB %11llu records %7.2f s %8.0f MB/s %11.0f records/s  peak RSS %6.0f MB  "
      "rejects %llu\n",
      format.c_str(), bytes / 1e6, (unsigned long long)records, secs, bytes / 1e6 / secs,
      records / secs, PeakRssMb(), (unsigned long long)r->rejected.count);
  return 0;
}

int Lines(const char* path) {
  auto src = ingest::ByteSource::Open(path);
  if (!src.ok()) return 3;
  ingest::RecordReader reader(**src, false, ingest::kMaxRecordBytes);
  std::string_view line;
  bool too_long;
  uint64_t lines = 0, bytes = 0;
  double t0 = CpuSeconds();
  while (reader.Next(&line, &too_long)) {
    ++lines;
    bytes += line.size() + 1;
  }
  double secs = CpuSeconds() - t0;
  std::printf(
      "%-22s %9.1f MB %11llu lines   %7.2f s %8.0f MB/s %11.0f lines/s    peak RSS %6.0f MB\n",
      "line splitting", bytes / 1e6, (unsigned long long)lines, secs, bytes / 1e6 / secs,
      lines / secs, PeakRssMb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::strcmp(argv[1], "gen") == 0)
    return Gen(argv[2], argv[3], std::atof(argv[4]));
  if (argc >= 3 && std::strcmp(argv[1], "read") == 0) return Read(argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "lines") == 0) return Lines(argv[2]);
  std::fprintf(stderr,
               "usage: bench_ingest gen otlp|text|zipkin|prom|nezha-log PATH MB\n"
               "       bench_ingest read [--format F] PATH...\n"
               "       bench_ingest lines PATH\n");
  return 2;
}
