// A C shim over Debian's SentencePiece, loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by
// log_lm_tokenizer.cpp. Why: libsentencepiece carries its own protobuf-lite 3.14 and exports those
// symbols; linked into a process that also loads libprotobuf 3.21 (libtorch does), the two
// interpose and the process crashes at start-up. Loaded locally, each keeps its own protobuf.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Handle {
  sentencepiece::SentencePieceProcessor sp;
  std::string proto;
};

class Lines : public sentencepiece::SentenceIterator {
 public:
  Lines(const char* const* lines, const uint64_t* counts, size_t n)
      : lines_(lines), counts_(counts), n_(n) {
    Load();
  }
  bool done() const override { return i_ >= n_; }
  void Next() override {
    if (++rep_ >= std::clamp<uint64_t>(counts_ ? counts_[i_] : 1, 1, 4)) {
      rep_ = 0;
      ++i_;
    }
    Load();
  }
  const std::string& value() const override { return cur_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void Load() {
    while (i_ < n_ && lines_[i_][0] == '\0') ++i_;
    if (i_ < n_) cur_ = lines_[i_];
  }
  const char* const* lines_;
  const uint64_t* counts_;
  size_t n_, i_ = 0;
  uint64_t rep_ = 0;
  std::string cur_;
};

char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

}  // namespace

extern "C" {

void* augur_spm_train(const char* const* lines, const uint64_t* counts, size_t n, int vocab_size,
                      char** error) {
  auto* h = new Handle;
  Lines it(lines, counts, n);
  std::unordered_map<std::string, std::string> args = {
      {"model_type", "unigram"},
      {"vocab_size", std::to_string(vocab_size)},
      {"hard_vocab_limit", "false"},  // small corpora cannot always fill the requested size
      {"character_coverage", "1.0"},
      {"pad_id", "0"},
      {"unk_id", "1"},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"split_by_number", "true"},
      {"max_sentence_length", "8192"},
      {"num_threads", "1"},
      {"minloglevel", "3"},
  };
  auto st = sentencepiece::SentencePieceTrainer::Train(args, &it, &h->proto);
  if (st.ok()) st = h->sp.LoadFromSerializedProto(h->proto);
  if (!st.ok()) {
    if (error) *error = Dup(st.ToString());
    delete h;
    return nullptr;
  }
  return h;
}

void* augur_spm_load(const char* data, size_t size, char** error) {
  auto* h = new Handle;
  h->proto.assign(data, size);
  auto st = h->sp.LoadFromSerializedProto(h->proto);
  if (!st.ok()) {
    if (error) *error = Dup(st.ToString());
    delete h;
    return nullptr;
  }
  return h;
}

size_t augur_spm_proto(void* h, const char** data) {
  *data = static_cast<Handle*>(h)->proto.data();
  return static_cast<Handle*>(h)->proto.size();
}

int augur_spm_vocab(void* h) {
  return static_cast<Handle*>(h)->sp.GetPieceSize();
}

// Writes at most `max` ids; returns how many.
int augur_spm_encode(void* h, const char* text, size_t size, int* out, int max) {
  std::vector<int> ids;
  if (!static_cast<Handle*>(h)->sp.Encode(std::string_view(text, size), &ids).ok()) return 0;
  int n = std::min<int>(max, static_cast<int>(ids.size()));
  std::copy(ids.begin(), ids.begin() + n, out);
  return n;
}

void augur_spm_free(void* h) {
  delete static_cast<Handle*>(h);
}
void augur_spm_free_string(char* s) {
  std::free(s);
}

}  // extern "C"
