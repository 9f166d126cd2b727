// `augur eval nezha` on the shared TrainTicket day: asserts the figures this implementation reaches
// (docs/BENCHMARKS.md, "Root-cause localization").
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "localize/nezha_eval.h"
#include "testing/testing.h"

namespace augur::localize {
namespace {

TEST(NezhaEval, FaultListUsesInjectTime) {
  AUGUR_REQUIRE_DATASET(dir, "nezha-trainticket");
  auto faults = ReadNezhaFaultList(
      (dir / "rca_data/2023-01-29/2023-01-29-fault_list.json").string(), "2023-01-29");
  ASSERT_TRUE(faults.ok()) << faults.message();
  ASSERT_EQ(faults->size(), 28u);
  EXPECT_EQ(faults->front().inject_time, "2023-01-29 08:43:04");
  EXPECT_EQ(faults->front().service, "ts-contacts-service");
  EXPECT_EQ(faults->front().type, "return");
}

TEST(NezhaEval, SharedDayReachesTheBar) {
  AUGUR_REQUIRE_DATASET(dir, "nezha-trainticket");
  NezhaEvalOptions opt;
  opt.day = "2023-01-29";
  auto r = EvalNezha(dir.string(), opt);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->cases.size(), 28u);
  for (const auto& c : r->cases)
    std::printf("%s %-16s %-32s rank %d top %s %s\n", c.fault.inject_time.c_str(),
                c.fault.type.c_str(), c.fault.service.c_str(), c.rank,
                c.ranking.empty() ? "-" : c.ranking[0].c_str(), c.note.c_str());
  if (std::getenv("AUGUR_VERBOSE"))
    for (const auto& c : r->cases)
      if (c.rank != 1) {
        std::printf("%s %s (rank %d)\n", c.fault.inject_time.c_str(), c.fault.service.c_str(),
                    c.rank);
        for (const auto& t : c.top) std::printf("    %s\n", t.c_str());
      }
  std::printf("AS@1 %.3f AS@3 %.3f AS@5 %.3f (%.1f s)\n", r->as1, r->as3, r->as5, r->seconds);
  // The bar is AS@1 0.90, AS@3 0.97; this implementation reaches 1.000 and 1.000 (one
  // case, 10:45 travel2, is a near tie at rank 1 with travel: a floor one case lower).
  EXPECT_GE(r->as1, 0.95);
  EXPECT_GE(r->as3, 0.97);
  // Every fault's (service, type) has an inner-service label in construct_data/root_cause_ts.json.
  std::printf("inner-service hit@1 %.3f hit@3 %.3f of %d\n", r->inner1, r->inner3, r->inner_cases);
  EXPECT_EQ(r->inner_cases, 28);
  EXPECT_GE(r->inner3, 0.85);
}

// A day whose fault-free phase construct_data does not hold learns from the nearest day that it
// does hold (here the shared day, under another name), instead of failing.
TEST(NezhaEval, DayWithoutItsOwnNormalPhaseLearnsFromTheNearestDay) {
  AUGUR_REQUIRE_DATASET(dir, "nezha-trainticket");
  namespace fs = std::filesystem;
  testing::TempDir tmp;
  const fs::path rca = tmp.path() / "rca_data" / "2023-01-30";
  fs::create_directories(rca);
  fs::create_directories(tmp.path() / "construct_data");
  for (const char* sub : {"trace", "log", "metric"})
    fs::create_directory_symlink(dir / "rca_data/2023-01-29" / sub, rca / sub);
  fs::copy_file(dir / "rca_data/2023-01-29/2023-01-29-fault_list.json",
                rca / "2023-01-30-fault_list.json");
  fs::create_directory_symlink(dir / "construct_data/2023-01-29",
                               tmp.path() / "construct_data" / "2023-01-29");
  auto r = EvalNezha(tmp.path().string(), {});
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->days, std::vector<std::string>{"2023-01-30"});
  ASSERT_EQ(r->cases.size(), 28u);
  EXPECT_GE(r->as1, 0.78);

  fs::remove(tmp.path() / "construct_data" / "2023-01-29");
  auto none = EvalNezha(tmp.path().string(), {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("construct_data"), std::string::npos) << none.message();
}

}  // namespace
}  // namespace augur::localize
