#include "serve/nats_link.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace augur::serve {

namespace {

std::string NatsError(natsStatus s, jsErrCode js = static_cast<jsErrCode>(0)) {
  std::string out = natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last && *last && out != last)
    out += std::string(": ") + last;
  if (js) out += fmt::format(" (JetStream error {})", static_cast<int>(js));
  return out;
}

constexpr int kFetchBatch = 64;
constexpr int64_t kFetchWaitMs = 500;
constexpr int64_t kRetryDelayMs = 10000;  // a message that could not be spooled comes back then
constexpr size_t kLoggedFailures = 10;    // failures printed on standard error; the rest counted

}  // namespace

struct NatsLink::Impl {
  NatsOptions options;
  IngestFn ingest;
  int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* sub = nullptr;
  std::thread fetcher;
  std::atomic<bool> stopping{false};
  std::mutex wait_mutex;  // for the pause after a failed fetch
  std::condition_variable wake;

  mutable std::mutex counters_mutex;
  uint64_t messages = 0, acked = 0, terminated = 0, delayed = 0, published = 0, failures = 0;
  std::string last_error;
  std::string stream_created;

  ~Impl() {
    if (sub) natsSubscription_Destroy(sub);  // the durable consumer stays on the server
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
    if (opts) natsOptions_Destroy(opts);
  }

  void Failed(const std::string& what) {
    size_t n;
    {
      std::lock_guard lock(counters_mutex);
      last_error = what;
      n = ++failures;
    }
    if (n <= kLoggedFailures)
      std::fprintf(stderr, "augur serve: %s%s\n", what.c_str(),
                   n == kLoggedFailures ? " (further NATS failures: /api/status)" : "");
  }

  Status Subscribe() {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_PullSubscribe(&sub, js, options.subject.c_str(), options.durable.c_str(),
                                    nullptr, &so, &jerr);
    jsStreamInfo* si = nullptr;
    if (s != NATS_OK &&
        js_GetStreamInfo(&si, js, options.stream.c_str(), nullptr, nullptr) == NATS_NOT_FOUND) {
      // No stream holds the subject (the usual reason) and ours does not exist: made for it.
      const std::string first = NatsError(s, jerr);
      jsStreamConfig cfg;
      jsStreamConfig_Init(&cfg);
      cfg.Name = options.stream.c_str();
      const char* subjects[] = {options.subject.c_str()};
      cfg.Subjects = subjects;
      cfg.SubjectsLen = 1;
      cfg.Storage = js_FileStorage;
      s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
      if (s != NATS_OK)
        return Status::Error(
            fmt::format("{}: cannot read subject '{}' ({}), and creating stream "
                        "'{}' for it failed: {}",
                        options.url, options.subject, first, options.stream, NatsError(s, jerr)));
      stream_created = options.stream;
      s = js_PullSubscribe(&sub, js, options.subject.c_str(), options.durable.c_str(), nullptr, &so,
                           &jerr);
    }
    if (si) jsStreamInfo_Destroy(si);
    if (s != NATS_OK)
      return Status::Error(fmt::format("{}: cannot read subject '{}' as consumer '{}': {}",
                                       options.url, options.subject, options.durable,
                                       NatsError(s, jerr)));
    return Status::Ok();
  }

  void Handle(natsMsg* m) {
    // The body's name, as a file's path: NATS/<subject's tokens as folders>, so that logs without
    // a service of their own take the subject's last token (logs.cart → cart), as lines of a file
    // take its name.
    const char* subject = natsMsg_GetSubject(m);
    std::string source = "NATS/" + std::string(subject ? subject : "");
    std::replace(source.begin() + 5, source.end(), '.', '/');
    const char* named = nullptr;
    std::string format;
    if (natsMsgHeader_Get(m, "Augur-Format", &named) == NATS_OK && named) format = named;
    IngestResult r =
        ingest(std::string_view(natsMsg_GetData(m), natsMsg_GetDataLength(m)), format, source);
    // Which message of the stream, for a failure printed (parsed only then).
    auto seq = [m] {
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, m) != NATS_OK) return std::string();
      std::string out = fmt::format(" (stream message {})", meta->Sequence.Stream);
      jsMsgMetaData_Destroy(meta);
      return out;
    };
    natsStatus s;
    {
      std::lock_guard lock(counters_mutex);
      ++messages;
      if (r.http_status == 200)
        ++acked;
      else if (r.http_status >= 500)
        ++delayed;
      else
        ++terminated;
    }
    if (r.http_status == 200) {
      s = natsMsg_Ack(m, nullptr);
    } else if (r.http_status >= 500) {  // retried once the spool has room
      s = natsMsg_NakWithDelay(m, kRetryDelayMs, nullptr);
      Failed(r.message + seq() + "; redelivered in 10 s");
    } else {  // nothing in it can be read: not redelivered
      s = natsMsg_Term(m, nullptr);
      Failed(r.message + seq());
    }
    if (s != NATS_OK)
      Failed(fmt::format("{}{}: cannot acknowledge: {}", source, seq(), NatsError(s)));
  }

  // The messages of one fetch, read on up to `threads` threads (Ingest is thread-safe; the spool's
  // segments are put in time order before detection reads them, so arrival order does not matter).
  void HandleAll(const natsMsgList& list) {
    const int n = std::min(threads, list.Count);
    std::vector<std::thread> helpers;
    for (int t = 1; t < n; ++t)
      helpers.emplace_back([this, &list, t, n] {
        for (int i = t; i < list.Count; i += n) Handle(list.Msgs[i]);
      });
    for (int i = 0; i < list.Count; i += std::max(n, 1)) Handle(list.Msgs[i]);
    for (auto& h : helpers) h.join();
  }

  void FetchLoop() {
    while (!stopping) {
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, sub, kFetchBatch, kFetchWaitMs, &jerr);
      if (s == NATS_OK) {
        HandleAll(list);
        natsMsgList_Destroy(&list);
        continue;
      }
      natsMsgList_Destroy(&list);
      if (s == NATS_TIMEOUT || stopping) continue;  // nothing to read
      // Disconnected (the client reconnects on its own), or the consumer is gone.
      Failed(fmt::format("NATS {}: fetching from {} failed: {}", options.subject, options.url,
                         NatsError(s, jerr)));
      std::unique_lock lock(wait_mutex);
      wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping.load(); });
    }
  }
};

NatsLink::NatsLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NatsLink::~NatsLink() {
  Shutdown();
}

Result<std::unique_ptr<NatsLink>> NatsLink::Start(const NatsOptions& options, IngestFn ingest) {
  if (Status st = options.Validate(); !st) return st;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->ingest = std::move(ingest);
  auto fail = [&](const std::string& what, natsStatus s) {
    return Status::Error(fmt::format("{}: {}: {}", options.url, what, NatsError(s)));
  };
  natsStatus s = natsOptions_Create(&impl->opts);
  if (s == NATS_OK) s = natsOptions_SetURL(impl->opts, options.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(impl->opts, "augur serve");
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(impl->opts, -1);  // for as long as it runs
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(impl->opts, 1000);
  if (s != NATS_OK) return fail("not a NATS server address", s);
  s = natsConnection_Connect(&impl->nc, impl->opts);
  if (s != NATS_OK) return fail("cannot connect to the NATS server", s);
  if (!options.subject.empty()) {
    s = natsConnection_JetStream(&impl->js, impl->nc, nullptr);
    if (s != NATS_OK) return fail("no JetStream", s);
    if (Status st = impl->Subscribe(); !st) return st;
    if (!impl->stream_created.empty())
      std::fprintf(stderr, "augur serve: NATS: created JetStream stream '%s' for subject '%s'\n",
                   impl->stream_created.c_str(), options.subject.c_str());
    Impl* i = impl.get();
    impl->fetcher = std::thread([i] { i->FetchLoop(); });
  }
  return std::unique_ptr<NatsLink>(new NatsLink(std::move(impl)));
}

Status NatsLink::PublishIncident(const nlohmann::json& incident) {
  if (impl_->options.incidents_subject.empty()) return Status::Ok();
  const std::string body = incident.dump();
  natsStatus s = natsConnection_Publish(impl_->nc, impl_->options.incidents_subject.c_str(),
                                        body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) {
    std::string what = fmt::format("NATS {}: cannot publish an incident: {}",
                                   impl_->options.incidents_subject, NatsError(s));
    impl_->Failed(what);
    return Status::Error(what);
  }
  std::lock_guard lock(impl_->counters_mutex);
  ++impl_->published;
  return Status::Ok();
}

void NatsLink::Shutdown() {
  if (impl_->stopping.exchange(true)) return;
  impl_->wake.notify_all();
  if (impl_->fetcher.joinable()) impl_->fetcher.join();
  if (impl_->nc) natsConnection_FlushTimeout(impl_->nc, 2000);  // the last acknowledgements
}

nlohmann::json NatsLink::StatusJson() const {
  std::lock_guard lock(impl_->counters_mutex);
  const auto& o = impl_->options;
  return {{"url", o.url},
          {"subject", o.subject},
          {"consumer", o.subject.empty() ? "" : o.durable},
          {"incidents_subject", o.incidents_subject},
          {"connected", natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED},
          {"messages", impl_->messages},
          {"acked", impl_->acked},
          {"terminated", impl_->terminated},
          {"delayed", impl_->delayed},
          {"published_incidents", impl_->published},
          {"failures", impl_->failures},
          {"last_error", impl_->last_error}};
}

}  // namespace augur::serve
