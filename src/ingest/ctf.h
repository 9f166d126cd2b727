// The CTF reader (LTTng traces): a trace folder is the folder holding a `metadata` file; several
// folders (one per node) are read as one stream of TraceEvents merged by timestamp, through
// libbabeltrace2's ctf.fs source and utils.muxer filter.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ingest/read.h"

namespace augur::ingest {

// True when `dir` holds a `metadata` file that starts like CTF metadata (packetized magic or the
// "/* CTF" text header).
bool IsCtfTraceDir(const std::filesystem::path& dir);

// Whether this build reads CTF (libbabeltrace2 was found at configure time).
bool CtfSupported();

// Reads the CTF trace folders `dirs` merged by time. Each folder gets one FileReport (format
// "ctf"). A folder libbabeltrace2 cannot read (bad metadata, truncated stream) is rejected with its
// reason; events read before the failure are kept. Returns false on a strict stop (report.error
// set).
bool ReadCtfTraces(const std::vector<std::string>& dirs, const ReadOptions& options,
                   const BatchCallback& on_batch, Batch& batch, ReadReport& report);

}  // namespace augur::ingest
