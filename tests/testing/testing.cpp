#include "testing/testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

namespace augur::testing {

void WriteFile(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

bool WaitFor(double seconds, const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::filesystem::path SharedDir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("AUGUR_SHARED"); env && fs::is_directory(env)) return env;
  for (fs::path p = fs::current_path(); !p.empty() && p != p.parent_path(); p = p.parent_path())
    if (fs::is_directory(p / ".." / "shared" / "datasets")) return p / ".." / "shared";
  return {};
}

std::filesystem::path DatasetPath(const std::string& relative) {
  auto shared = SharedDir();
  if (shared.empty()) return {};
  auto p = shared / "datasets" / relative;
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("augur-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string Shell(const std::string& command, int* exit_code) {
  std::string out;
  if (exit_code) *exit_code = -1;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (exit_code && status != -1 && WIFEXITED(status)) *exit_code = WEXITSTATUS(status);
  return out;
}

std::string HeadlessChromium(const std::filesystem::path& profile_dir, const std::string& args,
                             int virtual_ms) {
  return Shell(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" +
      (profile_dir / "profile").string() + " --virtual-time-budget=" + std::to_string(virtual_ms) +
      " " + args + " 2>/dev/null");
}

}  // namespace augur::testing
