// The completion client against a real local HTTP server: requests, order under concurrency, and
// every way an endpoint can fail (unreachable, HTTP error, bad JSON, too slow).
#include "learn/llm_client.h"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace augur::learn {
namespace {

// An OpenAI-shaped completion server on 127.0.0.1, on a free port, in its own thread.
class TestServer {
 public:
  explicit TestServer(httplib::Server::Handler handler) {
    server_.Post("/v1/completions", std::move(handler));
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

LlmClientOptions Options(const std::string& url) {
  LlmClientOptions o;
  o.url = url;
  o.timeout_s = 5;
  return o;
}

TEST(LlmClient, EndpointFromUrl) {
  auto a = LlmClient::Create(Options("http://127.0.0.1:8080"));
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->endpoint(), "http://127.0.0.1:8080/v1/completions");
  auto b = LlmClient::Create(Options("http://localhost:11434/v1/"));
  ASSERT_TRUE(b) << b.message();
  EXPECT_EQ(b->endpoint(), "http://localhost:11434/v1/completions");
  auto c = LlmClient::Create(Options("https://example.org/api/v1/completions"));
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->endpoint(), "https://example.org:443/api/v1/completions");
  auto d = LlmClient::Create(Options("http://[::1]:9000"));
  ASSERT_TRUE(d) << d.message();
  EXPECT_EQ(d->endpoint(), "http://[::1]:9000/v1/completions");
}

TEST(LlmClient, RejectsUnusableUrls) {
  for (const char* url : {"127.0.0.1:8080", "ftp://host", "http://", "http://host:port",
                          "http://host:99999", "http://user:pw@host"}) {
    auto c = LlmClient::Create(Options(url));
    ASSERT_FALSE(c) << url;
    EXPECT_NE(c.message().find(url), std::string::npos) << c.message();
  }
  auto o = Options("http://127.0.0.1:1");
  o.concurrency = 0;
  EXPECT_FALSE(LlmClient::Create(o));
}

TEST(LlmClient, ParsesResponses) {
  auto ok = ParseCompletionResponse(R"({"choices":[{"text":"a\nb\n","index":0}]})");
  ASSERT_TRUE(ok) << ok.message();
  EXPECT_EQ(*ok, "a\nb\n");
  auto chat = ParseCompletionResponse(R"({"choices":[{"message":{"content":"x"}}]})");
  ASSERT_TRUE(chat);
  EXPECT_EQ(*chat, "x");
  auto err = ParseCompletionResponse(R"({"error":{"message":"model not loaded"}})");
  ASSERT_FALSE(err);
  EXPECT_NE(err.message().find("model not loaded"), std::string::npos);
  EXPECT_FALSE(ParseCompletionResponse("<html>"));
  EXPECT_FALSE(ParseCompletionResponse("[]"));
  EXPECT_FALSE(ParseCompletionResponse(R"({"choices":[]})"));
  EXPECT_FALSE(ParseCompletionResponse(R"({"choices":[{"text":3}]})"));
  EXPECT_FALSE(ParseCompletionResponse(R"({"choices":[7]})"));
}

TEST(LlmClient, CutsCompletionsIntoLines) {
  EXPECT_EQ(CompletionLines("a\r\n\n  \nb \nc", 10), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(CompletionLines("1\n2\n3\n4", 2), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(CompletionLines("", 10).empty());
  EXPECT_EQ(CompletionPrompt({"x", "y\nz"}), "x\ny z\n");
}

TEST(LlmClient, CompletesConcurrentlyInOrder) {
  std::atomic<int> in_flight{0}, most{0};
  TestServer server([&](const httplib::Request& req, httplib::Response& res) {
    int now = ++in_flight;
    for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
    }
    auto j = nlohmann::json::parse(req.body);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    nlohmann::json out = {
        {"choices",
         {{{"text", "echo " + j["prompt"].get<std::string>() + j["model"].get<std::string>()},
           {"index", 0}}}}};
    EXPECT_EQ(j["max_tokens"], 99);
    EXPECT_EQ(req.get_header_value("Authorization"), "Bearer k");
    --in_flight;
    res.set_content(out.dump(), "application/json");
  });
  auto o = Options(server.url());
  o.model = "m";
  o.max_tokens = 99;
  o.concurrency = 4;
  o.api_key = "k";
  auto c = LlmClient::Create(o);
  ASSERT_TRUE(c) << c.message();
  std::vector<std::string> prompts;
  for (int i = 0; i < 16; ++i) prompts.push_back("p" + std::to_string(i));
  auto got = c->Complete(prompts);
  ASSERT_EQ(got.size(), prompts.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(got[i].ok) << got[i].error;
    EXPECT_EQ(got[i].text, "echo " + prompts[i] + "m");
  }
  EXPECT_GT(most.load(), 1);
  EXPECT_LE(most.load(), 4);
}

TEST(LlmClient, NamesTheEndpointAndReasonOnFailure) {
  TestServer server([&](const httplib::Request& req, httplib::Response& res) {
    if (req.body.find("\"500\"") != std::string::npos) {
      res.status = 500;
      res.set_content("out of memory", "text/plain");
    } else if (req.body.find("\"bad\"") != std::string::npos) {
      res.set_content("{not json", "application/json");
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content(R"({"choices":[{"text":"late"}]})", "application/json");
    }
  });
  auto o = Options(server.url());
  o.timeout_s = 0.3;
  o.retries = 0;
  auto c = LlmClient::Create(o);
  ASSERT_TRUE(c) << c.message();
  auto got = c->Complete({"500", "bad", "slow"});
  for (const auto& g : got) {
    EXPECT_FALSE(g.ok);
    EXPECT_NE(g.error.find(c->endpoint()), std::string::npos) << g.error;
  }
  EXPECT_NE(got[0].error.find("HTTP 500: out of memory"), std::string::npos) << got[0].error;
  EXPECT_NE(got[1].error.find("not JSON"), std::string::npos) << got[1].error;
  EXPECT_NE(got[2].error.find("no complete answer within 0.3 s"), std::string::npos)
      << got[2].error;
}

TEST(LlmClient, ReportsAnUnreachableServer) {
  // A port that was free a moment ago and has nobody listening now.
  int port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  auto o = Options("http://127.0.0.1:" + std::to_string(port));
  o.retries = 1;
  auto c = LlmClient::Create(o);
  ASSERT_TRUE(c) << c.message();
  auto got = c->Complete({"a", "b"});
  for (const auto& g : got) {
    EXPECT_FALSE(g.ok);
    EXPECT_NE(g.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << g.error;
    EXPECT_NE(g.error.find("cannot connect"), std::string::npos) << g.error;
  }
}

}  // namespace
}  // namespace augur::learn
