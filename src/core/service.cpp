#include "core/service.h"

#include <cctype>

namespace augur {
namespace {

bool IsLowerAlnum(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::islower((unsigned char)c) || std::isdigit((unsigned char)c))) return false;
  return true;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit((unsigned char)c)) return false;
  return true;
}

}  // namespace

std::string ServiceFromPod(std::string_view pod) {
  size_t last = pod.rfind('-');
  if (last == std::string_view::npos || last == 0) return std::string(pod);
  std::string_view suffix = pod.substr(last + 1);
  std::string_view rest = pod.substr(0, last);
  // Deployment pod: <name>-<replicaset hash, 6-10 lower alnum>-<5 lower alnum>.
  size_t prev = rest.rfind('-');
  if (suffix.size() == 5 && IsLowerAlnum(suffix) && prev != std::string_view::npos && prev > 0) {
    std::string_view hash = rest.substr(prev + 1);
    if (hash.size() >= 6 && hash.size() <= 10 && IsLowerAlnum(hash))
      return std::string(rest.substr(0, prev));
  }
  // StatefulSet pod: <name>-<ordinal>.
  if (IsDigits(suffix) && suffix.size() <= 3) return std::string(rest);
  return std::string(pod);
}

}  // namespace augur
