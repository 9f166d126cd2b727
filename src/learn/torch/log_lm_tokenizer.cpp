#include "learn/torch/log_lm_tokenizer.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "core/module.h"

namespace augur::learn {
namespace {

constexpr std::string_view kWordMagic = "augur-log-lm-word-tokenizer-v1";
constexpr std::string_view kSpMagic = "augur-log-lm-sentencepiece-v1";

// The SentencePiece shim (spm/log_lm_spm_shim.cpp), loaded once with its own symbol scope.
struct SpmApi {
  void* (*train)(const char* const*, const uint64_t*, size_t, int, char**) = nullptr;
  void* (*load)(const char*, size_t, char**) = nullptr;
  size_t (*proto)(void*, const char**) = nullptr;
  int (*vocab)(void*) = nullptr;
  int (*encode)(void*, const char*, size_t, int*, int) = nullptr;
  void (*free_handle)(void*) = nullptr;
  void (*free_string)(char*) = nullptr;
  std::string error;
};

const SpmApi& Spm() {
  static SpmApi api;
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef AUGUR_LOG_LM_SPM_MODULE
    const std::string built = AUGUR_LOG_LM_SPM_MODULE;
#else
    const std::string built;
#endif
    auto opened = OpenModule("libaugur_log_lm_spm.so", "AUGUR_LOG_LM_SPM_MODULE", built,
                             RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!opened) {
      api.error = "log_lm tokenizer: " + opened.message() + " (or use --tokenizer word)";
      return;
    }
    void* h = *opened;
    api.train = reinterpret_cast<decltype(api.train)>(dlsym(h, "augur_spm_train"));
    api.load = reinterpret_cast<decltype(api.load)>(dlsym(h, "augur_spm_load"));
    api.proto = reinterpret_cast<decltype(api.proto)>(dlsym(h, "augur_spm_proto"));
    api.vocab = reinterpret_cast<decltype(api.vocab)>(dlsym(h, "augur_spm_vocab"));
    api.encode = reinterpret_cast<decltype(api.encode)>(dlsym(h, "augur_spm_encode"));
    api.free_handle = reinterpret_cast<decltype(api.free_handle)>(dlsym(h, "augur_spm_free"));
    api.free_string =
        reinterpret_cast<decltype(api.free_string)>(dlsym(h, "augur_spm_free_string"));
    if (!api.train || !api.load || !api.proto || !api.vocab || !api.encode || !api.free_handle ||
        !api.free_string)
      api.error = "log_lm tokenizer: the SentencePiece module lacks its functions";
  });
  return api;
}

// Word pieces: runs of letters/digits/'_', or single other characters.
template <class F>
void ForEachWord(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    if (std::isalnum(c) || c == '_')
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    f(s.substr(i, j - i));
    i = j;
  }
}

}  // namespace

struct LogLmTokenizer::Impl {
  Kind kind = Kind::kWord;
  // SentencePiece (through the shim)
  void* sp = nullptr;
  std::string sp_proto;
  ~Impl() {
    if (sp) Spm().free_handle(sp);
  }
  // word: id 0 pad, 1 unknown, 2.. words
  std::vector<std::string> words;
  std::unordered_map<std::string, int> word_ids;
};

LogLmTokenizer::LogLmTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogLmTokenizer::LogLmTokenizer(LogLmTokenizer&&) noexcept = default;
LogLmTokenizer& LogLmTokenizer::operator=(LogLmTokenizer&&) noexcept = default;
LogLmTokenizer::~LogLmTokenizer() = default;

LogLmTokenizer::Kind LogLmTokenizer::kind() const {
  return impl_->kind;
}

Result<LogLmTokenizer> LogLmTokenizer::Train(Kind kind, const std::vector<std::string>& lines,
                                             const std::vector<uint64_t>& counts, int vocab_size) {
  auto impl = std::make_unique<Impl>();
  impl->kind = kind;
  if (kind == Kind::kWord) {
    std::unordered_map<std::string, uint64_t> freq;
    for (size_t i = 0; i < lines.size(); ++i)
      ForEachWord(lines[i], [&](std::string_view w) {
        freq[std::string(w)] += counts.empty() ? 1 : counts[i];
      });
    std::vector<std::pair<std::string, uint64_t>> sorted(freq.begin(), freq.end());
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    impl->words = {"<pad>", "<unk>"};
    for (auto& [w, n] : sorted) {
      if (static_cast<int>(impl->words.size()) >= vocab_size) break;
      impl->words.push_back(w);
    }
    for (size_t i = 0; i < impl->words.size(); ++i)
      impl->word_ids[impl->words[i]] = static_cast<int>(i);
    return LogLmTokenizer(std::move(impl));
  }

  const auto& api = Spm();
  if (!api.error.empty()) return Result<LogLmTokenizer>::Error(api.error);
  std::vector<const char*> ptrs;
  for (const auto& l : lines) ptrs.push_back(l.c_str());
  if (std::all_of(lines.begin(), lines.end(), [](auto& l) { return l.empty(); }))
    return Result<LogLmTokenizer>::Error("log_lm tokenizer: no non-empty lines to learn from");
  char* err = nullptr;
  impl->sp = api.train(ptrs.data(), counts.empty() ? nullptr : counts.data(), ptrs.size(),
                       std::max(vocab_size, 16), &err);
  if (!impl->sp) {
    std::string msg = err ? err : "unknown error";
    if (err) api.free_string(err);
    return Result<LogLmTokenizer>::Error("log_lm tokenizer: SentencePiece training failed: " + msg);
  }
  const char* data = nullptr;
  size_t size = api.proto(impl->sp, &data);
  impl->sp_proto.assign(data, size);
  return LogLmTokenizer(std::move(impl));
}

Status LogLmTokenizer::Save(const std::filesystem::path& file) const {
  std::ofstream out(file, std::ios::binary);
  if (!out) return Status::Error(file.string() + ": cannot write");
  if (impl_->kind == Kind::kSentencePiece) {
    out << kSpMagic << '\n';
    out.write(impl_->sp_proto.data(), static_cast<std::streamsize>(impl_->sp_proto.size()));
  } else {
    out << kWordMagic << '\n';
    for (size_t i = 2; i < impl_->words.size(); ++i) out << impl_->words[i] << '\n';
  }
  if (!out) return Status::Error(file.string() + ": write failed");
  return Status::Ok();
}

Result<LogLmTokenizer> LogLmTokenizer::Load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Result<LogLmTokenizer>::Error(file.string() + ": cannot open tokenizer");
  std::string magic;
  std::getline(in, magic);
  auto impl = std::make_unique<Impl>();
  if (magic == kSpMagic) {
    impl->kind = Kind::kSentencePiece;
    std::stringstream ss;
    ss << in.rdbuf();
    impl->sp_proto = ss.str();
    const auto& api = Spm();
    if (!api.error.empty()) return Result<LogLmTokenizer>::Error(api.error);
    char* err = nullptr;
    impl->sp = api.load(impl->sp_proto.data(), impl->sp_proto.size(), &err);
    if (!impl->sp) {
      std::string msg = err ? err : "unknown error";
      if (err) api.free_string(err);
      return Result<LogLmTokenizer>::Error(file.string() + ": bad SentencePiece model: " + msg);
    }
  } else if (magic == kWordMagic) {
    impl->kind = Kind::kWord;
    impl->words = {"<pad>", "<unk>"};
    std::string w;
    while (std::getline(in, w)) impl->words.push_back(w);
    for (size_t i = 0; i < impl->words.size(); ++i)
      impl->word_ids[impl->words[i]] = static_cast<int>(i);
  } else {
    return Result<LogLmTokenizer>::Error(file.string() +
                                         ":1: not a log_lm tokenizer (unknown header)");
  }
  return LogLmTokenizer(std::move(impl));
}

std::vector<int> LogLmTokenizer::Encode(std::string_view line, size_t max_pieces) const {
  std::vector<int> ids;
  if (impl_->kind == Kind::kSentencePiece) {
    ids.resize(max_pieces);
    ids.resize(Spm().encode(impl_->sp, line.data(), line.size(), ids.data(),
                            static_cast<int>(max_pieces)));
  } else {
    ForEachWord(line, [&](std::string_view w) {
      if (ids.size() >= max_pieces) return;
      auto it = impl_->word_ids.find(std::string(w));
      ids.push_back(it == impl_->word_ids.end() ? 1 : it->second);
    });
  }
  if (ids.size() > max_pieces) ids.resize(max_pieces);
  return ids;
}

int LogLmTokenizer::vocab_size() const {
  return impl_->kind == Kind::kSentencePiece ? Spm().vocab(impl_->sp)
                                             : static_cast<int>(impl_->words.size());
}

int LogLmTokenizer::unknown_id() const {
  return 1;
}

}  // namespace augur::learn
