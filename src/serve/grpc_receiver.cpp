#include "serve/grpc_receiver.h"

#include <chrono>
#include <mutex>

#include <fmt/format.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "serve/otlp_answer.h"

namespace augur::serve {

namespace {

// The full method names of opentelemetry-proto's collector services, and the reader of each.
struct ExportMethod {
  const char* method;
  const char* format;
};
constexpr ExportMethod kMethods[] = {
    {"/opentelemetry.proto.collector.trace.v1.TraceService/Export", "otlp-proto-traces"},
    {"/opentelemetry.proto.collector.logs.v1.LogsService/Export", "otlp-proto-logs"},
    {"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", "otlp-proto-metrics"},
};

// One call: read the request message, ingest it, answer and finish. gRPC's generic API sees every
// call as a stream; an Export call's client sends one message and half-closes.
class ExportReactor : public grpc::ServerGenericBidiReactor {
 public:
  ExportReactor(const IngestFn& ingest, const ExportMethod& m) : ingest_(ingest), method_(m) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
    std::string body;
    if (grpc::Status st = Flatten(request_, &body); !st.ok()) return Finish(st);
    IngestResult r = ingest_(body, method_.format, std::string("gRPC ") + method_.method);
    if (r.http_status != 200)
      return Finish(
          grpc::Status(static_cast<grpc::StatusCode>(ExportErrorCode(r.http_status)), r.message));
    grpc::Slice slice(OtlpExportResponse(r.rejected, r.message));
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  static grpc::Status Flatten(const grpc::ByteBuffer& b, std::string* out) {
    std::vector<grpc::Slice> slices;
    if (grpc::Status st = b.Dump(&slices); !st.ok()) return st;
    out->reserve(b.Length());
    for (const auto& s : slices) out->append(reinterpret_cast<const char*>(s.begin()), s.size());
    return grpc::Status::OK;
  }

  const IngestFn& ingest_;
  const ExportMethod& method_;
  grpc::ByteBuffer request_, response_;
};

class ExportService : public grpc::CallbackGenericService {
 public:
  explicit ExportService(IngestFn ingest) : ingest_(std::move(ingest)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    for (const auto& m : kMethods)
      if (ctx->method() == m.method) return new ExportReactor(ingest_, m);
    class Unknown : public grpc::ServerGenericBidiReactor {
     public:
      explicit Unknown(const std::string& method) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                            method + ": augur receives OTLP's TraceService, LogsService and "
                                     "MetricsService Export calls"));
      }
      void OnDone() override { delete this; }
    };
    return new Unknown(ctx->method());
  }

 private:
  IngestFn ingest_;
};

}  // namespace

struct GrpcReceiver::Impl {
  std::unique_ptr<ExportService> service;
  std::unique_ptr<grpc::Server> server;
  std::once_flag shut;
};

GrpcReceiver::GrpcReceiver(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

GrpcReceiver::~GrpcReceiver() {
  Shutdown();
}

Result<std::unique_ptr<GrpcReceiver>> GrpcReceiver::Start(const std::string& host, int port,
                                                          size_t max_message_bytes,
                                                          const std::string& cert_pem,
                                                          const std::string& key_pem,
                                                          IngestFn ingest) {
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<ExportService>(std::move(ingest));
  const std::string address = host.find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", host, port)
                                  : fmt::format("{}:{}", host, port);
  int bound = 0;
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!cert_pem.empty()) {
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({key_pem, cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(address, credentials, &bound);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(max_message_bytes, std::numeric_limits<int>::max())));
  builder.RegisterCallbackGenericService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || bound <= 0)
    return Status::Error(
        fmt::format("cannot listen for OTLP/gRPC on {} (in use, or not an address here)", address));
  return std::unique_ptr<GrpcReceiver>(new GrpcReceiver(std::move(impl), bound));
}

void GrpcReceiver::Shutdown() {
  std::call_once(impl_->shut, [this] {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    impl_->server->Wait();
  });
}

}  // namespace augur::serve
