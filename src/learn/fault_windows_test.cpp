#include "learn/fault_windows.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "core/time.h"
#include "testing/testing.h"

namespace augur::learn {
namespace {

// Traces from a fault's interval are not known to be clean: both fault records are found under
// the folder, Nezha's as a span after the injection, the simulator's until its recovery.
TEST(FaultWindows, FromNezhaListsAndSimulatorLabels) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "rca_data/2023-01-29/2023-01-29-fault_list.json",
                     R"({"8": [{"inject_time": "2023-01-29 08:43:04", "inject_pod": "p"}]})");
  testing::WriteFile(dir.path() / "run/labels.json",
                     R"({"scenario": "x", "faults": [{"start_ns": 100, "end_ns": 200,
                         "recovered_ns": 250}, {"start_ns": 300, "end_ns": 400}]})");
  testing::WriteFile(dir.path() / "other/labels.json", R"(["not", "a", "run"])");
  auto w = FaultWindows(dir.path().string(), 300 * kNsPerSecond);
  std::sort(w.begin(), w.end());
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], std::make_pair(TimeNs{100}, TimeNs{250}));
  EXPECT_EQ(w[1], std::make_pair(TimeNs{300}, TimeNs{400}));
  const TimeNs inject = *ParseIsoTime("2023-01-29 08:43:04");
  EXPECT_EQ(w[2], std::make_pair(inject, inject + 300 * kNsPerSecond));
}

}  // namespace
}  // namespace augur::learn
