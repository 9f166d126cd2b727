// Writes a localization to Redis, as seed 000's Baynet does: a hash per run (service → outage
// probability, plus the run's JSON) and a pub/sub message announcing the run.
#pragma once

#include <string>

#include "core/result.h"
#include "localize/localizer.h"

namespace augur::store {

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;
};

// Parses "redis://[:password@]host[:port][/db]" (the scheme may be omitted).
Result<RedisTarget> ParseRedisUrl(const std::string& url);

// Writes HSET <prefix>:run:<run_id> {service: p_outage, ..., "_json": full result},
// SET <prefix>:latest <run_id>, and PUBLISH <prefix> {"run": run_id, "top": service, "p_origin":
// ...}. Fails with a message naming the server when it cannot connect or a command fails.
Status WriteToRedis(const RedisTarget& target, const localize::Localization& result,
                    const std::string& run_id, const std::string& prefix = "augur:localize");

}  // namespace augur::store
