// Prometheus series in the event model, the same from the text exposition (metric_text.cpp) and
// from remote write (prometheus_remote_write.cpp).
#pragma once

#include <string_view>

#include "core/event.h"

namespace augur::ingest {

// Parses `{a="x", b="y"}` (escapes \", \\, \n) from s[*pos] == '{', appending to `labels`; *pos
// ends after the '}'. False on malformed labels. Loki's stream selectors are written the same way.
bool ParsePrometheusLabels(std::string_view s, size_t* pos, Attributes* labels);

// The service: rule 2 of core/service.h (label `service`, then `job`), else rule 3 (`pod`); the
// instance: `pod`, else `instance`.
void ResolvePrometheusService(MetricPoint* p);

// Kind and cumulative flag of a sample from its family's TYPE: a counter is a monotonic sum; a
// histogram's or summary's `_bucket` and `_count` samples are cumulative gauges of one value each,
// its `_sum` a plain gauge; anything else a gauge.
void ApplyPrometheusType(std::string_view type, MetricPoint* p);

}  // namespace augur::ingest
