// Seed 001's scenarios on a real LTTng trace: records the example service normally, under CPU
// stress (busy threads competing for the CPUs) and under disk stress (a file written and copied in
// a loop, with syncs), each with a private lttng-sessiond; trains the next_key detector on one
// normal run and checks that the stressed runs show a clearly higher unexpected-key rate than a
// second normal run. Skips, saying why, where LTTng cannot record here.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "ingest/read.h"
#include "learn/model_bundle.h"
#include "learn/torch/compute_device.h"
#include "learn/torch/event_analysis.h"
#include "learn/torch/next_key_model.h"
#include "learn/torch/sequence_detectors.h"
#include "testing/testing.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

constexpr TimeNs kInterval = 250'000'000;  // short runs: quarter-second intervals

// Runs a shell command; returns its exit status and (in *output) its stdout and stderr.
int Shell(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, got);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Load that competes with the service while it is being recorded.
class Stress {
 public:
  enum Kind { kNone, kCpu, kDisk };
  Stress(Kind kind, const fs::path& dir) {
    unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    if (kind == kCpu)
      for (unsigned i = 0; i < 6 * cpus; ++i) threads_.emplace_back([this, i] { Spin(i); });
    if (kind == kDisk)
      for (int i = 0; i < 2; ++i) threads_.emplace_back([this, i, dir] { Copy(dir, i); });
  }
  ~Stress() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  // Seed 001 compresses random data: busy threads that also churn through memory, so the service
  // waits for a CPU and then runs with cold caches.
  void Spin(unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> buf(1 << 19);  // 4 MiB each
    uint64_t h = 0;
    while (!stop_.load(std::memory_order_relaxed))
      for (int i = 0; i < 100000; ++i) {
        uint64_t r = rng();
        h ^= buf[r & (buf.size() - 1)] += r * 0x9e3779b97f4a7c15ull;
      }
    sink_ += h;
  }
  // Seed 001 creates a file and copies it repeatedly.
  void Copy(const fs::path& dir, int id) {
    std::vector<char> block(1 << 20, static_cast<char>(id));
    fs::path a = dir / ("stress-" + std::to_string(id) + ".a");
    fs::path b = dir / ("stress-" + std::to_string(id) + ".b");
    int fd = open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    for (int i = 0; i < 16 && fd >= 0; ++i)
      if (write(fd, block.data(), block.size()) < 0) break;
    if (fd >= 0) close(fd);
    while (!stop_.load()) {
      int in = open(a.c_str(), O_RDONLY), out = open(b.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ssize_t n;
      while (in >= 0 && out >= 0 && !stop_.load() && (n = read(in, block.data(), block.size())) > 0)
        if (write(out, block.data(), static_cast<size_t>(n)) < 0) break;
      if (out >= 0) fdatasync(out), close(out);
      if (in >= 0) close(in);
    }
    fs::remove(a);
    fs::remove(b);
  }
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sink_{0};
};

class LttngScenarios : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::permissions(tmp_.path(), fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);
    data_ = tmp_.path() / "data";
    fs::create_directories(data_);
    fs::permissions(data_, fs::perms::all);
    setenv("AUGUR_LTTNG_EVENTS", "augur_demo:*", 1);
  }

  // Records one run of the demo; empty with *why set when recording failed.
  std::vector<TraceEvent> Record(const std::string& name, Stress::Kind stress, int requests,
                                 std::string* why) {
    fs::path out = tmp_.path() / name;
    std::string cmd = std::string(AUGUR_LTTNG_RECORD) + " " + out.string() + " " +
                      AUGUR_LTTNG_DEMO + " --requests " + std::to_string(requests) +
                      " --clients 1 --dir " + data_.string();
    std::string output;
    int rc;
    {
      Stress load(stress, tmp_.path());
      rc = Shell(cmd, &output);
    }
    if (rc != 0) {
      *why = "recording failed (exit " + std::to_string(rc) + "): " + output.substr(0, 800);
      return {};
    }
    ingest::ReadReport report;
    auto batch = ingest::ReadAll({out.string()}, {}, &report);
    if (!batch.ok()) {
      *why = batch.message();
      return {};
    }
    if (report.rejected.count) {
      *why = report.rejected.first.empty() ? "rejects" : report.rejected.first[0];
      return {};
    }
    return std::move(batch->trace_events);
  }

  testing::TempDir tmp_;
  fs::path data_;
};

struct Rates {
  double mean = 0, max = 0, overall = 0;
  size_t intervals = 0;
};

Rates IntervalRates(const learn::EventAnalysis& a) {
  Rates r;
  for (const auto& iv : a.intervals) {
    if (iv.keys < 20) continue;  // the run's ragged first and last intervals
    r.mean += iv.rate();
    r.max = std::max(r.max, iv.rate());
    ++r.intervals;
  }
  if (r.intervals) r.mean /= static_cast<double>(r.intervals);
  r.overall = a.rate();
  return r;
}

TEST_F(LttngScenarios, StressRaisesTheUnexpectedKeyRate) {
  for (const char* tool : {"lttng", "lttng-sessiond"}) {
    std::string out;
    if (Shell(std::string("command -v ") + tool, &out) != 0)
      GTEST_SKIP() << tool << " is not installed: cannot record an LTTng trace here";
  }
  learn::SetTorchThreads(1);
  std::string why;
  auto train = Record("normal-train", Stress::kNone, 600, &why);
  if (train.empty())
    GTEST_SKIP() << "LTTng cannot record in this environment (" << why
                 << "); examples/lttng/record.sh starts a private lttng-sessiond --no-kernel";
  auto normal = Record("normal", Stress::kNone, 400, &why);
  ASSERT_FALSE(normal.empty()) << why;
  auto cpu = Record("cpu", Stress::kCpu, 400, &why);
  ASSERT_FALSE(cpu.empty()) << why;
  auto disk = Record("disk", Stress::kDisk, 400, &why);
  ASSERT_FALSE(disk.empty()) << why;

  // Every request became a complete span with its backend sub-span.
  auto spans = normalize::ExtractEventSpans(normal);
  EXPECT_EQ(spans.spans.size(), 400u);
  size_t complete = 0;
  for (const auto& s : spans.spans) complete += s.complete;
  EXPECT_GE(complete, 399u);
  EXPECT_LT(spans.unassigned, normal.size() / 5);  // housekeeping ticks are in no span

  learn::NextKeyDetectorConfig config;
  config.interval = kInterval;
  // Identical windows are trained once (weighted), so an epoch of this small, regular trace is
  // one optimizer step: it needs far more epochs and patience than the detector's defaults, or
  // training stops before the cycle is learned (smaller batches made it worse).
  config.model.max_epochs = 400;
  config.model.patience = 60;
  config.model.threads = 1;
  // A recording can catch a stall of this shared machine (about one run in four here: 18 chunks
  // instead of 17, a rate of 0.17 on its own training windows, 0.05 on the normal run, against
  // 0.004 and 0.001 otherwise). The model says so itself: when it does not predict its own
  // training data, the normal run is recorded and trained on once more.
  std::optional<learn::ModelBundle> bundle;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt > 0) {
      train = Record("normal-train-2", Stress::kNone, 600, &why);
      ASSERT_FALSE(train.empty()) << why;
    }
    learn::NextKeyDetector detector(config);
    Batch batch;
    batch.trace_events = train;
    detector.Learn(batch);
    auto created = learn::ModelBundle::Create(tmp_.path() / ("bundle" + std::to_string(attempt)));
    ASSERT_TRUE(created.ok()) << created.message();
    bundle.emplace(std::move(*created));
    ASSERT_TRUE(detector.FinishLearning(*bundle)) << "training failed";
    ASSERT_TRUE(bundle->Save());
    const nlohmann::json entry = *bundle->ModelEntry("next_key");
    std::printf("next_key training: %s\n", entry.dump().c_str());
    if (entry.value("/figures/training_interval_rate_mean"_json_pointer, 1.0) < 0.05) break;
    std::printf("the model does not predict its own training run: recording it again\n");
  }

  learn::EventAnalysisConfig ac;
  ac.interval = kInterval;
  std::map<std::string, Rates> rates;
  std::map<std::string, size_t> alarms, anomalous_spans;
  for (auto& [name, events] : std::map<std::string, std::vector<TraceEvent>*>{
           {"normal", &normal}, {"cpu", &cpu}, {"disk", &disk}}) {
    auto a = learn::AnalyseTraceEvents(*bundle, *events, ac);
    ASSERT_TRUE(a.ok()) << a.message();
    rates[name] = IntervalRates(*a);
    for (auto f : a->span_anomalous) anomalous_spans[name] += f;
    learn::NextKeyDetector scorer(config);
    ASSERT_TRUE(scorer.Load(*bundle));
    Batch b;
    b.trace_events = *events;
    std::vector<detect::Anomaly> found;
    scorer.Score(b, found);
    scorer.Flush(found);
    alarms[name] = found.size();
    std::printf(
        "%-6s events %6zu  intervals %3zu  unexpected-key rate: mean %.3f max %.3f overall %.3f  "
        "anomalous spans %zu  detector alarms %zu\n",
        name.c_str(), events->size(), rates[name].intervals, rates[name].mean, rates[name].max,
        rates[name].overall, anomalous_spans[name], alarms[name]);
  }
  ASSERT_GT(rates["normal"].intervals, 2u);
  for (const char* stressed : {"cpu", "disk"}) {
    // The rate over all the run's intervals (one noisy interval of a short normal run would
    // dominate a mean of interval rates). The CPU effect varies with the machine's other load
    // (0.0046-0.08 seen on 2 shared cores): a relative bar with a small absolute floor; detector
    // alarms are printed, not asserted.
    EXPECT_GT(rates[stressed].overall, 3 * rates["normal"].overall) << stressed;
    EXPECT_GT(rates[stressed].overall, rates["normal"].overall + 0.003) << stressed;
  }
}

}  // namespace
}  // namespace augur
