// Prometheus remote write (1.0): a snappy-compressed protobuf WriteRequest, as Prometheus, Grafana
// Agent/Alloy and the OpenTelemetry Collector's prometheusremotewrite exporter send it. Decoded
// from the wire format (prompb/remote.proto, types.proto):
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }   (milliseconds)
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; }
// One MetricPoint per sample, named by the `__name__` label, typed by the request's metadata where
// it has the family (Prometheus sends metadata in requests of their own, so mostly by suffix:
// `_total` is a counter, `_bucket` and `_count` cumulative). Staleness markers (the NaN Prometheus
// writes when a series ends) carry no value and are skipped. Native histograms are not read.
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "core/time.h"
#include "ingest/prometheus_series.h"
#include "ingest/protobuf_wire.h"
#include "ingest/reader.h"
#include "ingest/request_body.h"

namespace augur::ingest {
namespace {

using namespace protobuf;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

std::string_view TypeName(uint64_t t) {
  switch (t) {
    case 1:
      return "counter";
    case 2:
      return "gauge";
    case 3:
    case 4:
      return "histogram";
    case 5:
      return "summary";
    default:
      return "";
  }
}

// The family's type: from the metadata, else by the suffix convention.
std::string_view TypeOf(const std::string& name,
                        const std::unordered_map<std::string, std::string_view>& types) {
  if (auto it = types.find(name); it != types.end()) return it->second;
  for (std::string_view suffix : {"_bucket", "_sum", "_count", "_total"})
    if (name.size() > suffix.size() && name.ends_with(suffix))
      if (auto it = types.find(name.substr(0, name.size() - suffix.size())); it != types.end())
        return it->second;
  if (name.ends_with("_total")) return "counter";
  if (name.ends_with("_bucket") || name.ends_with("_count")) return "histogram";
  return "";
}

// One series: its labels, then a point per sample.
void ReadSeries(std::string_view bytes, const std::string& where,
                const std::unordered_map<std::string, std::string_view>& types, ReadContext& ctx) {
  Attributes labels;
  std::string name;
  std::vector<std::string_view> samples;
  {
    Message m(bytes, "TimeSeries");
    while (m.Next()) {
      if (m.field() == 1) {
        Attribute a = ReadNameValue(LenField(m, "labels"), "Label");
        if (a.key == "__name__")
          name = std::move(a.value);
        else
          labels.push_back(std::move(a));
      } else if (m.field() == 2) {
        samples.push_back(LenField(m, "samples"));
      } else {
        m.Skip();
      }
    }
  }
  if (name.empty()) {
    for (size_t i = 0; i < std::max<size_t>(samples.size(), 1); ++i)
      if (!ctx.Reject(0, "missing label: __name__", where)) return;
    return;
  }
  const std::string_view type = TypeOf(name, types);
  for (std::string_view sample : samples) {
    double value = 0;
    int64_t ms = 0;
    uint64_t bits = 0;
    try {
      Message s(sample, "Sample");
      while (s.Next()) {
        if (s.field() == 1)
          bits = Fixed64Field(s, "value");
        else if (s.field() == 2)
          ms = static_cast<int64_t>(VarintField(s, "timestamp"));
        else
          s.Skip();
      }
    } catch (const ProtoError& e) {
      if (!ctx.Reject(0, e.reason, where + " " + name)) return;
      continue;
    }
    if (bits == kStaleNaN) continue;
    value = BitsToDouble(bits);
    TimeNs t;
    if (!ScaleTime(ms, kNsPerMs, &t)) {
      if (!ctx.Reject(0, "bad timestamp", where + " " + name)) return;
      continue;
    }
    MetricPoint& p = ctx.NewMetric();
    p.name = name;
    p.labels = labels;
    p.value = value;
    p.time = t;
    ApplyPrometheusType(type, &p);
    ResolvePrometheusService(&p);
    ctx.CommitMetric();
  }
}

}  // namespace

void ReadPrometheusRemoteWrite(ByteSource& src, ReadContext& ctx) {
  std::string body;
  if (!ReadRequestBody(src, ctx, "remote write request", true, &body)) return;
  // Metadata first, wherever it sits in the request; damage is reported by the pass over the
  // series.
  std::unordered_map<std::string, std::string_view> types;
  try {
    Message request(body, "WriteRequest");
    while (request.Next()) {
      if (request.field() != 3) {
        request.Skip();
        continue;
      }
      Message md(LenField(request, "metadata"), "MetricMetadata");
      uint64_t type = 0;
      std::string family;
      while (md.Next()) {
        if (md.field() == 1)
          type = VarintField(md, "type");
        else if (md.field() == 2)
          family = LenField(md, "metric_family_name");
        else
          md.Skip();
      }
      if (!family.empty()) types[family] = TypeName(type);
    }
  } catch (const ProtoError&) {
  }
  ForEachElement(body, "WriteRequest", 1, "series", ctx,
                 [&](std::string_view series, const std::string& where) {
                   ReadSeries(series, where, types, ctx);
                 });
}

}  // namespace augur::ingest
