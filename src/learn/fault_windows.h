// The faults recorded under a folder, as time ranges whose telemetry is not known to be normal:
// Nezha's fault lists and the simulator's labels.json (`augur eval trace-injection` leaves their
// traces out of the clean ones).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/event.h"

namespace augur::learn {

// Nezha's fault lists (rca_data/*/*fault_list.json) as [inject_time, inject_time + after), the
// simulator's labels.json as [start, recovered). An unreadable list is skipped with a warning.
std::vector<std::pair<TimeNs, TimeNs>> FaultWindows(const std::string& dir, TimeNs after);

}  // namespace augur::learn
