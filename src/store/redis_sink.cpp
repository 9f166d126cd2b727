#include "store/redis_sink.h"

#include <hiredis/hiredis.h>

#include <memory>

#include <fmt/format.h>

namespace augur::store {

Result<RedisTarget> ParseRedisUrl(const std::string& url) {
  RedisTarget t;
  std::string rest = url;
  if (rest.rfind("redis://", 0) == 0)
    rest = rest.substr(8);
  else if (rest.find("://") != std::string::npos)
    return Result<RedisTarget>::Error("redis URL \"" + url + "\": only redis:// is supported");
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    if (auto colon = auth.find(':'); colon != std::string::npos) auth = auth.substr(colon + 1);
    t.password = auth;
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      try {
        t.db = std::stoi(db);
      } catch (...) {
        return Result<RedisTarget>::Error("redis URL \"" + url + "\": database \"" + db +
                                          "\" is not a number");
      }
    }
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    std::string port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    try {
      t.port = std::stoi(port);
    } catch (...) {
      return Result<RedisTarget>::Error("redis URL \"" + url + "\": port \"" + port +
                                        "\" is not a number");
    }
    if (t.port <= 0 || t.port > 65535)
      return Result<RedisTarget>::Error("redis URL \"" + url + "\": port out of range");
  }
  if (!rest.empty()) t.host = rest;
  return t;
}

namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

Status Check(redisContext* c, redisReply* r, const std::string& what, const RedisTarget& t) {
  std::unique_ptr<redisReply, ReplyFree> hold(r);
  if (!r)
    return Status::Error(
        fmt::format("redis {}:{}: {} failed: {}", t.host, t.port, what, c->errstr));
  if (r->type == REDIS_REPLY_ERROR)
    return Status::Error(fmt::format("redis {}:{}: {} failed: {}", t.host, t.port, what,
                                     std::string(r->str, r->len)));
  return Status::Ok();
}

}  // namespace

Status WriteToRedis(const RedisTarget& t, const localize::Localization& result,
                    const std::string& run_id, const std::string& prefix) {
  timeval timeout{5, 0};
  std::unique_ptr<redisContext, ContextFree> c(
      redisConnectWithTimeout(t.host.c_str(), t.port, timeout));
  if (!c)
    return Status::Error(fmt::format("redis {}:{}: cannot allocate a connection", t.host, t.port));
  if (c->err)
    return Status::Error(fmt::format("redis {}:{}: cannot connect: {}", t.host, t.port, c->errstr));
  redisSetTimeout(c.get(), timeout);
  if (!t.password.empty())
    if (Status s = Check(
            c.get(), static_cast<redisReply*>(redisCommand(c.get(), "AUTH %s", t.password.c_str())),
            "AUTH", t);
        !s)
      return s;
  if (t.db != 0)
    if (Status s =
            Check(c.get(), static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", t.db)),
                  "SELECT", t);
        !s)
      return s;
  const std::string key = prefix + ":run:" + run_id;
  const std::string json = localize::ToJson(result).dump();
  // HSET key field value ...: built as an argv so that names with spaces are safe.
  std::vector<std::string> args{"HSET", key, "_json", json};
  for (const auto& rc : result.ranking) {
    args.push_back(rc.service);
    args.push_back(fmt::format("{:.6f}", rc.p_outage));
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (Status s = Check(c.get(),
                       static_cast<redisReply*>(redisCommandArgv(
                           c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())),
                       "HSET", t);
      !s)
    return s;
  if (Status s = Check(c.get(),
                       static_cast<redisReply*>(redisCommand(
                           c.get(), "SET %s %s", (prefix + ":latest").c_str(), run_id.c_str())),
                       "SET", t);
      !s)
    return s;
  nlohmann::json msg = {{"run", run_id}, {"key", key}, {"confidence", result.confidence}};
  if (!result.ranking.empty()) {
    msg["top"] = result.ranking[0].service;
    msg["p_origin"] = result.ranking[0].p_origin;
    msg["p_outage"] = result.ranking[0].p_outage;
    msg["colour"] = result.ranking[0].colour;
  }
  const std::string payload = msg.dump();
  return Check(c.get(),
               static_cast<redisReply*>(redisCommand(c.get(), "PUBLISH %s %b", prefix.c_str(),
                                                     payload.data(), payload.size())),
               "PUBLISH", t);
}

}  // namespace augur::store
