// The protobuf wire format, read without generated code: a message is walked field by field, each
// length checked against the bytes left, so a damaged body fails with a reason instead of reading
// past its end. Used by the OTLP/protobuf, Loki and Prometheus remote-write readers; the few
// writing helpers below serve the protobuf answers of `augur serve`.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace augur::ingest::protobuf {

// A fixed64 field's bits as the double they encode.
inline double BitsToDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

struct ProtoError {
  std::string reason;
};

enum WireType : int { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// One protobuf message: fields read in order, each checked against the bytes left.
class Message {
 public:
  explicit Message(std::string_view bytes, const char* what)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()), what_(what) {}

  // The next field's number and wire type; false at the end.
  bool Next() {
    if (p_ == end_) return false;
    uint64_t key = Varint();
    field_ = static_cast<uint32_t>(key >> 3);
    type_ = static_cast<int>(key & 7);
    if (field_ == 0) Fail("field number 0");
    return true;
  }
  bool AtEnd() const { return p_ == end_; }
  uint32_t field() const { return field_; }
  int type() const { return type_; }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) Fail("truncated varint");
      uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail("varint longer than 10 bytes");
  }
  uint64_t Fixed64() {
    if (end_ - p_ < 8) Fail("truncated fixed64");
    uint64_t v;
    std::memcpy(&v, p_, 8);  // little-endian, as x86 and ARM are
    p_ += 8;
    return v;
  }
  double Double() { return BitsToDouble(Fixed64()); }
  std::string_view Bytes() {
    uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_)) Fail("length beyond the message");
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  // Bytes(), except that a length beyond the message takes what is left and sets *cut: the records
  // wholly inside a truncated resource or scope are still read.
  std::string_view BytesOrRest(bool* cut) {
    uint64_t n = Varint();
    *cut = n > static_cast<uint64_t>(end_ - p_);
    if (*cut) n = static_cast<uint64_t>(end_ - p_);
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  void Skip() {
    switch (type_) {
      case kVarint:
        Varint();
        break;
      case kFixed64:
        Fixed64();
        break;
      case kLen:
        Bytes();
        break;
      case kFixed32:
        if (end_ - p_ < 4) Fail("truncated fixed32");
        p_ += 4;
        break;
      default:
        Fail("unknown wire type " + std::to_string(type_));
    }
  }
  // Reads the field's value as `want` (skipping fields of another wire type would hide damage).
  void Expect(int want, const char* name) {
    if (type_ != want) throw ProtoError{std::string("wrong wire type: ") + what_ + "." + name};
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw ProtoError{std::string(what_) + ": " + why};
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const char* what_;
  uint32_t field_ = 0;
  int type_ = 0;
};

// The field as a value of its type, or ProtoError.
inline std::string_view LenField(Message& m, const char* name) {
  m.Expect(kLen, name);
  return m.Bytes();
}
inline uint64_t VarintField(Message& m, const char* name) {
  m.Expect(kVarint, name);
  return m.Varint();
}
inline uint64_t Fixed64Field(Message& m, const char* name) {
  m.Expect(kFixed64, name);
  return m.Fixed64();
}

// Writing, for the few answers augur sends in protobuf (OTLP/HTTP's) and for tests' requests.
inline void AppendVarint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}
inline void AppendVarintField(uint32_t field, uint64_t v, std::string* out) {
  AppendVarint(static_cast<uint64_t>(field) << 3 | kVarint, out);
  AppendVarint(v, out);
}
inline void AppendFixed64Field(uint32_t field, uint64_t v, std::string* out) {
  AppendVarint(static_cast<uint64_t>(field) << 3 | kFixed64, out);
  out->append(reinterpret_cast<const char*>(&v), 8);  // little-endian, as x86 and ARM are
}
inline void AppendLenField(uint32_t field, std::string_view bytes, std::string* out) {
  AppendVarint(static_cast<uint64_t>(field) << 3 | kLen, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

// sint32/sint64 (zigzag) as signed.
inline int64_t ZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace augur::ingest::protobuf
