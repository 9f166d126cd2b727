#include "ingest/ctf.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>

#include <sys/wait.h>
#include <unistd.h>

#include "core/text.h"
#include "ingest/reader.h"

#ifdef AUGUR_HAVE_BABELTRACE2
#include <babeltrace2/babeltrace.h>
#endif
#ifdef AUGUR_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace augur::ingest {

namespace fs = std::filesystem;

bool IsCtfTraceDir(const fs::path& dir) {
  std::error_code ec;
  fs::path meta = dir / "metadata";
  if (!fs::is_regular_file(meta, ec)) return false;
  std::ifstream in(meta, std::ios::binary);
  char head[6] = {};
  in.read(head, sizeof head);
  if (in.gcount() < 4) return false;
  const unsigned char* u = reinterpret_cast<const unsigned char*>(head);
  // Packetized metadata starts with the magic 0x75D11D57 in the trace's byte order.
  bool magic = (u[0] == 0x57 && u[1] == 0x1d && u[2] == 0xd1 && u[3] == 0x75) ||
               (u[0] == 0x75 && u[1] == 0xd1 && u[2] == 0x1d && u[3] == 0x57);
  return magic || (in.gcount() == 6 && std::memcmp(head, "/* CTF", 6) == 0);
}

namespace {

uint64_t FolderBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  return bytes;
}

}  // namespace

#ifndef AUGUR_HAVE_BABELTRACE2

bool CtfSupported() {
  return false;
}

bool ReadCtfTraces(const std::vector<std::string>& dirs, const ReadOptions& options,
                   const BatchCallback& on_batch, Batch& batch, ReadReport& report) {
  for (const auto& d : dirs) {
    FileReport f{d, "ctf", FolderBytes(d), 0,
                 "CTF trace folder, but this build has no libbabeltrace2 (skipped)"};
    report.files.push_back(std::move(f));
  }
  (void)options, (void)on_batch, (void)batch;
  return true;
}

#else

bool CtfSupported() {
  return true;
}

namespace {

// Owns one babeltrace2 reference; `put` is the type's bt_*_put_ref.
template <class T, void (*put)(const T*)>
struct Ref {
  const T* p = nullptr;
  Ref() = default;
  explicit Ref(const T* x) : p(x) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p) put(p);
  }
};

// The messages of the current thread's babeltrace2 error, most specific cause first, joined.
std::string TakeError(std::string fallback) {
  const bt_error* err = bt_current_thread_take_error();
  if (!err) return fallback;
  std::string out;
  uint64_t n = bt_error_get_cause_count(err);
  // Causes are stored outermost last; the innermost (first) is the actual reason.
  for (uint64_t i = 0; i < n && i < 4; ++i) {
    const bt_error_cause* c = bt_error_borrow_cause_by_index(err, i);
    std::string m = bt_error_cause_get_message(c);
    if (m.empty()) continue;
    if (!out.empty()) out += "; ";
    out += m;
  }
  bt_error_release(err);
  if (out.empty()) return fallback;
  return CutUtf8(out, 600);
}

void AppendValue(const bt_field* f, std::string& out, int depth);

void AppendInteger(const bt_field* f, bt_field_class_type t, std::string& out) {
  if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_ENUMERATION)) {
    bt_field_class_enumeration_mapping_label_array labels;
    uint64_t count = 0;
    if (bt_field_enumeration_unsigned_get_mapping_labels(f, &labels, &count) ==
            BT_FIELD_ENUMERATION_GET_MAPPING_LABELS_STATUS_OK &&
        count > 0) {
      out += labels[0];
      return;
    }
  } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_ENUMERATION)) {
    bt_field_class_enumeration_mapping_label_array labels;
    uint64_t count = 0;
    if (bt_field_enumeration_signed_get_mapping_labels(f, &labels, &count) ==
            BT_FIELD_ENUMERATION_GET_MAPPING_LABELS_STATUS_OK &&
        count > 0) {
      out += labels[0];
      return;
    }
  }
  if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
    out += std::to_string(bt_field_integer_unsigned_get_value(f));
  else
    out += std::to_string(bt_field_integer_signed_get_value(f));
}

// Scalars as text; arrays and structures as compact JSON-like text (what core/event.h promises).
void AppendValue(const bt_field* f, std::string& out, int depth) {
  if (!f) return;
  bt_field_class_type t = bt_field_get_class_type(f);
  if (t == BT_FIELD_CLASS_TYPE_STRING) {
    const char* s = bt_field_string_get_value(f);
    out.append(s, bt_field_string_get_length(f));
  } else if (t == BT_FIELD_CLASS_TYPE_BOOL) {
    out += bt_field_bool_get_value(f) ? "true" : "false";
  } else if (t == BT_FIELD_CLASS_TYPE_BIT_ARRAY) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx",
                  static_cast<unsigned long long>(bt_field_bit_array_get_value_as_integer(f)));
    out += buf;
  } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_INTEGER)) {
    AppendInteger(f, t, out);
  } else if (t == BT_FIELD_CLASS_TYPE_SINGLE_PRECISION_REAL) {
    out += std::to_string(bt_field_real_single_precision_get_value(f));
  } else if (t == BT_FIELD_CLASS_TYPE_DOUBLE_PRECISION_REAL) {
    out += std::to_string(bt_field_real_double_precision_get_value(f));
  } else if (depth > 8) {
    out += "...";
  } else if (t == BT_FIELD_CLASS_TYPE_STRUCTURE) {
    const bt_field_class* fc = bt_field_borrow_class_const(f);
    uint64_t n = bt_field_class_structure_get_member_count(fc);
    out += '{';
    for (uint64_t i = 0; i < n; ++i) {
      if (i) out += ',';
      out += bt_field_class_structure_member_get_name(
          bt_field_class_structure_borrow_member_by_index_const(fc, i));
      out += ':';
      AppendValue(bt_field_structure_borrow_member_field_by_index_const(f, i), out, depth + 1);
    }
    out += '}';
  } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_ARRAY)) {
    uint64_t n = bt_field_array_get_length(f);
    out += '[';
    for (uint64_t i = 0; i < n && i < 256; ++i) {
      if (i) out += ',';
      AppendValue(bt_field_array_borrow_element_field_by_index_const(f, i), out, depth + 1);
    }
    if (n > 256) out += ",...";
    out += ']';
  } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_OPTION)) {
    AppendValue(bt_field_option_borrow_field_const(f), out, depth + 1);
  } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_VARIANT)) {
    AppendValue(bt_field_variant_borrow_selected_option_field_const(f), out, depth + 1);
  }
}

int64_t AsInteger(const bt_field* f) {
  bt_field_class_type t = bt_field_get_class_type(f);
  if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
    return static_cast<int64_t>(bt_field_integer_unsigned_get_value(f));
  if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
    return bt_field_integer_signed_get_value(f);
  return 0;
}

// Context members: the process identity goes to the TraceEvent's own fields, the rest to
// "context.<name>" attributes (payload names stay unprefixed: they are what keys are built from).
void AddContext(const bt_field* ctx, TraceEvent& e) {
  if (!ctx || bt_field_get_class_type(ctx) != BT_FIELD_CLASS_TYPE_STRUCTURE) return;
  const bt_field_class* fc = bt_field_borrow_class_const(ctx);
  uint64_t n = bt_field_class_structure_get_member_count(fc);
  for (uint64_t i = 0; i < n; ++i) {
    const char* name = bt_field_class_structure_member_get_name(
        bt_field_class_structure_borrow_member_by_index_const(fc, i));
    const bt_field* m = bt_field_structure_borrow_member_field_by_index_const(ctx, i);
    if (!std::strcmp(name, "vpid") || !std::strcmp(name, "pid")) {
      e.pid = AsInteger(m);
    } else if (!std::strcmp(name, "vtid") || !std::strcmp(name, "tid")) {
      e.tid = AsInteger(m);
    } else if (!std::strcmp(name, "procname")) {
      e.process_name.clear();
      AppendValue(m, e.process_name, 0);
    } else {
      Attribute& a = e.fields.emplace_back();
      a.key = std::string("context.") + name;
      AppendValue(m, a.value, 0);
    }
  }
}

void AddPayload(const bt_field* payload, TraceEvent& e) {
  if (!payload || bt_field_get_class_type(payload) != BT_FIELD_CLASS_TYPE_STRUCTURE) return;
  const bt_field_class* fc = bt_field_borrow_class_const(payload);
  uint64_t n = bt_field_class_structure_get_member_count(fc);
  for (uint64_t i = 0; i < n; ++i) {
    Attribute& a = e.fields.emplace_back();
    a.key = bt_field_class_structure_member_get_name(
        bt_field_class_structure_borrow_member_by_index_const(fc, i));
    AppendValue(bt_field_structure_borrow_member_field_by_index_const(payload, i), a.value, 0);
  }
}

// One trace folder: its own graph (ctf.fs → muxer → simple sink) pulled step by step, so that the
// folders can be merged by time here and a folder that fails stops alone.
struct Source {
  std::string dir;
  std::string hostname;  // from the trace environment, added to events when several folders
  bool tag_host = false;
  bt_graph* graph = nullptr;
  std::deque<TraceEvent> pending;
  bool done = false;
  bool probe_only = false;  // decode without keeping events (the crash probe)
  uint64_t discarded = 0;
  uint64_t bad_time = 0;
  std::string error;

  ~Source() {
    if (graph) bt_graph_put_ref(graph);
  }

  void Convert(const bt_message* msg) {
    if (probe_only) return;
    bt_message_type type = bt_message_get_type(msg);
    if (type == BT_MESSAGE_TYPE_DISCARDED_EVENTS) {
      uint64_t count = 0;
      if (bt_message_discarded_events_get_count(msg, &count) == BT_PROPERTY_AVAILABILITY_AVAILABLE)
        discarded += count;
      return;
    }
    if (type != BT_MESSAGE_TYPE_EVENT) return;
    const bt_event* ev = bt_message_event_borrow_event_const(msg);
    TraceEvent e;
    const char* name = bt_event_class_get_name(bt_event_borrow_class_const(ev));
    e.name = name ? name : "";
    e.category = "ctf";
    if (bt_message_event_borrow_stream_class_default_clock_class_const(msg)) {
      const bt_clock_snapshot* cs = bt_message_event_borrow_default_clock_snapshot_const(msg);
      int64_t ns = 0;
      if (bt_clock_snapshot_get_ns_from_origin(cs, &ns) !=
          BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK) {
        ++bad_time;
        return;
      }
      e.time = ns;
    }
    // Of the packet context only the CPU matters per event (the rest describes the packet).
    if (const bt_packet* packet = bt_event_borrow_packet_const(ev)) {
      const bt_field* pc = bt_packet_borrow_context_field_const(packet);
      if (pc && bt_field_get_class_type(pc) == BT_FIELD_CLASS_TYPE_STRUCTURE)
        if (const bt_field* cpu =
                bt_field_structure_borrow_member_field_by_name_const(pc, "cpu_id")) {
          Attribute& a = e.fields.emplace_back();
          a.key = "context.cpu_id";
          AppendValue(cpu, a.value, 0);
        }
    }
    AddContext(bt_event_borrow_common_context_field_const(ev), e);
    AddContext(bt_event_borrow_specific_context_field_const(ev), e);
    AddPayload(bt_event_borrow_payload_field_const(ev), e);
    if (tag_host && !hostname.empty()) e.fields.push_back({"hostname", hostname});
    pending.push_back(std::move(e));
  }
};

bt_graph_simple_sink_component_consume_func_status Consume(bt_message_iterator* it, void* data) {
  auto* src = static_cast<Source*>(data);
  bt_message_array_const msgs;
  uint64_t count = 0;
  switch (bt_message_iterator_next(it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
      break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
  }
  for (uint64_t i = 0; i < count; ++i) {
    src->Convert(msgs[i]);
    bt_message_put_ref(msgs[i]);
  }
  return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

const bt_plugin* FindPlugin(const char* name) {
  const bt_plugin* p = nullptr;
  if (bt_plugin_find(name, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &p) !=
      BT_PLUGIN_FIND_STATUS_OK)
    return nullptr;
  return p;
}

// Builds the graph of one folder; on failure sets src.error (the folder is then rejected).
void Build(Source& src, const bt_plugin* ctf, const bt_plugin* utils) {
  auto fail = [&](const char* what) {
    src.error = TakeError(what);
    src.done = true;
  };
  src.graph = bt_graph_create(0);
  if (!src.graph) return fail("cannot create a babeltrace2 graph");
  Ref<bt_value, bt_value_put_ref> params(bt_value_map_create());
  bt_value* inputs = nullptr;
  auto* map = const_cast<bt_value*>(params.p);
  if (bt_value_map_insert_empty_array_entry(map, "inputs", &inputs) !=
          BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK ||
      bt_value_array_append_string_element(inputs, src.dir.c_str()) !=
          BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK)
    return fail("out of memory");
  const bt_component_source* fs_comp = nullptr;
  bt_graph_add_component_status added;
  {
#ifdef AUGUR_ASAN
    // libbabeltrace2 2.0's CTF source leaks 16 bytes when it fails on bad metadata: not augur's
    // leak to report under the sanitizers (Ctf.BadMetadataIsRejectedNotFatal).
    __lsan::ScopedDisabler lsan_ignores_babeltrace;
#endif
    added = bt_graph_add_source_component(
        src.graph, bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs"), "ctf",
        params.p, BT_LOGGING_LEVEL_NONE, &fs_comp);
  }
  if (added != BT_GRAPH_ADD_COMPONENT_STATUS_OK) return fail("not a readable CTF trace");
  const bt_component_filter* mux = nullptr;
  if (bt_graph_add_filter_component(
          src.graph, bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer"), "mux",
          nullptr, BT_LOGGING_LEVEL_NONE, &mux) != BT_GRAPH_ADD_COMPONENT_STATUS_OK)
    return fail("cannot create the babeltrace2 muxer");
  uint64_t ports = bt_component_source_get_output_port_count(fs_comp);
  for (uint64_t i = 0; i < ports; ++i) {
    // The muxer always offers one free input port, and adds another once it is connected.
    uint64_t in = bt_component_filter_get_input_port_count(mux);
    if (bt_graph_connect_ports(src.graph,
                               bt_component_source_borrow_output_port_by_index_const(fs_comp, i),
                               bt_component_filter_borrow_input_port_by_index_const(mux, in - 1),
                               nullptr) != BT_GRAPH_CONNECT_PORTS_STATUS_OK)
      return fail("cannot connect the CTF streams");
  }
  const bt_component_sink* sink = nullptr;
  if (bt_graph_add_simple_sink_component(src.graph, "augur", nullptr, Consume, nullptr, &src,
                                         &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK)
    return fail("cannot create the babeltrace2 sink");
  if (bt_graph_connect_ports(src.graph,
                             bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                             bt_component_sink_borrow_input_port_by_index_const(sink, 0),
                             nullptr) != BT_GRAPH_CONNECT_PORTS_STATUS_OK)
    return fail("cannot connect the babeltrace2 sink");
}

// libbabeltrace2 2.0 can crash on a corrupt data stream (fuzzing found a null dereference in its
// CTF decoder), which no error status reports. So each folder is first decoded, events dropped, in
// a forked child; a folder whose child dies is rejected instead of taking the process down. Returns
// the reason, or "" when the probe ended normally (or could not run: then it is read as is).
std::string ProbeInChild(const std::string& dir, const bt_plugin* ctf, const bt_plugin* utils) {
  pid_t pid = fork();
  if (pid < 0) return "";
  if (pid == 0) {
    Source probe;
    probe.dir = dir;
    probe.probe_only = true;
    Build(probe, ctf, utils);
    if (!probe.done) bt_graph_run(probe.graph);
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return "";
  // Under sanitizers a crash is an exit with an error code rather than a signal.
  if (WIFSIGNALED(status))
    return "libbabeltrace2 crashed decoding this trace (signal " +
           std::to_string(WTERMSIG(status)) + "): corrupt data stream or metadata";
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return "libbabeltrace2 crashed decoding this trace (exit " +
           std::to_string(WEXITSTATUS(status)) + "): corrupt data stream or metadata";
  return "";
}

// Runs the graph until it has pending events, ends or fails.
void Fill(Source& src) {
  while (!src.done && src.pending.empty()) {
    bt_graph_run_once_status s = bt_graph_run_once(src.graph);
    if (s == BT_GRAPH_RUN_ONCE_STATUS_END) {
      src.done = true;
    } else if (s < 0) {
      src.error = TakeError("cannot decode the CTF trace");
      src.done = true;
    }
  }
}

std::string HostnameOf(const std::string& dir) {
  // The LTTng metadata carries `hostname = "..."` in its env block, in plain text even when
  // packetized; a cheap scan avoids walking the trace IR before the first event.
  std::ifstream in(fs::path(dir) / "metadata", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.find("hostname = \"");
  if (at == std::string::npos) return "";
  at += 12;
  size_t end = text.find('"', at);
  return end == std::string::npos || end - at > 255 ? "" : text.substr(at, end - at);
}

}  // namespace

bool ReadCtfTraces(const std::vector<std::string>& dirs, const ReadOptions& options,
                   const BatchCallback& on_batch, Batch& batch, ReadReport& report) {
  if (dirs.empty()) return true;
  const bt_plugin* ctf = FindPlugin("ctf");
  const bt_plugin* utils = FindPlugin("utils");
  std::vector<std::unique_ptr<Source> > sources;
  std::vector<std::unique_ptr<ReadContext> > contexts;
  size_t first_file = report.files.size();
  for (const auto& d : dirs) {
    auto& s = sources.emplace_back(std::make_unique<Source>());
    s->dir = d;
    s->tag_host = dirs.size() > 1;
    if (s->tag_host) s->hostname = HostnameOf(d);
    FileReport f;
    f.path = d;
    f.format = "ctf";
    f.bytes = FolderBytes(d);
    report.files.push_back(std::move(f));
  }
  for (auto& s : sources)
    contexts.push_back(
        std::make_unique<ReadContext>(s->dir, options, on_batch, batch, report.rejected));
  if (!ctf || !utils) {
    for (auto& c : contexts) c->Reject(0, "libbabeltrace2 plugins ctf/utils not found");
  } else {
    for (auto& s : sources) {
      s->error = ProbeInChild(s->dir, ctf, utils);
      if (s->error.empty())
        Build(*s, ctf, utils);
      else
        s->done = true;
    }
  }
  bool stopped = false;
  auto finish = [&](size_t i) {
    Source& s = *sources[i];
    if (!s.error.empty() && !contexts[i]->stopped()) {
      if (!contexts[i]->Reject(0, "CTF: " + s.error)) stopped = true;
    }
    s.error.clear();
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    if (ctf && utils) Fill(*sources[i]);
    finish(i);
  }
  // k-way merge by time: few folders, so a linear scan for the earliest head is enough.
  while (!stopped) {
    size_t best = sources.size();
    for (size_t i = 0; i < sources.size(); ++i)
      if (!sources[i]->pending.empty() &&
          (best == sources.size() ||
           sources[i]->pending.front().time < sources[best]->pending.front().time))
        best = i;
    if (best == sources.size()) break;
    Source& s = *sources[best];
    contexts[best]->NewTraceEvent() = std::move(s.pending.front());
    s.pending.pop_front();
    contexts[best]->CommitTraceEvent();
    if (s.pending.empty()) {
      Fill(s);
      finish(best);
    }
  }
  if (contexts.size()) contexts[0]->Flush();
  for (size_t i = 0; i < sources.size(); ++i) {
    FileReport& f = report.files[first_file + i];
    f.records = contexts[i]->records();
    if (sources[i]->discarded)
      f.note = std::to_string(sources[i]->discarded) + " events discarded by the tracer";
    if (sources[i]->bad_time)
      contexts[i]->Reject(0, "CTF: event time out of range",
                          std::to_string(sources[i]->bad_time) + " events");
    if (contexts[i]->stopped() && report.error.empty()) report.error = contexts[i]->stop_message();
  }
  if (ctf) bt_plugin_put_ref(ctf);
  if (utils) bt_plugin_put_ref(utils);
  return report.error.empty();
}

#endif

}  // namespace augur::ingest
