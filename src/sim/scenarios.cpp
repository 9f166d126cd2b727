// The fault catalogue: seed 000's Table 3 (12 Chaos Mesh experiments on sock-shop) and the extra
// fault kinds the issue asks for (CPU stress, packet loss, exception, wrong return, bad deploy).
#include <fmt/format.h>

#include "sim/simulator.h"

namespace augur::sim {
namespace {

FaultSpec Fault(FaultType type, std::string target, std::string method = {},
                std::string path = {}) {
  FaultSpec f;
  f.type = type;
  f.target = std::move(target);
  f.method = std::move(method);
  f.path = std::move(path);
  return f;
}

std::vector<ScenarioInfo> BuildScenarios() {
  std::vector<ScenarioInfo> s;
  auto add = [&](std::string name, std::string description, std::string row, FaultSpec f) {
    s.push_back({std::move(name), std::move(description), std::move(row), {std::move(f)}});
  };
  using T = FaultType;

  add("user_pod_failure", "user pods fail (Chaos Mesh PodChaos pod-failure, all pods of user)",
      "user | Pod Failure", Fault(T::kPodFailure, "user"));
  {
    FaultSpec f = Fault(T::kNetworkPartition, "session-db");
    f.peer = "front-end";
    add("session_db_partition", "session-db cut off from front-end (NetworkChaos partition)",
        "session-db | Network Partition (disconnected from FE)", f);
  }
  add("front_end_pod_failure", "front-end pods fail (PodChaos pod-failure)",
      "front-end | Pod Failure", Fault(T::kPodFailure, "front-end"));
  {
    FaultSpec f = Fault(T::kIoFailure, "carts-db");
    f.value = 50;
    add("carts_db_io_failure", "half of carts-db file operations fail with EIO (IOChaos fault 50%)",
        "carts-db | IO Failure (50% error rate)", f);
  }
  {
    FaultSpec f = Fault(T::kIoFailure, "catalogue-db");
    f.value = 50;
    add("catalogue_db_io_failure",
        "half of catalogue-db file operations fail with EIO (IOChaos fault 50%)",
        "catalogue-db | IO Failure (50% error rate)", f);
  }
  {
    FaultSpec f = Fault(T::kPodFailure, "payment");
    f.one_pod = true;
    add("payment_pod_failure", "one of the payment pods fails (PodChaos pod-failure, mode one)",
        "payment | Pod Failure (one instance)", f);
  }
  {
    FaultSpec f = Fault(T::kNetworkPartition, "rabbitmq");
    f.peer = "queue-master";
    add("rabbitmq_partition", "rabbitmq cut off from queue-master (NetworkChaos partition)",
        "rabbitmq | Network Partition (disconnected from queue)", f);
  }
  {
    FaultSpec f = Fault(T::kBandwidthLimit, "shipping");
    f.value = 200;
    add("shipping_bandwidth_limit", "shipping egress limited to 200 kbps (NetworkChaos bandwidth)",
        "shipping | Bandwidth Limit (200kbps)", f);
  }
  add("shipping_pod_failure", "shipping pod fails (PodChaos pod-failure)", "shipping | Pod Failure",
      Fault(T::kPodFailure, "shipping"));
  {
    FaultSpec f = Fault(T::kHttpAbort, "shipping", "GET", "/");
    add("shipping_http_abort", "GET requests to shipping port 80 aborted (HTTPChaos abort, path /)",
        "shipping | HTTP Abort (on GET request to /, port: 80)", f);
  }
  {
    FaultSpec f = Fault(T::kMemoryStress, "shipping");
    f.value = 512;
    f.workers = 4;
    add("shipping_memory_stress",
        "4 workers each allocating 512 MB in shipping (StressChaos memory)",
        "shipping | Memory Stress (512MB, 4 workers)", f);
  }
  {
    FaultSpec f = Fault(T::kNetworkDelay, "shipping");
    f.value = 200;
    add("shipping_network_delay", "200 ms added to shipping's packets (NetworkChaos delay)",
        "shipping | Network Delay (200ms latency)", f);
  }
  // Beyond Table 3.
  {
    FaultSpec f = Fault(T::kCpuStress, "catalogue");
    f.value = 100;
    f.workers = 2;
    add("catalogue_cpu_stress", "2 workers at 100% CPU in catalogue (StressChaos cpu)", "", f);
  }
  {
    FaultSpec f = Fault(T::kPacketLoss, "orders");
    f.value = 30;
    add("orders_packet_loss", "30% of orders' packets dropped (NetworkChaos loss)", "", f);
  }
  {
    FaultSpec f = Fault(T::kCodeException, "carts", "POST", "/carts/{customerId}/items");
    f.probability = 0.6;
    add("carts_code_exception",
        "carts throws NullPointerException on 60% of add-to-cart calls (JVMChaos exception)", "",
        f);
  }
  {
    FaultSpec f = Fault(T::kWrongReturn, "payment", "", "/paymentAuth");
    f.probability = 0.5;
    add("payment_wrong_return",
        "payment's Authorise returns authorised=false for half the orders (wrong return value)", "",
        f);
  }
  {
    FaultSpec f = Fault(T::kBadDeploy, "carts");
    f.version = "0.4.9-rc1";
    f.probability = 0.2;
    add("carts_bad_deploy",
        "carts 0.4.9-rc1 rolled out: slower, leaks memory, 20% of cart reads fail; rolled back "
        "at the end",
        "", f);
  }
  return s;
}

}  // namespace

bool RequestMix::Set(std::string_view name, double weight) {
  double* slot = name == "index"              ? &index
                 : name == "catalogue"        ? &catalogue
                 : name == "item"             ? &item
                 : name == "tags"             ? &tags
                 : name == "add_to_cart"      ? &add_to_cart
                 : name == "remove_from_cart" ? &remove_from_cart
                 : name == "view_cart"        ? &view_cart
                 : name == "address"          ? &address
                 : name == "card"             ? &card
                 : name == "orders"           ? &orders
                                              : nullptr;
  if (!slot) return false;
  *slot = weight;
  return true;
}

std::string_view FaultTypeName(FaultType t) {
  switch (t) {
    case FaultType::kPodFailure:
      return "pod_failure";
    case FaultType::kNetworkPartition:
      return "network_partition";
    case FaultType::kIoFailure:
      return "io_failure";
    case FaultType::kBandwidthLimit:
      return "bandwidth_limit";
    case FaultType::kHttpAbort:
      return "http_abort";
    case FaultType::kMemoryStress:
      return "memory_stress";
    case FaultType::kNetworkDelay:
      return "network_delay";
    case FaultType::kCpuStress:
      return "cpu_stress";
    case FaultType::kPacketLoss:
      return "packet_loss";
    case FaultType::kCodeException:
      return "code_exception";
    case FaultType::kWrongReturn:
      return "wrong_return";
    case FaultType::kBadDeploy:
      return "bad_deploy";
  }
  return "unknown";
}

const std::vector<ScenarioInfo>& Scenarios() {
  static const std::vector<ScenarioInfo> kScenarios = BuildScenarios();
  return kScenarios;
}

const ScenarioInfo* FindScenario(std::string_view name) {
  for (const auto& s : Scenarios())
    if (s.name == name) return &s;
  // Short aliases for the extra scenarios: "cpu_stress" finds "catalogue_cpu_stress" when unique.
  const ScenarioInfo* found = nullptr;
  for (const auto& s : Scenarios()) {
    if (s.name.size() > name.size() && s.name.ends_with(name) &&
        s.name[s.name.size() - name.size() - 1] == '_') {
      if (found) return nullptr;
      found = &s;
    }
  }
  return found;
}

}  // namespace augur::sim
