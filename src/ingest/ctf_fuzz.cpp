// libFuzzer target: the CTF reader must never crash, hang or lose count on a corrupt trace. The
// input replaces one file of the sample LTTng trace (testdata/lttng_trace): the first byte picks
// the metadata or a data stream, the rest is its content.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ingest/ctf.h"
#include "ingest/read.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path sample =
      fs::path(__FILE__).parent_path() / "testdata/lttng_trace/ust/uid/65534/64-bit";
  // The scratch copy is removed when libFuzzer exits, so runs leave nothing in /tmp.
  static const struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("augur-ctf-fuzz-" + std::to_string(getpid()));
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } scratch;
  const fs::path& dir = scratch.dir;
  if (size < 1) return 0;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"metadata", "augur_0", "augur_1"}) fs::copy_file(sample / f, dir / f);
  const char* target = data[0] % 3 == 0 ? "metadata" : data[0] % 3 == 1 ? "augur_0" : "augur_1";
  std::ofstream(dir / target, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  augur::ingest::ReadOptions options;
  options.batch_size = 64;
  uint64_t records = 0;
  auto r = augur::ingest::ReadPaths({dir.string()}, options,
                                    [&](augur::Batch& b) { records += b.size(); });
  if (!r.ok()) std::abort();
  uint64_t reported = 0;
  for (const auto& f : r->files) reported += f.records;
  if (reported != records) std::abort();
  return 0;
}
