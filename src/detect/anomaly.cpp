#include "detect/anomaly.h"

namespace augur::detect {

std::string_view ModalityName(Modality m) {
  switch (m) {
    case Modality::kLog:
      return "log";
    case Modality::kTrace:
      return "trace";
    case Modality::kMetric:
      return "metric";
    case Modality::kEvent:
      return "event";
  }
  return "log";
}

}  // namespace augur::detect
