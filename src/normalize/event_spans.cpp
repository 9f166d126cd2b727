#include "normalize/event_spans.h"

#include <strings.h>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <map>
#include <numeric>

namespace augur::normalize {

Status EventSpanConfig::Validate() const {
  if (type_field.empty() || tag_field.empty())
    return Status::Error("event spans: type_field and tag_field must be set");
  if (request_types.empty() || response_types.empty())
    return Status::Error("event spans: request_types and response_types must not be empty");
  return Status::Ok();
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IsIn(std::string_view v, const std::vector<std::string>& set) {
  for (const auto& s : set)
    if (EqualsIgnoreCase(v, s)) return true;
  return false;
}

std::string ParentOf(const std::string& tag, char sep) {
  size_t at = tag.rfind(sep);
  return at == std::string::npos ? std::string() : tag.substr(0, at);
}

using Thread = std::pair<int64_t, int64_t>;  // (pid, tid)

struct Binding {
  int32_t span;
  std::string tag;
};

struct Sent {
  int32_t span;
  Thread from;
  bool answered = false;  // its sender already got the response
};

// Answered sub-requests kept per tag for late receivers (see below).
constexpr size_t kMaxAnswered = 64;

}  // namespace

int RequestOrResponse(const TraceEvent& e, const EventSpanConfig& config) {
  const std::string* type = FindAttribute(e.fields, config.type_field);
  if (!type) return 0;
  const std::string* tag = FindAttribute(e.fields, config.tag_field);
  if (!tag || tag->empty()) return 0;
  if (IsIn(*type, config.request_types)) return 1;
  if (IsIn(*type, config.response_types)) return -1;
  return 0;
}

EventSpans ExtractEventSpans(const std::vector<TraceEvent>& events, const EventSpanConfig& config) {
  EventSpans out;
  out.span_of.assign(events.size(), -1);
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return events[a].time < events[b].time; });

  std::map<Thread, std::vector<Binding>> bound;  // each thread's stack of (span, tag)
  std::map<std::string, std::deque<Sent>>
      sent;  // requests nobody received yet, by tag, oldest first
  auto assign = [&](size_t i, int32_t s) {
    out.span_of[i] = s;
    out.spans[static_cast<size_t>(s)].events.push_back(i);
  };
  auto new_span = [&](size_t i, const std::string& tag) {
    const TraceEvent& e = events[i];
    EventSpan sp;
    sp.tag = tag;
    sp.type = e.name + " " + e.process_name;
    for (const auto& f : config.operation_fields)
      if (const std::string* op = FindAttribute(e.fields, f)) {
        sp.type += " " + *op;
        break;
      }
    sp.start = sp.end = e.time;
    sp.pid = e.pid;
    sp.tid = e.tid;
    sp.process_name = e.process_name;
    out.spans.push_back(std::move(sp));
    return static_cast<int32_t>(out.spans.size() - 1);
  };
  // The span a thread without a binding works for: the one span its process works for, if only one.
  auto process_span = [&](int64_t pid) {
    int32_t found = -1;
    for (auto it = bound.lower_bound({pid, INT64_MIN}); it != bound.end() && it->first.first == pid;
         ++it) {
      if (it->second.empty()) continue;
      int32_t s = it->second.back().span;
      if (found >= 0 && found != s) return -1;
      found = s;
    }
    return found;
  };

  for (size_t i : order) {
    const TraceEvent& e = events[i];
    Thread th{e.pid, e.tid};
    int kind = RequestOrResponse(e, config);
    if (kind == 0) {
      auto it = bound.find(th);
      int32_t s =
          it != bound.end() && !it->second.empty() ? it->second.back().span : process_span(e.pid);
      if (s >= 0)
        assign(i, s);
      else
        ++out.unassigned;
      continue;
    }
    const std::string& tag = *FindAttribute(e.fields, config.tag_field);
    auto& stack = bound[th];
    if (kind > 0) {
      std::string parent = ParentOf(tag, config.separator);
      int32_t s = -1;
      // Sent: this thread works for a span in which the parent tag is open.
      if (!parent.empty())
        for (auto b = stack.rbegin(); b != stack.rend(); ++b)
          if (b->tag == parent) {
            s = b->span;
            break;
          }
      if (s >= 0) {
        sent[tag].push_back({s, th});
        out.spans[static_cast<size_t>(s)].sub_spans++;
      } else {
        // Received: the oldest open span that sent this tag from another thread (for a root tag,
        // from another process: threads of one process each start their own root spans).
        // Without request ids, concurrent senders of one tag can be served out of order: a sender
        // may get its response before the receiver of its own request is seen. So a receiver that
        // finds no unanswered request takes the oldest answered one (sub-tags only), and every
        // request received stays counted once.
        if (auto q = sent.find(tag); q != sent.end())
          for (int pass = 0; pass < (parent.empty() ? 1 : 2) && s < 0; ++pass)
            for (auto t = q->second.begin(); t != q->second.end(); ++t)
              if (t->answered == (pass == 1) && t->from != th &&
                  (!parent.empty() || t->from.first != th.first)) {
                s = t->span;
                q->second.erase(t);
                break;
              }
        if (s < 0) {
          s = new_span(i, tag);
          // A root request may be received by another process that tags it the same.
          if (parent.empty()) sent[tag].push_back({s, th});
        }
      }
      stack.push_back({s, tag});
      assign(i, s);
      continue;
    }
    // A response: pops this thread's binding of its tag.
    int32_t s = -1;
    for (size_t b = stack.size(); b-- > 0;)
      if (stack[b].tag == tag) {
        s = stack[b].span;
        stack.resize(b);
        break;
      }
    if (s < 0) {
      ++out.unmatched_responses;
      s = !stack.empty() ? stack.back().span : process_span(e.pid);
      if (s < 0) {
        ++out.unassigned;
        continue;
      }
    }
    assign(i, s);
    EventSpan& sp = out.spans[static_cast<size_t>(s)];
    // A sent request answered: a root one will not be received any more; a sub-request may
    // still be (its receiver served another sender first), kept as answered, at most
    // kMaxAnswered per tag.
    if (auto q = sent.find(tag); q != sent.end()) {
      auto t = std::find_if(q->second.begin(), q->second.end(), [&](const Sent& x) {
        return x.span == s && x.from == th && !x.answered;
      });
      if (t != q->second.end()) {
        if (ParentOf(tag, config.separator).empty()) {
          q->second.erase(t);
        } else {
          t->answered = true;
          size_t answered = 0;
          for (const auto& x : q->second) answered += x.answered;
          if (answered > kMaxAnswered)
            q->second.erase(std::find_if(q->second.begin(), q->second.end(),
                                         [](const Sent& x) { return x.answered; }));
        }
      }
    }
    if (tag == sp.tag && th == Thread{sp.pid, sp.tid}) sp.complete = true;
  }
  for (auto& sp : out.spans)
    if (!sp.events.empty()) sp.end = std::max(sp.end, events[sp.events.back()].time);
  return out;
}

std::vector<std::vector<std::string>> SpanKeys(
    const EventSpans& spans, const std::vector<TraceEvent>& events,
    const std::function<std::string(const TraceEvent&)>& key_of) {
  std::vector<std::vector<std::string>> out;
  out.reserve(spans.spans.size());
  for (const auto& sp : spans.spans) {
    auto& keys = out.emplace_back();
    keys.reserve(sp.events.size());
    for (size_t i : sp.events) keys.push_back(key_of(events[i]));
  }
  return out;
}

}  // namespace augur::normalize
