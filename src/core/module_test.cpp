#include "core/module.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace augur {
namespace {

constexpr const char* kEnv = "AUGUR_TEST_MODULE";

struct EnvGuard {
  explicit EnvGuard(const std::string& value) { setenv(kEnv, value.c_str(), 1); }
  ~EnvGuard() { unsetenv(kEnv); }
};

// The file the environment names is the only one tried: a wrong path is an error naming it, even
// though the built-in places would hold a file of that name.
TEST(OpenModule, TheEnvironmentNamesTheOnlyFileTried) {
  const std::string built = (std::filesystem::temp_directory_path() / "libabsent.so").string();
  EnvGuard env("/nonexistent/libaugur_x.so");
  auto r = OpenModule("libaugur_x.so", kEnv, built, RTLD_NOW | RTLD_LOCAL);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("/nonexistent/libaugur_x.so: no such file"), std::string::npos)
      << r.message();
  EXPECT_NE(r.message().find("set AUGUR_TEST_MODULE"), std::string::npos) << r.message();
  EXPECT_EQ(r.message().find(built), std::string::npos) << r.message();
}

TEST(OpenModule, AFileThatIsNoLibrarySaysWhatTheLoaderSaid) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("augur-module-test-" + std::to_string(getpid()) + ".so");
  std::ofstream(path) << "not an ELF file\n";
  EnvGuard env(path.string());
  auto r = OpenModule("libaugur_x.so", kEnv, "", RTLD_NOW | RTLD_LOCAL);
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find(path.string() + ": "), std::string::npos) << r.message();
  EXPECT_EQ(r.message().find("no such file"), std::string::npos) << r.message();
}

// Without the environment variable: the built-in places in order, the build's path last.
TEST(OpenModule, FindsTheFileWhereTheBuildWroteIt) {
  unsetenv(kEnv);
  const char* libm = "/lib/x86_64-linux-gnu/libm.so.6";
  if (!std::filesystem::exists(libm)) GTEST_SKIP() << libm << " is not on this machine";
  auto r = OpenModule("libaugur_not_beside_the_test.so", kEnv, libm, RTLD_NOW | RTLD_LOCAL);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_NE(dlsym(*r, "cos"), nullptr);
  auto none = OpenModule("libaugur_not_beside_the_test.so", kEnv, "", RTLD_NOW | RTLD_LOCAL);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("libaugur_not_beside_the_test.so: no such file"), std::string::npos)
      << none.message();
}

}  // namespace
}  // namespace augur
