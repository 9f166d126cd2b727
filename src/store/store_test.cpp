#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <sqlite3.h>

#include "testing/testing.h"

namespace augur::store {
namespace {

explain::Incident MakeIncident(int n, int anomalies) {
  explain::Incident inc;
  inc.id = "inc-" + std::to_string(n);
  inc.start = 1000 * n;
  inc.end = 1000 * n + 500;
  for (int i = 0; i < anomalies; ++i) {
    detect::Anomaly a;
    a.service = "svc" + std::to_string(i % 3);
    a.detector = "metric_deviation";
    a.score = i;
    a.summary = "x";
    inc.anomalies.push_back(a);
  }
  inc.ranking.push_back({"svc0", 0.8, "red", {"cpu high"}});
  inc.fault_type = "cpu_contention";
  inc.summary = "summary " + std::to_string(n);
  return inc;
}

TEST(Store, SavesListsAndReadsIncidents) {
  testing::TempDir dir;
  auto store = Store::Open(dir.path() / "augur.db");
  ASSERT_TRUE(store) << store.message();
  EXPECT_EQ((*store)->schema_version(), kSchemaVersion);
  auto run = (*store)->BeginRun("detect", {{"inputs", {"a"}}});
  ASSERT_TRUE(run);
  auto ids = (*store)->SaveIncidents(*run, {MakeIncident(1, 3), MakeIncident(2, 4)});
  ASSERT_TRUE(ids) << ids.message();
  ASSERT_TRUE((*store)->FinishRun(*run, "ok", {{"incidents", 2}}));
  auto rows = (*store)->ListIncidents();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->front().summary, "summary 2");
  EXPECT_EQ(rows->front().root_cause, "svc0");
  auto got = (*store)->GetIncident(ids->at(0));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((**got)["anomalies"].size(), 3u);
  EXPECT_EQ((**got)["fault_type"], "cpu_contention");
  auto none = (*store)->GetIncident(999);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(Store, ReopeningKeepsDataAndSchema) {
  testing::TempDir dir;
  {
    auto s = Store::Open(dir.path() / "a.db");
    ASSERT_TRUE(s);
    auto run = (*s)->BeginRun("detect", {});
    ASSERT_TRUE((*s)->SaveIncidents(*run, {MakeIncident(1, 1)}));
  }
  auto s = Store::Open(dir.path() / "a.db");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->ListIncidents()->size(), 1u);
}

TEST(Store, RefusesNewerSchemaAndGarbage) {
  testing::TempDir dir;
  {
    auto s = Store::Open(dir.path() / "a.db");
    ASSERT_TRUE(s);
  }
  {
    sqlite3* db;
    sqlite3_open((dir.path() / "a.db").c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto s = Store::Open(dir.path() / "a.db");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("newer"), std::string::npos);
  FILE* f = fopen((dir.path() / "junk.db").c_str(), "w");
  fputs("this is not a database, just some text that is long enough to look like a header........",
        f);
  fclose(f);
  EXPECT_FALSE(Store::Open(dir.path() / "junk.db"));
}

TEST(Store, LabelsAndTheAccuracyTheyGive) {
  testing::TempDir dir;
  auto s = Store::Open(dir.path() / "l.db");
  ASSERT_TRUE(s);
  auto run = (*s)->BeginRun("detect", {});
  std::vector<explain::Incident> incs = {MakeIncident(1, 1), MakeIncident(2, 1), MakeIncident(3, 1),
                                         MakeIncident(4, 1)};
  incs[1].ranking.insert(incs[1].ranking.begin(), {"svc9", 0.9, "red", {}});  // svc0 second
  auto ids = (*s)->SaveIncidents(*run, incs);
  ASSERT_TRUE(ids);
  auto acc = LabelAccuracyJson(*(*s)->Accuracy());
  EXPECT_EQ(acc["incidents"], 4);
  EXPECT_EQ(acc["labelled"], 0);
  EXPECT_TRUE(acc["precision"].is_null()) << "no precision from no labels";

  // Incident 1: first called a false alarm, then confirmed with svc0 at fault (the latest counts).
  ASSERT_TRUE((*s)->AddLabel({ids->at(0), 0, "false_alarm", "", "looked fine"}));
  ASSERT_TRUE((*s)->AddLabel({ids->at(0), 0, "confirmed", "svc0", "disk full"}));
  ASSERT_TRUE((*s)->AddLabel({ids->at(1), 0, "confirmed", "svc0", ""}));  // ranked second
  ASSERT_TRUE((*s)->AddLabel({ids->at(2), 0, "confirmed", "", ""}));      // no root cause named
  ASSERT_TRUE((*s)->AddLabel({ids->at(3), 0, "false_alarm", "", ""}));
  acc = LabelAccuracyJson(*(*s)->Accuracy());
  EXPECT_EQ(acc["labelled"], 4);
  EXPECT_EQ(acc["confirmed"], 3);
  EXPECT_EQ(acc["false_alarms"], 1);
  EXPECT_DOUBLE_EQ(acc["precision"].get<double>(), 0.75);
  EXPECT_EQ(acc["with_root_cause"], 2);
  EXPECT_DOUBLE_EQ(acc["root_cause_at1"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(acc["root_cause_at3"].get<double>(), 1.0);

  auto got = (*s)->GetIncident(ids->at(0));
  ASSERT_TRUE(got && got->has_value());
  const auto& labels = (**got)["labels"];
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[1]["verdict"], "confirmed");
  EXPECT_EQ(labels[1]["note"], "disk full");
  EXPECT_FALSE(labels[1]["time"].get<std::string>().empty());

  auto bad = (*s)->AddLabel({ids->at(0), 0, "maybe", "", ""});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("neither confirmed nor false_alarm"), std::string::npos);
  bad = (*s)->AddLabel({ids->at(0), 0, "false_alarm", "svc0", ""});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("no root cause"), std::string::npos);
  bad = (*s)->AddLabel({999, 0, "confirmed", "", ""});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("no stored incident 999"), std::string::npos);

  // A damaged body is an error that says so, not a figure computed from part of the labels.
  sqlite3* db;
  sqlite3_open((dir.path() / "l.db").c_str(), &db);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE incidents SET body = '{not json' WHERE id = 2", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto damaged = (*s)->Accuracy();
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.message().find("cannot read the labelled incidents"), std::string::npos)
      << damaged.message();
}

// A database of schema 1 (before labels) is migrated on open, its incidents kept.
TEST(Store, MigratesAVersion1Database) {
  testing::TempDir dir;
  const auto path = dir.path() / "v1.db";
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s);
    auto run = (*s)->BeginRun("detect", {});
    ASSERT_TRUE((*s)->SaveIncidents(*run, {MakeIncident(1, 2)}));
  }
  {  // what schema 1 was: everything but the labels table
    sqlite3* db;
    sqlite3_open(path.c_str(), &db);
    ASSERT_EQ(
        sqlite3_exec(db, "DROP TABLE labels; PRAGMA user_version=1", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ((*s)->schema_version(), 2);
  auto rows = (*s)->ListIncidents();
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_TRUE((*s)->AddLabel({rows->front().id, 0, "confirmed", "svc0", ""}));
  EXPECT_EQ(LabelAccuracyJson(*(*s)->Accuracy())["root_cause_at1"], 1.0);
}

// A process killed in the middle of writing never leaves an incident without all its anomalies.
TEST(Store, KilledWriterLeavesNoHalfIncident) {
  testing::TempDir dir;
  auto path = dir.path() / "k.db";
  { ASSERT_TRUE(Store::Open(path)); }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = Store::Open(path);
    if (!s) _exit(1);
    auto run = (*s)->BeginRun("detect", {});
    for (int n = 0;; ++n)
      (void)(*s)->SaveIncidents(*run, {MakeIncident(n, 200), MakeIncident(n + 100000, 200)});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  auto s = Store::Open(path);
  ASSERT_TRUE(s) << s.message();
  auto rows = (*s)->ListIncidents(1000000);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size() % 2, 0u) << "incidents of one transaction are all there or none";
  for (const auto& r : *rows) {
    auto j = (*s)->GetIncident(r.id);
    ASSERT_TRUE(j && j->has_value());
    EXPECT_EQ((**j)["anomalies"].size(), 200u);
  }
}

}  // namespace
}  // namespace augur::store
