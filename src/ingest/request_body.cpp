#include "ingest/request_body.h"

#include <snappy.h>

namespace augur::ingest {

bool ReadRequestBody(ByteSource& src, ReadContext& ctx, const char* what, bool snappy,
                     std::string* body) {
  const std::string limit = std::to_string(kMaxRecordBytes >> 20) + " MiB";
  std::string raw;
  char buf[1 << 16];
  for (size_t n; (n = src.Read(buf, sizeof buf)) > 0;) {
    if (raw.size() + n > kMaxRecordBytes) {
      ctx.Reject(0, std::string(what) + " larger than " + limit + ": not read");
      return false;
    }
    raw.append(buf, n);
  }
  size_t length = 0;
  if (snappy && snappy::GetUncompressedLength(raw.data(), raw.size(), &length) &&
      snappy::IsValidCompressedBuffer(raw.data(), raw.size())) {
    if (length > kMaxRecordBytes) {
      ctx.Reject(0, std::string(what) + " larger than " + limit + " once uncompressed: not read");
      return false;
    }
    body->clear();
    snappy::Uncompress(raw.data(), raw.size(), body);
  } else {
    body->swap(raw);
  }
  return true;
}

}  // namespace augur::ingest
