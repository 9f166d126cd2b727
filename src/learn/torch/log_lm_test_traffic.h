// Request logs of a tiny shop for the log language model's tests: each request makes "orders" write
// three lines (received; paid, or a MongoDB timeout when faulty; done) and, when asked, "carts"
// one.
#pragma once

#include <random>
#include <string>

#include "core/event.h"

namespace augur::detect::testing_traffic {

inline Batch ShopTraffic(int requests, uint32_t seed, bool faulty = false, bool carts = false) {
  std::mt19937 rng(seed);
  Batch b;
  TimeNs t = 1'700'000'000'000'000'000;
  auto line = [&](const std::string& service, std::string body) {
    LogRecord r;
    r.time = (t += 1'000'000);
    r.service = service;
    r.instance = service + "-0";
    r.body = "2024-01-01T00:00:00.000Z " + std::move(body);
    b.logs.push_back(std::move(r));
  };
  for (int i = 0; i < requests; ++i) {
    const int id = static_cast<int>(rng() % 100000);
    line("orders", "INFO POST /orders received");
    line("orders", faulty ? "ERROR MongoDB timed out while receiving message"
                          : "INFO order " + std::to_string(id) + " paid");
    line("orders", "INFO POST /orders done in " + std::to_string(id % 50) + " ms status 201");
    if (carts)
      line("carts", "INFO GET /cart/" + std::to_string(id) + " took " + std::to_string(id % 50) +
                        " ms status 200");
  }
  return b;
}

}  // namespace augur::detect::testing_traffic
