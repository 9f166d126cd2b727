// Runs a simulation straight into files: OTLP/JSON lines for the three signals, labels.json and
// the per-line truth affected_logs.json.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "ingest/otlp_json_writer.h"
#include "sim/simulator.h"

namespace augur::sim {

Result<WriteSummary> WriteSimulation(const SimConfig& config, const std::string& dir, bool gzip) {
  auto sim = Simulator::Create(config);
  if (!sim.ok()) return sim.status();
  Simulator& s = **sim;
  ingest::OtlpJsonWriterOptions options;
  options.gzip = gzip;
  options.json.scope_name = "augur.sim";
  options.json.resource_attributes = [&s](std::string_view, std::string_view pod, Attributes& out) {
    out.push_back({"k8s.namespace.name", "sock-shop"});
    std::string version = s.VersionOf(pod);
    if (!version.empty()) out.push_back({"service.version", std::move(version)});
  };
  auto writer = ingest::OtlpJsonWriter::Open(dir, options);
  if (!writer.ok()) return writer.status();
  Status failed;
  Status run = s.Run([&](Batch& b) {
    if (!failed.ok()) return;
    failed = (*writer)->Write(b);
  });
  if (!run.ok()) return run;
  if (!failed.ok()) return failed;
  if (Status c = (*writer)->Close(); !c.ok()) return c;
  const std::string labels_path = (std::filesystem::path(dir) / "labels.json").string();
  std::ofstream out(labels_path, std::ios::binary);
  out << s.LabelsJson();
  out.close();
  if (!out) return Status::Error(fmt::format("{}: cannot write", labels_path));
  {  // written even when empty: its presence says the run carries per-line truth
    const std::string affected_path = (std::filesystem::path(dir) / "affected_logs.json").string();
    std::ofstream a(affected_path, std::ios::binary);
    // One entry per line and an opening brace alone on the first line: the telemetry readers see
    // a JSON document of no known format and skip it, as they skip labels.json.
    a << "{\n\"about\": \"log lines written for a request a fault touched: [time_ns, pod, "
         "[indices into labels.json faults]]\",\n\"lines\": [";
    const char* sep = "\n";
    for (const AffectedLog& l : s.AffectedLogs()) {
      a << sep << '[' << l.time << ",\"" << l.instance << "\",[";
      for (int i = 0, n = 0; i < 64; ++i)
        if (l.faults >> i & 1) a << (n++ ? "," : "") << i;
      a << "]]";
      sep = ",\n";
    }
    a << "\n]\n}\n";
    a.close();
    if (!a) return Status::Error(fmt::format("{}: cannot write", affected_path));
  }
  WriteSummary summary;
  summary.dir = dir;
  summary.stats = s.stats();
  summary.bytes = (*writer)->bytes_written();
  summary.faults = s.Labels().size();
  return summary;
}

}  // namespace augur::sim
