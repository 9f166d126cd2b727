#include "pipeline/detectors.h"

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
       [](const DetectorSettings&) {
         return std::unique_ptr<detect::Detector>(new detect::MetricDeviationDetector());
       }},
      {"span_deviation", "share of failed and slower-than-normal-p99 spans per service",
       [](const DetectorSettings&) {
         return std::unique_ptr<detect::Detector>(new detect::SpanShareDetector());
       }},
      {"log_pattern", "share of never-seen log patterns and of warning/error lines per service",
       [](const DetectorSettings&) {
         return std::unique_ptr<detect::Detector>(new detect::LogPatternDetector());
       }},
#ifdef AUGUR_HAVE_TORCH
      {"next_key",
       "next-key LSTM over each service's log and trace-event keys: unexpected-key rate per "
       "interval",
       [](const DetectorSettings&) {
         return std::unique_ptr<detect::Detector>(new learn::NextKeyDetector());
       }},
      {"trace_lstm", "multimodal LSTM over traces: unexpected execution paths and slow calls",
       [](const DetectorSettings&) {
         return std::unique_ptr<detect::Detector>(new learn::TraceLstmDetector());
       }},
      {"log_lm", "seed 000's log language model: generated vs real next 10 lines, cosine < 0.8",
       [](const DetectorSettings& s) {
         return detect::MakeLogLmDetector(s.log_lm_llm, s.log_lm_embedder, s.log_lm_magnitudes,
                                          s.log_lm_novelty);
       }},
#endif
  };
  return kFactories;
}

}  // namespace augur::pipeline
