// The log language model generating through a real llama.cpp server (label: server). Needs
// llama-server built by scripts/build-llama-server.sh (scripts/install-deps.sh --test runs it) and
// python3-numpy; skips, saying so, without them. The model is a tiny random-weight llama GGUF made
// with llama.cpp's own gguf-py: it writes gibberish, so this checks the protocol end to end (the
// server answers every window, the completions are parsed and scored), not detection quality.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "learn/llm_client.h"
#include "learn/torch/log_lm_detector.h"
#include "learn/torch/log_lm_test_traffic.h"
#include "testing/testing.h"

namespace augur::detect {
namespace {

namespace fs = std::filesystem;

fs::path Cache() {
  if (const char* c = std::getenv("AUGUR_CACHE")) return c;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/root") / ".cache" / "augur";
}

fs::path LlamaServer() {
  if (const char* s = std::getenv("AUGUR_LLAMA_SERVER")) return s;
  return Cache() / "llama.cpp" / "build" / "bin" / "llama-server";
}

// llama-server as a child process, stopped when this goes out of scope.
class LlamaProcess {
 public:
  LlamaProcess(const fs::path& bin, const fs::path& model, int port, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(::fileno(stdout), 2);
      const std::string p = std::to_string(port);
      ::execl(bin.c_str(), bin.c_str(), "-m", model.c_str(), "--host", "127.0.0.1", "--port",
              p.c_str(), "-c", "8192", "-np", "4", "-t", "1", "--no-webui", "--no-warmup",
              static_cast<char*>(nullptr));
      std::_Exit(127);
    }
  }
  ~LlamaProcess() {
    if (pid_ > 0 && running()) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 50 && running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (running()) ::kill(pid_, SIGKILL);
    }
    if (pid_ > 0 && !exited_) ::waitpid(pid_, nullptr, 0);
  }
  bool running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

Batch Traffic(int requests, uint32_t seed) {
  return testing_traffic::ShopTraffic(requests, seed, /*faulty=*/false, /*carts=*/true);
}

TEST(LogLmLlamaServer, GeneratesEveryWindowThroughLlamaCpp) {
  const fs::path bin = LlamaServer();
  if (!fs::exists(bin))
    GTEST_SKIP() << bin << " is not built: run scripts/build-llama-server.sh (or "
                 << "scripts/install-deps.sh --test), or set AUGUR_LLAMA_SERVER";
  const fs::path gguf_py = Cache() / "llama.cpp" / "gguf-py";
  int rc = -1;
  testing::Shell("/usr/bin/python3 -c 'import numpy' 2>/dev/null", &rc);
  if (rc != 0) GTEST_SKIP() << "/usr/bin/python3 cannot import numpy (install python3-numpy)";

  testing::TempDir dir;
  const fs::path script =
      fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "scripts" / "make-tiny-gguf.py";
  const fs::path model = dir.path() / "tiny.gguf";
  std::string made = testing::Shell("/usr/bin/python3 '" + script.string() + "' '" +
                                        model.string() + "' '" + gguf_py.string() + "' 2>&1",
                                    &rc);
  ASSERT_EQ(rc, 0) << made;

  const int port = testing::FreePort();
  ASSERT_GT(port, 0);
  const fs::path log = dir.path() / "llama-server.log";
  LlamaProcess server(bin, model, port, log);
  ASSERT_TRUE(server.started());

  LogLmConfig c;
  c.subword_vocab = 64;
  c.model.threads = 1;
  c.llm.url = "http://127.0.0.1:" + std::to_string(port);
  c.llm.max_tokens = 48;
  c.llm.timeout_s = 30;
  c.llm.concurrency = 4;

  // Healthy once a completion comes back (llama-server answers 503 while it loads the model).
  auto client = learn::LlmClient::Create(c.llm);
  ASSERT_TRUE(client) << client.message();
  bool up = false;
  std::string last;
  for (auto t0 = std::chrono::steady_clock::now();
       std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60);) {
    ASSERT_TRUE(server.running()) << "llama-server exited:\n"
                                  << testing::Shell("tail -20 '" + log.string() + "'");
    auto r = client->Complete({"INFO POST /orders received\n"});
    if (r[0].ok) {
      up = true;
      break;
    }
    last = r[0].error;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(up) << "llama-server did not answer within 60 s: " << last << "\n"
                  << testing::Shell("tail -20 '" + log.string() + "'");

  LogLmDetector train(c);
  train.Learn(Traffic(120, 1));
  auto b = learn::ModelBundle::Create(dir.path() / "bundle");
  ASSERT_TRUE(b) << b.message();
  auto st = train.FinishLearning(*b);
  ASSERT_TRUE(st) << st.message();
  ASSERT_TRUE(b->Save());
  EXPECT_EQ(train.stats().failed, 0u) << train.stats().first_error;
  EXPECT_GT(train.figures().value("calibration_windows", 0), 0);

  LogLmDetector d(c);
  ASSERT_TRUE(d.Load(*b));
  int windows = 0, with_lines = 0;
  d.SetWindowSink([&](const LogLmWindow& w) {
    EXPECT_TRUE(w.error.empty()) << w.error;
    ++windows;
    with_lines += !w.generated.empty();
    EXPECT_GE(w.similarity, -1.0001);
    EXPECT_LE(w.similarity, 1.0001);
  });
  std::vector<Anomaly> out;
  d.Score(Traffic(40, 2), out);
  d.Flush(out);
  // 120 orders lines and 40 carts lines: 12 + 4 windows, each generated by the server.
  EXPECT_EQ(windows, 16);
  EXPECT_EQ(d.stats().failed, 0u) << d.stats().first_error;
  EXPECT_EQ(d.stats().windows, 16u);
  EXPECT_GT(d.stats().llm_requests, 0u);
  EXPECT_GT(with_lines, 8) << "the tiny model should write some lines";
}

}  // namespace
}  // namespace augur::detect
