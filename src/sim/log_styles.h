// How each sock-shop stack writes a log line: Spring Boot (with Sleuth trace ids), Go kit logfmt,
// express/morgan, MongoDB 3.4, MySQL 5.7, RabbitMQ 3.7 and Redis, each with its own time format.
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"

namespace augur::sim::logstyle {

// "2024-11-18 20:28:48.123" (Spring Boot, RabbitMQ)
std::string SpringTime(TimeNs t);
// "2024-11-18T20:28:48.123456789Z" trimmed (Go kit's RFC 3339 nano)
std::string GoTime(TimeNs t);
// "2024-11-18T20:28:48.123+0000" (MongoDB 3.x)
std::string MongoTime(TimeNs t);
// "2024-11-18T20:28:48.123456Z" (MySQL 5.7)
std::string MySqlTime(TimeNs t);
// "18 Nov 2024 20:28:48.123" (Redis)
std::string RedisTime(TimeNs t);

// Spring Boot's default console pattern with Spring Cloud Sleuth's [app,trace,span,exportable].
std::string Spring(TimeNs t, std::string_view level, std::string_view app, std::string_view trace,
                   std::string_view span, std::string_view thread, std::string_view logger,
                   std::string_view message);
// Go kit logfmt: "ts=... caller=file.go:N " + key=value pairs already joined.
std::string GoKit(TimeNs t, std::string_view caller, std::string_view pairs);
// MongoDB 3.4: "<time> <S> <COMPONENT> [<context>] <message>", component padded to 8.
std::string Mongo(TimeNs t, char severity, std::string_view component, std::string_view context,
                  std::string_view message);
// MySQL 5.7: "<time> <thread> [Note|Warning|ERROR] <message>".
std::string MySql(TimeNs t, int thread, std::string_view level, std::string_view message);
// RabbitMQ 3.7 lager: "<time> [info] <0.N.0> <message>".
std::string Rabbit(TimeNs t, std::string_view level, int pid, std::string_view message);
// Redis: "<pid>:<role> <time> <* or #> <message>".
std::string Redis(TimeNs t, int pid, char role, char mark, std::string_view message);

// Severity of a line by the stack's level word.
Severity SeverityOf(std::string_view level);

}  // namespace augur::sim::logstyle
