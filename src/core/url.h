// http(s) URLs as the HTTP clients (cpp-httplib) take them: scheme://host:port, and a path.
#pragma once

#include <string>

#include "core/result.h"

namespace augur {

struct HttpUrl {
  std::string scheme;  // http or https
  std::string host;    // [v6] kept in its brackets
  int port = 0;        // the scheme's default when the URL names none
  std::string path;    // "" or "/…", without trailing slashes

  std::string SchemeHostPort() const;  // what httplib::Client takes
};

// http(s)://HOST[:PORT][/PATH]. The error says what is wrong: no scheme, another scheme, no
// host, a port that is not a number in 1..65535, credentials (user:password@), which the callers
// take from elsewhere.
Result<HttpUrl> ParseHttpUrl(const std::string& url);

}  // namespace augur
