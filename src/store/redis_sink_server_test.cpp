// Writes a localization into a real redis-server started on a free local port.
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "store/redis_sink.h"
#include "testing/testing.h"

namespace augur::store {
namespace {

class RedisServer {
 public:
  explicit RedisServer(const std::string& dir) : port_(testing::FreePort()) {
    pid_ = fork();
    if (pid_ == 0) {
      std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // up to 5 s for the server to listen
      redisContext* c = redisConnect("127.0.0.1", port_);
      bool up = c && !c->err;
      if (c) redisFree(c);
      if (up) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~RedisServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  bool ready() const { return ready_; }

 private:
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

localize::Localization Sample() {
  localize::Localization r;
  localize::RootCause a;
  a.service = "shipping";
  a.p_origin = 0.8;
  a.p_outage = 0.9;
  a.colour = "red";
  localize::RootCause b;
  b.service = "orders service";
  b.p_origin = 0.05;
  b.p_outage = 0.2;
  b.colour = "yellow";
  r.ranking = {a, b};
  r.confidence = 1;
  return r;
}

TEST(RedisSink, ParsesUrls) {
  auto t = ParseRedisUrl("redis://:secret@example:6380/2");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->host, "example");
  EXPECT_EQ(t->port, 6380);
  EXPECT_EQ(t->db, 2);
  EXPECT_EQ(t->password, "secret");
  EXPECT_EQ(ParseRedisUrl("localhost")->port, 6379);
  EXPECT_FALSE(ParseRedisUrl("http://x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:notaport").ok());
}

TEST(RedisSink, WritesHashAndPublishes) {
  testing::TempDir dir;
  RedisServer server(dir.path().string());
  ASSERT_TRUE(server.ready()) << "redis-server did not start (is it installed?)";
  RedisTarget t;
  t.port = server.port();

  redisContext* sub = redisConnect("127.0.0.1", server.port());
  ASSERT_TRUE(sub && !sub->err);
  freeReplyObject(redisCommand(sub, "SUBSCRIBE augur:localize"));

  ASSERT_TRUE(WriteToRedis(t, Sample(), "run-1").ok());

  timeval tv{5, 0};
  redisSetTimeout(sub, tv);
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sub, &raw), REDIS_OK);
  auto* msg = static_cast<redisReply*>(raw);
  ASSERT_EQ(msg->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(msg->elements, 3u);
  auto payload = nlohmann::json::parse(std::string(msg->element[2]->str, msg->element[2]->len));
  EXPECT_EQ(payload["run"], "run-1");
  EXPECT_EQ(payload["top"], "shipping");
  freeReplyObject(msg);
  redisFree(sub);

  redisContext* c = redisConnect("127.0.0.1", server.port());
  auto* v = static_cast<redisReply*>(
      redisCommand(c, "HGET augur:localize:run:run-1 %s", "orders service"));
  ASSERT_EQ(v->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(v->str), "0.200000");
  freeReplyObject(v);
  v = static_cast<redisReply*>(redisCommand(c, "GET augur:localize:latest"));
  EXPECT_EQ(std::string(v->str), "run-1");
  freeReplyObject(v);
  redisFree(c);
}

TEST(RedisSink, UnreachableServerIsAClearError) {
  RedisTarget t;
  t.port = testing::FreePort();
  Status s = WriteToRedis(t, Sample(), "run-2");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot connect"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace augur::store
