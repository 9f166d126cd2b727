// Seed 001's two views of a trace scored by a trained next-key model (the "next_key" model of a
// bundle): every trace event's key judged in its process stream (unexpected or not), then the
// system view (unexpected-key rate per interval) and the service view (spans from tagged
// request/response events, each with its rate of unexpected keys; anomalous above a threshold).
// Also the comparison of a new trace against the model (`augur compare`). A plain header.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "learn/model_bundle.h"
#include "normalize/event_spans.h"

namespace augur::learn {

struct EventAnalysisConfig {
  normalize::EventSpanConfig spans;
  TimeNs interval = 1'000'000'000;   // system view: seed 001 uses 1 s
  double anomalous_span_rate = 0.5;  // seed 001: a span above this rate of unexpected keys
  Status Validate() const;
};

// Inline: the command line checks its flags with it without loading the libtorch module.
inline Status EventAnalysisConfig::Validate() const {
  if (Status s = spans.Validate(); !s) return s;
  if (interval <= 0) return Status::Error("event analysis: interval must be > 0");
  if (!(anomalous_span_rate >= 0 && anomalous_span_rate <= 1))
    return Status::Error(
        "event analysis: the anomalous span rate (--span-threshold) must be in [0, 1]");
  return Status::Ok();
}

struct KeyStats {
  uint64_t count = 0;
  uint64_t unexpected = 0;
  bool unseen = false;  // never seen in training: a new key
  double rate() const { return count ? static_cast<double>(unexpected) / count : 0; }
};

struct IntervalStats {
  TimeNs start = 0;
  uint64_t keys = 0, unexpected = 0;
  double rate() const { return keys ? static_cast<double>(unexpected) / keys : 0; }
};

struct SpanTypeStats {
  uint64_t spans = 0, anomalous = 0, incomplete = 0;
  uint64_t keys = 0, unexpected = 0;
  double rate() const { return keys ? static_cast<double>(unexpected) / keys : 0; }
};

struct EventAnalysis {
  std::vector<std::string> keys;    // per event
  std::vector<uint8_t> unexpected;  // per event: 1 when its key was unexpected in its stream
  normalize::EventSpans spans;
  std::vector<double> span_rate;  // per span: unexpected keys / keys
  std::vector<uint8_t> span_anomalous;
  std::vector<IntervalStats> intervals;  // by start, all streams together (seed 001's Fig. 8)
  std::map<std::string, KeyStats> by_key;
  std::map<std::string, SpanTypeStats> by_span_type;
  uint64_t predictions = 0, unexpected_total = 0;
  double rate() const {
    return predictions ? static_cast<double>(unexpected_total) / predictions : 0;
  }
};

// Scores `events` (any order; judged by time within each process stream, as the next_key detector
// does) with the bundle's "next_key" model. Fails when the bundle has no such model.
Result<EventAnalysis> AnalyseTraceEvents(const ModelBundle& bundle,
                                         const std::vector<TraceEvent>& events,
                                         const EventAnalysisConfig& config = {});

// `augur compare`: a new trace against a bundle trained on an older one. A span type or key
// "changed" when its unexpected-key rate is above the model's alarm rate (calibrated on the
// training intervals), with at least `min_keys` keys; a key unseen in training is new.
struct CompareConfig {
  EventAnalysisConfig analysis;
  uint64_t min_keys = 5;
};

struct CompareReport {
  EventAnalysis analysis;
  double alarm_rate = 0;                        // the bundle's next_key alarm rate
  double training_rate = 0;                     // its mean training-interval rate
  std::vector<std::string> changed_span_types;  // by unexpected keys, most first
  std::vector<std::string> changed_keys;        // by unexpected keys, most first
  std::vector<std::string> new_keys;            // by count, most first
  uint64_t anomalous_spans = 0;
  uint64_t alarm_intervals = 0;  // intervals above the alarm rate (with at least min_keys keys)
};

Result<CompareReport> CompareTraceEvents(const ModelBundle& bundle,
                                         const std::vector<TraceEvent>& events,
                                         const CompareConfig& config = {});

}  // namespace augur::learn
