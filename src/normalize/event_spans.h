// Spans from kernel/user-space trace events (seed 001's data extraction): request/response events
// carrying hierarchical tags ("00", "00/01") open and close spans and sub-spans; every other event
// joins the span its thread (or, failing that, its process) is working for; each span becomes the
// time-ordered sequence of its events' keys.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"

namespace augur::normalize {

struct EventSpanConfig {
  std::string type_field = "type";  // payload field saying request or response
  std::string tag_field = "tag";    // payload field with the hierarchical tag
  std::vector<std::string> request_types = {"request", "req"};
  std::vector<std::string> response_types = {"response", "resp", "reply"};
  char separator = '/';  // "00/01" is a sub-span of "00"
  // Payload fields naming the operation, first present wins: part of the span type.
  std::vector<std::string> operation_fields = {"op", "operation", "method"};
  Status Validate() const;
};

struct EventSpan {
  std::string tag;            // the root tag, e.g. "00"
  std::string type;           // what spans are grouped by: "<event name> <process> [<operation>]"
  TimeNs start = 0, end = 0;  // root request .. root response (or last event when incomplete)
  int64_t pid = 0, tid = 0;   // of the root request
  std::string process_name;
  bool complete = false;       // its root response was seen
  size_t sub_spans = 0;        // sub-requests opened under it
  std::vector<size_t> events;  // indices into the input, in time order
};

struct EventSpans {
  std::vector<EventSpan> spans;    // by start time
  std::vector<int32_t> span_of;    // per input event: index into `spans`, -1 when in no span
  size_t unassigned = 0;           // events in no span
  size_t unmatched_responses = 0;  // responses with no open request of their tag on their thread
};

// Whether an event is a request (+1), a response (-1) or neither (0) under `config`.
int RequestOrResponse(const TraceEvent& e, const EventSpanConfig& config);

// Extracts the spans of `events` (any order; processed by time, ties in input order).
//
// A request with tag T on thread (pid, tid): when the thread works for a span with an open tag that
// is T's parent, it is that span's sub-request, sent (the thread stays bound to T until its
// response); else, when some open span sent a request T from another thread that nobody received
// yet, the thread receives it (oldest first) and works for that span until it responds T; else a
// root tag (or an orphan sub-tag) opens a new span. A response pops the thread's binding of its
// tag; the root's response completes the span. Other events join the span their thread works for,
// or the one span their process works for.
EventSpans ExtractEventSpans(const std::vector<TraceEvent>& events,
                             const EventSpanConfig& config = {});

// Each span's sequence of keys, `key_of` applied to its events in time order.
std::vector<std::vector<std::string>> SpanKeys(
    const EventSpans& spans, const std::vector<TraceEvent>& events,
    const std::function<std::string(const TraceEvent&)>& key_of);

}  // namespace augur::normalize
