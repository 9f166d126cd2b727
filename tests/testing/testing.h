// Helpers shared by tests: where ../shared/datasets is, and skipping with a clear message without
// it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace augur::testing {

// ../shared beside the checkout (or $AUGUR_SHARED); empty path when absent.
std::filesystem::path SharedDir();

// A path under ../shared/datasets, or empty when that data set is absent.
std::filesystem::path DatasetPath(const std::string& relative);

// A fresh temporary directory, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `data` to `path` (binary), creating its folders.
void WriteFile(const std::filesystem::path& path, std::string_view data);

// A TCP port on 127.0.0.1 that was free a moment ago (0 when none could be had), for a server a
// test starts.
int FreePort();

// Polls `done` every 50 ms for up to `seconds`; true as soon as it holds (a server started by a
// test is listening, what was sent has arrived).
bool WaitFor(double seconds, const std::function<bool()>& done);

// Runs a shell command and returns its standard output; `exit_code` (optional) receives its exit
// status (-1 when it could not start or did not exit normally).
std::string Shell(const std::string& command, int* exit_code = nullptr);

// Runs Debian's headless Chromium with `args` (e.g. "--dump-dom URL", "--screenshot=F URL") and a
// fresh profile under `profile_dir`, letting a page's scripts run for `virtual_ms` of virtual
// time; returns its standard output (empty when it failed). Callers skip when /usr/bin/chromium
// is absent.
std::string HeadlessChromium(const std::filesystem::path& profile_dir, const std::string& args,
                             int virtual_ms);

}  // namespace augur::testing

// Skips the current test, naming the missing data set, when ../shared/datasets/<relative> is
// absent.
#define AUGUR_REQUIRE_DATASET(var, relative)                                 \
  const std::filesystem::path var = ::augur::testing::DatasetPath(relative); \
  if (var.empty())                                                           \
  GTEST_SKIP() << "data set ../shared/datasets/" << (relative)               \
               << " is absent (set AUGUR_SHARED to the shared folder to run this test)"
