#include "normalize/template_miner.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace augur::normalize {
namespace {

constexpr std::string_view kVar = "<*>";

// Character classes, one table lookup per byte.
enum : uint8_t {
  kSpace = 1,
  kDelim = 2,
  kDigit = 4,
  kAlpha = 8,
  kHex = 16,
  kValueEnd = 32,
  kCollapse = 64,
  kSpecial = 128,  // '=', ':', '/', '\\', '"': a token without them or digits is left as written
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> c{};
  // Control bytes separate tokens like whitespace: binary garbage never ends up inside a template
  // token (and the state file stays one token per field).
  for (int b = 0; b < 0x20; ++b) c[b] |= kSpace;
  c[0x7f] |= kSpace;
  c[(uint8_t)' '] |= kSpace;
  // Segment delimiters: LogHub-2.0's token delimiters plus '/', '\\' and a few brackets. '_' is not
  // one: blk_123 and attempt_1_2 are single identifiers.
  for (char s : std::string_view(",;:=|\"'[](){}.-+@#$%&/!?<>*\\~^`")) c[(uint8_t)s] |= kDelim;
  for (int d = '0'; d <= '9'; ++d) c[d] |= kDigit | kHex;
  for (int a = 'a'; a <= 'z'; ++a) c[a] |= kAlpha;
  for (int a = 'A'; a <= 'Z'; ++a) c[a] |= kAlpha;
  for (int a = 'a'; a <= 'f'; ++a) c[a] |= kHex;
  for (int a = 'A'; a <= 'F'; ++a) c[a] |= kHex;
  // The value of key=value ends at these (so "a=1,b=2" masks both values).
  for (char s : std::string_view(",;&)]}\"'")) c[(uint8_t)s] |= kValueEnd;
  // Two variables joined by one of these are one variable (LogHub-2.0's template normalisation
  // does the same: <*>.<*>, <*>:<*>, <*>/<*>, <*>@<*>, <*>#<*>).
  for (char s : std::string_view(".:/@#")) c[(uint8_t)s] |= kCollapse;
  for (char s : std::string_view("=:/\\\"")) c[(uint8_t)s] |= kSpecial;
  return c;
}
constexpr std::array<uint8_t, 256> kClass = MakeClasses();

inline bool Is(char ch, uint8_t cls) {
  return (kClass[(uint8_t)ch] & cls) != 0;
}

// Words that are values whatever the context (LogHub-2.0 normalises them to <*> as well).
bool IsValueWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {"true", "false", "null", "none", "nil"};
  for (std::string_view k : kWords) {
    if (w.size() != k.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < w.size() && eq; ++i) eq = (w[i] | 0x20) == k[i];
    if (eq) return true;
  }
  return false;
}

// A true/false/null/none/nil segment somewhere in a short token ("(true)", "null,").
bool HasValueWord(std::string_view t) {
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && !Is(t[i], kAlpha)) ++i;
    size_t j = i;
    while (j < t.size() && Is(t[j], kAlpha)) ++j;
    if (j > i && IsValueWord(std::string_view(t.data() + i, j - i))) return true;
    i = j;
  }
  return false;
}

constexpr std::array<uint8_t, 256> MakeWrap() {
  std::array<uint8_t, 256> w{};
  for (char c : std::string_view("([{<\"'")) w[(uint8_t)c] |= 1;
  for (char c : std::string_view(".,;:)]}>\"'")) w[(uint8_t)c] |= 2;
  return w;
}
constexpr std::array<uint8_t, 256> kWrap = MakeWrap();
bool IsWrapOpen(char c) {
  return kWrap[(uint8_t)c] & 1;
}
bool IsWrapClose(char c) {
  return kWrap[(uint8_t)c] & 2;
}

// Token classes drive the merge decision: two plain words that differ are probably different
// messages (GET/POST); identifiers, lists and masked values that differ are probably one variable.
// A code location (IsCodeLocation) is kCode: it never merges with another token.
enum Cls : uint8_t { kPure, kMasked, kWord, kOther, kCode };

bool IsWordLike(std::string_view t) {
  size_t b = 0, e = t.size();
  while (b < e && IsWrapOpen(t[b])) ++b;
  while (e > b && IsWrapClose(t[e - 1])) --e;
  if (b == e) return true;  // pure punctuation is structure, not a value
  if (!Is(t[b], kAlpha) || !(Is(t[e - 1], kAlpha) || t[e - 1] == '_')) return false;
  for (size_t i = b; i < e; ++i) {
    char ch = t[i];
    if (Is(ch, kAlpha) || ch == '_' || ch == '-' || ch == '\'') continue;
    return false;
  }
  return true;
}

Cls Classify(std::string_view t) {
  if (t == "<*>") return kPure;
  if (t.find("<*>") != std::string_view::npos) return kMasked;
  if (IsWordLike(t)) return kWord;
  return CodeLocationIn(t).empty() ? kOther : kCode;
}

// The letters of a masked token ("num=<*>,flags=<*>" → "numflags"): its constant skeleton.
bool SameLetters(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (true) {
    while (i < a.size() && !Is(a[i], kAlpha)) ++i;
    while (j < b.size() && !Is(b[j], kAlpha)) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i] != b[j]) return false;
    ++i, ++j;
  }
}

bool HasLetters(std::string_view a) {
  for (char c : a)
    if (Is(c, kAlpha)) return true;
  return false;
}

// Mismatch of a template token and a line token that are not equal: 0 soft (one variable),
// 1 hard (different structure), 2 two plain words.
// Keys ("num=<*>", "isOverlap:<*>") are structure: tokens with different keys are different fields.
bool HasKey(std::string_view a) {
  return a.find_first_of("=:") != std::string_view::npos;
}

// The masked token is one key and its value ("rhost=<*>"), and the other token has that key.
bool SameKey(std::string_view masked, std::string_view other) {
  size_t k = masked.find_first_of("=:");
  return masked.substr(k + 1) == kVar && other.size() > k + 1 &&
         other.substr(0, k + 1) == masked.substr(0, k + 1);
}

int MismatchKind(std::string_view ct, Cls cc, std::string_view lt, Cls lc) {
  if (cc == kCode || lc == kCode) return 1;
  if (cc == kWord && lc == kWord) return 2;
  if (cc == kWord || lc == kWord) return 1;
  if (cc == kMasked && lc == kMasked)
    return SameLetters(ct, lt) || !(HasKey(ct) || HasKey(lt)) ? 0 : 1;
  // A key whose value is a variable on one side and a name on the other ("rhost=<*>" and
  // "rhost=csnsu.nsuok.edu") is one field.
  if (cc == kMasked) return HasLetters(ct) && HasKey(ct) && !SameKey(ct, lt) ? 1 : 0;
  if (lc == kMasked) return HasLetters(lt) && HasKey(lt) && !SameKey(lt, ct) ? 1 : 0;
  return 0;  // pure/other vs pure/other
}

// The variable covering two different tokens, keeping what they share at the edges when that is
// punctuation or a key ("name=a," + "name=b," → "name=<*>,").
std::string Generalise(std::string_view a, std::string_view b) {
  size_t p = 0;
  while (p < a.size() && p < b.size() && a[p] == b[p]) ++p;
  size_t keep = 0;
  for (size_t i = 0; i < p; ++i) {
    char c = a[i];
    if (c == '=' || c == ':')
      keep = i + 1;
    else if (Is(c, kAlpha | kDigit) || c == '<' || c == '*' || c == '>') {
      // letters only count as part of a key ending in '=' or ':'
    } else if (keep == i) {
      keep = i + 1;
    }
  }
  // Never keep a partial "<*>".
  std::string_view pre = a.substr(0, keep);
  if (pre.size() >= 1 &&
      (pre.back() == '<' || (pre.size() >= 2 && pre.substr(pre.size() - 2) == "<*")))
    pre = {};
  size_t s = 0;
  while (s < a.size() - pre.size() && s < b.size() - pre.size() &&
         a[a.size() - 1 - s] == b[b.size() - 1 - s] && !Is(a[a.size() - 1 - s], kAlpha | kDigit) &&
         a[a.size() - 1 - s] != '>' && a[a.size() - 1 - s] != '*')
    ++s;
  std::string out(pre);
  out.append(kVar);
  out.append(a.substr(a.size() - s));
  return out;
}

inline uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

uint64_t HashBytes(std::string_view s, uint64_t h) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = Mix(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return Mix(h, tail ^ (uint64_t)s.size() << 56);
}

// One position of a template.
struct Slot {
  std::string tok;  // text; "<*>" marks the variable part
  int16_t run = 1;  // raw tokens behind a pure variable: a count, or -1 when it varies
  uint8_t cls = kOther;
  uint8_t glob = 0;  // generalised: matches any token with the same prefix/suffix around "<*>"
  uint8_t open = 0;  // also accepts plain words (a position that took many distinct words)
  uint16_t pre = 0, suf = 0;
};

struct Cluster {
  uint32_t id = 0;
  uint64_t count = 0;
  std::vector<Slot> slots;
  uint32_t lru_prev = 0, lru_next = 0;
  uint64_t text_key = 0;
  std::string text;
};

// One line after tokenising and masking.
struct Pos {
  uint32_t mb, ml;  // masked text in Scratch::masked
  uint32_t rb, re;  // raw byte span in the line (for params)
  uint32_t pb, pe;  // raw span of the masked part (params of partly masked tokens)
  uint16_t run;     // raw tokens collapsed into this position; 0: a date (one variable, any length)
  uint8_t cls;
};

// Per-byte classes of one line as bitmaps (bit k of word w = byte 64w+k), computed 64 bytes at a
// time and only as far as the tokenizer goes: token and segment boundaries are then found with a
// count-trailing-zeros instead of a branch per byte, and "has a digit" / "all hex" are one AND per
// word. Bytes past the end of the line read as spaces.
enum LineBit : int { kBSpace, kBDelim, kBDigit, kBHex, kBSpecial, kBQuote, kBColon, kLineBits };

constexpr std::array<uint8_t, 256> MakeLineBits() {
  std::array<uint8_t, 256> b{};
  for (int x = 0; x < 256; ++x) {
    uint8_t c = kClass[x];
    b[x] = (uint8_t)(((c & kSpace) ? 1 << kBSpace : 0) | ((c & kDelim) ? 1 << kBDelim : 0) |
                     ((c & kDigit) ? 1 << kBDigit : 0) | ((c & kHex) ? 1 << kBHex : 0) |
                     ((c & kSpecial) ? 1 << kBSpecial : 0) | (x == '"' ? 1 << kBQuote : 0) |
                     (x == ':' ? 1 << kBColon : 0));
  }
  return b;
}
// The portable path reads classes from this table; the SSE2 path computes the same bits.
[[maybe_unused]] constexpr std::array<uint8_t, 256> kLineBitTable = MakeLineBits();

struct LineBits {
  struct Block {
    uint64_t m[kLineBits];
  };
  const char* data = nullptr;
  size_t n = 0;
  size_t blocks = 0;  // n / 64 + 1: the last block always holds the end of the line
  size_t done = 0;    // blocks classified so far
  std::vector<Block> w;

  void Reset(std::string_view line) {
    data = line.data();
    n = line.size();
    blocks = n / 64 + 1;
    done = 0;
    if (w.size() < blocks) w.resize(blocks);
  }

  void Classify(size_t blk) {
    const size_t off = blk * 64;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(data) + off;
    alignas(16) uint8_t pad[64];
    if (off + 64 > n) {
      // Past the end: spaces.
      std::memset(pad, ' ', 64);
      std::memcpy(pad, src, n - off);
      src = pad;
    }
    Block& b = w[blk];
#if defined(__SSE2__)
    // The classes of kClass, 16 bytes per step with unsigned range tests (x - lo <= hi - lo is
    // min(x - lo, hi - lo) == x - lo).
    uint64_t m[kLineBits] = {};
    const __m128i c20 = _mm_set1_epi8(0x20);
    for (int q = 0; q < 4; ++q) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * q));
      auto in = [](__m128i x, char lo, char span) {
        __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
        return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span)), d);
      };
      auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
      const __m128i space = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, c20), v), eq(0x7f));
      const __m128i digit = in(v, '0', 9);
      const __m128i lower = _mm_or_si128(v, c20);
      const __m128i alpha = in(lower, 'a', 25);
      const __m128i hex = _mm_or_si128(digit, in(lower, 'a', 5));
      // Delimiters: printable ASCII punctuation except '_'.
      const __m128i word = _mm_or_si128(_mm_or_si128(digit, alpha), eq('_'));
      const __m128i delim = _mm_andnot_si128(word, in(v, 0x21, 0x7e - 0x21));
      const __m128i quote = eq('"'), colon = eq(':');
      const __m128i special = _mm_or_si128(_mm_or_si128(_mm_or_si128(quote, colon), eq('=')),
                                           _mm_or_si128(eq('/'), eq('\\')));
      const int sh = 16 * q;
      auto put = [&](int bit, __m128i x) {
        m[bit] |= (uint64_t)(uint32_t)_mm_movemask_epi8(x) << sh;
      };
      put(kBSpace, space);
      put(kBDelim, delim);
      put(kBDigit, digit);
      put(kBHex, hex);
      put(kBSpecial, special);
      put(kBQuote, quote);
      put(kBColon, colon);
    }
    for (int bit = 0; bit < kLineBits; ++bit) b.m[bit] = m[bit];
#else
    uint8_t c[64];
    for (int k = 0; k < 64; ++k) c[k] = kLineBitTable[src[k]];
    for (int bit = 0; bit < kLineBits; ++bit) {
      uint64_t m = 0;
      for (int g = 0; g < 8; ++g) {
        uint64_t x;
        std::memcpy(&x, c + 8 * g, 8);
        x = (x >> bit) & 0x0101010101010101ULL;  // one 0/1 byte per input byte
        m |= ((x * 0x0102040810204080ULL) >> 56) << (8 * g);
      }
      b.m[bit] = m;
    }
#endif
  }

  void Ensure(size_t blk) {
    while (done <= blk) Classify(done++);
  }
  uint64_t Word(int bit, size_t blk) {
    Ensure(blk);
    return w[blk].m[bit];
  }

  // First position >= i holding a space (n at the latest).
  size_t NextSpace(size_t i) {
    size_t blk = i >> 6;
    uint64_t m = Word(kBSpace, blk) & (~0ULL << (i & 63));
    while (!m) m = Word(kBSpace, ++blk);
    return blk * 64 + (size_t)__builtin_ctzll(m);
  }
  // First position >= i that is not a space; n if none.
  size_t NextNonSpace(size_t i) {
    size_t blk = i >> 6;
    if (blk >= blocks) return n;
    uint64_t m = ~Word(kBSpace, blk) & (~0ULL << (i & 63));
    while (!m) {
      if (++blk >= blocks) return n;
      m = ~Word(kBSpace, blk);
    }
    return std::min(n, blk * 64 + (size_t)__builtin_ctzll(m));
  }
  // First position in [a, limit) with `bit` set, else limit. Blocks up to `limit` are classified.
  [[gnu::always_inline]] size_t Next(int bit, size_t a, size_t limit) const {
    if (a >= limit) return limit;
    size_t blk = a >> 6;
    uint64_t m = w[blk].m[bit] & (~0ULL << (a & 63));
    if (m) return std::min(limit, blk * 64 + (size_t)__builtin_ctzll(m));
    const size_t last = (limit - 1) >> 6;
    while (!m) {
      if (++blk > last) return limit;
      m = w[blk].m[bit];
    }
    return std::min(limit, blk * 64 + (size_t)__builtin_ctzll(m));
  }
  // Mask of bits [a, b) of the word holding a: 0 < b - a <= 64 - a % 64.
  [[gnu::always_inline]] static uint64_t Span(size_t a, size_t b) {
    return (~0ULL >> (64 - (b - a))) << (a & 63);
  }
  [[gnu::always_inline]] static bool OneWord(size_t a, size_t b) {
    return (a >> 6) == ((b - 1) >> 6);
  }
  // Calls f(word, mask) for each word overlapping [a, b) (a < b) until one returns true.
  template <class F>
  bool AnyWord(size_t a, size_t b, F&& f) const {
    size_t blk = a >> 6;
    const size_t last = (b - 1) >> 6;
    if (blk == last) return f(blk, Span(a, b));
    if (f(blk, ~0ULL << (a & 63))) return true;
    for (++blk; blk < last; ++blk)
      if (f(blk, ~0ULL)) return true;
    return f(last, Span(last * 64, b));
  }
  [[gnu::always_inline]] bool Any(int bit, size_t a, size_t b) const {
    if (a >= b) return false;
    if (OneWord(a, b)) return (w[a >> 6].m[bit] & Span(a, b)) != 0;
    return AnyWord(a, b, [&](size_t k, uint64_t m) { return (w[k].m[bit] & m) != 0; });
  }
  [[gnu::always_inline]] bool All(int bit, size_t a, size_t b) const {
    if (OneWord(a, b)) return (~w[a >> 6].m[bit] & Span(a, b)) == 0;
    return !AnyWord(a, b, [&](size_t k, uint64_t m) { return (~w[k].m[bit] & m) != 0; });
  }
  size_t Count(int bit, size_t a, size_t b) const {
    size_t c = 0;
    AnyWord(a, b, [&](size_t k, uint64_t m) {
      c += (size_t)__builtin_popcountll(w[k].m[bit] & m);
      return false;
    });
    return c;
  }
  bool OddCount(int bit, size_t a, size_t b) const {
    int p = 0;
    AnyWord(a, b, [&](size_t k, uint64_t m) {
      p ^= __builtin_parityll(w[k].m[bit] & m);
      return false;
    });
    return p != 0;
  }
};

// xxHash64 (the published algorithm): the signature of a masked line is one pass over its
// contiguous masked text instead of a serial mix per token.
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL, kP2 = 0xC2B2AE3D27D4EB4FULL,
                   kP3 = 0x165667B19E3779F9ULL, kP4 = 0x85EBCA77C2B2AE63ULL,
                   kP5 = 0x27D4EB2F165667C5ULL;
inline uint64_t Rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}
inline uint64_t Read64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t XxRound(uint64_t acc, uint64_t in) {
  return Rotl(acc + in * kP2, 31) * kP1;
}
inline uint64_t XxMerge(uint64_t acc, uint64_t v) {
  return (acc ^ XxRound(0, v)) * kP1 + kP4;
}
uint64_t XxHash64(const char* p, size_t len, uint64_t seed) {
  const char* const end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v1 = seed + kP1 + kP2, v2 = seed + kP2, v3 = seed, v4 = seed - kP1;
    for (; p + 32 <= end; p += 32) {
      v1 = XxRound(v1, Read64(p));
      v2 = XxRound(v2, Read64(p + 8));
      v3 = XxRound(v3, Read64(p + 16));
      v4 = XxRound(v4, Read64(p + 24));
    }
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = XxMerge(XxMerge(XxMerge(XxMerge(h, v1), v2), v3), v4);
  } else {
    h = seed + kP5;
  }
  h += len;
  for (; p + 8 <= end; p += 8) h = Rotl(h ^ XxRound(0, Read64(p)), 27) * kP1 + kP4;
  if (p + 4 <= end) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    h = Rotl(h ^ (uint64_t)v * kP1, 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p) h = Rotl(h ^ (uint8_t)*p * kP5, 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  return h ^ (h >> 32);
}

// The masked text of a line, each token followed by a space. The buffer is sized for the worst
// case when the line comes in (a masked token is at most three times its raw bytes, plus the
// space), so appends check nothing; 16 bytes of slack let short copies move whole vectors.
struct MaskedText {
  std::vector<char> buf;
  size_t n = 0;

  void Reset(size_t line_size) {
    n = 0;
    const size_t need = 4 * line_size + 64;
    if (buf.size() < need) buf.resize(need);
  }
  size_t size() const { return n; }
  const char* data() const { return buf.data(); }
};

// Masked forms of recently seen short tokens. A token's masked text and the span of its variable
// part depend on its bytes alone, and the same keys, names and values recur line after line, so a
// hit replaces the segment walk with one compare and one copy. Direct-mapped, overwritten on
// collision; only the miner's own scratch has one (Match() stays free of shared mutable state).
struct TokenMemo {
  static constexpr size_t kMaxToken = 32, kMaxOut = 48, kSlots = 1024;
  struct Entry {
    uint64_t w[4];  // the token's bytes, zero-padded
    uint32_t pb, pe;
    uint8_t len = 0, out_len = 0;  // len 0: empty slot (tokens are never empty)
    char out[kMaxOut];
  };
  std::vector<Entry> slots;
};

struct Scratch {
  MaskedText masked;
  TokenMemo memo;
  std::vector<Pos> pos;
  LineBits bits;
  uint64_t signature = 0;
  uint64_t words = 0;  // hash of the plain words and their positions only
  bool truncated = false;
  std::string_view Text(const Pos& p) const { return std::string_view(masked.data() + p.mb, p.ml); }
};

void SetSlot(Slot& s, std::string tok, bool glob) {
  s.tok = std::move(tok);
  s.cls = Classify(s.tok);
  s.glob = glob;
  s.pre = s.suf = 0;
  if (glob) {
    size_t v = s.tok.find(kVar);
    s.pre = (uint16_t)v;
    s.suf = (uint16_t)(s.tok.size() - v - 3);
  }
}

}  // namespace

bool IsCodeLocation(std::string_view t) {
  // From the end (the masker asks this of every token holding a digit): 1-6 digits, then '#' or
  // ':'.
  size_t at = t.size();
  while (at > 0 && t.size() - at < 6 && Is(t[at - 1], kDigit)) --at;
  if (at == t.size() || at < 2 || (t[at - 1] != '#' && t[at - 1] != ':') || at > 256) return false;
  --at;
  const std::string_view name = t.substr(0, at);
  if (!Is(name[0], kAlpha)) return false;
  for (char c : name)
    if (!(Is(c, kAlpha | kDigit) || c == '_' || c == '$' || c == '.' || c == '/' || c == '-'))
      return false;
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return false;
  const std::string_view last = name.substr(dot + 1);
  if (t[at] == '#')  // a qualified class name: its last part starts a word, no path
    return name.find_first_of("/-") == std::string_view::npos && Is(last[0], kAlpha);
  static constexpr std::string_view kSource[] = {"java", "kt", "scala", "go",  "py",   "rb",
                                                 "js",   "ts", "c",     "cc",  "cpp",  "h",
                                                 "hpp",  "rs", "cs",    "php", "swift"};
  return std::find(std::begin(kSource), std::end(kSource), last) != std::end(kSource);
}

std::string_view CodeLocationIn(std::string_view token) {
  if (const size_t eq = token.find('='); eq != std::string_view::npos) token.remove_prefix(eq + 1);
  while (!token.empty() && IsWrapOpen(token.front())) token.remove_prefix(1);
  while (!token.empty() && IsWrapClose(token.back())) token.remove_suffix(1);
  return IsCodeLocation(token) ? token : std::string_view{};
}

std::vector<std::string> DefaultMasks() {
  return {"code", "url", "path", "uuid", "hostport", "kv", "hex", "bool", "number", "date"};
}

Status TemplateMinerConfig::Validate() const {
  if (max_templates < 1) return Status::Error("template miner: max_templates must be at least 1");
  if (word_variable_threshold < 2)
    return Status::Error("template miner: word_variable_threshold must be at least 2");
  if (!(similarity >= 0.0 && similarity <= 1.0))
    return Status::Error("template miner: similarity must be within [0, 1]");
  if (max_candidates < 1) return Status::Error("template miner: max_candidates must be at least 1");
  if (max_tokens < 1 || max_tokens > 30000)
    return Status::Error("template miner: max_tokens must be within [1, 30000]");
  auto names = DefaultMasks();
  for (const auto& d : disabled_masks)
    if (std::find(names.begin(), names.end(), d) == names.end())
      return Status::Error(
          "template miner: unknown mask '" + d +
          "' in disabled_masks (known: code, url, path, uuid, hostport, kv, hex, bool, number, "
          "date)");
  for (const auto& m : extra_masks) {
    try {
      std::regex re(m.regex);
    } catch (const std::regex_error& e) {
      return Status::Error("template miner: mask '" + m.name + "': invalid regex '" + m.regex +
                           "': " + e.what());
    }
  }
  return Status::Ok();
}

struct TemplateMiner::Impl {
  TemplateMinerConfig cfg;
  bool m_url = true, m_path = true, m_uuid = true, m_hostport = true, m_kv = true, m_hex = true,
       m_bool = true, m_number = true, m_code = true, m_date = true;
  std::vector<std::regex> user_masks;

  std::vector<std::unique_ptr<Cluster>> by_id{1};  // index = id; null when merged or evicted
  std::vector<uint32_t> merged_into{0};            // index = id
  std::vector<std::pair<uint32_t, uint32_t>> history;
  std::unordered_map<uint64_t, uint32_t> signatures;  // masked line → id (cache)
  std::unordered_map<uint64_t, uint32_t> by_words;    // plain words of a line → id (cache)
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_length;  // positions → ids
  std::unordered_map<uint64_t, uint32_t> by_text;                 // template text → id
  std::unordered_map<uint64_t, std::vector<uint32_t>> families;   // one-word-apart templates
  uint32_t lru_head = 0, lru_tail = 0;                            // most / least recently used
  TemplateMinerStats st;
  Scratch scratch;

  explicit Impl(TemplateMinerConfig c) : cfg(std::move(c)) {
    for (const auto& d : cfg.disabled_masks) {
      if (d == "url") m_url = false;
      if (d == "path") m_path = false;
      if (d == "uuid") m_uuid = false;
      if (d == "hostport") m_hostport = false;
      if (d == "kv") m_kv = false;
      if (d == "hex") m_hex = false;
      if (d == "bool") m_bool = false;
      if (d == "number") m_number = false;
      if (d == "code") m_code = false;
      if (d == "date") m_date = false;
    }
    for (const auto& m : cfg.extra_masks) {
      try {
        user_masks.emplace_back(m.regex, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error&) {
        // Validate() reports it; an invalid mask is ignored rather than crash a running pipeline.
      }
    }
    signatures.reserve(1024);
    scratch.memo.slots.resize(TokenMemo::kSlots);
  }

  // ---- masking -------------------------------------------------------------------------------

  static bool IsUuidAt(std::string_view t, size_t i) {
    if (t.size() - i < 36) return false;
    for (size_t k = 0; k < 36; ++k) {
      char c = t[i + k];
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        if (c != '-') return false;
      } else if (!Is(c, kHex)) {
        return false;
      }
    }
    return t.size() - i == 36 || !Is(t[i + 36], kHex);
  }

  // Length of a MAC-like run at i (6+ groups of two hex digits joined by ':' or '-'), else 0.
  static size_t MacAt(std::string_view t, size_t i) {
    size_t k = i, groups = 0;
    while (k + 2 <= t.size() && Is(t[k], kHex) && Is(t[k + 1], kHex)) {
      ++groups;
      k += 2;
      if (k < t.size() && (t[k] == ':' || t[k] == '-') && k + 2 < t.size() + 0 && groups < 64) {
        if (k + 2 <= t.size() - 0 && k + 1 < t.size() && Is(t[k + 1], kHex)) {
          ++k;
          continue;
        }
      }
      break;
    }
    if (groups < 6 || (k < t.size() && Is(t[k], kAlpha | kDigit))) return 0;
    return k - i;
  }

  // Length of an IPv6 address at i (hex groups of 1-4 digits joined by ':', at least 3 colons or a
  // "::", one decimal digit somewhere), else 0. Groups of letters only (FEBB, DEAD) are part of it,
  // which the per-segment rules would keep as words.
  static size_t Ipv6At(std::string_view t, size_t i) {
    size_t k = i, colons = 0, group = 0;
    bool digit = false, compressed = false;
    while (k < t.size()) {
      const char c = t[k];
      if (Is(c, kHex)) {
        if (++group > 4) return 0;
        digit |= Is(c, kDigit);
      } else if (c == ':') {
        if (group == 0) {
          if (compressed || k == i) return 0;  // a second "::", or a leading ':'
          compressed = true;
        }
        ++colons;
        group = 0;
      } else {
        break;
      }
      ++k;
    }
    if (k > i && t[k - 1] == ':' && !(k >= i + 2 && t[k - 2] == ':')) {
      --k;  // "addr:" ends a phrase; the colon is not part of the address
      --colons;
    }
    if (!digit || (colons < 3 && !(compressed && colons >= 2))) return 0;
    if (k < t.size() && Is(t[k], kAlpha | kDigit)) return 0;
    return k - i;
  }

  // A weekday or month name as dates are written (Mon..Sun, Jan..Dec).
  static bool IsDateWord(std::string_view t) {
    static constexpr std::string_view kNames =
        "MonTueWedThuFriSatSunJanFebMarAprMayJunJulAugSepOctNovDec";
    if (t.size() != 3 || !Is(t[0], kAlpha) || t[0] > 'Z' || t[1] < 'a' || t[2] < 'a') return false;
    for (size_t k = 0; k < kNames.size(); k += 3)
      if (kNames.compare(k, 3, t) == 0) return true;
    return false;
  }

  // h:mm, hh:mm:ss, optionally with a fraction (.123 or ,123) and a closing ',', ';', ')' or ']'.
  static bool IsTimeOfDay(std::string_view t) {
    while (!t.empty() && std::string_view(",;)]").find(t.back()) != std::string_view::npos)
      t.remove_suffix(1);
    auto digits = [&](size_t& k, size_t lo, size_t hi) {
      size_t b = k;
      while (k < t.size() && k - b < hi && Is(t[k], kDigit)) ++k;
      return k - b >= lo;
    };
    size_t k = 0;
    if (!digits(k, 1, 2) || k >= t.size() || t[k++] != ':' || !digits(k, 2, 2)) return false;
    if (k < t.size() && t[k] == ':' && !(++k, digits(k, 2, 2))) return false;
    if (k < t.size() && (t[k] == '.' || t[k] == ',') && !(++k, digits(k, 1, 9))) return false;
    return k == t.size();
  }

  // A date written inside a message ("at Sat Jun 25 02:04:08 2005", Java's Date.toString()): the
  // name token [i, j) is followed within three tokens by a time of day.
  [[gnu::noinline]] static bool InDate(std::string_view line, size_t i, size_t j, LineBits& lb) {
    if (!IsDateWord(line.substr(i, j - i))) return false;
    for (int t = 0; t < 3; ++t) {
      const size_t a = lb.NextNonSpace(j);
      if (a >= line.size()) return false;
      j = lb.NextSpace(a);
      if (IsTimeOfDay(line.substr(a, j - a))) return true;
    }
    return false;
  }

  // Copies len bytes of the line at p to o: whole 16-byte vectors when the line goes on far enough
  // (the masked-text buffer has the slack), else memcpy.
  [[gnu::always_inline]] static char* Copy(char* o, const char* p, size_t len, const char* end) {
    if (p + ((len + 15) & ~size_t{15}) <= end) {
      for (size_t k = 0; k < len; k += 16) std::memcpy(o + k, p + k, 16);
    } else {
      std::memcpy(o, p, len);
    }
    return o + len;
  }

  // Writes the masked form of the raw token line[i0, e0), which the tokenizer found to hold
  // something maskable, at o and returns the end; reports the raw span of its masked part
  // (relative to i0). `lb`: the line's class bitmaps, classified up to e0. The output goes through
  // a local pointer: stores through a char pointer may alias anything, so a buffer object's
  // length member would be reloaded and stored back for every byte.
  char* MaskToken(std::string_view line, size_t i0, size_t e0, const LineBits& lb, char* o,
                  uint32_t& pb, uint32_t& pe) const {
    pb = UINT32_MAX;
    pe = 0;
    char* const base = o;  // never join with the previous token's text
    const char* const L = line.data();
    const char* const end = L + line.size();
    const std::string_view t(L + i0, e0 - i0);
    for (const auto& re : user_masks) {
      if (std::regex_match(t.begin(), t.end(), re)) {
        pb = 0;
        pe = (uint32_t)t.size();
        std::memcpy(o, "<*>", 3);
        return o + 3;
      }
    }
    // Whole-token masks look at the token without surrounding punctuation.
    size_t b = 0, e = t.size();
    while (b < e && IsWrapOpen(t[b])) ++b;
    while (e > b && IsWrapClose(t[e - 1])) --e;
    const std::string_view core(t.data() + b, e - b);
    if (m_code && IsCodeLocation(core)) return Copy(o, t.data(), t.size(), end);
    auto wrapped = [&](size_t keep) {  // keep: bytes of the core kept before the variable
      o = Copy(o, t.data(), b + keep, end);
      std::memcpy(o, "<*>", 3);
      o = Copy(o + 3, t.data() + e, t.size() - e, end);
      pb = (uint32_t)(b + keep);
      pe = (uint32_t)e;
      return o;
    };
    if (core.size() >= 2) {
      // URLs, Windows paths and host:port all need a ':' in the core.
      const bool colon = lb.Any(kBColon, i0 + b, i0 + e);
      if (m_url && colon) {
        size_t u = core.find("://");
        if (u != std::string_view::npos && u > 0 && u + 3 < core.size()) return wrapped(u + 3);
      }
      if (m_path) {
        bool unix_path = core[0] == '/' && core[1] != '/';
        bool win_path =
            colon && core.size() >= 3 && Is(core[0], kAlpha) && core[1] == ':' && core[2] == '\\';
        if (unix_path || win_path)
          for (char ch : core)
            if (Is(ch, kAlpha | kDigit)) return wrapped(0);
      }
      if (m_uuid && core.size() == 36 && IsUuidAt(core, 0)) return wrapped(0);
      if (m_hostport && colon) {
        // host:port, ip:port, host/ip:port — an address is one value. A port has at most five
        // digits, so only a ':' among the last six bytes can start one.
        size_t c = std::string_view::npos;
        for (size_t k = core.size(); k > 0 && k + 6 > core.size(); --k)
          if (core[k - 1] == ':') {
            c = k - 1;
            break;
          }
        if (c != std::string_view::npos && c > 0 && c + 1 < core.size()) {
          bool port = true, host = true, mark = false;
          for (size_t k = c + 1; k < core.size(); ++k) port &= Is(core[k], kDigit);
          for (size_t k = 0; k < c && host; ++k) {
            char ch = core[k];
            host = Is(ch, kAlpha | kDigit) || ch == '.' || ch == '-' || ch == '_' || ch == '/';
            mark |= Is(ch, kDigit) || ch == '.' || ch == '-';
          }
          if (port && host && mark) return wrapped(0);
        }
      }
    }
    // A variable segment t[i, j): joins a directly preceding "<*>" + one collapse delimiter
    // ("<*>.<*>" → "<*>") and takes a sign in front of a number ("-5", "=-5").
    auto var = [&](size_t i, size_t j, bool join) {
      if (join && i > 0 && (t[i - 1] == '-' || t[i - 1] == '+') && o >= base + 1 &&
          o[-1] == t[i - 1] &&
          (i == 1 || std::string_view("=:(,[{ ").find(t[i - 2]) != std::string_view::npos)) {
        --o;
        --i;
      }
      if (join && i > 0 && o >= base + 4 && Is(o[-1], kCollapse) &&
          std::memcmp(o - 4, "<*>", 3) == 0) {
        --o;
      } else {
        std::memcpy(o, "<*>", 3);
        o += 3;
      }
      pb = std::min<uint32_t>(pb, (uint32_t)i);
      pe = (uint32_t)j;
    };
    // Segments between delimiters, in line positions; the bitmaps find each segment's end and tell
    // whether it holds digits or only hex digits without looking at its bytes one by one.
    size_t k = i0;
    bool after_eq = false;
    while (k < e0) {
      const char ch = L[k];
      if (m_kv && after_eq) {
        after_eq = false;
        if (ch == '"') {
          // key="quoted value", possibly with spaces (the tokenizer kept it in one token)
          size_t q = lb.Next(kBQuote, k + 1, e0);
          if (q < e0 && q > k + 1) {
            *o++ = '"';
            var(k + 1 - i0, q - i0, false);
            *o++ = '"';
            k = q + 1;
            continue;
          }
        }
        // Every value-end byte is a delimiter: only delimiters need a look.
        size_t j = lb.Next(kBDelim, k, e0);
        while (j < e0 && !Is(L[j], kValueEnd)) j = lb.Next(kBDelim, j + 1, e0);
        if (lb.Any(kBDigit, k, j)) {
          if (m_code && IsCodeLocation(std::string_view(L + k, j - k)))  // caller=logging.go:37
            o = Copy(o, L + k, j - k, end);
          else
            var(k - i0, j - i0, true);
          k = j;
          continue;
        }
      }
      if (Is(ch, kDelim)) {
        *o++ = ch;
        if (ch == '=') after_eq = true;
        ++k;
        continue;
      }
      const size_t rel = k - i0;
      if (m_uuid && e0 - k >= 36 && L[k + 8] == '-' && IsUuidAt(t, rel)) {
        var(rel, rel + 36, true);
        k += 36;
        continue;
      }
      if (m_hex && e0 - k >= 17 && (L[k + 2] == ':' || L[k + 2] == '-')) {
        if (size_t mac = MacAt(t, rel)) {
          var(rel, rel + mac, true);
          k += mac;
          continue;
        }
      }
      if (m_hex && Is(ch, kHex) && e0 - k >= 6 &&
          (L[k + 1] == ':' || L[k + 2] == ':' || L[k + 3] == ':' || L[k + 4] == ':')) {
        if (size_t v6 = Ipv6At(t, rel)) {
          var(rel, rel + v6, true);
          k += v6;
          continue;
        }
      }
      size_t j = lb.Next(kBDelim, k + 1, e0);
      // blk_-123: an identifier prefix glued to a negative number is one value.
      while (j < e0 && L[j] == '-' && L[j - 1] == '_' && j + 1 < e0 && Is(L[j + 1], kDigit))
        j = lb.Next(kBDelim, j + 1, e0);
      const size_t len = j - k;
      const bool hex = lb.All(kBHex, k, j);
      bool is_var = false;
      if (m_number && lb.Any(kBDigit, k, j)) {
        // A value: starts or ends with a digit, is hex, or is mostly digits. jk2_init or log4j are
        // names, and so are two or more letters with one digit after them (ssh2, eth1, SOCKS5).
        // Numbers and hex decide without counting digits.
        is_var = Is(L[k], kDigit) || hex;
        if (!is_var) {
          const size_t digits = lb.Count(kBDigit, k, j);
          const bool name_digit =
              digits == 1 && len >= 3 && Is(L[j - 2], kAlpha) && Is(L[j - 3], kAlpha);
          is_var = (Is(L[j - 1], kDigit) && !name_digit) || digits * 2 >= len;
        }
      }
      if (!is_var && m_hex && hex && len >= 8) is_var = true;
      if (!is_var && m_bool && len >= 3 && len <= 5 && IsValueWord(std::string_view(L + k, len)))
        is_var = true;
      if (is_var)
        var(rel, j - i0, true);
      else
        o = Copy(o, L + k, len, end);
      k = j;
    }
    return o;
  }

  // MaskToken() through the scratch's memo, for tokens of at most 32 bytes.
  char* MaskShort(std::string_view line, size_t i, size_t j, Scratch& s, char* o, uint32_t& pb,
                  uint32_t& pe) const {
    const size_t len = j - i;
    uint64_t w[4] = {0, 0, 0, 0};
    if (i + 32 <= line.size()) {
      std::memcpy(w, line.data() + i, 32);
      for (size_t k = 0; k < 4; ++k) {
        const size_t have = len > 8 * k ? len - 8 * k : 0;
        if (have < 8) w[k] &= have ? ~0ULL >> (64 - 8 * have) : 0;
      }
    } else {
      std::memcpy(w, line.data() + i, len);
    }
    uint64_t h = len * kP1;
    for (uint64_t x : w) h = Rotl(h ^ (x * kP2), 29) * kP1;
    TokenMemo::Entry& e = s.memo.slots[(h >> 40) & (TokenMemo::kSlots - 1)];
    if (e.len == len && e.w[0] == w[0] && e.w[1] == w[1] && e.w[2] == w[2] && e.w[3] == w[3]) {
      std::memcpy(o, e.out, TokenMemo::kMaxOut);  // the masked-text buffer has the slack
      pb = e.pb;
      pe = e.pe;
      return o + e.out_len;
    }
    char* end = MaskToken(line, i, j, s.bits, o, pb, pe);
    const size_t out_len = (size_t)(end - o);
    if (out_len <= TokenMemo::kMaxOut) {
      std::memcpy(e.w, w, sizeof w);
      e.len = (uint8_t)len;
      e.out_len = (uint8_t)out_len;
      e.pb = pb;
      e.pe = pe;
      std::memcpy(e.out, o, TokenMemo::kMaxOut);
    }
    return end;
  }

  // Tokenise + mask + collapse runs of pure variables + hash.
  void Prepare(std::string_view line, Scratch& s) const {
    s.pos.clear();
    s.truncated = false;
    s.masked.Reset(line.size());
    char* const ob = s.masked.buf.data();
    char* o = ob;
    LineBits& lb = s.bits;
    lb.Reset(line);
    const char* L = line.data();
    const size_t n = line.size();
    // What the masked text (tokens joined by spaces) does not show: tokens holding a space.
    uint64_t side = 0x2545f4914f6cdd1dULL;
    size_t i = 0;
    while (true) {
      i = lb.NextNonSpace(i);
      if (i >= n) break;
      if (s.pos.size() + 1 >= cfg.max_tokens) {
        // The tail of an over-long line becomes one variable.
        size_t j = n;
        while (j > i && Is(L[j - 1], kSpace)) --j;
        s.truncated = true;
        const uint32_t mb = (uint32_t)(o - ob);
        std::memcpy(o, "<*> ", 4);
        o += 4;
        if (AppendPos(s, mb, 3, (uint32_t)i, (uint32_t)j, (uint32_t)i, (uint32_t)j, kPure))
          o = ob + mb;
        break;
      }
      size_t j = lb.NextSpace(i);
      // Most tokens are words with nothing to mask: no digit, key, path, quote, long hex run or
      // boolean.
      bool slow, quote;
      if (LineBits::OneWord(i, j)) {
        const LineBits::Block& w = lb.w[i >> 6];
        const uint64_t span = LineBits::Span(i, j);
        slow =
            ((w.m[kBDigit] | w.m[kBSpecial]) & span) || (j - i >= 8 && (~w.m[kBHex] & span) == 0);
        quote = (w.m[kBQuote] & span) != 0;
      } else {
        slow =
            lb.Any(kBDigit, i, j) || lb.Any(kBSpecial, i, j) || (j - i >= 8 && lb.All(kBHex, i, j));
        quote = lb.Any(kBQuote, i, j);
      }
      slow |= !user_masks.empty();
      bool extended = false;
      if (quote && m_kv && lb.OddCount(kBQuote, i, j)) {
        bool kvq = false;
        for (size_t q = lb.Next(kBQuote, i + 1, j); q < j && !kvq; q = lb.Next(kBQuote, q + 1, j))
          kvq = L[q - 1] == '=';
        if (kvq) {
          // key="value with spaces": keep the quoted value in this token (bounded look-ahead).
          size_t q = line.find('"', j);
          if (q != std::string_view::npos && q - j < 256) {
            j = lb.NextSpace(q + 1);
            slow = extended = true;
          }
        }
      }
      if (!slow && m_bool && j - i >= 3 && j - i <= 7 &&
          HasValueWord(std::string_view(L + i, j - i)))
        slow = true;
      const uint32_t mb = (uint32_t)(o - ob);
      uint32_t pb = UINT32_MAX, pe = 0;
      // Capitalised three-letter words only reach the date rule (kept out of line: this loop is
      // hot).
      const bool date =
          j - i == 3 && L[i] >= 'A' && L[i] <= 'Z' && !slow && m_date && InDate(line, i, j, lb);
      if (date) {
        // The name joins the date's numbers: the whole date becomes one variable.
        std::memcpy(o, "<*>", 3);
        o += 3;
        pb = 0;
        pe = (uint32_t)(j - i);
      } else if (slow && j - i <= TokenMemo::kMaxToken && !s.memo.slots.empty())
        o = MaskShort(line, i, j, s, o, pb, pe);
      else if (slow)
        o = MaskToken(line, i, j, lb, o, pb, pe);
      else
        o = Copy(o, L + i, j - i, L + n);
      const uint32_t ml = (uint32_t)(o - ob) - mb;
      if (extended && std::memchr(ob + mb, ' ', ml))
        side = Mix(side, ((uint64_t)s.pos.size() << 32) | ml);
      *o++ = ' ';
      // Classes are only needed off the fast path (Classes()); here just pure or not.
      const bool pure = ml == 3 && std::memcmp(ob + mb, "<*>", 3) == 0;
      if (AppendPos(s, mb, ml, (uint32_t)i, (uint32_t)j,
                    pb == UINT32_MAX ? (uint32_t)i : (uint32_t)i + pb,
                    pb == UINT32_MAX ? (uint32_t)i : (uint32_t)i + pe, pure ? kPure : kOther))
        o = ob + mb;
      if (date) s.pos.back().run = 0;  // the numbers after the name join it
      i = j;
    }
    s.masked.n = (size_t)(o - ob);
    for (size_t k = 0; k < s.pos.size(); ++k)
      if (s.pos[k].run != 1) side = Mix(side, (k << 16) | s.pos[k].run);
    side = Mix(side, s.pos.size());
    s.signature = XxHash64(ob, s.masked.n, side);
  }

  // Token classes and the plain-words hash: for lines the signature cache did not know.
  static void Classes(Scratch& s) {
    uint64_t w = 0x6a09e667f3bcc909ULL;
    for (size_t k = 0; k < s.pos.size(); ++k) {
      Pos& p = s.pos[k];
      if (p.cls != kPure) p.cls = Classify(s.Text(p));
      if (p.cls == kWord) w = Mix(HashBytes(s.Text(p), w), k);
    }
    s.words = Mix(w, s.pos.size());
  }

  // Adds a position. A pure variable right after another joins it; then true: the caller drops
  // its text, so the run keeps a single "<*>". Fields are stored one by one: building a Pos on the
  // stack and copying it in made the copy's wide load wait for the narrow stores.
  static bool AppendPos(Scratch& s, uint32_t mb, uint32_t ml, uint32_t rb, uint32_t re, uint32_t pb,
                        uint32_t pe, uint8_t cls) {
    if (cls == kPure && !s.pos.empty() && s.pos.back().cls == kPure) {
      Pos& last = s.pos.back();
      last.re = re;
      last.pe = pe;
      if (last.run != 0 && last.run < UINT16_MAX) ++last.run;
      return true;
    }
    Pos& p = s.pos.emplace_back();
    p.mb = mb;
    p.ml = ml;
    p.rb = rb;
    p.re = re;
    p.pb = pb;
    p.pe = pe;
    p.run = 1;
    p.cls = cls;
    return false;
  }

  // ---- clusters ------------------------------------------------------------------------------

  uint32_t ResolveId(uint32_t id) const {
    for (int hops = 0; id != 0 && hops < 1 << 20; ++hops) {
      if (id >= by_id.size()) return 0;
      if (by_id[id]) return id;
      id = merged_into[id];
    }
    return 0;
  }

  static uint64_t TextKey(const Cluster& c) {
    uint64_t h = 0x51ed270b27ULL;
    for (const auto& s : c.slots) h = HashBytes(s.tok, h);
    return Mix(h, c.slots.size());
  }

  static void Render(Cluster& c) {
    c.text.clear();
    for (size_t i = 0; i < c.slots.size(); ++i) {
      if (i) c.text.push_back(' ');
      const Slot& s = c.slots[i];
      if (s.tok == kVar && s.run > 1) {
        for (int r = 0; r < s.run; ++r) {
          if (r) c.text.push_back(' ');
          c.text.append(kVar);
        }
      } else {
        c.text.append(s.tok);
      }
    }
  }

  void LruUnlink(Cluster& c) {
    if (c.lru_prev)
      by_id[c.lru_prev]->lru_next = c.lru_next;
    else
      lru_head = c.lru_next;
    if (c.lru_next)
      by_id[c.lru_next]->lru_prev = c.lru_prev;
    else
      lru_tail = c.lru_prev;
    c.lru_prev = c.lru_next = 0;
  }
  void LruPushFront(Cluster& c) {
    c.lru_prev = 0;
    c.lru_next = lru_head;
    if (lru_head) by_id[lru_head]->lru_prev = c.id;
    lru_head = c.id;
    if (!lru_tail) lru_tail = c.id;
  }
  void Touch(Cluster& c) {
    if (lru_head == c.id) return;
    LruUnlink(c);
    LruPushFront(c);
  }

  void RemoveFromIndexes(Cluster& c) {
    auto& bucket = by_length[(uint32_t)c.slots.size()];
    auto it = std::find(bucket.begin(), bucket.end(), c.id);
    if (it != bucket.end()) bucket.erase(it);
    auto t = by_text.find(c.text_key);
    if (t != by_text.end() && t->second == c.id) by_text.erase(t);
    LruUnlink(c);
  }

  void Index(Cluster& c) {
    c.text_key = TextKey(c);
    Render(c);
    by_length[(uint32_t)c.slots.size()].push_back(c.id);
    by_text.emplace(c.text_key, c.id);
    LruPushFront(c);
    ++st.live;
  }

  uint32_t Create(const Scratch& s) {
    uint32_t id = (uint32_t)by_id.size();
    auto c = std::make_unique<Cluster>();
    c->id = id;
    c->slots.resize(s.pos.size());
    for (size_t i = 0; i < s.pos.size(); ++i) {
      Slot& sl = c->slots[i];
      sl.tok = std::string(s.Text(s.pos[i]));
      sl.cls = s.pos[i].cls;
      sl.run = (int16_t)std::min<int>(s.pos[i].run, INT16_MAX);
    }
    by_id.push_back(std::move(c));
    merged_into.push_back(0);
    Index(*by_id[id]);
    ++st.created;
    EvictIfNeeded();
    return id;
  }

  void EvictIfNeeded() {
    while (st.live > cfg.max_templates && lru_tail) {
      uint32_t id = lru_tail;
      Cluster& c = *by_id[id];
      RemoveFromIndexes(c);
      by_id[id].reset();
      merged_into[id] = 0;
      --st.live;
      ++st.evicted;
    }
  }

  // Makes slot `a` cover token `b` too.
  static void Widen(Slot& a, std::string_view b, Cls bcls, int run, bool word) {
    if (a.tok != b) {
      if (!(a.glob && Fits(a, b, bcls))) SetSlot(a, Generalise(a.tok, b), true);
      a.run = -1;
    } else if (a.run != run) {
      a.run = -1;
    }
    if (word) a.open = 1;
  }

  // Moves `from` into `into` (the older id survives); positions that differ become variables.
  void MergeInto(uint32_t into, uint32_t from) {
    Cluster& a = *by_id[into];
    Cluster& b = *by_id[from];
    if (a.slots.size() == b.slots.size()) {
      for (size_t i = 0; i < a.slots.size(); ++i) {
        const Slot& bs = b.slots[i];
        Widen(a.slots[i], bs.tok, (Cls)bs.cls, bs.run, bs.cls == kWord || bs.open);
      }
    }
    a.count += b.count;
    RemoveFromIndexes(b);
    by_id[from].reset();
    merged_into[from] = into;
    history.emplace_back(from, into);
    --st.live;
    ++st.merged;
  }

  // After a template changed: re-key it and fold it into an identical older one if any.
  uint32_t Rekey(uint32_t id) {
    Cluster& c = *by_id[id];
    auto t = by_text.find(c.text_key);
    if (t != by_text.end() && t->second == id) by_text.erase(t);
    c.text_key = TextKey(c);
    Render(c);
    auto [it, fresh] = by_text.emplace(c.text_key, id);
    if (fresh || it->second == id) return id;
    uint32_t other = it->second;
    uint32_t keep = std::min(other, id), drop = std::max(other, id);
    MergeInto(keep, drop);
    by_text[by_id[keep]->text_key] = keep;
    return keep;
  }

  // A generalised slot accepts a token with its prefix and suffix around a non-empty middle.
  static bool Fits(const Slot& c, std::string_view lt, Cls lc) {
    if (c.pre == 0 && c.suf == 0) return lc != kWord || c.open;
    if (lt.size() <= (size_t)c.pre + c.suf) return false;
    return lt.compare(0, c.pre, std::string_view(c.tok).substr(0, c.pre)) == 0 &&
           lt.compare(lt.size() - c.suf, c.suf,
                      std::string_view(c.tok).substr(c.tok.size() - c.suf)) == 0;
  }

  struct Diff {
    int mismatches = 0;
    int hard = 0;
    int words = 0;
    int word_pos = -1;
    int constants = 0;  // positions of the template that are not variables
  };

  static bool Compare(const Cluster& c, const Scratch& s, int limit, Diff& d) {
    d = Diff{};
    const size_t n = s.pos.size();
    for (size_t i = 0; i < n; ++i) {
      const Pos& p = s.pos[i];
      const Slot& cs = c.slots[i];
      std::string_view lt = s.Text(p);
      const bool var = cs.glob || cs.cls == kPure;
      d.constants += !var;
      if (cs.tok.size() == lt.size() && std::memcmp(cs.tok.data(), lt.data(), lt.size()) == 0)
        continue;
      if (var && Fits(cs, lt, (Cls)p.cls)) continue;
      ++d.mismatches;
      int kind = MismatchKind(cs.tok, (Cls)cs.cls, lt, (Cls)p.cls);
      if (kind == 1) ++d.hard;
      if (kind == 2) {
        ++d.words;
        d.word_pos = (int)i;
      }
      if (d.mismatches > limit) return false;
    }
    return true;
  }

  // A line that fits template `id` but has a run of variables of another length: the template now
  // shows a single <*> there.
  uint32_t JoinRuns(uint32_t id, const Scratch& s) {
    bool changed = false;
    for (size_t i = 0; i < s.pos.size(); ++i) {
      Slot& sl = by_id[id]->slots[i];
      if (sl.cls == kPure && sl.run != -1 && sl.run != s.pos[i].run) {
        sl.run = -1;
        changed = true;
      }
    }
    return changed ? Rekey(id) : id;
  }

  // Generalises template `id` so that line `s` fits it.
  uint32_t Absorb(uint32_t id, const Scratch& s) {
    Cluster& c = *by_id[id];
    for (size_t i = 0; i < s.pos.size(); ++i) {
      const Pos& p = s.pos[i];
      Widen(c.slots[i], s.Text(p), (Cls)p.cls, p.run, p.cls == kWord);
    }
    return Rekey(id);
  }

  // The words of a line except the one at `skip`, other positions as placeholders: siblings that
  // differ in one word (and in values elsewhere) share it.
  uint64_t FamilyKey(const Scratch& s, int skip) const {
    uint64_t h = 0x7f4a7c15ULL + (uint64_t)skip;
    for (size_t i = 0; i < s.pos.size(); ++i) {
      if ((int)i == skip) continue;
      h = HashBytes(s.pos[i].cls == kWord ? s.Text(s.pos[i]) : kVar, h);
    }
    return Mix(h, s.pos.size());
  }

  // Records that `made` differs from `near` only by one plain word at `pos`; merges the family once
  // that position has taken word_variable_threshold distinct words.
  uint32_t Family(uint32_t made, uint32_t near, const Scratch& s, int pos) {
    // A position is a variable of a template only if constant words remain around it: two plain
    // words besides it (a lone "Link ok" / "Link error" pair stays two messages).
    int context = 0;
    for (size_t k = 0; k < s.pos.size(); ++k) context += (int)k != pos && s.pos[k].cls == kWord;
    if (context < 2) return made;
    uint64_t key = FamilyKey(s, pos);
    auto& fam = families[key];
    for (uint32_t id : {near, made})
      if (std::find(fam.begin(), fam.end(), id) == fam.end()) fam.push_back(id);
    std::vector<uint32_t> alive;
    for (uint32_t id : fam) {
      uint32_t r = ResolveId(id);
      if (r && std::find(alive.begin(), alive.end(), r) == alive.end()) alive.push_back(r);
    }
    fam = alive;
    if ((int)fam.size() < cfg.word_variable_threshold) return made;
    std::sort(fam.begin(), fam.end());
    uint32_t keep = fam[0];
    for (size_t k = 1; k < fam.size(); ++k)
      if (by_id[fam[k]] && by_id[fam[k]]->slots.size() == by_id[keep]->slots.size())
        MergeInto(keep, fam[k]);
    // Templates made before the position turned variable that differ from the merged one only
    // there join it too: a value-like token there (ts3) or a word this family did not record.
    // Otherwise their lines keep reaching them through the signature cache.
    if (auto bucket = by_length.find((uint32_t)by_id[keep]->slots.size());
        bucket != by_length.end()) {
      const Cluster& k = *by_id[keep];
      std::vector<uint32_t> same;
      for (uint32_t id : bucket->second) {
        if (id == keep || !by_id[id]) continue;
        const Cluster& c = *by_id[id];
        bool eq = CodeLocationIn(c.slots[pos].tok).empty();
        for (size_t i = 0; i < c.slots.size() && eq; ++i)
          eq = (int)i == pos || c.slots[i].tok == k.slots[i].tok;
        if (eq) same.push_back(id);
      }
      for (uint32_t id : same) MergeInto(keep, id);
    }
    by_id[keep]->slots[pos].open = 1;
    families.erase(key);
    return Rekey(keep);
  }

  // Best template of the same length for `s` (fewest mismatches); 0 if none.
  uint32_t FindBest(const Scratch& s, Diff& best) const {
    auto it = by_length.find((uint32_t)s.pos.size());
    if (it == by_length.end()) return 0;
    const auto& bucket = it->second;
    uint32_t best_id = 0;
    int limit = (int)s.pos.size();
    size_t scanned = 0;
    for (auto r = bucket.rbegin(); r != bucket.rend() && scanned < cfg.max_candidates;
         ++r, ++scanned) {
      const Cluster& c = *by_id[*r];
      Diff d;
      if (!Compare(c, s, limit, d)) continue;
      if (!best_id || d.mismatches < best.mismatches ||
          (d.mismatches == best.mismatches && d.hard + d.words < best.hard + best.words)) {
        best = d;
        best_id = *r;
        limit = d.mismatches;
        if (limit == 0) break;
      }
    }
    return best_id;
  }

  void Params(const Cluster& c, const Scratch& s, std::string_view line,
              std::vector<std::string_view>& out) const {
    out.clear();
    for (size_t i = 0; i < s.pos.size() && i < c.slots.size(); ++i) {
      const Pos& p = s.pos[i];
      const Slot& t = c.slots[i];
      // A slot's class says what its text holds (kPure: exactly "<*>", kMasked: "<*>" inside).
      if (t.cls == kPure) {
        out.push_back(line.substr(p.rb, p.re - p.rb));
      } else if (t.glob) {
        size_t b = p.rb + t.pre, e = p.re - std::min<size_t>(t.suf, p.re - p.rb);
        out.push_back(line.substr(std::min<size_t>(b, e), e > b ? e - b : 0));
      } else if (p.pe > p.pb && t.cls == kMasked) {
        out.push_back(line.substr(p.pb, p.pe - p.pb));
      }
    }
  }

  void Add(std::string_view line, TemplateMatch& out) {
    Scratch& s = scratch;
    Prepare(line, s);
    ++st.lines;
    if (s.truncated) ++st.truncated;
    out.created = false;
    uint32_t id = 0;
    auto hit = signatures.find(s.signature);
    if (hit != signatures.end()) {
      id = ResolveId(hit->second);
      if (id && by_id[id]->slots.size() == s.pos.size()) {
        ++st.fast_path;
      } else {
        id = 0;
      }
    }
    if (!id) {
      Classes(s);
      // Second cache: lines with the same plain words usually differ only in values.
      auto w = by_words.find(s.words);
      if (w != by_words.end()) {
        uint32_t cand = ResolveId(w->second);
        Diff d;
        if (cand && by_id[cand]->slots.size() == s.pos.size() && Compare(*by_id[cand], s, 0, d))
          id = cand;
      }
    }
    if (id) {
      ++st.word_path;
      id = JoinRuns(id, s);
      if (signatures.size() >= cfg.max_templates * 8) signatures.clear();
      signatures[s.signature] = id;
    } else {
      Diff d;
      uint32_t near = FindBest(s, d);
      const int matched = d.constants - d.mismatches;
      if (near && d.mismatches == 0) {
        id = near;
        id = JoinRuns(id, s);
      } else if (near && d.hard == 0 && d.words == 0 && matched >= 1 &&
                 (double)matched >= cfg.similarity * d.constants) {
        id = Absorb(near, s);
      } else {
        id = Create(s);
        out.created = true;
        if (near && d.words == 1 && d.hard == 0) id = Family(id, near, s, d.word_pos);
      }
      if (signatures.size() >= cfg.max_templates * 8) signatures.clear();
      signatures[s.signature] = id;
      if (by_words.size() >= cfg.max_templates * 8) by_words.clear();
      by_words[s.words] = id;
    }
    Cluster& c = *by_id[id];
    ++c.count;
    Touch(c);
    out.template_id = id;
    Params(c, s, line, out.params);
  }

  std::string Mask(std::string_view line) const {
    Scratch s;
    Prepare(line, s);
    std::string out;
    for (const Pos& p : s.pos) {
      if (!out.empty()) out.push_back(' ');
      out.append(s.Text(p));
    }
    return out;
  }

  TemplateMatch Match(std::string_view line) const {
    Scratch s;
    Prepare(line, s);
    TemplateMatch out;
    uint32_t id = 0;
    auto hit = signatures.find(s.signature);
    if (hit != signatures.end()) {
      id = ResolveId(hit->second);
      if (id && by_id[id]->slots.size() != s.pos.size()) id = 0;
    }
    if (!id) {
      Classes(s);
      Diff d;
      uint32_t near = FindBest(s, d);
      if (near && d.mismatches == 0) id = near;
    }
    if (!id) return out;
    out.template_id = id;
    Params(*by_id[id], s, line, out.params);
    return out;
  }
};

TemplateMiner::TemplateMiner(TemplateMinerConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
TemplateMiner::~TemplateMiner() = default;
TemplateMiner::TemplateMiner(TemplateMiner&&) noexcept = default;
TemplateMiner& TemplateMiner::operator=(TemplateMiner&&) noexcept = default;

TemplateMatch TemplateMiner::Add(std::string_view line) {
  TemplateMatch m;
  impl_->Add(line, m);
  return m;
}
void TemplateMiner::Add(std::string_view line, TemplateMatch& out) {
  impl_->Add(line, out);
}
TemplateMatch TemplateMiner::Match(std::string_view line) const {
  return impl_->Match(line);
}
std::string TemplateMiner::Mask(std::string_view line) const {
  return impl_->Mask(line);
}
uint32_t TemplateMiner::Resolve(uint32_t id) const {
  return impl_->ResolveId(id);
}

std::optional<TemplateInfo> TemplateMiner::Get(uint32_t id) const {
  uint32_t r = impl_->ResolveId(id);
  if (!r) return std::nullopt;
  const Cluster& c = *impl_->by_id[r];
  return TemplateInfo{c.id, c.text, c.count};
}

std::vector<TemplateInfo> TemplateMiner::Templates() const {
  std::vector<TemplateInfo> out;
  for (const auto& c : impl_->by_id)
    if (c) out.push_back(TemplateInfo{c->id, c->text, c->count});
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> TemplateMiner::MergeHistory() const {
  return impl_->history;
}
TemplateMinerStats TemplateMiner::stats() const {
  return impl_->st;
}
const TemplateMinerConfig& TemplateMiner::config() const {
  return impl_->cfg;
}

// File format (text, one record per line; tokens never contain whitespace):
//   augur-template-miner 1
//   S <lines> <created> <merged> <evicted> <next_id>
//   T <id> <count> <positions>        followed by one "P <run> <open> <glob> <token>" per position
//   M <absorbed id> <surviving id>    merge history, in order
//   G <signature> <id>                the cache of exact masked lines seen → template: without
//                                     it a loaded miner could match a line to a more general
//                                     template than the one it was learned under (optional, so
//                                     files written before it still load)
Status TemplateMiner::Save(const std::filesystem::path& path) const {
  const Impl& m = *impl_;
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::Error(path.string() + ": cannot write template miner state");
    f << "augur-template-miner 1\n";
    f << "S " << m.st.lines << ' ' << m.st.created << ' ' << m.st.merged << ' ' << m.st.evicted
      << ' ' << m.by_id.size() << '\n';
    // Least recently used first, so that loading restores the LRU order.
    for (uint32_t id = m.lru_tail; id; id = m.by_id[id]->lru_prev) {
      const Cluster& c = *m.by_id[id];
      f << "T " << c.id << ' ' << c.count << ' ' << c.slots.size() << '\n';
      for (const Slot& sl : c.slots)
        f << "P " << sl.run << ' ' << (int)sl.open << ' ' << (int)sl.glob << ' ' << sl.tok << '\n';
    }
    for (auto [from, into] : m.history) f << "M " << from << ' ' << into << '\n';
    // Sorted, so that the same state always writes the same file.
    std::vector<std::pair<uint64_t, uint32_t>> sigs(m.signatures.begin(), m.signatures.end());
    std::sort(sigs.begin(), sigs.end());
    for (auto [sig, id] : sigs) f << "G " << sig << ' ' << id << '\n';
    if (!f.flush()) return Status::Error(path.string() + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error(path.string() + ": cannot rename temporary file: " + ec.message());
  return Status::Ok();
}

Result<TemplateMiner> TemplateMiner::Load(const std::filesystem::path& path,
                                          TemplateMinerConfig config) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Result<TemplateMiner>::Error(path.string() + ": cannot open template miner state");
  TemplateMiner miner(std::move(config));
  Impl& m = *miner.impl_;
  std::string line;
  uint64_t lineno = 0;
  auto bad = [&](const std::string& why) {
    return Result<TemplateMiner>::Error(path.string() + ":" + std::to_string(lineno) + ": " + why);
  };
  if (!std::getline(f, line) || line != "augur-template-miner 1") {
    lineno = 1;
    return bad("not an augur template miner file (expected header 'augur-template-miner 1')");
  }
  ++lineno;
  Cluster* cur = nullptr;
  size_t expect = 0;
  constexpr uint64_t kMaxId = 1ULL << 31;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty()) continue;
    std::istringstream in(line);
    char kind = 0;
    in >> kind;
    if (kind == 'S') {
      uint64_t next = 0;
      in >> m.st.lines >> m.st.created >> m.st.merged >> m.st.evicted >> next;
      if (!in || next < 1 || next > kMaxId) return bad("bad S record");
      m.by_id.resize(next);
      m.merged_into.resize(next, 0);
    } else if (kind == 'T') {
      if (expect) return bad("template has fewer positions than announced");
      uint64_t id = 0, count = 0, n = 0;
      in >> id >> count >> n;
      if (!in || id == 0 || id >= m.by_id.size() || m.by_id[id] || n > 30000)
        return bad("bad T record");
      auto c = std::make_unique<Cluster>();
      c->id = (uint32_t)id;
      c->count = count;
      cur = c.get();
      expect = n;
      m.by_id[id] = std::move(c);
      if (n == 0) {
        m.Index(*cur);
        cur = nullptr;
      }
    } else if (kind == 'P') {
      if (!cur || !expect) return bad("position outside a template");
      int run = 0, open = 0, glob = 0;
      std::string token;
      in >> run >> open >> glob >> token;
      if (!in || token.empty() || run < -1 || run > INT16_MAX) return bad("bad P record");
      if (glob && token.find("<*>") == std::string::npos)
        return bad("generalised position without <*>");
      Slot sl;
      SetSlot(sl, token, glob != 0);
      sl.run = (int16_t)run;
      sl.open = open ? 1 : 0;
      cur->slots.push_back(std::move(sl));
      if (--expect == 0) {
        m.Index(*cur);
        cur = nullptr;
      }
    } else if (kind == 'M') {
      uint64_t from = 0, into = 0;
      in >> from >> into;
      if (!in || from == 0 || from >= m.merged_into.size() || into >= m.merged_into.size())
        return bad("bad M record");
      m.merged_into[from] = (uint32_t)into;
      m.history.emplace_back((uint32_t)from, (uint32_t)into);
    } else if (kind == 'G') {
      uint64_t sig = 0, id = 0;
      in >> sig >> id;
      if (!in || id == 0 || id >= m.by_id.size()) return bad("bad G record");
      m.signatures[sig] = (uint32_t)id;
    } else {
      return bad("unknown record kind");
    }
  }
  if (expect) return bad("file ends inside a template");
  return miner;
}

}  // namespace augur::normalize
