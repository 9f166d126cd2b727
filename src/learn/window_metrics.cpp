#include "learn/window_metrics.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace augur::learn {
namespace {

double Ratio(double a, double b) {
  return b == 0 ? 0 : a / b;
}

}  // namespace

double WindowMetrics::accuracy() const {
  return Ratio(tp + tn, windows());
}
double WindowMetrics::precision() const {
  return Ratio(tp, tp + fp);
}
double WindowMetrics::recall() const {
  return Ratio(tp, tp + fn);
}
double WindowMetrics::f1() const {
  double p = precision(), r = recall();
  return p + r == 0 ? 0 : 2 * p * r / (p + r);
}
void WindowMetrics::Add(bool truth, bool predicted) {
  if (truth && predicted)
    ++tp;
  else if (truth)
    ++fn;
  else if (predicted)
    ++fp;
  else
    ++tn;
}
void WindowMetrics::Add(const WindowMetrics& o) {
  tp += o.tp;
  fp += o.fp;
  tn += o.tn;
  fn += o.fn;
}

std::string WindowMetricsHeatmapSvg(const std::map<std::string, WindowMetrics>& scenarios,
                                    const WindowMetrics& overall, std::string_view title) {
  std::vector<std::pair<std::string, const WindowMetrics*>> rows;
  for (auto& [name, m] : scenarios) rows.emplace_back(name, &m);
  rows.emplace_back("overall", &overall);
  const int label_w = 260, cell_w = 110, cell_h = 34, top = 60;
  const int width = label_w + 4 * cell_w + 20,
            height = top + cell_h * static_cast<int>(rows.size()) + 20;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" "
      "font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"24\" font-size=\"16\">{}</text>\n",
      width, height, title);
  const char* cols[] = {"Accuracy", "Precision", "Recall", "F1"};
  for (int c = 0; c < 4; ++c)
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     label_w + c * cell_w + cell_w / 2, top - 8, cols[c]);
  auto colour = [](double v) {
    // Yellow (255,255,204) at 0 to dark blue (8,48,107) at 1, as seed 000's YlGnBu-like map.
    v = std::clamp(v, 0.0, 1.0);
    int rr = static_cast<int>(255 + (8 - 255) * v), gg = static_cast<int>(255 + (48 - 255) * v),
        bb = static_cast<int>(204 + (107 - 204) * v);
    return fmt::format("rgb({},{},{})", rr, gg, bb);
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const int y = top + static_cast<int>(i) * cell_h;
    const auto& m = *rows[i].second;
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ({} windows)</text>\n",
                     label_w - 8, y + cell_h / 2 + 5, rows[i].first, m.windows());
    double v[4] = {m.accuracy(), m.precision(), m.recall(), m.f1()};
    for (int c = 0; c < 4; ++c) {
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"white\"/>\n",
          label_w + c * cell_w, y, cell_w, cell_h, colour(v[c]));
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{:.2f}</text>\n",
                       label_w + c * cell_w + cell_w / 2, y + cell_h / 2 + 5,
                       v[c] > 0.55 ? "white" : "black", v[c]);
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace augur::learn
