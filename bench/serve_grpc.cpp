// OTLP/gRPC against OTLP/HTTP with protobuf bodies, side by side on identical requests: CLIENTS
// connections send REQUESTS export requests, each the trace request TRACES_PB repeated COPIES times
// (repeated protobuf messages concatenate: 2 spans × 256 = 512 spans, an SDK's default batch),
// first over HTTP POST /v1/traces, then as gRPC TraceService/Export calls, each to a fresh server.
//
//   bench_serve_grpc MODEL_DIR TRACES_PB [CLIENTS] [REQUESTS] [COPIES]
//   (TRACES_PB: src/ingest/testdata/otlp_proto/traces.pb)
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/server.h"

namespace {

// Sends `requests` bodies over `clients` connections with `send`; returns seconds taken.
template <class Client, class Make, class Send>
double Drive(int clients, size_t requests, Make make, Send send, std::atomic<int>& failures) {
  std::atomic<size_t> next{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      Client client = make();
      while (next++ < requests)
        if (!send(client)) ++failures;
    });
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool GrpcExport(grpc::GenericStub& stub, const grpc::ByteBuffer& request) {
  grpc::ClientContext ctx;
  grpc::ByteBuffer response;
  std::mutex m;
  std::condition_variable cv;
  bool done = false, ok = false;
  stub.UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                 grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                   std::lock_guard lock(m);
                   ok = s.ok();
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: bench_serve_grpc MODEL_DIR TRACES_PB [CLIENTS] [REQUESTS] [COPIES]\n");
    return 2;
  }
  const int clients = argc > 3 ? std::atoi(argv[3]) : 2;
  const size_t requests = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 2000;
  const int copies = argc > 5 ? std::atoi(argv[5]) : 256;
  std::ifstream in(argv[2], std::ios::binary);
  const std::string one((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (one.empty()) {
    std::fprintf(stderr, "%s: cannot read, or empty\n", argv[2]);
    return 3;
  }
  std::string body;
  for (int i = 0; i < copies; ++i) body += one;

  for (const char* transport : {"http", "grpc"}) {
    const bool grpc = transport[0] == 'g';
    auto state = std::filesystem::temp_directory_path() /
                 ("augur-bench-serve-grpc-" + std::to_string(::getpid()));
    augur::serve::ServerOptions o;
    o.port = 0;
    o.grpc_port = grpc ? 0 : -1;
    o.model_dir = argv[1];
    o.state_dir = state;
    o.every_seconds = 0;
    auto server = augur::serve::Server::Create(o);
    if (!server) {
      std::fprintf(stderr, "%s\n", server.message().c_str());
      return 3;
    }
    std::thread serving([&] { (*server)->Run(); });
    std::atomic<int> failures{0};
    double s;
    if (grpc) {
      grpc::Slice slice(body);
      const grpc::ByteBuffer request(&slice, 1);
      const std::string target = "127.0.0.1:" + std::to_string((*server)->grpc_port());
      s = Drive<std::unique_ptr<grpc::GenericStub>>(
          clients, requests,
          [&] {
            // One channel (one HTTP/2 connection) per client, as one exporter has.
            grpc::ChannelArguments args;
            args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
            return std::make_unique<grpc::GenericStub>(
                grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
          },
          [&](std::unique_ptr<grpc::GenericStub>& stub) { return GrpcExport(*stub, request); },
          failures);
    } else {
      s = Drive<std::unique_ptr<httplib::Client>>(
          clients, requests,
          [&] {
            auto c = std::make_unique<httplib::Client>("127.0.0.1", (*server)->port());
            c->set_keep_alive(true);
            c->set_tcp_nodelay(true);
            return c;
          },
          [&](std::unique_ptr<httplib::Client>& c) {
            auto res = c->Post("/v1/traces", body, "application/x-protobuf");
            return res && res->status == 200;
          },
          failures);
    }
    const auto spans = (*server)->StatusJson()["received"]["spans"].get<uint64_t>();
    std::printf(
        "%-4s %zu requests of %.1f KB, %llu spans, %d client(s): %.2f s, %.0f requests/s, "
        "%.1f MB/s, %.0f spans/s; %d failed\n",
        transport, requests, body.size() / 1e3, (unsigned long long)spans, clients, s, requests / s,
        requests * body.size() / 1e6 / s, spans / s, failures.load());
    (*server)->Stop();
    serving.join();
    server->reset();
    std::filesystem::remove_all(state);
    if (failures) return 1;
  }
  return 0;
}
