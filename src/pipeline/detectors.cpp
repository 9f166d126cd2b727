#include "pipeline/detectors.h"

#include <string_view>

#include "detect/deviation_detector.h"
#include "detect/share_detector.h"
#ifdef AUGUR_HAVE_TORCH
#include "learn/torch/log_lm_detector.h"
#include "learn/torch/sequence_detectors.h"
#endif

namespace augur::pipeline {

const std::vector<DetectorFactory>& DetectorFactories() {
  // One line per detector: {name, description, factory}.
  static const std::vector<DetectorFactory> kFactories = {
      {"metric_deviation", "metrics per service against their normal range (robust z-score)",
       [] { return std::unique_ptr<detect::Detector>(new detect::MetricDeviationDetector()); }},
      {"span_deviation", "share of failed and slower-than-normal-p99 spans per service",
       [] { return std::unique_ptr<detect::Detector>(new detect::SpanShareDetector()); }},
      {"log_pattern", "share of never-seen log patterns and of warning/error lines per service",
       [] { return std::unique_ptr<detect::Detector>(new detect::LogPatternDetector()); }},
#ifdef AUGUR_HAVE_TORCH
      {"next_key",
       "next-key LSTM over each service's log and trace-event keys: unexpected-key rate per "
       "interval",
       [] { return std::unique_ptr<detect::Detector>(new learn::NextKeyDetector()); }},
      {"trace_lstm", "multimodal LSTM over traces: unexpected execution paths and slow calls",
       [] { return std::unique_ptr<detect::Detector>(new learn::TraceLstmDetector()); }},
      {"log_lm", "seed 000's log language model: generated vs real next 10 lines, cosine < 0.8",
       &detect::MakeLogLmDetector},
#endif
  };
  return kFactories;
}

std::unique_ptr<detect::Detector> MakeDetector(const DetectorFactory& f,
                                               const DetectorSettings& settings) {
#ifdef AUGUR_HAVE_TORCH
  if (std::string_view(f.name) == "log_lm" &&
      (!settings.log_lm_llm.url.empty() || !settings.log_lm_embedder.empty()))
    return detect::MakeLogLmDetector(settings.log_lm_llm, settings.log_lm_embedder);
#else
  (void)settings;
#endif
  return f.make();
}

}  // namespace augur::pipeline
