// The log language model generating through an OpenAI-compatible endpoint: a local HTTP server that
// "predicts" the next block by repeating the prompt's lines checks the plumbing (prompts, parsing,
// scoring, the bundle remembering the URL) and that failed generations are reported, not hidden.
// The real llama.cpp server is exercised by log_lm_llama_server_test.cpp.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "learn/llm_client.h"
#include "learn/torch/log_lm_detector.h"
#include "learn/torch/log_lm_test_traffic.h"
#include "testing/testing.h"

namespace augur::detect {
namespace {

class CompletionServer {
 public:
  CompletionServer() {
    server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests;
      if (fail) {
        res.status = 503;
        res.set_content("loading model", "text/plain");
        return;
      }
      auto j = nlohmann::json::parse(req.body);
      const std::string prompt = j["prompt"];
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_prompt = prompt;
      }
      // The prompt's lines are the "prediction" (with a carriage return and a blank line that
      // the client must drop).
      std::string text = prompt.empty() ? "INFO POST /orders received\n" : prompt;
      text = "\r\n" + text + "\n\n";
      res.set_content(nlohmann::json({{"choices", {{{"text", text}}}}}).dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CompletionServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string prompt() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_prompt;
  }
  std::atomic<int> requests{0};
  std::atomic<bool> fail{false};

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string last_prompt;
};

Batch Traffic(int requests, uint32_t seed) {
  return testing_traffic::ShopTraffic(requests, seed);
}

LogLmConfig Config(const std::string& url) {
  LogLmConfig c;
  c.subword_vocab = 64;
  c.model.threads = 1;
  c.llm.url = url;
  c.llm.timeout_s = 5;
  c.llm.concurrency = 3;
  return c;
}

TEST(LogLmLlm, GeneratesThroughTheEndpointAndTheBundleRemembersIt) {
  CompletionServer server;
  testing::TempDir dir;
  {
    LogLmDetector d(Config(server.url()));
    d.Learn(Traffic(400, 1));
    auto b = learn::ModelBundle::Create(dir.path());
    ASSERT_TRUE(b) << b.message();
    auto st = d.FinishLearning(*b);
    ASSERT_TRUE(st) << st.message();
    ASSERT_TRUE(b->Save());
    EXPECT_EQ(d.figures().value("generator", ""), "llm");
    EXPECT_GT(d.figures().value("calibration_windows", 0), 0);  // calibrated through the server
    // No built-in generator was trained or saved.
    EXPECT_FALSE(std::filesystem::exists(b->File("log_lm_model.pt")));
  }
  const int before = server.requests;
  EXPECT_GT(before, 0);

  // Loaded without a URL: the remembered one is used.
  LogLmDetector d(Config(""));
  auto b = learn::ModelBundle::Open(dir.path());
  ASSERT_TRUE(b) << b.message();
  auto st = d.Load(*b);
  ASSERT_TRUE(st) << st.message();
  int windows = 0, anomalous = 0, generated_lines = 0;
  d.SetWindowSink([&](const LogLmWindow& w) {
    EXPECT_TRUE(w.error.empty()) << w.error;
    ++windows;
    anomalous += w.anomalous;
    generated_lines += static_cast<int>(w.generated.size());
  });
  std::vector<Anomaly> out;
  d.Score(Traffic(50, 2), out);
  d.Flush(out);
  EXPECT_EQ(windows, 15);
  EXPECT_GT(generated_lines, 10 * 13);  // blank lines dropped, up to 10 kept per block
  EXPECT_LE(anomalous, 2);              // repeating the last block predicts this stream well
  EXPECT_EQ(d.stats().failed, 0u);
  EXPECT_GT(d.stats().llm_requests, 0u);
  EXPECT_GT(server.requests, before);
  // The prompt: the stripped previous lines (no timestamps), at most 10, newline-terminated.
  const std::string p = server.prompt();
  EXPECT_EQ(p.find("2024-01-01"), std::string::npos) << p;
  EXPECT_EQ(std::count(p.begin(), p.end(), '\n'), 10) << p;
  EXPECT_EQ(p.back(), '\n');
}

TEST(LogLmLlm, FailedGenerationsAreReportedNotCountedNormal) {
  CompletionServer server;
  testing::TempDir dir;
  LogLmConfig c = Config(server.url());
  c.llm.retries = 0;
  {
    LogLmDetector d(c);
    d.Learn(Traffic(400, 1));
    auto b = learn::ModelBundle::Create(dir.path());
    ASSERT_TRUE(d.FinishLearning(*b));
    ASSERT_TRUE(b->Save());
  }
  server.fail = true;
  LogLmDetector d(c);
  auto b = learn::ModelBundle::Open(dir.path());
  ASSERT_TRUE(d.Load(*b));
  int windows = 0, failed = 0;
  d.SetWindowSink([&](const LogLmWindow& w) {
    ++windows;
    if (!w.error.empty()) {
      ++failed;
      EXPECT_FALSE(w.anomalous);
      EXPECT_NE(w.error.find(server.url() + "/v1/completions: HTTP 503: loading model"),
                std::string::npos)
          << w.error;
    }
  });
  std::vector<Anomaly> out;
  d.Score(Traffic(20, 2), out);
  d.Flush(out);
  EXPECT_EQ(windows, 6);
  EXPECT_EQ(failed, 6);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.stats().failed, 6u);
  EXPECT_NE(d.stats().first_error.find("HTTP 503"), std::string::npos);
}

TEST(LogLmLlm, UnusableSettingsAreRefusedUpFront) {
  LogLmConfig c = Config("localhost:8080");
  EXPECT_NE(c.Validate().message().find("localhost:8080"), std::string::npos);
  c = Config("http://127.0.0.1:1");
  c.embedder = "model";
  EXPECT_NE(c.Validate().message().find("built-in generator"), std::string::npos);
}

}  // namespace
}  // namespace augur::detect
