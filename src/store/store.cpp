#include "store/store.h"

#include <sqlite3.h>

#include <chrono>

#include "core/time.h"
#include "explain/incident_json.h"

namespace augur::store {
namespace {

// Migration N brings the schema from version N to N+1. Append only; never edit a shipped migration.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  command TEXT NOT NULL,
  started_ns INTEGER NOT NULL,
  finished_ns INTEGER,
  status TEXT NOT NULL DEFAULT 'running',
  meta TEXT NOT NULL DEFAULT '{}',
  figures TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  incident_id TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  root_cause TEXT,
  probability REAL,
  fault_type TEXT,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  UNIQUE(run_id, incident_id)
);
CREATE TABLE anomalies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident INTEGER NOT NULL REFERENCES incidents(id),
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  service TEXT,
  modality TEXT NOT NULL,
  detector TEXT NOT NULL,
  score REAL NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX anomalies_by_incident ON anomalies(incident);
CREATE INDEX incidents_by_start ON incidents(start_ns);
)sql",
    R"sql(
CREATE TABLE labels (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident INTEGER NOT NULL REFERENCES incidents(id),
  time_ns INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  root_cause TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX labels_by_incident ON labels(incident);
)sql",
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int col) {
    auto* p = sqlite3_column_text(s_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string msg =
        path.string() + ": cannot open database: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return Status::Error(msg);
  }
  std::unique_ptr<Store> s(new Store(db));
  s->path_ = path.string();
  sqlite3_busy_timeout(db, 5000);
  if (auto st =
          s->Exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
      !st)
    return st;
  if (auto st = s->Migrate(); !st) return st;
  return s;
}

Store::~Store() {
  sqlite3_close(db_);
}

Status Store::Exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path_ + ": " + (err ? err : "sqlite error");
    sqlite3_free(err);
    return Status::Error(msg);
  }
  return Status::Ok();
}

Status Store::Migrate() {
  Stmt v(db_, "PRAGMA user_version");
  if (!v.ok() || v.Step() != SQLITE_ROW)
    return Status::Error(path_ + ": not a readable SQLite database");
  schema_version_ = sqlite3_column_int(v.get(), 0);
  constexpr int kKnown = static_cast<int>(std::size(kMigrations));
  if (schema_version_ > kKnown)
    return Status::Error(path_ + ": database schema version " + std::to_string(schema_version_) +
                         " is newer than this augur understands (" + std::to_string(kKnown) + ")");
  for (int n = schema_version_; n < kKnown; ++n) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[n] +
                      "PRAGMA user_version=" + std::to_string(n + 1) + ";COMMIT;";
    if (auto st = Exec(sql); !st) {
      Exec("ROLLBACK;");
      return Status::Error("migrating to schema " + std::to_string(n + 1) + ": " + st.message());
    }
    schema_version_ = n + 1;
  }
  return Status::Ok();
}

Result<int64_t> Store::BeginRun(const std::string& command, const nlohmann::json& meta) {
  Stmt s(db_, "INSERT INTO runs(command, started_ns, meta) VALUES(?,?,?)");
  s.Bind(1, command);
  s.Bind(2, NowNs());
  s.Bind(3, meta.dump());
  if (s.Step() != SQLITE_DONE)
    return Status::Error(path_ + ": cannot record run: " + sqlite3_errmsg(db_));
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Status Store::FinishRun(int64_t run_id, const std::string& status, const nlohmann::json& figures) {
  Stmt s(db_, "UPDATE runs SET finished_ns=?, status=?, figures=? WHERE id=?");
  s.Bind(1, NowNs());
  s.Bind(2, status);
  s.Bind(3, figures.dump());
  s.Bind(4, run_id);
  if (s.Step() != SQLITE_DONE)
    return Status::Error(path_ + ": cannot finish run: " + sqlite3_errmsg(db_));
  return Status::Ok();
}

Result<std::vector<int64_t>> Store::SaveIncidents(int64_t run_id,
                                                  const std::vector<explain::Incident>& incidents) {
  if (auto st = Exec("BEGIN IMMEDIATE;"); !st) return st;
  std::vector<int64_t> ids;
  auto fail = [&](const char* what) {
    std::string msg = path_ + ": " + what + ": " + sqlite3_errmsg(db_);
    Exec("ROLLBACK;");
    return Status::Error(msg);
  };
  {
    Stmt inc(
        db_,
        "INSERT INTO incidents(run_id, incident_id, start_ns, end_ns, root_cause, probability, "
        "fault_type, summary, body) VALUES(?,?,?,?,?,?,?,?,?)");
    Stmt an(db_,
            "INSERT INTO anomalies(incident, start_ns, end_ns, service, modality, detector, score, "
            "summary) "
            "VALUES(?,?,?,?,?,?,?,?)");
    if (!inc.ok() || !an.ok()) return fail("cannot prepare insert");
    for (const auto& i : incidents) {
      inc.Reset();
      inc.Bind(1, run_id);
      inc.Bind(2, i.id);
      inc.Bind(3, i.start);
      inc.Bind(4, i.end);
      inc.Bind(5, i.ranking.empty() ? std::string() : i.ranking.front().service);
      inc.Bind(6, i.ranking.empty() ? 0.0 : i.ranking.front().probability);
      inc.Bind(7, i.fault_type);
      inc.Bind(8, i.summary);
      inc.Bind(9, explain::IncidentToJson(i).dump());
      if (inc.Step() != SQLITE_DONE) return fail("cannot insert incident");
      int64_t id = sqlite3_last_insert_rowid(db_);
      ids.push_back(id);
      for (const auto& a : i.anomalies) {
        an.Reset();
        an.Bind(1, id);
        an.Bind(2, a.start);
        an.Bind(3, a.end);
        an.Bind(4, a.service);
        an.Bind(5, std::string(detect::ModalityName(a.modality)));
        an.Bind(6, a.detector);
        an.Bind(7, a.score);
        an.Bind(8, a.summary);
        if (an.Step() != SQLITE_DONE) return fail("cannot insert anomaly");
      }
    }
  }
  if (auto st = Exec("COMMIT;"); !st) return fail("cannot commit");
  return ids;
}

nlohmann::json IncidentRowJson(const IncidentRow& r) {
  return {{"id", r.id},
          {"run_id", r.run_id},
          {"incident", r.incident_id},
          {"start", FormatIsoTime(r.start)},
          {"end", FormatIsoTime(r.end)},
          {"root_cause", r.root_cause},
          {"probability", r.probability},
          {"fault_type", r.fault_type},
          {"summary", r.summary}};
}

Result<std::vector<IncidentRow>> Store::ListIncidents(size_t limit) const {
  Stmt s(db_,
         "SELECT id, run_id, incident_id, start_ns, end_ns, root_cause, probability, fault_type, "
         "summary "
         "FROM incidents ORDER BY id DESC LIMIT ?");
  if (!s.ok()) return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
  s.Bind(1, static_cast<int64_t>(limit));
  std::vector<IncidentRow> rows;
  while (s.Step() == SQLITE_ROW) {
    IncidentRow r;
    r.id = sqlite3_column_int64(s.get(), 0);
    r.run_id = sqlite3_column_int64(s.get(), 1);
    r.incident_id = s.Text(2);
    r.start = sqlite3_column_int64(s.get(), 3);
    r.end = sqlite3_column_int64(s.get(), 4);
    r.root_cause = s.Text(5);
    r.probability = sqlite3_column_double(s.get(), 6);
    r.fault_type = s.Text(7);
    r.summary = s.Text(8);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string LabelProblem(const Label& l) {
  if (l.verdict != "confirmed" && l.verdict != "false_alarm")
    return "verdict \"" + l.verdict + "\" is neither confirmed nor false_alarm";
  if (l.verdict == "false_alarm" && !l.root_cause.empty())
    return "a false alarm has no root cause (root_cause \"" + l.root_cause + "\")";
  return "";
}

nlohmann::json LabelJson(const Label& l) {
  return {{"incident", l.incident},
          {"time", FormatIsoTime(l.time)},
          {"verdict", l.verdict},
          {"root_cause", l.root_cause},
          {"note", l.note}};
}

nlohmann::json LabelAccuracyJson(const LabelAccuracy& a) {
  auto share = [](int64_t n, int64_t of) {
    return of ? nlohmann::json(static_cast<double>(n) / of) : nlohmann::json(nullptr);
  };
  return {{"incidents", a.incidents},
          {"labelled", a.labelled},
          {"confirmed", a.confirmed},
          {"false_alarms", a.false_alarms},
          {"precision", share(a.confirmed, a.labelled)},
          {"with_root_cause", a.with_root_cause},
          {"root_cause_at1", share(a.root_cause_at1, a.with_root_cause)},
          {"root_cause_at3", share(a.root_cause_at3, a.with_root_cause)}};
}

bool Store::HasIncident(int64_t id) const {
  Stmt s(db_, "SELECT 1 FROM incidents WHERE id=?");
  s.Bind(1, id);
  return s.Step() == SQLITE_ROW;
}

Result<Label> Store::AddLabel(Label label) {
  if (std::string why = LabelProblem(label); !why.empty()) return Status::Error(why);
  if (!HasIncident(label.incident))
    return Status::Error("no stored incident " + std::to_string(label.incident));
  if (!label.time) label.time = NowNs();
  Stmt s(db_, "INSERT INTO labels(incident, time_ns, verdict, root_cause, note) VALUES(?,?,?,?,?)");
  s.Bind(1, label.incident);
  s.Bind(2, label.time);
  s.Bind(3, label.verdict);
  s.Bind(4, label.root_cause);
  s.Bind(5, label.note);
  if (s.Step() != SQLITE_DONE)
    return Status::Error(path_ + ": cannot store the label: " + sqlite3_errmsg(db_));
  return label;
}

Result<std::vector<Label>> Store::Labels(int64_t incident) const {
  Stmt s(db_, "SELECT time_ns, verdict, root_cause, note FROM labels WHERE incident=? ORDER BY id");
  if (!s.ok()) return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
  s.Bind(1, incident);
  std::vector<Label> labels;
  while (s.Step() == SQLITE_ROW)
    labels.push_back({incident, sqlite3_column_int64(s.get(), 0), s.Text(1), s.Text(2), s.Text(3)});
  return labels;
}

Result<LabelAccuracy> Store::Accuracy() const {
  LabelAccuracy a;
  Stmt n(db_, "SELECT COUNT(*) FROM incidents");
  if (!n.ok() || n.Step() != SQLITE_ROW) return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
  a.incidents = sqlite3_column_int64(n.get(), 0);
  // The latest label of each labelled incident, beside the first three services of the
  // incident's ranking (SQLite's JSON functions: no body is parsed here).
  Stmt s(db_,
         "SELECT l.verdict, l.root_cause, json_extract(i.body, '$.ranking[0].service'), "
         "json_extract(i.body, '$.ranking[1].service'), json_extract(i.body, "
         "'$.ranking[2].service') FROM labels l JOIN incidents i ON i.id = l.incident "
         "WHERE l.id = (SELECT MAX(id) FROM labels WHERE incident = l.incident)");
  if (!s.ok()) return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    ++a.labelled;
    if (s.Text(0) == "false_alarm") {
      ++a.false_alarms;
      continue;
    }
    ++a.confirmed;
    const std::string truth = s.Text(1);
    if (truth.empty()) continue;
    ++a.with_root_cause;
    for (int k = 0; k < 3; ++k)
      if (s.Text(2 + k) == truth) {
        a.root_cause_at1 += k == 0;
        ++a.root_cause_at3;
        break;
      }
  }
  if (rc != SQLITE_DONE)  // e.g. an incident whose stored body is not JSON
    return Status::Error(path_ + ": cannot read the labelled incidents: " + sqlite3_errmsg(db_));
  return a;
}

Result<std::optional<nlohmann::json>> Store::GetIncident(int64_t id) const {
  Stmt s(db_, "SELECT body, run_id FROM incidents WHERE id=?");
  if (!s.ok()) return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
  s.Bind(1, id);
  if (s.Step() != SQLITE_ROW) return std::optional<nlohmann::json>();
  try {
    auto j = nlohmann::json::parse(s.Text(0));
    j["store_id"] = id;
    j["run_id"] = sqlite3_column_int64(s.get(), 1);
    auto labels = Labels(id);
    if (!labels) return labels.status();
    j["labels"] = nlohmann::json::array();
    for (const auto& l : *labels) j["labels"].push_back(LabelJson(l));
    return std::optional<nlohmann::json>(std::move(j));
  } catch (const std::exception& e) {
    return Status::Error(path_ + ": incident " + std::to_string(id) +
                         " has a corrupt body: " + e.what());
  }
}

}  // namespace augur::store
