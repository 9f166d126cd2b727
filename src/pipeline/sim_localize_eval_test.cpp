#include "pipeline/sim_localize_eval.h"

#include <gtest/gtest.h>

namespace augur::pipeline {
namespace {

// The scenarios run with other seeds than the normal run, so every pod has a new name: the
// localizer must judge the new pods against their service's normal series.
TEST(SimLocalizeEval, NamesTheFailedServiceAcrossPodRenames) {
  SimLocalizeOptions o;
  o.scenarios = {"shipping_network_delay", "shipping_pod_failure", "carts_db_io_failure"};
  o.normal_minutes = 10;
  o.minutes = 9;
  auto r = EvalSimLocalization(o);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->cases.size(), 3u);
  for (const auto& c : r->cases) {
    EXPECT_EQ(c.rank, 1) << c.fault.day << ": top " << (c.ranking.empty() ? "-" : c.ranking[0]);
    EXPECT_FALSE(c.fault.inject_time.empty());
  }
  EXPECT_DOUBLE_EQ(r->as1, 1.0);
}

TEST(SimLocalizeEval, UnknownScenarioIsAnError) {
  SimLocalizeOptions o;
  o.scenarios = {"no_such_fault"};
  auto r = EvalSimLocalization(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no_such_fault"), std::string::npos);
}

}  // namespace
}  // namespace augur::pipeline
