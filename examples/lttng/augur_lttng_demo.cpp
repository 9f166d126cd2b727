// The LTTng example: a frontend process (client threads) calling a backend process (one worker
// thread per connection, plus a housekeeping thread) over unix sockets, instrumented with LTTng-UST
// request/response tracepoints carrying hierarchical tags and ordinary events. Its execution paths
// depend on timing (deadlines, slow-disk and late-tick warnings), so CPU or disk stress changes the
// sequences of events, as in seed 001's scenarios 2 and 3.
//
//   augur_lttng_demo --requests 300 --clients 2 --dir /tmp/demo-data
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "augur_demo_tp.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int requests = 300;  // per client thread
  int clients = 2;
  int deadline_ms = 20;     // frontend waits this long before logging a backend timeout
  int slow_disk_ms = 8;     // backend flags a block write slower than this
  int slow_compute_ms = 3;  // backend flags a computation slower than this
  int think_us = 1500;      // pause between a client's requests
  std::string dir = ".";
};

struct Message {
  char op[8];
  char tag[16];
  int32_t key;
  int32_t status;
};

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void NameThread(const char* name) {
  prctl(PR_SET_NAME, name, 0, 0, 0);
}

bool WriteAll(int fd, const void* p, size_t n) {
  auto* c = static_cast<const char*>(p);
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) return false;
    c += w, n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* p, size_t n) {
  auto* c = static_cast<char*>(p);
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r <= 0) return false;
    c += r, n -= static_cast<size_t>(r);
  }
  return true;
}

// A fixed amount of CPU work: its wall time grows only when the thread is kept off the CPU.
uint64_t Compute(int key) {
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(key);
  for (int i = 0; i < 150000; ++i) h = (h ^ static_cast<uint64_t>(i)) * 1099511628211ull;
  return h;
}

void BackendWorker(int fd, int block_fd, const Options& o) {
  NameThread("backend");
  Message m;
  char block[4096];
  while (ReadAll(fd, &m, sizeof m)) {
    lttng_ust_tracepoint(augur_demo, request, m.tag, m.op);
    lttng_ust_tracepoint(augur_demo, event, "decode message", m.key);
    auto t = Clock::now();
    uint64_t h = Compute(m.key);
    if (MsSince(t) > o.slow_compute_ms)
      lttng_ust_tracepoint(augur_demo, event, "slow computation", static_cast<int>(MsSince(t)));
    std::memset(block, static_cast<int>(h & 0xff), sizeof block);
    off_t at = static_cast<off_t>(m.key % 64) * static_cast<off_t>(sizeof block);
    if (std::strcmp(m.op, "put") == 0) {
      t = Clock::now();
      bool ok = pwrite(block_fd, block, sizeof block, at) == static_cast<ssize_t>(sizeof block) &&
                fdatasync(block_fd) == 0;
      lttng_ust_tracepoint(augur_demo, event, ok ? "block written" : "block write failed", m.key);
      if (MsSince(t) > o.slow_disk_ms)
        lttng_ust_tracepoint(augur_demo, event, "slow disk write", static_cast<int>(MsSince(t)));
      m.status = ok ? 0 : 1;
    } else {
      bool ok = pread(block_fd, block, sizeof block, at) >= 0;
      lttng_ust_tracepoint(augur_demo, event, "block read", m.key);
      m.status = ok ? 0 : 1;
    }
    lttng_ust_tracepoint(augur_demo, response, m.tag, m.op, m.status);
    if (!WriteAll(fd, &m, sizeof m)) break;
  }
}

// Wakes every 5 ms; a late wake-up is itself an event (the thread waited for a CPU).
void Housekeeper(std::atomic<bool>& stop) {
  NameThread("housekeeper");
  auto next = Clock::now();
  while (!stop.load()) {
    next += std::chrono::milliseconds(5);
    std::this_thread::sleep_until(next);
    double late = std::chrono::duration<double, std::milli>(Clock::now() - next).count();
    lttng_ust_tracepoint(augur_demo, event, late > 2 ? "tick late" : "tick",
                         static_cast<int>(late));
    if (late > 50) next = Clock::now();
  }
}

int RunBackend(const std::vector<int>& fds, const Options& o) {
  NameThread("backend");
  std::string path = o.dir + "/blocks.dat";
  int block_fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (block_fd < 0) {
    std::perror(path.c_str());
    return 3;
  }
  std::atomic<bool> stop{false};
  std::thread keeper(Housekeeper, std::ref(stop));
  std::vector<std::thread> workers;
  for (int fd : fds) workers.emplace_back(BackendWorker, fd, block_fd, std::cref(o));
  for (auto& w : workers) w.join();
  stop = true;
  keeper.join();
  close(block_fd);
  return 0;
}

void Client(int fd, int id, const Options& o, std::atomic<int>& failures) {
  NameThread("frontend");
  for (int i = 0; i < o.requests; ++i) {
    // A fixed cycle (put, get served by the backend, get served from the cache): in normal runs
    // the sequence of events is predictable, so only timing-dependent events break it.
    int key = (i * 7 + id * 13) % 97;
    const char* op = i % 3 == 0 ? "put" : "get";
    lttng_ust_tracepoint(augur_demo, request, "00", op);
    lttng_ust_tracepoint(augur_demo, event, "parse request", key);
    if (i % 3 == 2) {
      lttng_ust_tracepoint(augur_demo, event, "cache hit", key);
    } else {
      if (op[0] == 'g') lttng_ust_tracepoint(augur_demo, event, "cache miss", key);
      Message m{};
      std::snprintf(m.op, sizeof m.op, "%s", op);
      std::snprintf(m.tag, sizeof m.tag, "00/01");
      m.key = key;
      lttng_ust_tracepoint(augur_demo, request, m.tag, op);
      if (!WriteAll(fd, &m, sizeof m)) {
        ++failures;
        return;
      }
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, o.deadline_ms) == 0) {
        lttng_ust_tracepoint(augur_demo, event, "backend timeout", o.deadline_ms);
        poll(&p, 1, 5000);
      }
      if (!ReadAll(fd, &m, sizeof m)) {
        ++failures;
        return;
      }
      lttng_ust_tracepoint(augur_demo, response, m.tag, op, m.status);
      if (op[0] == 'p') lttng_ust_tracepoint(augur_demo, event, "cache update", key);
    }
    lttng_ust_tracepoint(augur_demo, response, "00", op, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(o.think_us));
  }
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--requests N] [--clients C] [--deadline-ms MS] [--dir DIR]\n"
               "example: %s --requests 300 --clients 2 --dir /tmp/demo-data\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return Usage(argv[0]), 0;
    if (i + 1 >= argc) return Usage(argv[0]);
    std::string v = argv[++i];
    if (a == "--requests")
      o.requests = std::atoi(v.c_str());
    else if (a == "--clients")
      o.clients = std::atoi(v.c_str());
    else if (a == "--deadline-ms")
      o.deadline_ms = std::atoi(v.c_str());
    else if (a == "--dir")
      o.dir = v;
    else
      return Usage(argv[0]);
  }
  if (o.requests < 1 || o.clients < 1 || o.clients > 64 || o.deadline_ms < 1) return Usage(argv[0]);
  std::vector<int> front, back;
  for (int c = 0; c < o.clients; ++c) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return std::perror("socketpair"), 3;
    front.push_back(sv[0]);
    back.push_back(sv[1]);
  }
  pid_t child = fork();
  if (child < 0) return std::perror("fork"), 3;
  if (child == 0) {
    for (int fd : front) close(fd);
    _exit(RunBackend(back, o));
  }
  for (int fd : back) close(fd);
  NameThread("frontend");
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < o.clients; ++c)
    clients.emplace_back(Client, front[c], c, std::cref(o), std::ref(failures));
  for (auto& t : clients) t.join();
  for (int fd : front) close(fd);
  int status = 0;
  waitpid(child, &status, 0);
  if (failures || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "augur_lttng_demo: %d client failures, backend status %d\n",
                 failures.load(), status);
    return 1;
  }
  return 0;
}
