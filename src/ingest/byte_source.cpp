#include "ingest/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace augur::ingest {

struct ByteSource::Gzip {
  z_stream zs{};
  std::vector<unsigned char> in;
  bool finished_member = false;
  bool eof = false;
  ~Gzip() { inflateEnd(&zs); }
};

Result<std::unique_ptr<ByteSource>> ByteSource::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Result<std::unique_ptr<ByteSource>>::Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Result<std::unique_ptr<ByteSource>>::Error(path + ": is a directory");
  }
  std::unique_ptr<ByteSource> src(new ByteSource());
  src->fd_ = fd;
  src->file_size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  unsigned char magic[2];
  ssize_t got = ::pread(fd, magic, 2, 0);
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    src->gz_ = std::make_unique<Gzip>();
    // 16 + MAX_WBITS: gzip wrapper only; members are restarted by hand to allow concatenated files.
    if (inflateInit2(&src->gz_->zs, 16 + MAX_WBITS) != Z_OK)
      return Result<std::unique_ptr<ByteSource>>::Error(path + ": cannot start gzip decoder");
    src->gz_->in.resize(1 << 20);
  }
  return src;
}

std::unique_ptr<ByteSource> ByteSource::FromMemory(std::string_view data) {
  std::unique_ptr<ByteSource> src(new ByteSource());
  src->from_memory_ = true;
  src->mem_ = data;
  src->file_size_ = data.size();
  if (data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
      static_cast<unsigned char>(data[1]) == 0x8b) {
    src->gz_ = std::make_unique<Gzip>();
    if (inflateInit2(&src->gz_->zs, 16 + MAX_WBITS) != Z_OK)
      src->error_ = "cannot start gzip decoder";
    src->gz_->in.resize(1 << 20);
  }
  return src;
}

ByteSource::~ByteSource() {
  if (fd_ >= 0) ::close(fd_);
}

size_t ByteSource::ReadRaw(char* out, size_t n) {
  if (from_memory_) {
    size_t k = std::min(n, mem_.size() - raw_read_);
    std::memcpy(out, mem_.data() + raw_read_, k);
    raw_read_ += k;
    return k;
  }
  size_t total = 0;
  while (total < n) {
    ssize_t got = ::read(fd_, out + total, n - total);
    if (got < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("read error: ") + std::strerror(errno);
      break;
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  raw_read_ += total;
  return total;
}

std::string_view ByteSource::Peek(size_t n) {
  if (peeked_.size() < n && peeked_pos_ == 0) {
    size_t have = peeked_.size();
    peeked_.resize(n);
    size_t got = have;
    while (got < n) {
      size_t r = ReadDecoded(peeked_.data() + got, n - got);
      if (r == 0) break;
      got += r;
    }
    peeked_.resize(got);
  }
  return std::string_view(peeked_).substr(peeked_pos_, n);
}

void ByteSource::SkipByteOrderMark() {
  if (peeked_pos_ != 0 || Peek(3) != "\xEF\xBB\xBF") return;
  peeked_pos_ = 3;
  if (peeked_pos_ == peeked_.size()) {  // only the mark was peeked: the rest comes from the file
    peeked_.clear();
    peeked_pos_ = 0;
  }
}

size_t ByteSource::Read(char* out, size_t n) {
  size_t from_peek = 0;
  if (peeked_pos_ < peeked_.size()) {
    from_peek = std::min(n, peeked_.size() - peeked_pos_);
    std::memcpy(out, peeked_.data() + peeked_pos_, from_peek);
    peeked_pos_ += from_peek;
    if (peeked_pos_ == peeked_.size()) {
      peeked_.clear();
      peeked_.shrink_to_fit();
      peeked_pos_ = 0;
    }
    if (from_peek == n) return n;
  }
  return from_peek + ReadDecoded(out + from_peek, n - from_peek);
}

size_t ByteSource::ReadDecoded(char* out, size_t n) {
  if (!error_.empty()) return 0;
  if (!gz_) return ReadRaw(out, n);
  Gzip& g = *gz_;
  z_stream& zs = g.zs;
  zs.next_out = reinterpret_cast<unsigned char*>(out);
  zs.avail_out = static_cast<uInt>(n);
  while (zs.avail_out > 0) {
    if (zs.avail_in == 0 && !g.eof) {
      size_t got = ReadRaw(reinterpret_cast<char*>(g.in.data()), g.in.size());
      if (got == 0) g.eof = true;
      zs.next_in = g.in.data();
      zs.avail_in = static_cast<uInt>(got);
    }
    if (g.finished_member) {
      // Another gzip member may follow (concatenated .gz files); trailing zero padding is
      // tolerated.
      while (zs.avail_in > 0 && *zs.next_in == 0) {
        ++zs.next_in;
        --zs.avail_in;
      }
      if (zs.avail_in == 0) {
        if (g.eof) break;
        continue;
      }
      inflateReset(&zs);
      g.finished_member = false;
    }
    if (zs.avail_in == 0 && g.eof) {
      if (!error_.empty()) break;
      error_ =
          "truncated gzip stream (ends after " + std::to_string(raw_read_) + " compressed bytes)";
      break;
    }
    int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      g.finished_member = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more input
    if (rc != Z_OK) {
      error_ = std::string("corrupt gzip stream: ") + (zs.msg ? zs.msg : "inflate error") +
               " (near compressed byte " + std::to_string(raw_read_ - zs.avail_in) + ")";
      break;
    }
  }
  return n - zs.avail_out;
}

}  // namespace augur::ingest
