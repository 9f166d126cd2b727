// `augur eval nezha`: root-cause localization on Nezha-style folders (TrainTicket, Online
// Boutique). Learns the normal profile from construct_data/<day>, then localizes every fault of
// rca_data/<day>/<day>-fault_list.json from the minute file at inject_time + offset (Nezha's
// protocol: offset 2, seconds dropped) and scores the rank of the injected pod's service (AS@k).
#pragma once

#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "localize/localizer.h"

namespace augur::localize {

struct NezhaFault {
  std::string day;
  std::string inject_time;  // as written: "2023-01-29 08:43:04" (UTC)
  TimeNs time = 0;
  std::string pod;
  std::string service;  // the pod's deployment
  std::string type;     // exception, return, cpu_contention, ...
};

// Reads <day>-fault_list.json ({"HH": [{inject_time, inject_pod, inject_type, ...}], ...}). Uses
// inject_time, never inject_timestamp (unreliable in the published data).
Result<std::vector<NezhaFault>> ReadNezhaFaultList(const std::string& path, const std::string& day);

struct NezhaCase {
  NezhaFault fault;
  std::vector<std::string> ranking;  // services, most likely origin first
  std::vector<double> p_origin;      // beside ranking
  int rank = 0;                      // 1-based rank of the true service; 0 when absent
  double seconds = 0;
  std::string note;              // why a case could not be localized, if so
  std::vector<std::string> top;  // the first three services with P(origin) and strongest evidence
  // Host nodes are not services: AS@k ranks services only. How many hosts ranked above the true
  // service, and the top-ranked node when it is a host ("" otherwise).
  int hosts_ahead = 0;
  std::string top_host;
  // The localizer's tests of the top-ranked and of the true service, for the fault-type
  // diagnosis; and the types diagnosed from each (filled by diagnose::DiagnoseCases).
  std::vector<EvidenceItem> top_evidence, truth_evidence;
  std::string diagnosed, diagnosed_truth;
  // Nezha's inner-service root cause of the true service and fault type
  // (construct_data/root_cause_ts.json: the log statements around the injected code, joined by
  // `_`, or a metric name), "" when not labelled; and the 1-based position of the first of the
  // true service's evidence items that names one of its parts (0: none does).
  std::string inner_label;
  int inner_rank = 0;
};

// The 1-based position of the first item whose `what` or `detail` holds one of the `_`-separated
// parts of `label` or, where the label is two statements of one class (`C#405_C#418`), a statement
// of that class between them; 0 when none does.
int InnerRank(const std::string& label, const std::vector<EvidenceItem>& evidence);

struct NezhaEvalOptions {
  int minute_offset = 2;  // which minute file after inject_time to localize from
  LocalizerConfig config;
  std::string day;  // "" = every day folder under rca_data
};

struct NezhaEvalResult {
  std::vector<std::string> days;
  std::vector<NezhaCase> cases;
  double as1 = 0, as3 = 0, as5 = 0;
  // Fault types (diagnose::DiagnoseCases): cases whose injected type maps to one augur names, and
  // the share diagnosed right from the true service's evidence and from the top-ranked one's.
  int type_cases = 0;
  double type_accuracy = 0, type_accuracy_top = 0;
  // Inner-service root causes: labelled cases, and the share where the true service's first (first
  // three) evidence items name the label.
  int inner_cases = 0;
  double inner1 = 0, inner3 = 0;
  double learn_seconds = 0;
  double seconds = 0;  // whole evaluation
};

// Localizes `window` into `c`: ranking, p_origin, the rank of c.fault.service, the top lines; on
// failure the note.
void LocalizeCase(Localizer& loc, const Batch& window, NezhaCase& c);

// Fills as1/as3/as5 from the cases' ranks.
void ScoreCases(NezhaEvalResult& result);

Result<NezhaEvalResult> EvalNezha(const std::string& data_dir, const NezhaEvalOptions& options);

}  // namespace augur::localize
