#include "normalize/counter_rates.h"

namespace augur::normalize {

void CounterRates::Apply(Batch& batch) {
  std::string key;
  auto out = batch.metrics.begin();
  for (auto it = batch.metrics.begin(); it != batch.metrics.end(); ++it) {
    MetricPoint& m = *it;
    if (m.monotonic) {
      key.clear();
      for (const std::string* part : {&m.service, &m.instance, &m.name}) key += *part + '\x1f';
      for (const auto& a : m.labels) key += a.key + '=' + a.value + '\x1f';
      auto [at, first] = last_.try_emplace(key);
      Last& last = at->second;
      if (first || m.time <= last.time) {
        if (first || m.time == last.time) last = {m.time, m.value};
        ++dropped_;
        continue;
      }
      const double delta = m.value >= last.value ? m.value - last.value : m.value;  // reset
      const double seconds = static_cast<double>(m.time - last.time) / 1e9;
      last = {m.time, m.value};
      m.value = delta / seconds;
      m.name = "rate(" + m.name + ")";
      m.kind = MetricKind::kGauge;
      m.monotonic = false;
    }
    if (out != it) *out = std::move(m);
    ++out;
  }
  batch.metrics.erase(out, batch.metrics.end());
}

}  // namespace augur::normalize
