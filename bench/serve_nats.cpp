// `augur serve` reading from NATS JetStream: every OTLP/JSON export request of a simulator folder
// (traces.jsonl, logs.jsonl, metrics.jsonl: one message per line, header Augur-Format: otlp-json)
// is published on bench.<signal> into a fresh stream BENCH (file storage) of the running
// nats-server at NATS_URL; then a server reads them with its durable pull consumer, and the time
// from its start until the last message is acknowledged is measured. The same work as
// bench_serve's HTTP receivers, for a side-by-side figure.
//
//   bench_serve_nats MODEL_DIR DATA_DIR NATS_URL
//   (nats-server -js -a 127.0.0.1 -p 4333 -sd /tmp/js &  gives one)
#include <nats/nats.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "serve/server.h"

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int Fail(const char* what, natsStatus s) {
  std::fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(s));
  return 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_serve_nats MODEL_DIR DATA_DIR NATS_URL\n");
    return 2;
  }
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_ConnectTo(&nc, argv[3]); s != NATS_OK) return Fail(argv[3], s);
  if (natsStatus s = natsConnection_JetStream(&js, nc, nullptr); s != NATS_OK)
    return Fail("JetStream", s);
  js_DeleteStream(js, "BENCH", nullptr, nullptr);  // a fresh stream, and no consumer left on it
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = "BENCH";
  const char* subjects[] = {"bench.>"};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.MaxMsgSize = 64 << 20;
  if (natsStatus s = js_AddStream(nullptr, js, &cfg, nullptr, nullptr); s != NATS_OK)
    return Fail("creating stream BENCH", s);

  size_t messages = 0, bytes = 0;
  auto start = std::chrono::steady_clock::now();
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 30000;
  for (const char* signal : {"traces", "logs", "metrics"}) {
    std::ifstream in(std::filesystem::path(argv[2]) / (std::string(signal) + ".jsonl"));
    std::string line, subject = std::string("bench.") + signal;
    while (std::getline(in, line)) {
      natsMsg* m = nullptr;
      natsMsg_Create(&m, subject.c_str(), nullptr, line.data(), static_cast<int>(line.size()));
      natsMsgHeader_Set(m, "Augur-Format", "otlp-json");
      natsStatus s = js_PublishMsgAsync(js, &m, &po);
      if (s != NATS_OK) return Fail("publishing", s);
      ++messages;
      bytes += line.size();
    }
  }
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  if (natsStatus s = js_PublishAsyncComplete(js, &po); s != NATS_OK)
    return Fail("waiting for the stream's acknowledgements", s);
  const double published = Since(start);
  std::printf("published %zu messages, %.1f MB, in %.2f s (%.1f MB/s) into stream BENCH\n",
              messages, bytes / 1e6, published, bytes / 1e6 / published);

  auto state = std::filesystem::temp_directory_path() /
               ("augur-bench-serve-nats-" + std::to_string(::getpid()));
  augur::serve::ServerOptions o;
  o.port = 0;
  o.grpc_port = -1;
  o.model_dir = argv[1];
  o.state_dir = state;
  o.every_seconds = 0;
  o.nats.url = argv[3];
  o.nats.subject = "bench.>";
  o.nats.stream = "BENCH";
  o.nats.durable = "bench";
  start = std::chrono::steady_clock::now();
  auto server = augur::serve::Server::Create(o);
  if (!server) {
    std::fprintf(stderr, "%s\n", server.message().c_str());
    return 3;
  }
  std::thread serving([&] { (*server)->Run(); });
  nlohmann::json st;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    st = (*server)->StatusJson();
  } while (st["nats"]["messages"].get<size_t>() < messages);
  const double read = Since(start);
  const auto& r = st["received"];
  const size_t records =
      r["spans"].get<size_t>() + r["logs"].get<size_t>() + r["metric_points"].get<size_t>();
  std::printf(
      "read, parsed and spooled %zu messages, %zu records in %.2f s: %.0f messages/s, %.1f MB/s, "
      "%.0f records/s; acked %zu, terminated %zu, delayed %zu\n",
      messages, records, read, messages / read, bytes / 1e6 / read, records / read,
      st["nats"]["acked"].get<size_t>(), st["nats"]["terminated"].get<size_t>(),
      st["nats"]["delayed"].get<size_t>());
  (*server)->Stop();
  serving.join();
  server->reset();
  std::filesystem::remove_all(state);
  js_DeleteStream(js, "BENCH", nullptr, nullptr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return st["nats"]["acked"].get<size_t>() == messages ? 0 : 1;
}
