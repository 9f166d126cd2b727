// `augur serve`'s receivers under load: CLIENTS keep-alive connections post every OTLP/JSON export
// request of a simulator folder (traces.jsonl, logs.jsonl, metrics.jsonl: one request per line) to
// /v1/traces, /v1/logs and /v1/metrics, then two detection runs examine what was spooled (the first
// also puts the new segment in time order).
//
//   bench_serve MODEL_DIR DATA_DIR [CLIENTS]
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/server.h"

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_serve MODEL_DIR DATA_DIR [CLIENTS]\n");
    return 2;
  }
  const int clients = argc > 3 ? std::atoi(argv[3]) : 2;
  struct Request {
    std::string path, body;
  };
  std::vector<Request> requests;
  size_t bytes = 0;
  for (const char* signal : {"traces", "logs", "metrics"}) {
    std::ifstream in(std::filesystem::path(argv[2]) / (std::string(signal) + ".jsonl"));
    if (!in) {
      std::fprintf(stderr, "%s/%s.jsonl: cannot open\n", argv[2], signal);
      return 3;
    }
    std::string line;
    while (std::getline(in, line)) {
      bytes += line.size();
      requests.push_back({std::string("/v1/") + signal, std::move(line)});
    }
  }

  auto state =
      std::filesystem::temp_directory_path() / ("augur-bench-serve-" + std::to_string(::getpid()));
  augur::serve::ServerOptions o;
  o.port = 0;
  o.grpc_port = -1;
  o.model_dir = argv[1];
  o.state_dir = state;
  o.every_seconds = 0;
  auto server = augur::serve::Server::Create(o);
  if (!server) {
    std::fprintf(stderr, "%s\n", server.message().c_str());
    return 3;
  }
  std::thread serving([&] { (*server)->Run(); });

  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      httplib::Client cli("127.0.0.1", (*server)->port());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      for (size_t i; (i = next++) < requests.size();) {
        auto res = cli.Post(requests[i].path, requests[i].body, "application/json");
        if (!res || res->status != 200) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  double post_s = Since(start);

  auto status = (*server)->StatusJson();
  uint64_t records = 0;
  for (const char* k : {"spans", "logs", "metric_points"})
    records += status["received"][k].get<uint64_t>();
  std::printf(
      "received %zu requests, %.1f MB, %llu records with %d client(s) in %.2f s: "
      "%.0f requests/s, %.1f MB/s, %.0f records/s; %d failed\n",
      requests.size(), bytes / 1e6, (unsigned long long)records, clients, post_s,
      requests.size() / post_s, bytes / 1e6 / post_s, records / post_s, failures.load());

  // Twice: the first run also sorts the new segment by time; the second replays it as it is.
  for (const char* which : {"first", "second"}) {
    start = std::chrono::steady_clock::now();
    auto run = (*server)->DetectNow();
    double detect_s = Since(start);
    if (!run) {
      std::fprintf(stderr, "detection failed: %s\n", run.message().c_str());
      break;
    }
    std::printf("%s detection run over the spool: %.2f s, %zu incident(s)", which, detect_s,
                (*run)["incidents"].size());
    if (!(*run)["incidents"].empty())
      std::printf("; first: %s", (*run)["incidents"][0]["summary"].get<std::string>().c_str());
    std::printf("\n");
  }
  (*server)->Stop();
  serving.join();
  server->reset();
  std::filesystem::remove_all(state);
  return failures ? 1 : 0;
}
