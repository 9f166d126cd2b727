// Window-level detection figures (accuracy, precision, recall, F1 from the confusion counts) and
// seed 000's Figure 16 heatmap of them, per scenario and overall.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace augur::learn {

struct WindowMetrics {
  uint64_t tp = 0, fp = 0, tn = 0, fn = 0;
  uint64_t windows() const { return tp + fp + tn + fn; }
  double accuracy() const;
  double precision() const;  // 0 when nothing was flagged
  double recall() const;     // 0 when nothing was anomalous
  double f1() const;
  void Add(bool truth, bool predicted);
  void Add(const WindowMetrics& o);
};

// An SVG image: one row per scenario (plus overall), columns accuracy, precision, recall, F1, each
// cell coloured yellow (0) → blue (1) with its value written in, under `title`.
std::string WindowMetricsHeatmapSvg(const std::map<std::string, WindowMetrics>& scenarios,
                                    const WindowMetrics& overall, std::string_view title);

}  // namespace augur::learn
