#include "ingest/otlp_common.h"

#include <cmath>

#include "core/service.h"
#include "ingest/reader.h"

namespace augur::ingest {

OtlpResource ResourceFromAttributes(const Attributes& attrs) {
  OtlpResource info;
  std::string pod;
  for (auto& a : attrs) {
    if (a.key == "service.name")
      info.service = a.value;
    else if (a.key == "service.instance.id")
      info.instance = a.value;
    else if (a.key == "k8s.pod.name")
      pod = a.value;
  }
  if (info.instance.empty()) {
    if (!pod.empty())
      info.instance = pod;
    else if (auto* h = FindAttribute(attrs, "host.name"))
      info.instance = *h;
  }
  if (info.service.empty()) {
    if (auto* d = FindAttribute(attrs, "k8s.deployment.name"))
      info.service = *d;
    else if (!pod.empty())
      info.service = ServiceFromPod(pod);
  }
  return info;
}

OtlpMarks MarkBatch(ReadContext& ctx) {
  const Batch& b = ctx.batch();
  return {b.logs.size(), b.spans.size(), b.metrics.size()};
}

void ApplyResource(ReadContext& ctx, const OtlpMarks& from, const OtlpResource& resource) {
  Batch& b = ctx.batch();
  // The resource's names reach records after they were committed, and so after their text was
  // repaired: protobuf strings are not checked for UTF-8 on the way in, so they are repaired here.
  OtlpResource r = resource;
  const bool bad_service = !ctx.text_is_utf8 && RepairUtf8(r.service);
  const bool bad_instance = !ctx.text_is_utf8 && RepairUtf8(r.instance);
  auto fill = [&](auto& vec, size_t first) {
    for (size_t i = first; i < vec.size(); ++i) {
      bool repaired = false;
      if (vec[i].service.empty()) {
        vec[i].service = r.service;
        repaired = bad_service;
      }
      if (vec[i].instance.empty()) {
        vec[i].instance = r.instance;
        repaired = repaired || bad_instance;
      }
      if (repaired) ++ctx.repaired_records;
    }
  };
  fill(b.logs, from.logs);
  fill(b.spans, from.spans);
  fill(b.metrics, from.metrics);
}

bool SetExponentialBuckets(int64_t scale, const OtlpBuckets& pos, const OtlpBuckets& neg,
                           MetricPoint* p) {
  if (scale < -10 || scale > 20) return false;
  double base = std::exp2(std::exp2(-static_cast<double>(scale)));
  for (size_t i = 0; i < pos.counts.size(); ++i) {
    p->bounds.push_back(
        std::pow(base, static_cast<double>(pos.offset + static_cast<int64_t>(i) + 1)));
    p->bucket_counts.push_back(pos.counts[i]);
  }
  for (size_t i = 0; i < neg.counts.size(); ++i) {
    p->bounds.push_back(
        -std::pow(base, static_cast<double>(neg.offset + static_cast<int64_t>(i) + 1)));
    p->bucket_counts.push_back(neg.counts[i]);
  }
  return true;
}

}  // namespace augur::ingest
