#include "core/url.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace augur {

std::string HttpUrl::SchemeHostPort() const {
  return fmt::format("{}://{}:{}", scheme, host, port);
}

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  auto bad = [](const std::string& why) { return Result<HttpUrl>::Error(why); };
  HttpUrl u;
  const auto sep = url.find("://");
  if (sep == std::string::npos) return bad("no scheme (write http://host:port)");
  u.scheme = url.substr(0, sep);
  if (u.scheme != "http" && u.scheme != "https") return bad("scheme must be http or https");
  const std::string rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.empty()) return bad("no host");
  if (authority.find('@') != std::string::npos)
    return bad("credentials in the URL are not supported");
  u.host = authority;
  u.port = u.scheme == "https" ? 443 : 80;
  // [v6]:port or host:port
  const auto close = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    u.host = authority.substr(0, colon);
    const std::string p = authority.substr(colon + 1);
    if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), ::isdigit))
      return bad("port \"" + p + "\" is not a number");
    u.port = std::stoi(p);
    if (u.port < 1 || u.port > 65535) return bad("port out of range");
  }
  if (u.host.empty()) return bad("no host");
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  return u;
}

}  // namespace augur
