// What the two OTLP encodings share once a field is decoded: which service and pod a resource
// names, the exponential-histogram bucket bounds, and which metric points accumulate. OTLP/JSON
// (otlp_json.cpp) and OTLP/protobuf (otlp_proto.cpp) map to the event model through these alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/event.h"

namespace augur::ingest {

class ReadContext;

struct OtlpResource {
  std::string service;
  std::string instance;
};

// service.name (else k8s.deployment.name, else the pod's service); service.instance.id (else
// k8s.pod.name, else host.name).
OtlpResource ResourceFromAttributes(const Attributes& attrs);

// Where a resource's records start in the context's batch; ApplyResource gives the records read
// since then the resource's service and instance where they carry none of their own (a resource
// may come after its records in JSON).
struct OtlpMarks {
  size_t logs = 0, spans = 0, metrics = 0;
};
OtlpMarks MarkBatch(ReadContext& ctx);
void ApplyResource(ReadContext& ctx, const OtlpMarks& from, const OtlpResource& resource);

struct OtlpBuckets {
  int64_t offset = 0;
  std::vector<double> counts;
};
// Exponential histogram buckets as bounds and counts: bucket i of the positive range covers
// (base^(offset+i), base^(offset+i+1)], base = 2^(2^-scale); bounds hold each bucket's upper bound
// (negative range: its lower bound, negated). False for a scale outside [-10, 20].
bool SetExponentialBuckets(int64_t scale, const OtlpBuckets& positive, const OtlpBuckets& negative,
                           MetricPoint* p);

// Cumulative points: monotonic sums, and histograms and summaries of cumulative temporality
// (summaries always); never with delta temporality.
inline bool OtlpCumulative(MetricKind kind, bool monotonic_sum, bool delta) {
  return !delta && (kind == MetricKind::kSum ? monotonic_sum : kind != MetricKind::kGauge);
}

}  // namespace augur::ingest
