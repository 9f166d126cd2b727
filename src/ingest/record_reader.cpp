#include "ingest/record_reader.h"

#include <algorithm>
#include <cstring>

namespace augur::ingest {

namespace {
constexpr size_t kPadding = 64;
// A quoted field may hold newlines, but not this many: past it, the quote that opened the field is
// taken for a stray one, the record ends at its first line, and reading goes on after that line.
constexpr size_t kMaxQuotedNewlines = 1000;
}  // namespace

RecordReader::RecordReader(ByteSource& src, bool quoted, size_t max_record, size_t block)
    : src_(src), quoted_(quoted), max_record_(max_record), cap_(block ? block : src.block_hint()) {
  buf_.resize(cap_ + kPadding);
}

bool RecordReader::Refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == cap_) {
    cap_ *= 2;
    buf_.resize(cap_ + kPadding);
  }
  size_t got = src_.Read(buf_.data() + end_, cap_ - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool RecordReader::Next(std::string_view* record, bool* too_long) {
  *too_long = false;
  bool skipping = false;  // the record is too long: drop bytes until its end
  record_line_ = next_line_;
  newlines_in_record_ = 0;
  for (;;) {
    char* data = buf_.data();
    size_t pos = begin_ + scan_;
    while (pos < end_) {
      char* nl = static_cast<char*>(std::memchr(data + pos, '\n', end_ - pos));
      size_t stop = nl ? static_cast<size_t>(nl - data) : end_;
      if (quoted_) {
        // Quote parity between pos and stop decides whether this newline ends the record.
        const char* q = data + pos;
        const char* e = data + stop;
        while ((q = static_cast<const char*>(std::memchr(q, '"', e - q))) != nullptr) {
          in_quotes_ = !in_quotes_;
          ++q;
        }
      }
      if (!nl) {
        pos = end_;
        break;
      }
      if (quoted_ && in_quotes_) {
        if (++newlines_in_record_ < kMaxQuotedNewlines || skipping) {
          pos = stop + 1;
          continue;
        }
        // The buffer still holds the record from its start: cut it at its first newline.
        stop = static_cast<size_t>(
            static_cast<char*>(std::memchr(data + begin_, '\n', stop + 1 - begin_)) - data);
        in_quotes_ = false;
        newlines_in_record_ = 0;
      }
      // Record ends at stop.
      size_t rec_begin = begin_;
      size_t rec_end = stop;
      begin_ = stop + 1;
      scan_ = 0;
      consumed_ += rec_end + 1 - rec_begin;
      next_line_ += newlines_in_record_ + 1;
      if (skipping) {
        *too_long = true;
        *record = std::string_view();
        return true;
      }
      if (rec_end > rec_begin && data[rec_end - 1] == '\r') --rec_end;
      *record = std::string_view(data + rec_begin, rec_end - rec_begin);
      return true;
    }
    scan_ = pos - begin_;
    if (end_ - begin_ >= max_record_) {
      // Too long: forget what we hold, keep scanning for the end of the record.
      skipping = true;
      consumed_ += end_ - begin_;
      begin_ = end_;
      scan_ = 0;
    }
    if (!Refill()) {
      if (end_ > begin_ || skipping) {
        size_t rec_begin = begin_;
        size_t rec_end = end_;
        consumed_ += rec_end - rec_begin;
        begin_ = end_;
        scan_ = 0;
        next_line_ += newlines_in_record_ + 1;
        if (skipping) {
          *too_long = true;
          *record = std::string_view();
          return true;
        }
        if (rec_end > rec_begin && data[rec_end - 1] == '\r') --rec_end;
        // Zero the padding after the last record: simdjson reads ahead within it.
        std::memset(buf_.data() + end_, 0, kPadding);
        *record = std::string_view(buf_.data() + rec_begin, rec_end - rec_begin);
        return true;
      }
      return false;
    }
  }
}

void SplitCsv(std::string_view rec, std::vector<std::string_view>* fields, std::string* scratch) {
  fields->clear();
  scratch->clear();
  if (scratch->capacity() < rec.size()) scratch->reserve(rec.size());
  size_t i = 0, n = rec.size();
  for (;;) {
    if (i < n && rec[i] == '"') {
      ++i;
      size_t start = i;
      bool escaped = false;
      size_t scratch_start = scratch->size();
      for (;;) {
        size_t q = rec.find('"', i);
        if (q == std::string_view::npos) {  // unterminated quote: take the rest
          if (escaped)
            scratch->append(rec.substr(i));
          else
            fields->push_back(rec.substr(start));
          i = n;
          break;
        }
        if (q + 1 < n && rec[q + 1] == '"') {
          scratch->append(rec.substr(escaped ? i : start, q + 1 - (escaped ? i : start)));
          escaped = true;
          i = q + 2;
          continue;
        }
        if (escaped)
          scratch->append(rec.substr(i, q - i));
        else
          fields->push_back(rec.substr(start, q - start));
        i = q + 1;
        break;
      }
      if (escaped)
        fields->push_back(
            std::string_view(scratch->data() + scratch_start, scratch->size() - scratch_start));
      // Anything between the closing quote and the separator is ignored.
      size_t comma = rec.find(',', i);
      if (comma == std::string_view::npos) return;
      i = comma + 1;
      if (i == n) {
        fields->push_back(std::string_view());
        return;
      }
      continue;
    }
    size_t comma = rec.find(',', i);
    if (comma == std::string_view::npos) {
      fields->push_back(rec.substr(i));
      return;
    }
    fields->push_back(rec.substr(i, comma - i));
    i = comma + 1;
  }
}

}  // namespace augur::ingest
