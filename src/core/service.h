// The one rule that gives every record its service. See docs/event-model.md.
//
// In order of precedence:
//   1. an explicit label given by the user (`--service NAME`, or the label `service` of a Loki
//   stream);
//   2. the format's own field: OTLP resource attribute `service.name`, Zipkin
//   `localEndpoint.serviceName`,
//      Jaeger `processes[pid].serviceName`, Prometheus labels `service` / `job`;
//   3. a Kubernetes pod name reduced to its deployment (`ts-contacts-service-866bd68c97-xcqfx` →
//      `ts-contacts-service`), or a StatefulSet pod to its set (`carts-db-0` → `carts-db`);
//   4. the file name stem for plain log files with no other clue; else "".
#pragma once

#include <string>
#include <string_view>

namespace augur {

// Rule 3: the deployment of a pod name. Strips a trailing ReplicaSet hash and pod suffix
// ("-<hash>-<5 chars>"), or a StatefulSet ordinal ("-<digits>"); otherwise returns the name
// unchanged.
std::string ServiceFromPod(std::string_view pod);

}  // namespace augur
