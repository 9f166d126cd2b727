// End to end through the binary: `augur demo` simulates normal traffic, trains, injects a chaos
// fault, detects, and must name the injected service first; the outputs and the store must be
// there.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace {

using augur::testing::Shell;

TEST(Demo, NamesTheInjectedServiceFirst) {
  augur::testing::TempDir dir;
  int rc = -1;
  std::string out =
      Shell(std::string(AUGUR_BINARY) + " -q demo --json --normal-minutes 10 --minutes 12 --out " +
                dir.path().string() + " 2>&1",
            &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_EQ(j["scenarios"].size(), 1u);
  const auto& s = j["scenarios"][0];
  EXPECT_EQ(s["injected"]["service"], "shipping");
  EXPECT_EQ(s["origin"], "shipping") << out;
  EXPECT_EQ(s["rank"], 1);
  EXPECT_GE(s["incidents"].get<int>(), 1);

  // The bundle says which BLAS kernels its libtorch models trained with.
  std::ifstream manifest_in(dir.path() / "model" / "manifest.json");
  auto manifest = nlohmann::json::parse(manifest_in);
  if (manifest["models"].contains("trace_lstm")) {
    EXPECT_NE(manifest.value("torch_blas", "").find("; kernels "), std::string::npos) << manifest;
  }

  auto report = dir.path() / "shipping_network_delay" / "report";
  for (const char* f : {"incident.json", "report.html", "trace.json", "outage_probabilities.csv"})
    EXPECT_TRUE(std::filesystem::exists(report / f)) << f;
  std::ifstream in(report / "incident.json");
  auto inc = nlohmann::json::parse(in);
  EXPECT_EQ(inc["schema_version"], 1);
  ASSERT_FALSE(inc["incidents"].empty());

  // The store has the incident, and `augur incidents` reads it back.
  std::string listed = Shell(std::string(AUGUR_BINARY) + " incidents --db " +
                                 (dir.path() / "augur.db").string() + " list --json",
                             &rc);
  ASSERT_EQ(rc, 0) << listed;
  auto rows = nlohmann::json::parse(listed);
  ASSERT_FALSE(rows.empty());
  std::string shown =
      Shell(std::string(AUGUR_BINARY) + " incidents --db " + (dir.path() / "augur.db").string() +
                " show " + std::to_string(rows[0]["id"].get<int>()),
            &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(shown.find("Ranking:"), std::string::npos) << shown;
  // And answers questions about it from the record.
  int asked_about = 0;
  for (const auto& row : rows) {
    if (row["root_cause"] != "shipping") continue;
    ++asked_about;
    std::string asked =
        Shell(std::string(AUGUR_BINARY) + " incidents --db " + (dir.path() / "augur.db").string() +
                  " --json ask " + std::to_string(row["id"].get<int>()) + " which service failed",
              &rc);
    ASSERT_EQ(rc, 0) << asked;
    auto a = nlohmann::json::parse(asked);
    EXPECT_EQ(a["intent"], "origin");
    EXPECT_EQ(a["source"], "augur");
    EXPECT_TRUE(a["answer"].get<std::string>().starts_with("The most probable origin is shipping"))
        << asked;
  }
  EXPECT_GE(asked_about, 1) << listed;

  // The on-call's verdicts, and the accuracy they give.
  const std::string incidents =
      std::string(AUGUR_BINARY) + " incidents --db " + (dir.path() / "augur.db").string();
  const std::string first = std::to_string(rows[0]["id"].get<int>());
  std::string labelled = Shell(incidents + " label " + first +
                                   " --confirmed --root-cause shipping --note 'tc qdisc on eth0'",
                               &rc);
  ASSERT_EQ(rc, 0) << labelled;
  EXPECT_NE(labelled.find("labelled confirmed, root cause shipping"), std::string::npos)
      << labelled;
  std::string refused = Shell(incidents + " label " + first + " 2>&1", &rc);
  EXPECT_EQ(rc, 2) << refused;
  EXPECT_NE(refused.find("--confirmed or --false-alarm"), std::string::npos) << refused;
  refused = Shell(incidents + " label 999 --false-alarm 2>&1", &rc);
  EXPECT_EQ(rc, 2) << refused;
  EXPECT_NE(refused.find("no stored incident 999"), std::string::npos) << refused;
  auto acc = nlohmann::json::parse(Shell(incidents + " --json accuracy", &rc));
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(acc["labelled"], 1);
  EXPECT_EQ(acc["confirmed"], 1);
  EXPECT_EQ(acc["root_cause_at1"], rows[0]["root_cause"] == "shipping" ? 1.0 : 0.0) << acc;
  std::string table = Shell(incidents + " accuracy", &rc);
  EXPECT_NE(table.find("Precision:              100 % (1 of 1)"), std::string::npos) << table;

  // Detect again from the demo's bundle, localizing each incident from the clearer of three
  // windows: shipping still leads.
  std::string again = Shell(std::string(AUGUR_BINARY) + " -q detect --json --localize-slices 3" +
                                " --model " + (dir.path() / "model").string() + " --input " +
                                (dir.path() / "shipping_network_delay" / "telemetry").string() +
                                " --out " + (dir.path() / "slices").string() + " 2>&1",
                            &rc);
  ASSERT_EQ(rc, 0) << again;
  auto d = nlohmann::json::parse(again.substr(again.find('{')));
  ASSERT_FALSE(d["incidents"].empty()) << again;
  bool shipping_leads = false;
  for (const auto& i : d["incidents"])
    shipping_leads |= !i["ranking"].empty() && i["ranking"][0]["service"] == "shipping";
  EXPECT_TRUE(shipping_leads) << again;
}

TEST(Cli, UsageErrorsAndMissingInputs) {
  int rc = -1;
  Shell(std::string(AUGUR_BINARY) + " detect 2>&1", &rc);
  EXPECT_EQ(rc, 2) << "missing required options is a usage error";
  augur::testing::TempDir dir;
  std::string out = Shell(std::string(AUGUR_BINARY) + " detect --model " + dir.path().string() +
                              "/nope --input x --out " + dir.path().string() + "/o 2>&1",
                          &rc);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("manifest.json"), std::string::npos) << out;
  out = Shell(std::string(AUGUR_BINARY) + " serve --state " + dir.path().string() +
                  "/s --nats-subject 'telemetry.>' 2>&1",
              &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("without a NATS server (--nats URL)"), std::string::npos) << out;
}

// Options from a TOML file (--config, or $AUGUR_CONFIG): applied per command section; a key that
// names no option is a usage error naming the file and the key.
TEST(Cli, ReadsOptionsFromAConfigFile) {
  augur::testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    const auto path = dir.path() / name;
    std::ofstream(path) << text;
    return path.string();
  };
  const std::string augur = AUGUR_BINARY;
  const std::string good = write("good.toml", "# settings\n[simulate]\nlist = true\n");
  int rc = -1;
  std::string out = Shell(augur + " --config " + good + " simulate 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("user_pod_failure"), std::string::npos) << out;
  out = Shell("AUGUR_CONFIG=" + good + " " + augur + " simulate 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("user_pod_failure"), std::string::npos) << out;
  out = Shell("AUGUR_CONFIG=" + (dir.path() / "missing.toml").string() + " " + augur +
                  " simulate --list 2>&1",
              &rc);
  EXPECT_EQ(rc, 2) << "a file $AUGUR_CONFIG names must exist: " << out;
  EXPECT_NE(out.find("missing.toml"), std::string::npos) << out;

  const std::string typo = write("typo.toml", "[simulate]\nlist = true\nminuets = 5\n");
  out = Shell(augur + " --config " + typo + " simulate 2>&1", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("typo.toml"), std::string::npos) << out;
  EXPECT_NE(out.find("simulate.minuets"), std::string::npos) << out;
  const std::string bad = write("bad.toml", "[simulate]\nlist = true\nminutes = \"ten\"\n");
  out = Shell(augur + " --config " + bad + " simulate 2>&1", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("--minutes"), std::string::npos) << out;
}

// The binary does not link libtorch: the commands that need no model run without the module, and
// those that need one say which file they could not load.
TEST(Cli, CommandsThatNeedNoModelRunWithoutTheTorchModule) {
  augur::testing::TempDir dir;
  const std::string augur = AUGUR_BINARY;
  int rc = -1;
  std::string out = Shell("ldd " + augur + " 2>&1", &rc);
  EXPECT_EQ(out.find("libtorch"), std::string::npos) << out;

  const std::string absent = (dir.path() / "absent" / "libaugur_torch.so").string();
  const std::string env = "AUGUR_TORCH_MODULE=" + absent + " ";
  out = Shell(env + augur + " -q simulate --minutes 1 --out " + dir.path().string() + "/sim 2>&1",
              &rc);
  ASSERT_EQ(rc, 0) << out;
  out = Shell(env + augur + " -q train --input " + dir.path().string() + "/sim --model " +
                  dir.path().string() + "/m --detectors log_pattern,metric_deviation 2>&1",
              &rc);
  EXPECT_EQ(rc, 0) << out;
  out = Shell(env + augur + " version 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  if (out.find("libtorch models (next_key, trace_lstm, log_lm): yes") == std::string::npos)
    GTEST_SKIP() << "built without libtorch";
  EXPECT_NE(out.find("libtorch module: not loaded"), std::string::npos) << out;
  EXPECT_NE(out.find(absent + ": no such file"), std::string::npos) << out;

  out = Shell(env + augur + " -q train --input " + dir.path().string() + "/sim --model " +
                  dir.path().string() + "/m2 --detectors next_key 2>&1",
              &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("next_key: the libtorch models: cannot load libaugur_torch.so"),
            std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m2")) << "no bundle without its models";
  out = Shell(env + augur + " eval next-key --data " + dir.path().string() + "/sim 2>&1", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("augur eval next-key: the libtorch models: cannot load"), std::string::npos)
      << out;

  // Without the variable, the module is found where the build wrote it.
  out = Shell(augur + " version 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("libtorch module: /"), std::string::npos) << out;
}

// What libtorch's libraries read when the module loads, augur sets where the user did not: the BLAS
// kernels (trained weights depend on them; OpenBLAS would pick them for the CPU it finds) and a
// short OpenMP spin (docs/cli.md).
TEST(Cli, ChoosesLibtorchSettingsUnlessTheUserDid) {
  const std::string augur = AUGUR_BINARY;
  const std::string unset = "env -u OPENBLAS_CORETYPE -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY ";
  int rc = -1;
  std::string out = Shell(unset + "OMP_DISPLAY_ENV=verbose " + augur + " version 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  if (out.find("libtorch BLAS: OpenBLAS") == std::string::npos)
    GTEST_SKIP() << "no OpenBLAS behind the libtorch models";
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_NE(out.find("kernels Haswell (chosen by augur"), std::string::npos) << out;
  }
#endif
  EXPECT_NE(out.find("GOMP_SPINCOUNT = '10000'"), std::string::npos) << "libgomp's own report\n"
                                                                     << out;
  EXPECT_NE(out.find("libtorch OpenMP wait: GOMP_SPINCOUNT=10000 (chosen by augur)"),
            std::string::npos)
      << out;

  out = Shell(
      unset + "OPENBLAS_CORETYPE=Prescott OMP_WAIT_POLICY=active " + augur + " version 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("kernels Prescott (OPENBLAS_CORETYPE=Prescott)"), std::string::npos) << out;
  EXPECT_NE(out.find("libtorch OpenMP wait: OMP_WAIT_POLICY=active"), std::string::npos) << out;
}

}  // namespace
