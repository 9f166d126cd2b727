#include "learn/window_metrics.h"

#include <gtest/gtest.h>

namespace augur::learn {
namespace {

TEST(WindowMetrics, CountsAndRatios) {
  WindowMetrics m;
  EXPECT_EQ(m.precision(), 0);  // nothing flagged, nothing anomalous: zeros, not NaN
  EXPECT_EQ(m.f1(), 0);
  for (int i = 0; i < 3; ++i) m.Add(true, true);
  m.Add(true, false);
  m.Add(false, true);
  for (int i = 0; i < 5; ++i) m.Add(false, false);
  EXPECT_EQ(m.windows(), 10u);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.8);
  EXPECT_DOUBLE_EQ(m.precision(), 0.75);
  EXPECT_DOUBLE_EQ(m.recall(), 0.75);
  EXPECT_DOUBLE_EQ(m.f1(), 0.75);
  WindowMetrics sum = m;
  sum.Add(m);
  EXPECT_EQ(sum.tp, 6u);
  EXPECT_EQ(sum.windows(), 20u);
  EXPECT_DOUBLE_EQ(sum.f1(), 0.75);
}

TEST(WindowMetrics, HeatmapHasARowPerScenarioAndOverall) {
  WindowMetrics a, b;
  a.Add(true, true);
  b.Add(false, true);
  const std::string svg = WindowMetricsHeatmapSvg({{"alpha", a}, {"beta", b}}, a, "the title");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(">the title<"), std::string::npos);
  EXPECT_NE(svg.find("alpha (1 windows)"), std::string::npos);
  EXPECT_NE(svg.find("beta (1 windows)"), std::string::npos);
  EXPECT_NE(svg.find("overall (1 windows)"), std::string::npos);
  EXPECT_NE(svg.find("rgb(8,48,107)"), std::string::npos);     // a 1.00 cell
  EXPECT_NE(svg.find("rgb(255,255,204)"), std::string::npos);  // a 0.00 cell
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace augur::learn
