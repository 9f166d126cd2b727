// Localization inference speed: random service graphs of N services where each service calls D
// others (callees drawn from the services after it, so the graph is a DAG like a call tree with
// shared back-ends), a detector anomaly on every service, then Localize twice: cold (build +
// compile the junction tree + propagate) and warm (same structure, new evidence: propagate only).
// Usage: bench_localize [N...] [--degree D...] [--local W] [--hosts H] [--host-load L]
//   --local W draws callees among the next W services only (layered, microservice-like); default 0
//   = uniformly among all later services (the hardest case for exact inference).
//   --hosts H places one pod of each service on one of H hosts (service i on host i mod H), so
//   that the network gets H host nodes; default 0 = no placement known, no host nodes.
//   --host-load L sets LocalizerConfig::host_load (0: no origin → host-metrics links).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "localize/localizer.h"

using namespace augur;

static long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int main(int argc, char** argv) {
  std::vector<int> sizes, degrees;
  int local = 0, hosts = 0;
  double host_load = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--degree" && i + 1 < argc)
      degrees.push_back(std::atoi(argv[++i]));
    else if (a == "--local" && i + 1 < argc)
      local = std::atoi(argv[++i]);
    else if (a == "--hosts" && i + 1 < argc)
      hosts = std::atoi(argv[++i]);
    else if (a == "--host-load" && i + 1 < argc)
      host_load = std::atof(argv[++i]);
    else
      sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {100, 300, 1000, 3000};
  if (degrees.empty()) degrees = {1, 2, 3};
  std::printf("%-8s %-7s %-7s %-9s %-11s %-11s %-9s %-13s %-10s %-8s\n", "services", "degree",
              "edges", "variables", "cold_ms", "warm_ms", "max_clus", "table_entries", "dropped",
              "rss_mb");
  for (int n : sizes)
    for (int d : degrees) {
      std::mt19937 rng(n * 31 + d);
      auto path = std::filesystem::temp_directory_path() /
                  ("augur_bench_topo_" + std::to_string(getpid()) + ".csv");
      size_t edges = 0;
      {
        std::ofstream out(path);
        for (int i = 0; i < n - 1; ++i) {
          int hi = local > 0 ? std::min(n - 1, i + local) : n - 1;
          std::uniform_int_distribution<int> pick(i + 1, hi);
          std::set<int> callees;
          for (int k = 0; k < d && static_cast<int>(callees.size()) < hi - i; ++k)
            callees.insert(pick(rng));
          for (int c : callees) {
            out << "svc" << i << ",svc" << c << ",10\n";
            ++edges;
          }
        }
      }
      // Placement: one log line per service from its pod, naming the host (as Nezha's logs do).
      Batch placement;
      for (int i = 0; hosts > 0 && i < n; ++i) {
        LogRecord l;
        l.service = "svc" + std::to_string(i);
        l.instance = l.service + "-pod";
        l.body = "started";
        l.attributes.push_back({"node", "host" + std::to_string(i % hosts)});
        placement.logs.push_back(std::move(l));
      }
      std::vector<detect::Anomaly> anomalies;
      std::uniform_real_distribution<double> score(0.5, 5);
      auto make = [&] {
        anomalies.clear();
        for (int i = 0; i < n; ++i) {
          detect::Anomaly a;
          a.service = "svc" + std::to_string(i);
          a.detector = "bench";
          a.threshold = 1;
          a.score = score(rng);
          anomalies.push_back(a);
        }
      };
      auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
      };
      // Cold: a fresh localizer each time (build the network, order, compile, propagate).
      std::vector<double> cold_ms, warm_ms;
      std::optional<Result<localize::Localization>> cold;
      localize::LocalizerConfig config;
      config.hosts = hosts > 0;  // host nodes are opt-in
      if (host_load >= 0) config.host_load = host_load;
      localize::Localizer loc(config);
      for (int rep = 0; rep < 3; ++rep) {
        loc = localize::Localizer(config);
        if (hosts > 0) {
          loc.Learn(placement);
          loc.FinishLearning();
        }
        if (auto st = loc.AddTopologyFile(path.string()); !st) {
          std::fprintf(stderr, "%s\n", st.message().c_str());
          return 1;
        }
        make();
        auto t0 = std::chrono::steady_clock::now();
        cold = loc.Localize(Batch{}, &anomalies);
        cold_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        if (!*cold) break;
      }
      std::filesystem::remove(path);
      if (!*cold) {
        std::printf("%-8d %-7d %-7zu failed: %s\n", n, d, edges, cold->message().c_str());
        continue;
      }
      // Warm: same structure, new evidence on every service (propagation only).
      for (int rep = 0; rep < 5; ++rep) {
        make();
        auto t0 = std::chrono::steady_clock::now();
        auto warm = loc.Localize(Batch{}, &anomalies);
        warm_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        if (!warm || !warm->reused_structure) {
          std::printf("warm run did not reuse the structure\n");
          return 1;
        }
      }
      const auto& c = **cold;
      std::string dropped = "0", no_hosts;
      for (const auto& note : c.notes)
        if (note.find("hosts were left out") != std::string::npos)
          no_hosts = "hosts,";
        else if (note.find("too dense") != std::string::npos)
          dropped =
              note.substr(note.find("the ") + 4, note.find(" lightest") - note.find("the ") - 4);
      dropped = no_hosts + dropped;
      std::printf("%-8d %-7d %-7zu %-9d %-11.1f %-11.1f %-9d %-13llu %-10s %-8.1f\n", n, d, edges,
                  c.inference.variables, median(cold_ms), median(warm_ms),
                  c.inference.max_cluster_vars,
                  static_cast<unsigned long long>(c.inference.table_entries), dropped.c_str(),
                  MaxRssKb() / 1024.0);
      std::fflush(stdout);
    }
  return 0;
}
