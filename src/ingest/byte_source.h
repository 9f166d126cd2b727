// Reading a file as a stream of bytes in large blocks, gunzipping transparently when it starts with
// the gzip magic. Every reader sits on this; nothing here loads a whole file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace augur::ingest {

class ByteSource {
 public:
  // Opens `path`; gzip is recognised from its first two bytes, not from the extension.
  static Result<std::unique_ptr<ByteSource>> Open(const std::string& path);
  // Reads from memory (HTTP bodies, fuzzing); `data` must outlive the source.
  static std::unique_ptr<ByteSource> FromMemory(std::string_view data);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Reads up to `n` decompressed bytes into `out`; returns the count, 0 at the end. On a corrupt or
  // truncated gzip stream it returns what it could and sets error().
  size_t Read(char* out, size_t n);

  // The first `n` bytes of the content (fewer for short files), kept so that Read() still starts at
  // the beginning: format detection looks before a reader reads.
  std::string_view Peek(size_t n);

  // Drops a UTF-8 byte-order mark at the start of the content, before any Read().
  void SkipByteOrderMark();

  bool gzip() const { return gz_ != nullptr; }
  // Block size for readers: 4 MiB at most; small inputs (a file or memory) get small buffers, as
  // a fuzzer runs thousands of them a second. Compressed input and files of unknown size (pipes)
  // get the full 4 MiB.
  size_t block_hint() const {
    const uint64_t size = from_memory_ ? mem_.size() : file_size_;
    if (gz_ || (!from_memory_ && size == 0)) return 4u << 20;
    const uint64_t want = size + 4096;
    return want < (4u << 20) ? static_cast<size_t>(want) : (4u << 20);
  }
  const std::string& error() const { return error_; }      // "" when fine
  uint64_t compressed_bytes() const { return raw_read_; }  // bytes taken from the file so far
  uint64_t file_size() const { return file_size_; }

 private:
  ByteSource() = default;
  size_t ReadRaw(char* out, size_t n);
  size_t ReadDecoded(char* out, size_t n);

  std::string peeked_;
  size_t peeked_pos_ = 0;

  int fd_ = -1;
  std::string_view mem_;
  bool from_memory_ = false;
  uint64_t file_size_ = 0;
  uint64_t raw_read_ = 0;
  std::string error_;
  struct Gzip;
  std::unique_ptr<Gzip> gz_;
};

}  // namespace augur::ingest
