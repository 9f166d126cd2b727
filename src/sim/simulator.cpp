// The sock-shop engine: a 1-second tick loop in simulated time. Each tick applies the fault
// schedule to the pods, lets the stacks write their background chatter, runs the Locust arrivals of
// that second as synchronous call trees (latency per hop, retries, timeouts, status codes),
// delivers queued RabbitMQ messages, and samples per-pod metrics. Records are handed out in
// event-time order.
#include "sim/simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"
#include "sim/log_styles.h"
#include "sim/random.h"

namespace augur::sim {
namespace {

constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max();

TimeNs Ms(double ms) {
  return static_cast<TimeNs>(ms * 1e6);
}
// Whole milliseconds, so that schedule times print cleanly.
TimeNs Sec(double s) {
  return std::llround(s * 1e3) * kNsPerMs;
}

enum class Stack : uint8_t { kExpress, kGoKit, kSpring, kMongo, kMySql, kRabbit, kRedis, kEnvoy };

enum Comp : int {
  kFrontEnd,
  kCatalogue,
  kCatalogueDb,
  kCarts,
  kCartsDb,
  kOrders,
  kOrdersDb,
  kPayment,
  kShipping,
  kQueueMaster,
  kRabbitMq,
  kUser,
  kUserDb,
  kSessionDb,
  kIngress,
  kNumComp
};

struct ComponentDef {
  const char* name;
  Stack stack;
  const char* version;
  int min_replicas;
  bool stateless;         // scaled by SimConfig::replicas
  double base_cpu;        // cores when idle
  double base_mem;        // MB
  double mem_limit;       // MB
  double cpu_limit;       // cores
  double startup_s;       // container start to serving
  double timeout_ms;      // as a caller
  const char* app_class;  // Spring Boot main class / Go binary
};

// Resource figures follow sock-shop's complete-demo manifests (limits) and typical idle usage.
constexpr ComponentDef kDefs[kNumComp] = {
    {"front-end", Stack::kExpress, "0.3.12", 1, true, 0.003, 95, 300, 0.3, 4, 5000, "server.js"},
    {"catalogue", Stack::kGoKit, "0.3.5", 1, true, 0.001, 12, 200, 0.2, 1.5, 3000, "catalogue"},
    {"catalogue-db", Stack::kMySql, "0.3.0", 1, false, 0.004, 210, 1000, 1.0, 8, 0, "mysqld"},
    {"carts", Stack::kSpring, "0.4.8", 1, true, 0.006, 330, 1000, 0.5, 38, 5000, "CartApplication"},
    {"carts-db", Stack::kMongo, "3.4", 1, false, 0.004, 75, 1000, 1.0, 3, 0, "mongod"},
    {"orders", Stack::kSpring, "0.4.7", 1, true, 0.006, 350, 1000, 0.5, 40, 5000,
     "OrderApplication"},
    {"orders-db", Stack::kMongo, "3.4", 1, false, 0.004, 72, 1000, 1.0, 3, 0, "mongod"},
    {"payment", Stack::kGoKit, "0.4.3", 2, true, 0.001, 9, 100, 0.2, 1, 0, "payment"},
    {"shipping", Stack::kSpring, "0.4.8", 1, true, 0.005, 320, 1000, 0.5, 36, 3000,
     "ShippingServiceApplication"},
    {"queue-master", Stack::kSpring, "0.3.1", 1, true, 0.005, 300, 1000, 0.5, 35, 3000,
     "QueueMasterApplication"},
    {"rabbitmq", Stack::kRabbit, "3.6.8", 1, false, 0.010, 110, 1000, 0.5, 10, 0, "beam.smp"},
    {"user", Stack::kGoKit, "0.4.7", 1, true, 0.001, 11, 100, 0.3, 1.5, 3000, "user"},
    {"user-db", Stack::kMongo, "3.4", 1, false, 0.004, 70, 1000, 1.0, 3, 0, "mongod"},
    {"session-db", Stack::kRedis, "4.0.14", 1, false, 0.002, 8, 200, 0.3, 1, 0, "redis-server"},
    {"istio-ingressgateway", Stack::kEnvoy, "1.20.2", 1, false, 0.004, 60, 1000, 2.0, 3, 15000,
     "envoy"},
};

struct Sock {
  const char* id;
  const char* name;
  double price;
};
constexpr Sock kSocks[] = {
    {"03fef6ac-1896-4ce8-bd69-b798f85c6e0b", "Holy", 99.99},
    {"3395a43e-2d88-40de-b95f-e00e1502085b", "Colourful", 18},
    {"510a0d7e-8e83-4193-b483-e27e09ddc34d", "SuperSport XL", 15},
    {"808a2de1-1aaa-4c25-a9b9-6612e8f29a38", "Crossed", 17.32},
    {"819e1fbf-8b7e-4f6d-811f-693534916a8b", "Figueroa", 14},
    {"837ab141-399e-4c1f-9abc-bace40296bac", "Cat socks", 15},
    {"a0a4f044-b040-410d-8ead-4de0446aec7e", "Nerd leg", 7.99},
    {"d3588630-ad8e-49df-bbd7-3167f7efb246", "YouTube.sock", 10.99},
    {"zzz4f044-b040-410d-8ead-4de0446aec7e", "Classic", 12},
};
constexpr int kNumSocks = sizeof(kSocks) / sizeof(kSocks[0]);

// What a fault does to one pod during one tick (intensity already applied).
struct Effects {
  bool abort_get = false;
  std::string_view abort_path;
  double delay_ms = 0;
  double bandwidth_kbps = 0;
  double loss = 0;
  double io_error = 0;
  double cpu_load = 0;  // 0..1 share of the CPU limit taken by stressors
  double mem_stress_mb = 0;
  double exception_p = 0;
  std::string_view exception_method, exception_route;
  double wrong_p = 0;
  uint64_t mask = 0;  // faults acting on this pod now
};

struct Pod {
  int comp = 0;
  std::string name;
  std::string ip;
  std::string version;
  bool regression = false;  // runs a bad deploy's version
  bool active = true;       // part of the deployment (receives calls, reports metrics)
  bool running = true;      // container process serving
  bool failed = false;      // held down by a pod-failure fault
  TimeNs running_at = 0;    // a starting container serves from here
  bool ready = true;
  bool ready_target = true;
  TimeNs ready_change_at = 0;
  TimeNs retire_at = kNever;  // rolling update: old pod terminates then
  uint64_t down_mask = 0;     // faults that brought it down
  int restarts = 0;
  int os_pid = 1;
  Effects fx;
  // Resource state.
  double heap_mb = 0;
  double mem_mb = 0;
  double stress_mb = 0;
  double leak_mb = 0;
  double rx_total = 0, tx_total = 0;
  TimeNs link_free_at = 0;  // bandwidth-limited egress queue
  // Accumulated since the last metric sample.
  double busy_s = 0;
  // Requests served in the metrics window: (end time, latency ms, error).
  struct Served {
    TimeNs end;
    float ms;
    bool error;
  };
  std::vector<Served> window;
  // Chatter state.
  int conn_serial = 100;
  int open_conns = 6;
  int redis_changes = 0;
  TimeNs next_health = 0;
  TimeNs next_chatter = 0;
  TimeNs last_amqp_warn = 0;
};

struct User {
  std::string id;  // Mongo ObjectId of the customer
  std::string name;
  std::string session;  // express-session id
  bool registered = false;
  bool logged_in = false;
  bool has_address = false;
  bool has_card = false;
  std::vector<int> cart;
  int steps = 0;
  int target_steps = 8;
};

struct Trace {
  TraceId id;
  TimeNs start = 0;
  uint64_t mask = 0;              // faults that touched it
  size_t touched_log = 0;         // pending_logs.size() when the first of them did
  std::vector<int> touched_pods;  // the pods handling it then: the way back up from the fault
};

struct Hop {
  int pod;
  SpanId span;
};

struct Reply {
  int status = 200;  // HTTP status; database replies use 200 / 500
  TimeNs end = 0;
  std::string error;
  bool timeout = false;
  bool ok() const { return status < 400; }
};

struct Message {
  TraceId trace;
  SpanId parent;
  TimeNs published;
  std::string shipment;
  std::string order;
  uint64_t mask;
};

struct RuntimeFault {
  FaultSpec spec;
  std::string scenario;
  std::string description;
  int comp = 0;
  int peer = -1;
  std::vector<int> pods;  // targeted pods (indices)
  TimeNs start = 0, end = 0, lag = 0;
  bool begun = false, finished = false;
  size_t label = 0;
  double Intensity(TimeNs t) const {
    if (t < start) return 0;
    if (t < end) return 1;
    if (lag > 0 && t < end + lag) return 1.0 - static_cast<double>(t - end) / lag;
    return 0;
  }
};

struct PendingDeploy {
  DeployEvent event;
  TimeNs at;
  bool bad = false;
  bool rollback = false;
  bool done = false;
  int fault = -1;
};

constexpr char kRsAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

std::string ChaosMeshName(const FaultSpec& f) {
  switch (f.type) {
    case FaultType::kPodFailure:
      return "PodChaos/pod-failure";
    case FaultType::kNetworkPartition:
      return "NetworkChaos/partition";
    case FaultType::kIoFailure:
      return "IOChaos/fault";
    case FaultType::kBandwidthLimit:
      return "NetworkChaos/bandwidth";
    case FaultType::kHttpAbort:
      return "HTTPChaos/abort";
    case FaultType::kMemoryStress:
      return "StressChaos/memory";
    case FaultType::kNetworkDelay:
      return "NetworkChaos/delay";
    case FaultType::kCpuStress:
      return "StressChaos/cpu";
    case FaultType::kPacketLoss:
      return "NetworkChaos/loss";
    case FaultType::kCodeException:
      return "JVMChaos/exception";
    case FaultType::kWrongReturn:
      return "JVMChaos/return";
    case FaultType::kBadDeploy:
      return "rollout (kubectl set image)";
  }
  return "";
}

int CompIndex(std::string_view name) {
  for (int i = 0; i < kNumComp; ++i)
    if (name == kDefs[i].name) return i;
  return -1;
}

// Recovery lag after a fault ends: reconnects, drained queues, freed memory.
double LagSeconds(FaultType t) {
  switch (t) {
    case FaultType::kNetworkPartition:
      return 8;
    case FaultType::kBandwidthLimit:
      return 3;
    case FaultType::kNetworkDelay:
      return 2;
    case FaultType::kPacketLoss:
      return 3;
    case FaultType::kMemoryStress:
      return 20;
    case FaultType::kCpuStress:
      return 3;
    case FaultType::kHttpAbort:
      return 10;
    case FaultType::kBadDeploy:
      return 50;
    default:
      return 0;
  }
}

}  // namespace

struct Simulator::Impl {
  SimConfig cfg;
  Rng rng;          // traffic, latencies, outcomes
  Rng chatter_rng;  // background log lines
  Rng metric_rng;   // metric noise
  Rng id_rng;       // trace and span ids
  std::vector<Pod> pods;
  std::vector<std::vector<int>> comp_pods;  // active pod indices per component
  std::vector<User> users;
  std::vector<RuntimeFault> faults;
  std::vector<FaultLabel> labels;
  std::vector<DeployLabel> deploy_labels;
  std::vector<PendingDeploy> deploys;
  std::map<std::string, std::string, std::less<>> pod_versions;
  std::vector<Message> queue;
  std::vector<LogRecord> pending_logs;
  std::vector<AffectedLog> affected_logs;
  std::vector<int> call_stack;  // pods handling the request being simulated, caller first
  std::vector<Span> pending_spans;
  std::vector<MetricPoint> metrics;
  SimStats stats;
  TimeNs end = 0;
  TimeNs fault_start = 0, fault_end = 0;
  bool ran = false;
  // Partition state per component pair for the current tick: intensity and mask.
  double partition[kNumComp][kNumComp] = {};
  uint64_t partition_mask[kNumComp][kNumComp] = {};

  explicit Impl(SimConfig c)
      : cfg(std::move(c)),
        rng(cfg.seed),
        chatter_rng(cfg.seed ^ 0x9e3779b97f4a7c15ULL),
        metric_rng(cfg.seed ^ 0xc2b2ae3d27d4eb4fULL),
        id_rng(cfg.seed ^ 0x165667b19e3779f9ULL) {}

  // ---------------------------------------------------------------- set-up

  std::string RandomName(Rng& r, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(kRsAlphabet[r.Below(sizeof(kRsAlphabet) - 1)]);
    return s;
  }

  int AddPod(int comp, const std::string& rs_hash, const std::string& version, Rng& r) {
    Pod p;
    p.comp = comp;
    p.name = fmt::format("{}-{}-{}", kDefs[comp].name, rs_hash, RandomName(r, 5));
    p.ip = fmt::format("10.244.{}.{}", 1 + r.Below(3), 2 + r.Below(250));
    p.version = version;
    p.os_pid = kDefs[comp].stack == Stack::kSpring ? 1 : 1 + static_cast<int>(r.Below(30));
    p.mem_mb = kDefs[comp].base_mem;
    p.heap_mb = kDefs[comp].stack == Stack::kSpring ? 60 + r.Uniform(0, 40) : 0;
    p.next_health = cfg.start + Sec(r.Uniform(0, 10));
    p.next_chatter = cfg.start + Sec(r.Uniform(5, 60));
    pod_versions[p.name] = version;
    pods.push_back(std::move(p));
    return static_cast<int>(pods.size()) - 1;
  }

  Status Setup() {
    Rng names(cfg.seed ^ 0x51ed270b27d4eb4fULL);
    comp_pods.assign(kNumComp, {});
    for (int c = 0; c < kNumComp; ++c) {
      if (c == kIngress && !cfg.ingress_spans) continue;
      int n = kDefs[c].min_replicas;
      if (kDefs[c].stateless) n = std::max(n, cfg.replicas);
      const std::string rs = RandomName(names, 10);
      for (int i = 0; i < n; ++i) comp_pods[c].push_back(AddPod(c, rs, kDefs[c].version, names));
    }
    for (int u = 0; u < cfg.users; ++u) users.push_back(NewUser(names));

    end = cfg.start + Sec(cfg.minutes * 60);
    const double base_min = cfg.baseline_minutes >= 0 ? cfg.baseline_minutes : cfg.minutes / 3;
    const double fault_min = cfg.fault_minutes >= 0 ? cfg.fault_minutes : cfg.minutes / 3;
    fault_start = cfg.start + Sec(base_min * 60);
    fault_end = std::min(end, fault_start + Sec(fault_min * 60));

    // Faults: the named scenarios, then the extra ones.
    std::vector<std::pair<std::string, FaultSpec>> specs;
    if (cfg.scenario != "normal" && !cfg.scenario.empty()) {
      size_t pos = 0;
      while (pos <= cfg.scenario.size()) {
        size_t plus = cfg.scenario.find('+', pos);
        std::string name = cfg.scenario.substr(pos, plus == std::string::npos ? plus : plus - pos);
        // "name@A-B": this fault from minute A to minute B instead of the protocol window.
        double from_min = -1, to_min = -1;
        if (size_t at = name.find('@'); at != std::string::npos) {
          const std::string window = name.substr(at + 1);
          name.resize(at);
          const size_t dash = window.find('-');
          char* end1 = nullptr;
          char* end2 = nullptr;
          if (dash != std::string::npos) {
            from_min = std::strtod(window.c_str(), &end1);
            to_min = std::strtod(window.c_str() + dash + 1, &end2);
          }
          if (dash == std::string::npos || end1 != window.c_str() + dash || *end2 != '\0' ||
              !(from_min >= 0) || !(to_min > from_min))
            return Status::Error(fmt::format(
                "scenario window '@{}' must be MINUTE-MINUTE with the end after the start",
                window));
          if (to_min > cfg.minutes)
            return Status::Error(
                fmt::format("scenario window '@{}' ends after the run's {:g} minutes (--minutes)",
                            window, cfg.minutes));
        }
        const ScenarioInfo* s = FindScenario(name);
        if (!s) return Status::Error(fmt::format("unknown scenario '{}' (see --list)", name));
        for (auto f : s->faults) {
          if (from_min >= 0) {
            f.start_s = from_min * 60;
            f.end_s = to_min * 60;
          }
          specs.emplace_back(s->name, f);
        }
        if (plus == std::string::npos) break;
        pos = plus + 1;
      }
    }
    for (const auto& f : cfg.extra_faults) specs.emplace_back("custom", f);
    if (specs.size() > 60) return Status::Error("at most 60 faults per run");
    for (auto& [scenario, f] : specs) {
      RuntimeFault rf;
      rf.spec = f;
      rf.scenario = scenario;
      rf.comp = CompIndex(f.target);
      if (rf.comp < 0 || rf.comp == kIngress)
        return Status::Error(
            fmt::format("fault target '{}' is not a sock-shop component", f.target));
      if (f.type == FaultType::kNetworkPartition) {
        rf.peer = CompIndex(f.peer);
        if (rf.peer < 0)
          return Status::Error(fmt::format("partition peer '{}' is not a component", f.peer));
      }
      rf.start = f.start_s >= 0 ? cfg.start + Sec(f.start_s) : fault_start;
      rf.end = f.end_s >= 0 ? cfg.start + Sec(f.end_s) : fault_end;
      if (rf.end <= rf.start) return Status::Error("a fault must end after it starts");
      rf.lag = Sec(LagSeconds(f.type));
      // A failed pod recovers when its container has restarted and passed a readiness probe.
      if (f.type == FaultType::kPodFailure) rf.lag = Sec(kDefs[rf.comp].startup_s * 1.2 + 10);
      const ScenarioInfo* info = FindScenario(scenario);
      rf.description = info ? info->description : std::string(FaultTypeName(f.type));
      rf.pods = comp_pods[rf.comp];
      if (f.one_pod && rf.pods.size() > 1) rf.pods.erase(rf.pods.begin() + 1, rf.pods.end());
      FaultLabel label;
      label.name = scenario;
      label.type = f.type;
      label.target_service = f.target;
      label.peer = f.peer;
      label.description = rf.description;
      label.chaos_mesh = ChaosMeshName(f);
      label.start = rf.start;
      label.end = rf.end;
      label.recovered = rf.end + rf.lag;
      for (int p : rf.pods) label.target_pods.push_back(pods[p].name);
      rf.label = labels.size();
      labels.push_back(std::move(label));
      const int fault_index = static_cast<int>(faults.size());
      if (f.type == FaultType::kBadDeploy) {
        PendingDeploy d;
        d.event = {f.target, f.version.empty() ? "bad" : f.version, 0};
        d.at = rf.start;
        d.bad = true;
        d.fault = fault_index;
        deploys.push_back(d);
        PendingDeploy back;
        back.event = {f.target, kDefs[rf.comp].version, 0};
        back.at = rf.end;
        back.rollback = true;
        back.fault = fault_index;
        deploys.push_back(back);
      }
      faults.push_back(std::move(rf));
    }
    for (const auto& d : cfg.deploys) {
      if (CompIndex(d.service) < 0)
        return Status::Error(fmt::format("deploy target '{}' is not a component", d.service));
      PendingDeploy pd;
      pd.event = d;
      pd.at = cfg.start + Sec(d.at_s);
      deploys.push_back(pd);
    }
    std::stable_sort(deploys.begin(), deploys.end(),
                     [](const PendingDeploy& a, const PendingDeploy& b) { return a.at < b.at; });
    return Status::Ok();
  }

  User NewUser(Rng& r) {
    static constexpr const char* kFirst[] = {"Eve",  "John",  "Anna", "Marc", "Lin",
                                             "Omar", "Sofia", "Ravi", "Ines", "Tom"};
    User u;
    u.id = fmt::format("{:08x}{:016x}", 0x57a98d98u, r.Next());
    u.name = fmt::format("{}_{}", kFirst[r.Below(10)], r.Below(100000));
    u.session = fmt::format("{:016x}", r.Next());
    u.target_steps = r.Int(4, 12);
    return u;
  }

  // ---------------------------------------------------------------- records

  // A MongoDB ObjectId: creation seconds, then random bytes.
  std::string ObjectId(TimeNs t) {
    return fmt::format("{:08x}{:016x}", static_cast<uint32_t>(t / kNsPerSecond), rng.Next());
  }

  SpanId NewSpanId() {
    uint64_t v;
    do v = id_rng.Next();
    while (v == 0);
    return SpanId{v};
  }
  TraceId NewTraceId() {
    TraceId t;
    uint64_t a = id_rng.Next(), b = id_rng.Next();
    for (int i = 0; i < 8; ++i) {
      t.bytes[i] = static_cast<uint8_t>(a >> (56 - 8 * i));
      t.bytes[8 + i] = static_cast<uint8_t>(b >> (56 - 8 * i));
    }
    return t;
  }

  void Log(const Pod& p, TimeNs t, Severity sev, std::string_view sev_text, std::string body,
           const Trace* tr = nullptr, SpanId span = {}) {
    LogRecord r;
    r.time = t;
    r.service = kDefs[p.comp].name;
    r.instance = p.name;
    r.severity = sev;
    r.severity_text = sev_text;
    r.body = std::move(body);
    if (tr) {
      r.trace_id = tr->id;
      r.span_id = span;
    }
    pending_logs.push_back(std::move(r));
  }

  // A fault touches the request: from here on, the lines of the pods handling it now (the faulty
  // hop and its callers, on their way back) are written under the fault's influence; those of
  // sibling calls made before or after the faulty hop are not.
  void Touch(Trace& tr, uint64_t fault_mask) {
    if (fault_mask == 0) return;
    if (tr.mask == 0) tr.touched_log = pending_logs.size();
    tr.mask |= fault_mask;
    tr.touched_pods.insert(tr.touched_pods.end(), call_stack.begin(), call_stack.end());
  }

  // The lines written since `first` (one request's, a request being simulated whole), by the pods
  // in `only` when given, were written for a request that the faults in `fault_mask` (bits into
  // `faults`) touched.
  void MarkAffected(size_t first, uint64_t fault_mask, const std::vector<int>* only = nullptr) {
    uint64_t label_mask = 0;
    for (size_t i = 0; i < faults.size(); ++i)
      if (fault_mask >> i & 1) label_mask |= uint64_t{1} << faults[i].label;
    if (label_mask == 0) return;
    for (size_t k = first; k < pending_logs.size(); ++k) {
      const LogRecord& r = pending_logs[k];
      if (only && std::none_of(only->begin(), only->end(),
                               [&](int pi) { return pods[pi].name == r.instance; }))
        continue;
      affected_logs.push_back({r.time, r.instance, label_mask});
    }
  }

  // A Spring Boot line with Sleuth ids when there is a trace.
  void SpringLog(const Pod& p, TimeNs t, std::string_view level, std::string_view logger,
                 std::string_view message, const Trace* tr = nullptr, SpanId span = {},
                 int thread = 0) {
    std::string trace_hex = tr ? tr->id.Hex() : std::string();
    std::string span_hex = tr ? span.Hex() : std::string();
    std::string th = thread > 0   ? fmt::format("nio-80-exec-{}", thread)
                     : thread < 0 ? std::string("cTaskExecutor-1")  // the AMQP listener thread
                                  : std::string("main");
    Log(p, t, logstyle::SeverityOf(level), level,
        logstyle::Spring(t, level, kDefs[p.comp].name, trace_hex, span_hex, th, logger, message),
        tr, span);
  }

  // A Java stack trace as the separate stdout lines it really is.
  void JavaStack(const Pod& p, TimeNs t, std::string_view exception,
                 std::initializer_list<std::string_view> frames) {
    Log(p, t, Severity::kUnspecified, "", std::string(exception));
    for (auto f : frames) Log(p, t, Severity::kUnspecified, "", fmt::format("\tat {}", f));
    Log(p, t, Severity::kUnspecified, "", "\t... 87 common frames omitted");
  }

  void GoLog(const Pod& p, TimeNs t, std::string_view caller, std::string pairs, bool error) {
    Log(p, t, error ? Severity::kError : Severity::kInfo, "", logstyle::GoKit(t, caller, pairs));
  }

  void MongoLog(const Pod& p, TimeNs t, char sev, std::string_view component,
                std::string_view context, std::string_view message) {
    Log(p, t, logstyle::SeverityOf(std::string_view(&sev, 1)), std::string_view(&sev, 1),
        logstyle::Mongo(t, sev, component, context, message));
  }

  // ---------------------------------------------------------------- network and work

  // One-way network time for `bytes` leaving pod `src` (Chaos Mesh network faults act on egress).
  TimeNs Net(Pod& src, int bytes, Trace& tr, TimeNs t) {
    double ms = rng.LogNormal(0.25, 0.3);
    const Effects& fx = src.fx;
    if (fx.delay_ms > 0) {
      ms += fx.delay_ms * rng.Uniform(0.95, 1.05);
      Touch(tr, fx.mask);
    }
    if (fx.bandwidth_kbps > 0) {
      // Token bucket: the egress link drains at the limit; a queue forms under bursts.
      const TimeNs send = Ms((bytes + 600) * 8.0 / fx.bandwidth_kbps);  // + TCP/HTTP overhead
      src.link_free_at = std::max(src.link_free_at, t) + send;
      ms += static_cast<double>(src.link_free_at - t) / 1e6;
      Touch(tr, fx.mask);
    }
    if (fx.loss > 0) {
      const int packets = 2 + bytes / 1400;
      double rto = 200;
      for (int i = 0; i < packets; ++i) {
        int tries = 0;
        while (rng.Chance(fx.loss) && tries < 5) {
          ms += rto;
          rto *= 2;
          ++tries;
          Touch(tr, fx.mask);
        }
      }
    }
    return Ms(ms);
  }

  // Processing time in a pod, slowed by stressors, JVM pauses and a regressed version.
  TimeNs Work(Pod& p, double median_ms, Trace& tr) {
    double ms = rng.LogNormal(median_ms, 0.35);
    const Effects& fx = p.fx;
    if (fx.cpu_load > 0) {
      ms *= 1 + fx.cpu_load * rng.Uniform(2, 6);  // throttled at the CPU limit
      Touch(tr, fx.mask);
    }
    if (p.stress_mb > 0 && kDefs[p.comp].stack == Stack::kSpring) {
      const double pressure = std::min(1.0, p.stress_mb / kDefs[p.comp].mem_limit);
      ms *= 1 + pressure * rng.Uniform(0.5, 2.5);
      if (rng.Chance(0.08 * pressure)) ms += rng.Uniform(150, 900);  // full GC under pressure
      Touch(tr, fx.mask);
    }
    if (p.regression) {
      ms *= 1.8;  // the bad deploy's version is slower: every request it serves is touched
      Touch(tr, RegressionMask(p));
    }
    if (kDefs[p.comp].stack == Stack::kSpring && rng.Chance(0.004))
      ms += rng.Uniform(8, 45);  // young-generation pause
    p.busy_s += ms / 1000;
    return Ms(ms);
  }

  // ---------------------------------------------------------------- calls

  int PickPod(int comp) {
    int ready[16];
    int n = 0;
    for (int i : comp_pods[comp])
      if (pods[i].ready && n < 16) ready[n++] = i;
    if (n == 0) return -1;
    return ready[n == 1 ? 0 : rng.Below(n)];
  }

  uint64_t PartitionHit(int a, int b) {
    const double p = partition[a][b];
    if (p <= 0) return 0;
    if (p >= 1 || rng.Chance(p)) return partition_mask[a][b];
    return 0;
  }

  void MaskDown(int comp, Trace& tr) {
    for (int i : comp_pods[comp]) Touch(tr, pods[i].down_mask | pods[i].fx.mask);
  }

  void Served(Pod& p, TimeNs start, TimeNs finish, int status, int rx, int tx) {
    p.window.push_back({finish, static_cast<float>((finish - start) / 1e6), status >= 500});
    p.rx_total += rx;
    p.tx_total += tx;
  }

  Span MakeSpan(const Trace& tr, SpanId id, SpanId parent, const Pod& p, std::string name,
                SpanKind kind, TimeNs start) {
    Span s;
    s.trace_id = tr.id;
    s.span_id = id;
    s.parent_id = parent;
    s.service = kDefs[p.comp].name;
    s.instance = p.name;
    s.name = std::move(name);
    s.kind = kind;
    s.start = start;
    return s;
  }

  void Finish(Span& s, TimeNs end_time, int http_status, std::string_view error) {
    s.end = std::max(end_time, s.start + 1000);
    if (http_status) s.http_status_code = http_status;
    if (http_status >= 500 || (http_status == 0 && !error.empty())) {
      s.status = StatusCode::kError;
      s.status_message = error;
    }
    pending_spans.push_back(std::move(s));
  }

  // A synchronous HTTP call through the sidecars from `from` to a pod of `comp`.
  template <class Handler>
  Reply Http(Trace& tr, const Hop& from, int comp, std::string_view method, std::string_view route,
             const std::string& path, TimeNs t, int req_bytes, int resp_bytes, Handler&& handler) {
    Pod* src = &pods[from.pod];
    const double timeout_ms = kDefs[src->comp].timeout_ms;
    std::string op = fmt::format("{} {}", method, route);
    Span client = MakeSpan(tr, NewSpanId(), from.span, *src, op, SpanKind::kClient, t);
    client.http_method = method;
    client.http_route = route;
    client.http_url = fmt::format("http://{}{}", kDefs[comp].name, path);
    client.attributes.push_back({"peer.service", kDefs[comp].name});
    Reply r;
    TimeNs now = t;
    int attempt = 0;
    if (uint64_t m = PartitionHit(src->comp, comp)) {
      Touch(tr, m);
      r.status = 504;
      r.end = t + Ms(timeout_ms);
      r.error = "upstream request timeout";
      r.timeout = true;
    } else {
      for (;;) {
        const int pi = PickPod(comp);
        if (pi < 0) {
          MaskDown(comp, tr);
          r.status = 503;
          r.end = now + Ms(rng.Uniform(0.2, 0.8));
          r.error = "no healthy upstream";
          break;
        }
        Pod& dst = pods[pi];
        if (!dst.running) {
          // The endpoint is still listed but nothing listens: refused, and Envoy retries twice.
          Touch(tr, dst.down_mask | dst.fx.mask);
          now += Ms(rng.Uniform(0.5, 2));
          if (++attempt <= 2) {
            client.events.push_back({now, "retry", {{"retry.attempt", std::to_string(attempt)}}});
            now += Ms(25 * attempt * rng.Uniform(0.5, 1.5));
            continue;
          }
          r.status = 503;
          r.end = now;
          r.error =
              "upstream connect error or disconnect/reset before headers. reset reason: connection "
              "failure";
          break;
        }
        if (dst.fx.abort_get && method == "GET" && path.starts_with(dst.fx.abort_path)) {
          Touch(tr, dst.fx.mask);
          r.status = 503;
          r.end = now + Ms(rng.Uniform(0.5, 2));
          r.error =
              "upstream connect error or disconnect/reset before headers. reset reason: connection "
              "termination";
          break;
        }
        const TimeNs arrive = now + Net(*src, req_bytes, tr, now);
        Span server = MakeSpan(tr, NewSpanId(), client.span_id, dst, op, SpanKind::kServer, arrive);
        server.http_method = method;
        server.http_route = route;
        server.http_url = path;
        call_stack.push_back(pi);
        Reply h = handler(Hop{pi, server.span_id}, arrive);
        call_stack.pop_back();
        Pod& served = pods[pi];
        Served(served, arrive, h.end, h.status, req_bytes, resp_bytes);
        Finish(server, h.end, h.status, h.error);
        r = h;
        r.end = h.end + Net(served, resp_bytes, tr, h.end);
        break;
      }
    }
    if (r.end - t > Ms(timeout_ms) && timeout_ms > 0) {
      r.status = 504;
      r.end = t + Ms(timeout_ms);
      r.error = "upstream request timeout";
      r.timeout = true;
    }
    if (attempt > 0) client.attributes.push_back({"retry.count", std::to_string(attempt)});
    src->tx_total += req_bytes;
    src->rx_total += resp_bytes;
    Finish(client, r.end, r.status, r.error);
    return r;
  }

  enum class DbKind { kMongo, kMySql, kRedis };

  // A database call: driver client span in the caller, server span in the database pod.
  Reply Db(Trace& tr, const Hop& from, int comp, std::string_view op, std::string_view target,
           std::string_view statement, TimeNs t, double work_ms, int resp_bytes, bool write) {
    Pod& src = pods[from.pod];
    const Stack stack = kDefs[comp].stack;
    const char* system = stack == Stack::kMongo   ? "mongodb"
                         : stack == Stack::kMySql ? "mysql"
                                                  : "redis";
    std::string name = fmt::format("{} {}", op, target);
    Span client = MakeSpan(tr, NewSpanId(), from.span, src, name, SpanKind::kClient, t);
    client.attributes.push_back({"db.system", system});
    client.attributes.push_back({"peer.service", kDefs[comp].name});
    if (!statement.empty()) client.attributes.push_back({"db.statement", std::string(statement)});
    double timeout_ms = stack == Stack::kRedis ? 2000 : stack == Stack::kMySql ? 3000 : 5000;
    Reply r;
    if (uint64_t m = PartitionHit(src.comp, comp)) {
      Touch(tr, m);
      r.status = 500;
      r.timeout = true;
      r.end = t + Ms(timeout_ms);
      r.error = stack == Stack::kRedis ? "Connection timeout" : "connection timed out";
    } else {
      // Databases are reached through their Service IP: a down pod refuses at once.
      int pi = comp_pods[comp].empty() ? -1 : comp_pods[comp][0];
      if (pi < 0 || !pods[pi].running) {
        if (pi >= 0) Touch(tr, pods[pi].down_mask);
        r.status = 500;
        r.end = t + Ms(rng.Uniform(1, 3));
        r.error = "connection refused";
      } else {
        Pod& db = pods[pi];
        const TimeNs arrive = t + Net(src, 200, tr, t);
        Span server =
            MakeSpan(tr, NewSpanId(), client.span_id, db, name, SpanKind::kServer, arrive);
        server.attributes.push_back({"db.system", system});
        TimeNs done = arrive + Work(db, work_ms, tr);
        // MongoDB serves most reads from the WiredTiger cache, so an IO fault hits writes (journal)
        // far more than reads; MySQL's catalogue queries build on-disk temporary tables and touch
        // files every time.
        const double io_error =
            stack == Stack::kMongo && !write ? db.fx.io_error * 0.2 : db.fx.io_error;
        if (io_error > 0 && rng.Chance(io_error)) {
          Touch(tr, db.fx.mask);
          r.status = 500;
          r.error = "Input/output error";
          DbIoErrorLog(db, done, target, write);
        } else {
          r.status = 200;
          if (stack == Stack::kRedis && write) ++db.redis_changes;
        }
        const double took_ms = (done - arrive) / 1e6;
        if (stack == Stack::kMongo && took_ms > 100) {
          MongoLog(db, done, 'I', "COMMAND", fmt::format("conn{}", db.conn_serial - 2),
                   fmt::format("command data.{} command: {} {{ {}: \"{}\" }} planSummary: COLLSCAN "
                               "keysExamined:0 docsExamined:{} numYields:{} nreturned:1 "
                               "reslen:{} protocol:op_query {}ms",
                               target, op, op, target, 40 + rng.Below(400), rng.Below(5),
                               resp_bytes, static_cast<int>(took_ms)));
        }
        Served(db, arrive, done, r.status, 200, resp_bytes);
        Finish(server, done, 0, r.status >= 500 ? r.error : "");
        r.end = done + Net(db, resp_bytes, tr, done);
      }
    }
    if (r.end - t > Ms(timeout_ms)) {
      r.status = 500;
      r.timeout = true;
      r.end = t + Ms(timeout_ms);
      r.error = "timeout";
    }
    Finish(client, r.end, 0, r.status >= 500 ? r.error : "");
    return r;
  }

  void DbIoErrorLog(Pod& db, TimeNs t, std::string_view target, bool write) {
    const Stack stack = kDefs[db.comp].stack;
    if (stack == Stack::kMongo) {
      const uint64_t file = 2 + rng.Below(6);
      const char* rw = write ? "write" : "read";
      MongoLog(db, t, 'E', "STORAGE", fmt::format("conn{}", db.conn_serial - 1),
               fmt::format("WiredTiger error (5) [{}:{}][1:0x7f3c2a{:x}], file:collection-{}--"
                           "8127354412.wt, WT_SESSION.{}: collection-{}--8127354412.wt: handle-{}: "
                           "p{}: failed to {} 4096 bytes at offset {}: Input/output error",
                           t / kNsPerSecond, (t / 1000) % 1000000, rng.Below(0xffff), file,
                           write ? "commit_transaction" : "search", file, rw, rw, rw,
                           4096 * rng.Below(5000)));
      MongoLog(db, t, 'I', "COMMAND", fmt::format("conn{}", db.conn_serial - 1),
               fmt::format("command data.{} command: {} {{ ... }} exception: Input/output error "
                           "code:8 numYields:0 reslen:93 protocol:op_query 3ms",
                           target, write ? "insert" : "find"));
    } else if (stack == Stack::kMySql) {
      Log(db, t, Severity::kError, "ERROR",
          logstyle::MySql(t, 0, "ERROR",
                          "InnoDB: Operating system error number 5 in a file operation."));
      Log(db, t, Severity::kError, "ERROR",
          logstyle::MySql(t, 0, "ERROR", "InnoDB: Error number 5 means 'Input/output error'"));
      Log(db, t, Severity::kError, "ERROR",
          logstyle::MySql(t, 0, "ERROR",
                          fmt::format("InnoDB: File ./socksdb/{}.ibd: 'read' returned OS error "
                                      "105. Cannot continue operation",
                                      target)));
    }
  }

  // ---------------------------------------------------------------- the services

  // catalogue (Go kit) over catalogue-db (MySQL).
  Reply CatalogueHandler(Trace& tr, Hop self, TimeNs t, std::string_view method, int item,
                         int size) {
    const TimeNs start = t;
    Pod& p = pods[self.pod];
    t += Work(p, 0.6, tr);
    std::string sql, pairs;
    std::string_view table = "sock";
    if (method == "List") {
      sql = fmt::format(
          "SELECT sock.sock_id AS id, sock.name, sock.description, sock.price, sock.count, "
          "sock.image_url_1, sock.image_url_2, GROUP_CONCAT(tag.name) AS tag_name FROM sock JOIN "
          "sock_tag ON sock.sock_id=sock_tag.sock_id JOIN tag ON sock_tag.tag_id=tag.tag_id GROUP "
          "BY id ORDER BY id LIMIT {}",
          size);
    } else if (method == "Get") {
      sql = fmt::format("SELECT ... FROM sock WHERE sock.sock_id ='{}' GROUP BY sock.sock_id",
                        kSocks[item].id);
    } else if (method == "Tags") {
      sql = "SELECT name FROM tag";
      table = "tag";
    } else {
      sql =
          "SELECT COUNT(DISTINCT sock.sock_id) FROM sock JOIN sock_tag ON "
          "sock.sock_id=sock_tag.sock_id";
    }
    Reply db = Db(tr, self, kCatalogueDb, "SELECT", table, sql, t, 0.9, 1200, false);
    t = db.end + Work(pods[self.pod], 0.3, tr);
    Pod& q = pods[self.pod];
    std::string err = db.ok() ? "null"
                              : (db.timeout ? "\"dial tcp 10.96.0.23:3306: i/o timeout\""
                                            : "\"Error 1030: Got error 5 from storage engine\"");
    const double took_ms = (t - start) / 1e6;
    if (method == "List") {
      pairs = fmt::format(
          "method=List tags= order=id pageNum=1 pageSize={} result={} err={} "
          "took={:.6f}ms",
          size, db.ok() ? size : 0, err, took_ms);
    } else if (method == "Get") {
      pairs = fmt::format("method=Get id={} sock={} err={} took={:.6f}ms", kSocks[item].id,
                          db.ok() ? "{...}" : "{}", err, took_ms);
    } else if (method == "Tags") {
      pairs =
          fmt::format("method=Tags result={} err={} took={:.6f}ms", db.ok() ? 11 : 0, err, took_ms);
    } else {
      pairs = fmt::format("method=Count tags= result={} err={} took={:.6f}ms",
                          db.ok() ? kNumSocks : 0, err, took_ms);
    }
    GoLog(q, t, "logging.go:62", std::move(pairs), !db.ok());
    Reply r;
    r.end = t;
    if (!db.ok()) {
      r.status = 500;
      r.error = "database error";
    }
    return r;
  }

  // user (Go kit) over user-db (MongoDB).
  Reply UserHandler(Trace& tr, Hop self, TimeNs t, std::string_view method, const User& u,
                    bool write, std::string_view collection) {
    Pod& p = pods[self.pod];
    t += Work(p, 0.5, tr);
    Reply db = Db(tr, self, kUserDb, write ? "insert" : "find", collection, "", t, 0.8, 400, write);
    t = db.end + Work(pods[self.pod], 0.2, tr);
    std::string err = db.ok() ? "null" : (db.timeout ? "\"no reachable servers\"" : "\"EOF\"");
    const double took = (t - db.end) / 1e6 + rng.LogNormal(1.5, 0.3);
    std::string pairs;
    if (method == "Login")
      pairs = fmt::format("method=Login username={} result={} err={} took={:.6f}ms", u.name,
                          db.ok() ? u.id : "", err, took);
    else if (method == "Register")
      pairs = fmt::format(
          "method=Register username={} email={}@example.com first=test last=user "
          "result={} err={} took={:.6f}ms",
          u.name, u.name, db.ok() ? u.id : "", err, took);
    else
      pairs = fmt::format("method={} id={} result={} err={} took={:.6f}ms", method, u.id,
                          db.ok() ? 1 : 0, err, took);
    GoLog(pods[self.pod], t, "logging.go:37", std::move(pairs), !db.ok());
    Reply r;
    r.end = t;
    if (!db.ok()) {
      r.status = 500;
      r.error = db.error;
    }
    return r;
  }

  // carts (Spring Boot) over carts-db (MongoDB).
  Reply CartsHandler(Trace& tr, Hop self, TimeNs t, std::string_view method, std::string_view route,
                     const User& u, int item) {
    Pod& p = pods[self.pod];
    const int thread = 1 + static_cast<int>(rng.Below(10));
    t += Work(p, 2.0, tr);
    Reply r;
    // Injected exception or a regressed version throws before touching the database.
    bool thrown = false;
    std::string_view exception = "java.lang.NullPointerException: null";
    if (p.fx.exception_p > 0 && route == p.fx.exception_route &&
        (p.fx.exception_method.empty() || p.fx.exception_method == method) &&
        rng.Chance(p.fx.exception_p)) {
      thrown = true;
      Touch(tr, p.fx.mask);
    } else if (p.regression && method == "GET" && rng.Chance(BadDeployFailure(p))) {
      thrown = true;
      exception = "java.lang.IllegalStateException: Cart cache not initialised";
      Touch(tr, p.fx.mask | RegressionMask(p));
    }
    if (thrown) {
      t += Work(p, 0.5, tr);
      SpringLog(p, t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                fmt::format("Servlet.service() for servlet [dispatcherServlet] in context with "
                            "path [] threw exception [Request processing failed; nested exception "
                            "is {}] with root cause",
                            exception.substr(0, exception.find(':'))),
                &tr, self.span, thread);
      JavaStack(p, t, exception,
                {"works.weave.socks.cart.cart.CartResource.contents(CartResource.java:31)",
                 "works.weave.socks.cart.controllers.ItemsController.addToCart(ItemsController."
                 "java:47)",
                 "sun.reflect.GeneratedMethodAccessor41.invoke(Unknown Source)",
                 "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:"
                 "882)"});
      r.status = 500;
      r.error = std::string(exception);
      r.end = t;
      return r;
    }
    const bool write = method != "GET";
    Reply find = Db(tr, self, kCartsDb, "find", "cart", "", t, 0.7, 300, false);
    t = find.end;
    Reply last = find;
    if (find.ok() && write) {
      last = Db(tr, self, kCartsDb, method == "DELETE" ? "delete" : "update", "item", "", t, 1.0,
                120, true);
      t = last.end;
    }
    Pod& q = pods[self.pod];
    t += Work(q, 0.6, tr);
    if (!last.ok()) {
      const bool timeout = last.timeout;
      SpringLog(q, t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                timeout ? "Servlet.service() for servlet [dispatcherServlet] threw exception "
                          "[Request processing failed; nested exception is "
                          "org.springframework.dao.DataAccessResourceFailureException: Timed out "
                          "after 10000 ms while waiting to connect] with root cause"
                        : "Servlet.service() for servlet [dispatcherServlet] threw exception "
                          "[Request processing failed; nested exception is "
                          "org.springframework.data.mongodb.UncategorizedMongoDbException: Query "
                          "failed with error code 8 and error message 'Input/output error' on "
                          "server carts-db:27017] with root cause",
                &tr, self.span, thread);
      JavaStack(q, t,
                timeout ? "com.mongodb.MongoTimeoutException: Timed out after 10000 ms while "
                          "waiting to connect. Client view of cluster state is {type=UNKNOWN, "
                          "servers=[{address=carts-db:27017, type=UNKNOWN, state=CONNECTING}]"
                        : "com.mongodb.MongoQueryException: Query failed with error code 8 and "
                          "error message 'Input/output error' on server carts-db:27017",
                {"com.mongodb.operation.FindOperation$1.call(FindOperation.java:521)",
                 "com.mongodb.operation.OperationHelper.withConnection(OperationHelper.java:431)",
                 "org.springframework.data.mongodb.core.MongoTemplate.doFind(MongoTemplate.java:"
                 "1930)",
                 "works.weave.socks.cart.cart.CartDAO$MongoCartDAO.findByCustomerId(CartDAO.java:"
                 "35)"});
      r.status = 500;
      r.error = last.error;
      r.end = t;
      return r;
    }
    if (method == "POST")
      SpringLog(q, t, "DEBUG", "w.s.cart.controllers.ItemsController",
                fmt::format("Adding item to cart: Item{{id='{}', itemId='{}', quantity=1, "
                            "unitPrice={}}}",
                            u.id.substr(12), kSocks[item].id, kSocks[item].price),
                &tr, self.span, thread);
    else if (method == "DELETE")
      SpringLog(q, t, "DEBUG", "w.s.cart.controllers.ItemsController",
                fmt::format("Removing item from cart: {}", kSocks[item].id), &tr, self.span,
                thread);
    else if (route.ends_with("merge"))
      SpringLog(
          q, t, "DEBUG", "w.s.cart.controllers.CartsController",
          fmt::format("Merging carts for customer id: {} and session id: {}", u.id, u.session), &tr,
          self.span, thread);
    else if (rng.Chance(0.3))
      SpringLog(q, t, "DEBUG", "w.s.cart.cart.CartResource",
                fmt::format("Found cart for customer {} with {} items", u.id, u.cart.size()), &tr,
                self.span, thread);
    r.status = method == "POST" ? 201 : method == "DELETE" ? 202 : 200;
    r.end = t;
    return r;
  }

  double BadDeployFailure(const Pod& p) const {
    for (const auto& f : faults)
      if (f.spec.type == FaultType::kBadDeploy && f.comp == p.comp) return f.spec.probability;
    return 0.2;
  }
  uint64_t RegressionMask(const Pod& p) const {
    uint64_t m = 0;
    for (size_t i = 0; i < faults.size(); ++i)
      if (faults[i].spec.type == FaultType::kBadDeploy && faults[i].comp == p.comp)
        m |= uint64_t{1} << i;
    return m;
  }

  // payment (Go kit): authorises without a database.
  Reply PaymentHandler(Trace& tr, Hop self, TimeNs t, double amount) {
    Pod& p = pods[self.pod];
    t += Work(p, 0.3, tr);
    bool authorised = amount <= 1000;
    if (p.fx.wrong_p > 0 && rng.Chance(p.fx.wrong_p)) {
      authorised = false;  // the wrong value: a valid payment is declined, with HTTP 200
      Touch(tr, p.fx.mask);
    }
    GoLog(p, t, "logging.go:29",
          fmt::format("method=Authorise result={} took={:.3f}µs", authorised ? "true" : "false",
                      rng.LogNormal(9, 0.3)),
          false);
    Reply r;
    r.end = t;
    r.status = 200;
    if (!authorised) r.error = "declined";  // carried in the body, not the status
    return r;
  }

  // shipping (Spring Boot): publishes a task to rabbitmq.
  Reply ShippingHandler(Trace& tr, Hop self, TimeNs t, const std::string& order_id) {
    Pod& p = pods[self.pod];
    const int thread = 1 + static_cast<int>(rng.Below(10));
    t += Work(p, 1.5, tr);
    const std::string shipment = ObjectId(t);
    SpringLog(p, t, "INFO", "w.s.s.controllers.ShippingController",
              fmt::format("Adding shipment to queue... Shipment{{id='{}', name='{}'}}", shipment,
                          order_id),
              &tr, self.span, thread);
    // AMQP publish: producer span here, broker span in rabbitmq.
    Pod& src = pods[self.pod];
    Span producer =
        MakeSpan(tr, NewSpanId(), self.span, src, "shipping-task publish", SpanKind::kProducer, t);
    producer.attributes.push_back({"messaging.system", "rabbitmq"});
    producer.attributes.push_back({"messaging.destination", "shipping-task"});
    producer.attributes.push_back({"peer.service", "rabbitmq"});
    Reply r;
    int mq = comp_pods[kRabbitMq].empty() ? -1 : comp_pods[kRabbitMq][0];
    if (uint64_t m = PartitionHit(kShipping, kRabbitMq)) {
      Touch(tr, m);
      r.status = 500;
      r.timeout = true;
      r.end = t + Ms(3000);
      r.error = "AmqpTimeoutException";
    } else if (mq < 0 || !pods[mq].running) {
      if (mq >= 0) Touch(tr, pods[mq].down_mask);
      r.status = 500;
      r.end = t + Ms(rng.Uniform(1, 4));
      r.error = "AmqpConnectException: java.net.ConnectException: Connection refused";
    } else {
      Pod& broker = pods[mq];
      const TimeNs arrive = t + Net(pods[self.pod], 900, tr, t);
      Span bs = MakeSpan(tr, NewSpanId(), producer.span_id, broker, "basic.publish shipping-task",
                         SpanKind::kServer, arrive);
      bs.attributes.push_back({"messaging.system", "rabbitmq"});
      const TimeNs done = arrive + Work(broker, 0.2, tr);
      Served(broker, arrive, done, 200, 900, 40);
      queue.push_back({tr.id, bs.span_id, done, shipment, order_id, tr.mask});
      Finish(bs, done, 0, "");
      r.status = 201;
      r.end = done + Net(broker, 40, tr, done);
    }
    Finish(producer, r.end, 0, r.status >= 500 ? r.error : "");
    Pod& q = pods[self.pod];
    t = r.end + Work(q, 0.4, tr);
    if (!r.ok()) {
      SpringLog(q, t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                fmt::format("Servlet.service() for servlet [dispatcherServlet] threw exception "
                            "[Request processing failed; nested exception is "
                            "org.springframework.amqp.{}] with root cause",
                            r.error),
                &tr, self.span, thread);
      JavaStack(q, t, fmt::format("org.springframework.amqp.{}", r.error),
                {"org.springframework.amqp.rabbit.support.RabbitExceptionTranslator."
                 "convertRabbitAccessException(RabbitExceptionTranslator.java:62)",
                 "org.springframework.amqp.rabbit.core.RabbitTemplate.convertAndSend("
                 "RabbitTemplate.java:622)",
                 "works.weave.socks.shipping.controllers.ShippingController.postShipping("
                 "ShippingController.java:41)"});
    }
    r.end = t;
    return r;
  }

  // orders (Spring Boot): the checkout fan-out.
  Reply OrdersHandler(Trace& tr, Hop self, TimeNs t, User& u) {
    const int thread = 1 + static_cast<int>(rng.Below(10));
    t += Work(pods[self.pod], 2.5, tr);
    double amount = 4.99;
    for (int i : u.cart) amount += kSocks[i].price;
    struct Step {
      const char* route;
      std::string path;
    };
    // The three user lookups run in parallel (AsyncGetService): the slowest one decides.
    TimeNs joined = t;
    Reply failed;
    failed.status = 200;
    const Step lookups[] = {{"/addresses/{id}", fmt::format("/addresses/{}", u.id)},
                            {"/cards/{id}", fmt::format("/cards/{}", u.id)},
                            {"/customers/{id}", fmt::format("/customers/{}", u.id)}};
    for (const auto& s : lookups) {
      std::string_view coll =
          std::string_view(s.route).substr(1, std::string_view(s.route).find('/', 1) - 1);
      Reply r = Http(tr, self, kUser, "GET", s.route, s.path, t, 300, 500, [&](Hop h, TimeNs at) {
        return UserHandler(tr, h, at, "Get", u, false, coll);
      });
      joined = std::max(joined, r.end);
      if (!r.ok() && failed.ok()) failed = r, failed.error = fmt::format("{} {}", r.status, s.path);
    }
    t = joined;
    std::string cart_path = fmt::format("/carts/{}/items", u.id);
    if (failed.ok()) {
      Reply c = Http(tr, self, kCarts, "GET", "/carts/{customerId}/items", cart_path, t, 300, 600,
                     [&](Hop h, TimeNs at) {
                       return CartsHandler(tr, h, at, "GET", "/carts/{customerId}/items", u, 0);
                     });
      t = c.end;
      if (!c.ok()) failed = c, failed.error = fmt::format("{} {}", c.status, cart_path);
    }
    bool declined = false;
    if (failed.ok()) {
      Reply pay = Http(tr, self, kPayment, "POST", "/paymentAuth", "/paymentAuth", t, 400, 120,
                       [&](Hop h, TimeNs at) { return PaymentHandler(tr, h, at, amount); });
      t = pay.end;
      if (!pay.ok())
        failed = pay, failed.error = fmt::format("{} /paymentAuth", pay.status);
      else if (pay.error == "declined")
        declined = true;
    }
    std::string order_id = ObjectId(t);
    if (failed.ok() && !declined) {
      Reply ship = Http(tr, self, kShipping, "POST", "/shipping", "/shipping", t, 500, 300,
                        [&](Hop h, TimeNs at) { return ShippingHandler(tr, h, at, order_id); });
      t = ship.end;
      if (!ship.ok()) failed = ship, failed.error = fmt::format("{} /shipping", ship.status);
    }
    if (failed.ok() && !declined) {
      Reply save = Db(tr, self, kOrdersDb, "insert", "customerOrder", "", t, 1.2, 100, true);
      t = save.end;
      if (!save.ok()) failed = save, failed.error = "orders-db " + save.error;
    }
    Pod& p = pods[self.pod];
    t += Work(p, 0.8, tr);
    Reply r;
    r.end = t;
    if (!failed.ok()) {
      const bool timeout = failed.timeout;
      std::string cause =
          timeout ? fmt::format(
                        "org.springframework.web.client.ResourceAccessException: I/O "
                        "error on request for \"http:/{}\": Read timed out; nested "
                        "exception is java.net.SocketTimeoutException: Read timed out",
                        failed.error.substr(failed.error.find(' ') + 1))
                  : fmt::format("org.springframework.web.client.HttpServerErrorException: {} {}",
                                failed.status,
                                failed.status == 503   ? "Service Unavailable"
                                : failed.status == 504 ? "Gateway Timeout"
                                                       : "Internal Server Error");
      SpringLog(p, t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                fmt::format("Servlet.service() for servlet [dispatcherServlet] in context with "
                            "path [] threw exception [Request processing failed; nested "
                            "exception is java.util.concurrent.ExecutionException: {}] with root "
                            "cause",
                            cause),
                &tr, self.span, thread);
      JavaStack(p, t, cause,
                {"org.springframework.web.client.DefaultResponseErrorHandler.handleError("
                 "DefaultResponseErrorHandler.java:94)",
                 "org.springframework.web.client.RestTemplate.handleResponse(RestTemplate.java:"
                 "700)",
                 "works.weave.socks.orders.services.AsyncGetService.getResource("
                 "AsyncGetService.java:55)",
                 "works.weave.socks.orders.controllers.OrdersController.newOrder("
                 "OrdersController.java:87)"});
      r.status = 500;
      r.error = cause.substr(0, cause.find(':'));
      return r;
    }
    if (declined) {
      SpringLog(p, t, "WARN", "w.s.o.controllers.OrdersController",
                fmt::format("Payment declined for order of {:.2f}: PaymentDeclinedException: "
                            "Payment declined: amount exceeds 1000.00",
                            amount),
                &tr, self.span, thread);
      r.status = 406;
      r.error = "Payment declined";
      return r;
    }
    SpringLog(p, t, "INFO", "w.s.o.controllers.OrdersController",
              fmt::format("Order created: CustomerOrder{{id='{}', customerId='{}', items={}, "
                          "total={:.2f}}}",
                          order_id, u.id, u.cart.size(), amount),
              &tr, self.span, thread);
    r.status = 201;
    return r;
  }

  // ---------------------------------------------------------------- the workflow

  enum class Action {
    kIndex,
    kCatalogue,
    kItem,
    kTags,
    kRegister,
    kLogin,
    kAddToCart,
    kRemoveFromCart,
    kViewCart,
    kAddAddress,
    kAddCard,
    kCheckout,
    kOrders
  };

  Action NextAction(User& u) {
    if (!u.registered) return Action::kRegister;
    if (!u.logged_in) return Action::kLogin;
    if (u.steps >= u.target_steps && !u.cart.empty()) {
      if (!u.has_address) return Action::kAddAddress;
      if (!u.has_card) return Action::kAddCard;
      return Action::kCheckout;
    }
    const double kWeights[] = {cfg.mix.index,     cfg.mix.catalogue,   cfg.mix.item,
                               cfg.mix.tags,      cfg.mix.add_to_cart, cfg.mix.remove_from_cart,
                               cfg.mix.view_cart, cfg.mix.address,     cfg.mix.card,
                               cfg.mix.orders};
    static constexpr Action kActions[] = {
        Action::kIndex,     Action::kCatalogue,      Action::kItem,     Action::kTags,
        Action::kAddToCart, Action::kRemoveFromCart, Action::kViewCart, Action::kAddAddress,
        Action::kAddCard,   Action::kOrders};
    Action a = kActions[rng.Weighted(kWeights)];
    if (a == Action::kRemoveFromCart && u.cart.empty()) a = Action::kAddToCart;
    return a;
  }

  // The front-end's own answer to a failed backend: express's error handler.
  void FrontEndError(Pod& p, TimeNs t, const Reply& r, std::string_view what) {
    if (r.timeout) {
      Log(p, t, Severity::kError, "", fmt::format("Error: ESOCKETTIMEDOUT ({})", what));
      Log(p, t, Severity::kUnspecified, "",
          "    at ClientRequest.<anonymous> (/usr/src/app/node_modules/request/request.js:816:19)");
    } else {
      Log(p, t, Severity::kError, "", fmt::format("Error: {} {}: {}", r.status, what, r.error));
      Log(p, t, Severity::kUnspecified, "",
          "    at Request._callback (/usr/src/app/api/helpers.js:63:23)");
      Log(p, t, Severity::kUnspecified, "",
          "    at Request.self.callback (/usr/src/app/node_modules/request/request.js:186:22)");
    }
  }

  Reply FrontEnd(Trace& tr, Hop self, TimeNs t, User& u, Action a, const std::string& url,
                 std::string_view method) {
    const TimeNs t0 = t;
    t += Work(pods[self.pod], 0.4, tr);
    // express-session reads the session from Redis on every request.
    Reply sess = Db(tr, self, kSessionDb, "GET", "session", "", t, 0.15, 300, false);
    t = sess.end;
    Reply r;
    auto fail = [&](const Reply& b, std::string_view what) {
      FrontEndError(pods[self.pod], b.end, b, what);
      r.status = b.status >= 500 || b.status == 0 ? 500 : b.status;
      r.error = b.error;
    };
    if (!sess.ok()) {
      Pod& p = pods[self.pod];
      Log(p, sess.end, Severity::kError, "",
          sess.timeout ? "Error: Redis connection to session-db:6379 failed - connect ETIMEDOUT "
                         "10.96.0.31:6379"
                       : "Error: Redis connection to session-db:6379 failed - connect "
                         "ECONNREFUSED 10.96.0.31:6379");
      Log(p, sess.end, Severity::kUnspecified, "",
          "    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1107:14)");
      r.status = 500;
      r.error = "session store unavailable";
    } else {
      const int item = static_cast<int>(rng.Below(kNumSocks));
      switch (a) {
        case Action::kIndex:
          t += Work(pods[self.pod], 0.8, tr);
          break;
        case Action::kCatalogue:
        case Action::kItem:
        case Action::kTags: {
          const int size = a == Action::kCatalogue ? 6 : 0;
          std::string_view m = a == Action::kCatalogue ? "List"
                               : a == Action::kItem    ? "Get"
                                                       : "Tags";
          std::string_view route = a == Action::kCatalogue ? "/catalogue"
                                   : a == Action::kItem    ? "/catalogue/{id}"
                                                           : "/tags";
          std::string path = a == Action::kCatalogue ? "/catalogue?page=1&size=6&tags="
                             : a == Action::kItem    ? fmt::format("/catalogue/{}", kSocks[item].id)
                                                     : std::string("/tags");
          Reply c = Http(tr, self, kCatalogue, "GET", route, path, t, 250,
                         a == Action::kCatalogue ? 2600 : 500, [&](Hop h, TimeNs at) {
                           return CatalogueHandler(tr, h, at, m, item, size);
                         });
          t = c.end;
          if (!c.ok()) fail(c, path);
          break;
        }
        case Action::kRegister:
        case Action::kLogin: {
          const bool reg = a == Action::kRegister;
          Reply c =
              Http(tr, self, kUser, reg ? "POST" : "GET", reg ? "/register" : "/login",
                   reg ? "/register" : "/login", t, 400, 300, [&](Hop h, TimeNs at) {
                     return UserHandler(tr, h, at, reg ? "Register" : "Login", u, reg, "customers");
                   });
          t = c.end;
          if (!c.ok()) {
            fail(c, reg ? "/register" : "/login");
            if (!reg) Log(pods[self.pod], t, Severity::kError, "", "Error with log in: ");
            break;
          }
          if (reg) {
            u.registered = true;
            Log(pods[self.pod], t, Severity::kInfo, "", fmt::format("User registered: {}", u.id));
          }
          u.logged_in = true;
          Reply w = Db(tr, self, kSessionDb, "SET", "session", "", t, 0.15, 40, true);
          t = w.end;
          // After a login the front-end merges the anonymous cart into the customer's.
          std::string merge = fmt::format("/carts/{}/merge?sessionId={}", u.id, u.session);
          Reply m = Http(tr, self, kCarts, "GET", "/carts/{customerId}/merge", merge, t, 250, 60,
                         [&](Hop h, TimeNs at) {
                           return CartsHandler(tr, h, at, "GET", "/carts/{customerId}/merge", u, 0);
                         });
          t = m.end;
          if (!m.ok())
            fail(m, merge);
          else if (!reg)
            Log(pods[self.pod], t, Severity::kInfo, "", fmt::format("Customer ID: {}", u.id));
          break;
        }
        case Action::kAddToCart: {
          std::string ip = fmt::format("/catalogue/{}", kSocks[item].id);
          Reply c =
              Http(tr, self, kCatalogue, "GET", "/catalogue/{id}", ip, t, 250, 500,
                   [&](Hop h, TimeNs at) { return CatalogueHandler(tr, h, at, "Get", item, 0); });
          t = c.end;
          if (!c.ok()) {
            fail(c, ip);
            break;
          }
          std::string path = fmt::format("/carts/{}/items", u.id);
          Log(pods[self.pod], t, Severity::kInfo, "",
              fmt::format("Attempting to add to cart: {{\"id\":\"{}\"}}", kSocks[item].id));
          Reply cart =
              Http(tr, self, kCarts, "POST", "/carts/{customerId}/items", path, t, 350, 200,
                   [&](Hop h, TimeNs at) {
                     return CartsHandler(tr, h, at, "POST", "/carts/{customerId}/items", u, item);
                   });
          t = cart.end;
          if (!cart.ok())
            fail(cart, path);
          else if (u.cart.size() < 6)
            u.cart.push_back(item);
          break;
        }
        case Action::kRemoveFromCart: {
          const int it = u.cart.empty() ? item : u.cart.back();
          std::string path = fmt::format("/carts/{}/items/{}", u.id, kSocks[it].id);
          Log(pods[self.pod], t, Severity::kInfo, "",
              fmt::format("Delete item from cart: {}", kSocks[it].id));
          Reply cart = Http(tr, self, kCarts, "DELETE", "/carts/{customerId}/items/{itemId}", path,
                            t, 200, 60, [&](Hop h, TimeNs at) {
                              return CartsHandler(tr, h, at, "DELETE",
                                                  "/carts/{customerId}/items/{itemId}", u, it);
                            });
          t = cart.end;
          if (!cart.ok())
            fail(cart, path);
          else if (!u.cart.empty())
            u.cart.pop_back();
          break;
        }
        case Action::kViewCart: {
          std::string path = fmt::format("/carts/{}/items", u.id);
          Reply cart =
              Http(tr, self, kCarts, "GET", "/carts/{customerId}/items", path, t, 200, 600,
                   [&](Hop h, TimeNs at) {
                     return CartsHandler(tr, h, at, "GET", "/carts/{customerId}/items", u, 0);
                   });
          t = cart.end;
          if (!cart.ok()) fail(cart, path);
          break;
        }
        case Action::kAddAddress:
        case Action::kAddCard: {
          const bool addr = a == Action::kAddAddress;
          std::string_view route = addr ? "/addresses" : "/cards";
          Reply c = Http(tr, self, kUser, "POST", route, std::string(route), t, 400, 100,
                         [&](Hop h, TimeNs at) {
                           return UserHandler(tr, h, at, addr ? "PostAddress" : "PostCard", u, true,
                                              addr ? "addresses" : "cards");
                         });
          t = c.end;
          if (!c.ok())
            fail(c, route);
          else
            (addr ? u.has_address : u.has_card) = true;
          break;
        }
        case Action::kCheckout: {
          // The Locust round ends here whether the order goes through or not: half the users log
          // out, a few leave for good (a failed order leaves the cart as it was).
          u.steps = -1;
          u.target_steps = rng.Int(4, 12);
          auto end_round = [&] {
            if (rng.Chance(0.15))
              u = NewUser(rng);
            else if (rng.Chance(0.5))
              u.logged_in = false;
          };
          std::string cpath = fmt::format("/customers/{}", u.id);
          Reply c = Http(tr, self, kUser, "GET", "/customers/{id}", cpath, t, 250, 500,
                         [&](Hop h, TimeNs at) {
                           return UserHandler(tr, h, at, "GetCustomer", u, false, "customers");
                         });
          t = c.end;
          if (!c.ok()) {
            fail(c, cpath);
            end_round();
            break;
          }
          Reply o = Http(tr, self, kOrders, "POST", "/orders", "/orders", t, 600, 700,
                         [&](Hop h, TimeNs at) { return OrdersHandler(tr, h, at, u); });
          t = o.end;
          if (!o.ok()) {
            fail(o, "/orders");
            if (o.status == 406)
              Log(pods[self.pod], t, Severity::kWarn, "", "Order response: 406 - Payment declined");
            end_round();
            break;
          }
          Log(pods[self.pod], t, Severity::kInfo, "", "Order response: 201");
          std::string dpath = fmt::format("/carts/{}", u.id);
          Reply d = Http(tr, self, kCarts, "DELETE", "/carts/{customerId}", dpath, t, 200, 40,
                         [&](Hop h, TimeNs at) {
                           return CartsHandler(tr, h, at, "DELETE", "/carts/{customerId}", u, 0);
                         });
          t = d.end;
          u.cart.clear();
          end_round();
          break;
        }
        case Action::kOrders: {
          std::string path = fmt::format("/orders/search/customerId?sort=date&custId={}", u.id);
          Reply o = Http(tr, self, kOrders, "GET", "/orders/search/customerId", path, t, 250, 900,
                         [&](Hop h, TimeNs at) {
                           TimeNs x = at + Work(pods[h.pod], 1.5, tr);
                           Reply db = Db(tr, h, kOrdersDb, "find", "customerOrder", "", x, 1.0, 800,
                                         false);
                           Reply rr;
                           rr.end = db.end + Work(pods[h.pod], 0.8, tr);
                           if (!db.ok()) rr.status = 500, rr.error = db.error;
                           return rr;
                         });
          t = o.end;
          if (!o.ok()) fail(o, path);
          break;
        }
      }
    }
    ++u.steps;
    t += Work(pods[self.pod], 0.3, tr);
    // morgan "dev": method url status response-time ms - content-length
    Log(pods[self.pod], t, r.status >= 500 ? Severity::kError : Severity::kInfo, "",
        fmt::format("{} {} {} {:.3f} ms - {}", method, url, r.status, (t - t0) / 1e6,
                    r.status >= 400 ? 21 : 200 + rng.Below(3000)));
    r.end = t;
    return r;
  }

  struct ActionInfo {
    const char* method;
    const char* route;
  };
  static ActionInfo Describe(Action a) {
    switch (a) {
      case Action::kIndex:
        return {"GET", "/"};
      case Action::kCatalogue:
        return {"GET", "/catalogue"};
      case Action::kItem:
        return {"GET", "/catalogue/{id}"};
      case Action::kTags:
        return {"GET", "/tags"};
      case Action::kRegister:
        return {"POST", "/register"};
      case Action::kLogin:
        return {"GET", "/login"};
      case Action::kAddToCart:
        return {"POST", "/cart"};
      case Action::kRemoveFromCart:
        return {"DELETE", "/cart/{id}"};
      case Action::kViewCart:
        return {"GET", "/cart"};
      case Action::kAddAddress:
        return {"POST", "/addresses"};
      case Action::kAddCard:
        return {"POST", "/cards"};
      case Action::kCheckout:
        return {"POST", "/orders"};
      case Action::kOrders:
        return {"GET", "/orders"};
    }
    return {"GET", "/"};
  }

  void Request(TimeNs t) {
    User& u = users[rng.Below(users.size())];
    const Action a = NextAction(u);
    ActionInfo info = Describe(a);
    std::string url = info.route;
    if (a == Action::kCatalogue) url = "/catalogue?page=1&size=6&tags=";
    if (a == Action::kItem) url = fmt::format("/catalogue/{}", kSocks[rng.Below(kNumSocks)].id);
    if (a == Action::kRemoveFromCart) url = "/cart/" + std::string(kSocks[0].id);
    Trace tr;
    tr.id = NewTraceId();
    tr.start = t;
    const size_t first_log = pending_logs.size();
    Reply root;
    if (cfg.ingress_spans && !comp_pods[kIngress].empty()) {
      Pod& gw = pods[comp_pods[kIngress][0]];
      Span span = MakeSpan(tr, NewSpanId(), SpanId{}, gw,
                           "front-end.sock-shop.svc.cluster.local:80/*", SpanKind::kServer, t);
      span.http_method = info.method;
      span.http_url = "http://sock-shop.example" + url;
      span.attributes.push_back(
          {"upstream_cluster", "outbound|80||front-end.sock-shop.svc.cluster.local"});
      Hop hop{comp_pods[kIngress][0], span.span_id};
      const TimeNs in = t + Ms(rng.LogNormal(0.3, 0.3));
      root = Http(tr, hop, kFrontEnd, info.method, info.route, url, in, 600, 2500,
                  [&](Hop h, TimeNs at) { return FrontEnd(tr, h, at, u, a, url, info.method); });
      root.end += Ms(rng.LogNormal(0.2, 0.3));
      Served(pods[comp_pods[kIngress][0]], t, root.end, root.status, 600, 2500);
      Finish(span, root.end, root.status, root.error);
    } else {
      // No gateway: the front-end span is the root.
      int pi = PickPod(kFrontEnd);
      if (pi < 0) {
        root.status = 503;
        root.end = t;
      } else {
        Pod& fe = pods[pi];
        Span span = MakeSpan(tr, NewSpanId(), SpanId{}, fe,
                             fmt::format("{} {}", info.method, info.route), SpanKind::kServer, t);
        span.http_method = info.method;
        span.http_route = info.route;
        span.http_url = url;
        if (!fe.running) {
          root.status = 503;
          root.end = t + Ms(1);
        } else {
          call_stack.push_back(pi);
          root = FrontEnd(tr, Hop{pi, span.span_id}, t, u, a, url, info.method);
          call_stack.pop_back();
          Served(pods[pi], t, root.end, root.status, 600, 2500);
          Finish(span, root.end, root.status, root.error);
        }
      }
    }
    ++stats.traces;
    const bool failed = root.status >= 400;
    if (failed) ++stats.error_traces;
    for (size_t i = 0; i < faults.size(); ++i) {
      auto& f = faults[i];
      auto& label = labels[f.label];
      if (t >= f.start && t < f.end + f.lag) ++label.traces_in_window;
      if (tr.mask >> i & 1) {
        ++label.affected_traces;
        if (failed) ++label.affected_error_traces;
      }
    }
    MarkAffected(std::max(first_log, tr.touched_log), tr.mask, &tr.touched_pods);
  }

  // ---------------------------------------------------------------- lifecycle and chatter

  void StartupLogs(Pod& p, TimeNs t, TimeNs up) {
    const auto& d = kDefs[p.comp];
    const double took = (up - t) / 1e9;
    switch (d.stack) {
      case Stack::kSpring:
        SpringLog(p, t + Ms(400), "INFO", fmt::format("w.s.{}", d.app_class),
                  fmt::format("Starting {} v{} on {} with PID 1 (/usr/src/app/app.jar started by "
                              "root in /usr/src/app)",
                              d.app_class, p.version, p.name));
        SpringLog(p, t + Ms(450), "INFO", fmt::format("w.s.{}", d.app_class),
                  "No active profile set, falling back to default profiles: default");
        SpringLog(p, t + (up - t) / 2, "INFO", "s.b.c.e.t.TomcatEmbeddedServletContainer",
                  "Tomcat initialized with port(s): 80 (http)");
        SpringLog(p, up - Ms(300), "INFO", "s.b.c.e.t.TomcatEmbeddedServletContainer",
                  "Tomcat started on port(s): 80 (http)");
        SpringLog(p, up, "INFO", fmt::format("w.s.{}", d.app_class),
                  fmt::format("Started {} in {:.3f} seconds (JVM running for {:.3f})", d.app_class,
                              took, took + 1.7));
        break;
      case Stack::kGoKit:
        GoLog(p, up - Ms(5), "main.go:92", "transport=HTTP port=80", false);
        break;
      case Stack::kExpress:
        Log(p, up, Severity::kInfo, "", "App now running in production mode on port 8079");
        break;
      case Stack::kMongo:
        MongoLog(p, t + Ms(50), 'I', "CONTROL", "initandlisten",
                 fmt::format("MongoDB starting : pid=1 port=27017 dbpath=/data/db 64-bit host={}",
                             p.name));
        MongoLog(p, up, 'I', "NETWORK", "thread1", "waiting for connections on port 27017");
        break;
      case Stack::kMySql:
        Log(p, up, Severity::kInfo, "Note",
            logstyle::MySql(
                up, 0, "Note",
                "mysqld: ready for connections.\nVersion: '5.7.26'  socket: "
                "'/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server (GPL)"));
        break;
      case Stack::kRabbit:
        Log(p, up, Severity::kInfo, "info",
            logstyle::Rabbit(up, "info", 251, "Server startup complete; 0 plugins started."));
        break;
      case Stack::kRedis:
        Log(p, up, Severity::kInfo, "*",
            logstyle::Redis(up, 1, 'M', '*', "Ready to accept connections"));
        break;
      case Stack::kEnvoy:
        break;
    }
  }

  void Restart(Pod& p, TimeNs t) {
    ++p.restarts;
    p.running = false;
    p.running_at = t + Sec(kDefs[p.comp].startup_s * rng.Uniform(0.85, 1.2));
    p.heap_mb = kDefs[p.comp].stack == Stack::kSpring ? 50 : 0;
    p.stress_mb = 0;
    StartupLogs(p, t, p.running_at);
  }

  void ShutdownLogs(Pod& p, TimeNs t) {
    if (kDefs[p.comp].stack == Stack::kSpring) {
      SpringLog(p, t, "INFO", "ationConfigEmbeddedWebApplicationContext",
                "Closing org.springframework.boot.context.embedded."
                "AnnotationConfigEmbeddedWebApplicationContext: startup date; root of context "
                "hierarchy");
      SpringLog(p, t + Ms(20), "INFO", "o.s.j.e.a.AnnotationMBeanExporter",
                "Unregistering JMX-exposed beans on shutdown");
    }
  }

  // Rolls `d` out: new pods start, old ones retire once the new ones serve.
  void Rollout(PendingDeploy& d, TimeNs t) {
    const int comp = CompIndex(d.event.service);
    Rng& r = rng;
    const std::string rs = RandomName(r, 10);
    DeployLabel label;
    label.service = d.event.service;
    label.from_version = comp_pods[comp].empty() ? "" : pods[comp_pods[comp][0]].version;
    label.to_version = d.event.version;
    label.time = t;
    label.bad = d.bad;
    std::vector<int> old = comp_pods[comp];
    std::vector<int> fresh;
    TimeNs last_up = t;
    for (size_t i = 0; i < std::max<size_t>(1, old.size()); ++i) {
      const int pi = AddPod(comp, rs, d.event.version, r);
      Pod& p = pods[pi];
      p.regression = d.bad;
      p.running = false;
      p.ready = false;
      p.ready_target = false;
      p.running_at = t + Sec(kDefs[comp].startup_s * r.Uniform(0.9, 1.2));
      StartupLogs(p, t, p.running_at);
      last_up = std::max(last_up, p.running_at);
      fresh.push_back(pi);
      label.new_pods.push_back(p.name);
    }
    for (int pi : old) pods[pi].retire_at = last_up + Sec(12);
    for (int pi : fresh) comp_pods[comp].push_back(pi);
    if (d.fault >= 0) {
      auto& f = faults[d.fault];
      if (d.bad) {
        f.pods = fresh;
        for (int pi : fresh) labels[f.label].target_pods.push_back(pods[pi].name);
        // The label names the bad pods only.
        auto& tp = labels[f.label].target_pods;
        tp.erase(tp.begin(), tp.end() - static_cast<long>(fresh.size()));
      }
    }
    deploy_labels.push_back(std::move(label));
  }

  void ApplyFaults(TimeNs t) {
    for (auto& p : pods) {
      p.fx = Effects{};
    }
    for (auto& row : partition) std::fill(std::begin(row), std::end(row), 0.0);
    for (auto& row : partition_mask) std::fill(std::begin(row), std::end(row), 0);
    for (size_t i = 0; i < faults.size(); ++i) {
      RuntimeFault& f = faults[i];
      const uint64_t bit = uint64_t{1} << i;
      const FaultSpec& s = f.spec;
      if (s.type == FaultType::kPodFailure) {
        if (!f.begun && t >= f.start) {
          f.begun = true;
          for (int pi : f.pods) {
            Pod& p = pods[pi];
            p.failed = true;
            p.running = false;
            p.running_at = kNever;
            p.down_mask |= bit;
          }
        }
        if (f.begun && !f.finished && t >= f.end) {
          f.finished = true;
          for (int pi : f.pods) {
            Pod& p = pods[pi];
            p.failed = false;
            Restart(p, t);
          }
        }
        continue;
      }
      const double k = f.Intensity(t);
      if (k <= 0) continue;
      if (s.type == FaultType::kNetworkPartition) {
        partition[f.comp][f.peer] = partition[f.peer][f.comp] = k;
        partition_mask[f.comp][f.peer] |= bit;
        partition_mask[f.peer][f.comp] |= bit;
        continue;
      }
      if (s.type == FaultType::kBadDeploy) {
        for (int pi : f.pods) pods[pi].fx.mask |= bit;
        continue;
      }
      for (int pi : f.pods) {
        Effects& fx = pods[pi].fx;
        fx.mask |= bit;
        switch (s.type) {
          case FaultType::kIoFailure:
            fx.io_error = std::max(fx.io_error, k * s.value / 100);
            break;
          case FaultType::kBandwidthLimit:
            fx.bandwidth_kbps = k >= 1 ? s.value : s.value / std::max(k, 0.05);
            break;
          case FaultType::kHttpAbort:
            fx.abort_get = true;
            fx.abort_path = s.path;
            break;
          case FaultType::kMemoryStress:
            fx.mem_stress_mb = k * s.value * std::max(1, s.workers);
            fx.cpu_load = std::max(fx.cpu_load, 0.25 * k);
            break;
          case FaultType::kNetworkDelay:
            fx.delay_ms += k * s.value;
            break;
          case FaultType::kCpuStress:
            fx.cpu_load = std::max(fx.cpu_load, k * s.value / 100 * std::min(1.0, s.workers / 2.0));
            break;
          case FaultType::kPacketLoss:
            fx.loss = std::max(fx.loss, k * s.value / 100);
            break;
          case FaultType::kCodeException:
            fx.exception_p = s.probability;
            fx.exception_method = s.method;
            fx.exception_route = s.path;
            break;
          case FaultType::kWrongReturn:
            fx.wrong_p = s.probability;
            break;
          default:
            break;
        }
      }
    }
  }

  void Lifecycle(TimeNs t) {
    for (auto& d : deploys) {
      if (d.done || t < d.at) continue;
      d.done = true;
      Rollout(d, t);
    }
    for (size_t c = 0; c < comp_pods.size(); ++c) {
      auto& list = comp_pods[c];
      for (int pi : list) {
        Pod& p = pods[pi];
        if (p.retire_at <= t) {
          ShutdownLogs(p, t);
          p.active = false;
        }
      }
      std::erase_if(list, [&](int pi) { return !pods[pi].active; });
    }
    for (int c = 0; c < kNumComp; ++c) {
      for (int pi : comp_pods[c]) {
        Pod& p = pods[pi];
        if (!p.running && !p.failed && p.running_at <= t) {
          p.running = true;
          p.down_mask = 0;
        }
        // Memory stress: stressors fill the container up to its limit; now and then the
        // kernel's OOM killer takes the JVM instead of a stressor.
        const double limit = kDefs[c].mem_limit;
        if (p.fx.mem_stress_mb > 0) {
          p.stress_mb =
              std::min(p.stress_mb + p.fx.mem_stress_mb / 8, limit * 0.97 - p.mem_mb * 0.2);
          if (p.running && rng.Chance(0.0035)) {
            Log(p, t, Severity::kError, "",
                "Killed process 1 (java) total-vm:4162716kB, anon-rss:498120kB, file-rss:0kB");
            p.down_mask |= p.fx.mask;
            Restart(p, t);
            // The fault is not over while a pod it killed is still starting: its requests fail
            // (touched by `down_mask`) until then, and the label must say so.
            for (size_t i = 0; i < faults.size(); ++i)
              if (p.fx.mask >> i & 1) {
                TimeNs& recovered = labels[faults[i].label].recovered;
                recovered = std::max(recovered, p.running_at);
              }
          }
        } else if (p.stress_mb > 0) {
          p.stress_mb = std::max(0.0, p.stress_mb - limit / 10);
        }
        if (p.regression) p.leak_mb = std::min(limit * 0.5, p.leak_mb + 0.35);
        // Readiness probes: failing while down or while GETs are aborted.
        const bool healthy = p.running && !p.fx.abort_get;
        if (healthy != p.ready_target) {
          p.ready_target = healthy;
          const double delay = healthy          ? rng.Uniform(1, 10)
                               : p.fx.abort_get ? rng.Uniform(20, 30)
                                                : rng.Uniform(2, 10);
          p.ready_change_at = t + Sec(delay);
        }
        if (p.ready != p.ready_target && t >= p.ready_change_at) p.ready = p.ready_target;
      }
    }
  }

  void Chatter(TimeNs t) {
    Rng& r = chatter_rng;
    for (int c = 0; c < kNumComp; ++c) {
      for (int pi : comp_pods[c]) {
        Pod& p = pods[pi];
        if (!p.running) continue;
        const auto& d = kDefs[c];
        // Health checks (kubelet probes hit the Go kit services' /health every 10 s).
        if (t >= p.next_health) {
          p.next_health = t + Sec(10);
          const TimeNs at = t + Ms(r.Uniform(0, 999));
          if (d.stack == Stack::kGoKit)
            GoLog(p, at, "logging.go:" + std::to_string(c == kPayment ? 49 : 89),
                  fmt::format("method=Health result={} took={:.3f}µs", c == kUser ? 2 : 1,
                              r.LogNormal(4, 0.3)),
                  false);
        }
        if (t < p.next_chatter) continue;
        const TimeNs at = t + Ms(r.Uniform(0, 999));
        switch (d.stack) {
          case Stack::kMongo: {
            const int serial = p.conn_serial++;
            if (r.Chance(0.5)) {
              ++p.open_conns;
              MongoLog(p, at, 'I', "NETWORK", "thread1",
                       fmt::format("connection accepted from 10.244.{}.{}:{} #{} ({} connections "
                                   "now open)",
                                   1 + r.Below(3), 2 + r.Below(250), 32768 + r.Below(28000), serial,
                                   p.open_conns));
            } else {
              p.open_conns = std::max(2, p.open_conns - 1);
              MongoLog(p, at, 'I', "NETWORK", fmt::format("conn{}", serial - 3),
                       fmt::format("end connection 10.244.{}.{}:{} ({} connections now open)",
                                   1 + r.Below(3), 2 + r.Below(250), 32768 + r.Below(28000),
                                   p.open_conns));
            }
            p.next_chatter = t + Sec(r.Exponential(40));
            break;
          }
          case Stack::kMySql:
            Log(p, at, Severity::kInfo, "Note",
                logstyle::MySql(at, 10 + static_cast<int>(r.Below(500)), "Note",
                                fmt::format("Aborted connection {} to db: 'socksdb' user: "
                                            "'catalogue_user' host: '10.244.{}.{}' (Got timeout "
                                            "reading communication packets)",
                                            p.conn_serial++, 1 + r.Below(3), 2 + r.Below(250))));
            p.next_chatter = t + Sec(r.Exponential(240));
            break;
          case Stack::kRedis:
            // save 300 10: a snapshot every five minutes when sessions changed.
            if (p.redis_changes >= 10) {
              const int child = 20 + static_cast<int>(r.Below(3000));
              Log(p, at, Severity::kInfo, "*",
                  logstyle::Redis(
                      at, 1, 'M', '*',
                      fmt::format("{} changes in 300 seconds. Saving...", p.redis_changes)));
              Log(p, at + Ms(1), Severity::kInfo, "*",
                  logstyle::Redis(at + Ms(1), 1, 'M', '*',
                                  fmt::format("Background saving started by pid {}", child)));
              Log(p, at + Ms(30), Severity::kInfo, "*",
                  logstyle::Redis(at + Ms(30), child, 'C', '*', "DB saved on disk"));
              Log(p, at + Ms(31), Severity::kInfo, "*",
                  logstyle::Redis(at + Ms(31), child, 'C', '*',
                                  "RDB: 0 MB of memory used by copy-on-write"));
              Log(p, at + Ms(120), Severity::kInfo, "*",
                  logstyle::Redis(at + Ms(120), 1, 'M', '*',
                                  "Background saving terminated with success"));
              p.redis_changes = 0;
            }
            p.next_chatter = t + Sec(300);
            break;
          case Stack::kRabbit: {
            const int pid = 600 + static_cast<int>(r.Below(9000));
            Log(p, at, Severity::kInfo, "info",
                logstyle::Rabbit(at, "info", pid,
                                 fmt::format("accepting AMQP connection <0.{}.0> (10.244.{}.{}:{} "
                                             "-> {}:5672)",
                                             pid, 1 + r.Below(3), 2 + r.Below(250),
                                             32768 + r.Below(28000), p.ip)));
            Log(p, at + Ms(3), Severity::kInfo, "info",
                logstyle::Rabbit(at + Ms(3), "info", pid,
                                 fmt::format("connection <0.{}.0> (10.244.1.7:44321 -> {}:5672): "
                                             "user 'guest' authenticated and granted access to "
                                             "vhost '/'",
                                             pid, p.ip)));
            p.next_chatter = t + Sec(r.Exponential(180));
            break;
          }
          case Stack::kSpring:
            if (c == kCarts || c == kOrders) {
              // The MongoDB driver's pool opens a connection now and then.
              SpringLog(p, at, "INFO", "org.mongodb.driver.connection",
                        fmt::format("Opened connection [connectionId{{localValue:{}, "
                                    "serverValue:{}}}] to {}-db:27017",
                                    p.conn_serial++, 100 + r.Below(900), d.name));
              p.next_chatter = t + Sec(r.Exponential(120));
            } else {
              // Spring AMQP's cached connection is replaced now and then.
              SpringLog(
                  p, at, "INFO", "o.s.a.r.c.CachingConnectionFactory",
                  fmt::format("Created new connection: rabbitConnectionFactory#{:x}:{}/"
                              "SimpleConnection@{:x} [delegate=amqp://guest@10.96.0.40:5672/, "
                              "localPort= {}]",
                              0x1a3869f4, p.conn_serial++ - 99, 0x5f2f577 + r.Below(0xfffff),
                              32768 + r.Below(28000)));
              p.next_chatter = t + Sec(r.Exponential(600));
            }
            break;
          case Stack::kExpress:
            Log(p, at, Severity::kInfo, "", "GET /health 200 0.412 ms - 17");
            p.next_chatter = t + Sec(r.Exponential(30));
            break;
          default:
            p.next_chatter = kNever;
        }
      }
    }
    // Fault-specific lines that belong to no request: AMQP consumers that lost the broker. The
    // fault wrote them, so they are its affected lines too (affected_logs.json).
    for (size_t i = 0; i < faults.size(); ++i) {
      RuntimeFault& f = faults[i];
      if (f.spec.type != FaultType::kNetworkPartition) continue;
      const bool amqp = (f.comp == kRabbitMq && f.peer == kQueueMaster) ||
                        (f.comp == kQueueMaster && f.peer == kRabbitMq);
      if (!amqp) continue;
      const size_t first = pending_logs.size();
      const bool active = partition[kRabbitMq][kQueueMaster] > 0;
      for (int pi : comp_pods[kQueueMaster]) {
        Pod& p = pods[pi];
        if (!p.running) continue;
        if (active && t - p.last_amqp_warn >= Sec(5)) {
          p.last_amqp_warn = t;
          SpringLog(
              p, t + Ms(r.Uniform(0, 900)), "WARN", "o.s.a.r.l.SimpleMessageListenerContainer",
              "Consumer raised exception, processing can resume if the connection factory "
              "supports it. Exception summary: org.springframework.amqp.AmqpConnectException: "
              "java.net.ConnectException: Connection timed out (Connection timed out)");
          SpringLog(p, t + Ms(r.Uniform(900, 999)), "INFO",
                    "o.s.a.r.l.SimpleMessageListenerContainer",
                    "Restarting Consumer@4b5a5ed1: tags=[{}], channel=null, acknowledgeMode=AUTO "
                    "local queue size=0");
        }
      }
      // The broker notices after its 60 s heartbeat timeout, once.
      if (t >= f.start + Sec(60) && t < f.start + Sec(61) && f.end > f.start + Sec(60)) {
        for (int pi : comp_pods[kRabbitMq]) {
          Pod& p = pods[pi];
          Log(p, t, Severity::kError, "error",
              logstyle::Rabbit(t, "error", 1423,
                               fmt::format("closing AMQP connection <0.1423.0> (10.244.2.17:51234 "
                                           "-> {}:5672):\nmissed heartbeats from client, timeout: "
                                           "60s",
                                           p.ip)));
        }
      }
      MarkAffected(first, uint64_t{1} << i);
      if (t >= f.end + f.lag && t < f.end + f.lag + Sec(1)) {
        for (int pi : comp_pods[kQueueMaster])
          SpringLog(pods[pi], t, "INFO", "o.s.a.r.c.CachingConnectionFactory",
                    "Created new connection: rabbitConnectionFactory#1a3869f4:1/"
                    "SimpleConnection@5f2f577 [delegate=amqp://guest@10.96.0.40:5672/, "
                    "localPort= 51236]");
      }
    }
  }

  // queue-master consumes shipping tasks; a broken broker link makes them wait in the queue.
  void Deliver(TimeNs t) {
    if (queue.empty()) return;
    // Publishes finish out of order (slow hops): the broker queues them by arrival.
    std::stable_sort(queue.begin(), queue.end(),
                     [](const Message& a, const Message& b) { return a.published < b.published; });
    const int mq = comp_pods[kRabbitMq].empty() ? -1 : comp_pods[kRabbitMq][0];
    const int qm = comp_pods[kQueueMaster].empty() ? -1 : comp_pods[kQueueMaster][0];
    if (mq < 0 || qm < 0 || !pods[mq].running || !pods[qm].running) return;
    if (partition[kRabbitMq][kQueueMaster] > 0) return;
    size_t n = 0;
    TimeNs cursor = t;
    for (; n < queue.size(); ++n) {
      Message& m = queue[n];
      if (m.published >= t + Sec(1)) break;
      Pod& p = pods[qm];
      Trace tr;
      tr.id = m.trace;
      tr.start = m.published;
      const TimeNs start = std::max({m.published + Ms(rng.LogNormal(2, 0.4)), cursor});
      Span s = MakeSpan(tr, NewSpanId(), m.parent, p, "shipping-task receive", SpanKind::kConsumer,
                        start);
      s.attributes.push_back({"messaging.system", "rabbitmq"});
      s.attributes.push_back({"messaging.destination", "shipping-task"});
      const TimeNs done = start + Work(p, 6, tr);
      const size_t first_log = pending_logs.size();
      SpringLog(p, start + Ms(1), "INFO", "w.s.q.m.ShippingTaskHandler",
                fmt::format("Received shipment task: {}", m.shipment), &tr, s.span_id, -1);
      Served(p, start, done, 200, 900, 0);
      Finish(s, done, 0, "");
      cursor = start + (start > m.published + Sec(1) ? Ms(rng.Uniform(3, 8)) : 0);
      // A task that waited for the broker link counts as affected by the fault that held it.
      if (start - m.published > Sec(2)) {
        uint64_t held = 0;
        for (size_t i = 0; i < faults.size(); ++i)
          if (faults[i].spec.type == FaultType::kNetworkPartition &&
              (faults[i].comp == kRabbitMq || faults[i].comp == kQueueMaster) &&
              (faults[i].peer == kRabbitMq || faults[i].peer == kQueueMaster)) {
            ++labels[faults[i].label].affected_traces;
            held |= uint64_t{1} << i;
          }
        MarkAffected(first_log, held);
      }
    }
    queue.erase(queue.begin(), queue.begin() + static_cast<long>(n));
  }

  // ---------------------------------------------------------------- metrics

  void Point(const Pod& p, std::string_view name, TimeNs t, double v,
             MetricKind kind = MetricKind::kGauge, bool monotonic = false) {
    MetricPoint m;
    m.name = name;
    m.service = kDefs[p.comp].name;
    m.instance = p.name;
    m.time = t;
    m.value = v;
    m.kind = kind;
    m.monotonic = monotonic;
    metrics.push_back(std::move(m));
  }

  void Sample(TimeNs t, double interval_s) {
    Rng& r = metric_rng;
    const TimeNs window = Sec(10);
    std::vector<float> lat;
    for (int c = 0; c < kNumComp; ++c) {
      for (int pi : comp_pods[c]) {
        Pod& p = pods[pi];
        const auto& d = kDefs[c];
        std::erase_if(p.window, [&](const Pod::Served& s) { return s.end <= t - window; });
        lat.clear();
        int errors = 0, count = 0;
        for (const auto& s : p.window) {
          if (s.end > t) continue;
          lat.push_back(s.ms);
          errors += s.error;
          ++count;
        }
        double cpu, mem;
        if (!p.running && p.failed) {
          cpu = 0.0002 * r.Uniform(0.5, 1.5);  // the pause container
          mem = 0.9 + r.Uniform(0, 0.2);
        } else {
          cpu = d.base_cpu * r.Uniform(0.8, 1.2) + p.busy_s / interval_s;
          if (p.fx.cpu_load > 0 || p.stress_mb > 0)
            cpu = std::max(cpu,
                           d.cpu_limit * std::min(1.0, p.fx.cpu_load + 0.02) * r.Uniform(0.9, 1.0));
          cpu = std::min(cpu, d.cpu_limit * 1.02);
          if (d.stack == Stack::kSpring) {
            // Heap sawtooth: allocation per request, a young GC when it fills.
            p.heap_mb += 0.05 + p.busy_s * 40;
            if (p.heap_mb > 180) p.heap_mb = 60 + r.Uniform(0, 15);
          }
          if (!p.running) cpu = d.base_cpu * 3 * r.Uniform(0.8, 1.2);  // starting up
          mem = d.base_mem + p.heap_mb + p.stress_mb + p.leak_mb + r.Normal(0, d.base_mem * 0.005);
          mem = std::min(mem, d.mem_limit);
        }
        p.busy_s = 0;
        Point(p, "cpu_usage", t, cpu);
        Point(p, "memory_usage", t, mem * 1024 * 1024);
        Point(p, "request_rate", t, count / 10.0);
        Point(p, "error_rate", t, count ? static_cast<double>(errors) / count : 0.0);
        if (!lat.empty()) {
          auto q = [&](double f) {
            size_t k = static_cast<size_t>(f * (lat.size() - 1) + 0.5);
            std::nth_element(lat.begin(), lat.begin() + static_cast<long>(k), lat.end());
            return static_cast<double>(lat[k]);
          };
          Point(p, "latency_p50", t, q(0.5));
          Point(p, "latency_p90", t, q(0.9));
          Point(p, "latency_p99", t, q(0.99));
        }
        // Kubelet and sidecar traffic keeps a trickle even on an idle pod.
        p.rx_total += 180 * interval_s * r.Uniform(0.8, 1.2);
        p.tx_total += 220 * interval_s * r.Uniform(0.8, 1.2);
        Point(p, "network_rx_bytes", t, std::round(p.rx_total), MetricKind::kSum, true);
        Point(p, "network_tx_bytes", t, std::round(p.tx_total), MetricKind::kSum, true);
        Point(p, "restarts", t, p.restarts, MetricKind::kSum, true);
        Point(p, "ready", t, p.ready ? 1 : 0);
        if (c == kRabbitMq) {
          const auto waiting = std::count_if(queue.begin(), queue.end(),
                                             [&](const Message& m) { return m.published <= t; });
          Point(p, "queue_messages", t, static_cast<double>(waiting));
        }
      }
    }
  }

  // ---------------------------------------------------------------- output

  void Flush(TimeNs boundary, const std::function<void(Batch&)>& on_batch, bool all) {
    Batch b;
    auto take = [&](auto& pending, auto& out, auto key) {
      auto mid = all ? pending.end()
                     : std::stable_partition(pending.begin(), pending.end(),
                                             [&](const auto& x) { return key(x) < boundary; });
      out.assign(std::make_move_iterator(pending.begin()), std::make_move_iterator(mid));
      pending.erase(pending.begin(), mid);
      std::stable_sort(out.begin(), out.end(),
                       [&](const auto& a, const auto& b2) { return key(a) < key(b2); });
    };
    take(pending_logs, b.logs, [](const LogRecord& r) { return r.time; });
    take(pending_spans, b.spans, [](const Span& s) { return s.end; });
    b.metrics = std::move(metrics);
    metrics.clear();
    stats.logs += b.logs.size();
    stats.spans += b.spans.size();
    stats.metric_points += b.metrics.size();
    if (!b.empty()) on_batch(b);
  }

  Status Run(const std::function<void(Batch&)>& on_batch) {
    if (ran) return Status::Error("a Simulator runs once");
    ran = true;
    const int metric_every = std::max(1, static_cast<int>(std::lround(cfg.metrics_interval_s)));
    const TimeNs batch_len = Sec(std::max(1.0, cfg.batch_s));
    TimeNs next_flush = cfg.start + batch_len;
    std::vector<TimeNs> arrivals;
    int tick = 0;
    for (TimeNs t = cfg.start; t < end; t += kNsPerSecond, ++tick) {
      ApplyFaults(t);
      Lifecycle(t);
      Chatter(t);
      double rate = cfg.rps;
      if (cfg.diurnal_amplitude > 0) {
        const double phase = static_cast<double>(t - cfg.start) / 1e9 /
                             (cfg.diurnal_period_minutes * 60) * 2 * std::numbers::pi;
        rate *= 1 + cfg.diurnal_amplitude * std::sin(phase);
      }
      const int n = rng.Poisson(rate);
      arrivals.clear();
      for (int i = 0; i < n; ++i) arrivals.push_back(t + static_cast<TimeNs>(rng.Uniform() * 1e9));
      std::sort(arrivals.begin(), arrivals.end());
      for (TimeNs at : arrivals) Request(at);
      Deliver(t);
      if ((tick + 1) % metric_every == 0) Sample(t + kNsPerSecond, metric_every);
      if (t + kNsPerSecond >= next_flush) {
        Flush(next_flush, on_batch, false);
        next_flush += batch_len;
        Progress::Update("simulate", static_cast<double>(t + kNsPerSecond - cfg.start) / 1e9,
                         cfg.minutes * 60, "simulated s");
      }
    }
    Flush(kNever, on_batch, true);
    Progress::Finish("simulate");
    return Status::Ok();
  }

  std::string LabelsJson() const {
    using json = nlohmann::ordered_json;
    json j;
    j["scenario"] = cfg.scenario;
    j["seed"] = cfg.seed;
    j["rps"] = cfg.rps;
    j["users"] = cfg.users;
    j["start_ns"] = cfg.start;
    j["start"] = FormatIsoTime(cfg.start);
    j["end_ns"] = end;
    j["end"] = FormatIsoTime(end);
    if (!faults.empty()) {
      j["protocol"] = {{"baseline", {FormatIsoTime(cfg.start), FormatIsoTime(fault_start)}},
                       {"fault", {FormatIsoTime(fault_start), FormatIsoTime(fault_end)}},
                       {"recovery", {FormatIsoTime(fault_end), FormatIsoTime(end)}}};
    }
    j["traces"] = stats.traces;
    j["error_traces"] = stats.error_traces;
    j["faults"] = json::array();
    for (const auto& l : labels) {
      json f;
      f["name"] = l.name;
      f["type"] = FaultTypeName(l.type);
      f["target_service"] = l.target_service;
      f["target_pods"] = l.target_pods;
      if (!l.peer.empty()) f["peer_service"] = l.peer;
      f["chaos_mesh"] = l.chaos_mesh;
      f["description"] = l.description;
      f["start_ns"] = l.start;
      f["end_ns"] = l.end;
      f["recovered_ns"] = l.recovered;
      f["start"] = FormatIsoTime(l.start);
      f["end"] = FormatIsoTime(l.end);
      f["recovered"] = FormatIsoTime(l.recovered);
      f["affected_traces"] = l.affected_traces;
      f["affected_error_traces"] = l.affected_error_traces;
      f["traces_in_window"] = l.traces_in_window;
      j["faults"].push_back(std::move(f));
    }
    j["deploys"] = json::array();
    for (const auto& d : deploy_labels) {
      j["deploys"].push_back({{"service", d.service},
                              {"from_version", d.from_version},
                              {"to_version", d.to_version},
                              {"new_pods", d.new_pods},
                              {"time_ns", d.time},
                              {"time", FormatIsoTime(d.time)},
                              {"bad", d.bad}});
    }
    return j.dump(2) + "\n";
  }
};

Status SimConfig::Validate() const {
  if (!(minutes > 0) || minutes > 7 * 24 * 60)
    return Status::Error("minutes must be in (0, 10080]");
  if (!(rps > 0) || rps > 5000) return Status::Error("rps must be in (0, 5000]");
  if (users < 1 || users > 100000) return Status::Error("users must be in [1, 100000]");
  if (replicas < 1 || replicas > 8) return Status::Error("replicas must be in [1, 8]");
  if (metrics_interval_s < 1 || metrics_interval_s > 300)
    return Status::Error("metrics interval must be in [1, 300] seconds");
  if (diurnal_amplitude < 0 || diurnal_amplitude > 0.9)
    return Status::Error("diurnal amplitude must be in [0, 0.9]");
  if (diurnal_period_minutes <= 0) return Status::Error("diurnal period must be positive");
  const double weights[] = {
      mix.index,     mix.catalogue, mix.item, mix.tags,  mix.add_to_cart, mix.remove_from_cart,
      mix.view_cart, mix.address,   mix.card, mix.orders};
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0)) return Status::Error("request mix weights must be non-negative");
    total += w;
  }
  if (!(total > 0)) return Status::Error("request mix weights must not all be zero");
  const double base = baseline_minutes >= 0 ? baseline_minutes : minutes / 3;
  if (base >= minutes) return Status::Error("the baseline must end before the run does");
  return Status::Ok();
}

std::vector<std::string> ComponentNames() {
  std::vector<std::string> names;
  for (const auto& d : kDefs) names.push_back(d.name);
  return names;
}

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulator::~Simulator() = default;

Result<std::unique_ptr<Simulator>> Simulator::Create(SimConfig config) {
  if (Status s = config.Validate(); !s.ok()) return s;
  auto impl = std::make_unique<Impl>(std::move(config));
  if (Status s = impl->Setup(); !s.ok()) return s;
  return std::unique_ptr<Simulator>(new Simulator(std::move(impl)));
}

Status Simulator::Run(const std::function<void(Batch&)>& on_batch) {
  return impl_->Run(on_batch);
}
const SimConfig& Simulator::config() const {
  return impl_->cfg;
}
const std::vector<FaultLabel>& Simulator::Labels() const {
  return impl_->labels;
}
const std::vector<DeployLabel>& Simulator::Deploys() const {
  return impl_->deploy_labels;
}
const std::vector<AffectedLog>& Simulator::AffectedLogs() const {
  return impl_->affected_logs;
}
const SimStats& Simulator::stats() const {
  return impl_->stats;
}
std::string Simulator::LabelsJson() const {
  return impl_->LabelsJson();
}
std::string Simulator::VersionOf(std::string_view pod) const {
  auto it = impl_->pod_versions.find(pod);
  return it == impl_->pod_versions.end() ? std::string() : it->second;
}

}  // namespace augur::sim
