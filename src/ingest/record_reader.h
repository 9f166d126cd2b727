// Splitting a byte stream into lines or CSV records (a newline inside double quotes does not end a
// CSV record), in large blocks, without holding more than one record beyond the block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/byte_source.h"

namespace augur::ingest {

class RecordReader {
 public:
  // `quoted`: CSV mode. `max_record`: longer records are reported as too long and skipped
  // unbuffered.
  RecordReader(ByteSource& src, bool quoted, size_t max_record, size_t block = 0);  // 0: src's hint

  // The next record without its line end ('\n' or "\r\n"). Returns false at the end of the input.
  // A record over max_record comes back empty with *too_long set. The view stays valid until the
  // next call, and at least 64 readable bytes follow it (simdjson padding).
  bool Next(std::string_view* record, bool* too_long);

  uint64_t line() const { return record_line_; }  // 1-based line where the last record started
  uint64_t bytes_consumed() const { return consumed_; }

 private:
  bool Refill();

  ByteSource& src_;
  bool quoted_;
  size_t max_record_;
  std::vector<char> buf_;
  size_t cap_;
  size_t begin_ = 0, end_ = 0;  // unconsumed data
  size_t scan_ = 0;             // offset from begin_ already scanned for the end of the record
  bool in_quotes_ = false;      // quote parity of the scanned part (CSV mode)
  uint64_t newlines_in_record_ = 0;
  bool eof_ = false;
  uint64_t next_line_ = 1;
  uint64_t record_line_ = 0;
  uint64_t consumed_ = 0;
};

// Splits one CSV record into fields (RFC 4180 quoting, "" inside quotes). Views point into `record`
// or, for quoted fields with escapes, into `scratch` (reserved so it never reallocates).
void SplitCsv(std::string_view record, std::vector<std::string_view>* fields, std::string* scratch);

}  // namespace augur::ingest
