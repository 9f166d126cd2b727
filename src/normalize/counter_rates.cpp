#include "normalize/counter_rates.h"

#include <algorithm>
#include <utility>

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
      Last now{m.time, m.value, m.count, m.bucket_counts};
      if (first || m.time <= last.time) {
        if (first || m.time == last.time) last = std::move(now);
        ++dropped_;
        continue;
      }
      const Last before = std::exchange(last, std::move(now));
      if (m.kind == MetricKind::kSum || m.kind == MetricKind::kGauge) {
        const double delta = m.value >= before.value ? m.value - before.value : m.value;  // reset
        m.value = delta / (static_cast<double>(m.time - before.time) / 1e9);
        m.name = "rate(" + m.name + ")";
        m.kind = MetricKind::kGauge;
      } else if (m.count >= before.count) {  // else reset: all it holds is new
        if (m.count == before.count) {
          ++dropped_;
          continue;
        }
        m.count -= before.count;
        m.value -= before.value;
        if (m.bucket_counts.size() == before.buckets.size())
          for (size_t i = 0; i < m.bucket_counts.size(); ++i)
            m.bucket_counts[i] = std::max(0.0, m.bucket_counts[i] - before.buckets[i]);
      }
      m.monotonic = false;
    }
    if (out != it) *out = std::move(m);
    ++out;
  }
  batch.metrics.erase(out, batch.metrics.end());
}

}  // namespace augur::normalize
