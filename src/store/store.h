// The embedded SQLite store of runs, incidents and anomalies. Versioned schema with migrations;
// every write of a run's incidents is one transaction, so a killed process never leaves half an
// incident.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "explain/incident.h"

struct sqlite3;

namespace augur::store {

constexpr int kSchemaVersion = 2;  // 2: labels

struct IncidentRow {
  int64_t id = 0;  // store-wide incident number (`augur incidents show ID`)
  int64_t run_id = 0;
  std::string incident_id;  // id within its run ("inc-1")
  TimeNs start = 0;
  TimeNs end = 0;
  std::string root_cause;
  double probability = 0;
  std::string fault_type;
  std::string summary;
};

// A row as `augur incidents list --json` and `GET /api/incidents/stored` print it (times in
// ISO 8601).
nlohmann::json IncidentRowJson(const IncidentRow& r);

// The on-call's verdict on a stored incident (`augur incidents label`, POST
// /api/incidents/ID/label). An incident may be labelled again; the latest label counts.
struct Label {
  int64_t incident = 0;    // its store id
  TimeNs time = 0;         // when it was given
  std::string verdict;     // "confirmed" (a real fault) or "false_alarm"
  std::string root_cause;  // the service at fault, as the on-call found it ("" when not given)
  std::string note;
};
// Why a label cannot be stored ("" when it can): an unknown verdict, a false alarm with a root
// cause.
std::string LabelProblem(const Label& l);
nlohmann::json LabelJson(const Label& l);

// How augur did, by the latest label of each labelled incident.
struct LabelAccuracy {
  int64_t incidents = 0;  // stored
  int64_t labelled = 0;
  int64_t confirmed = 0;
  int64_t false_alarms = 0;
  int64_t with_root_cause = 0;  // confirmed with the service at fault named
  int64_t root_cause_at1 = 0;   // ... which augur ranked first
  int64_t root_cause_at3 = 0;   // ... which augur ranked among the first three
};
// {"incidents", "labelled", "confirmed", "false_alarms", "precision" (confirmed / labelled, null
// when none is labelled), "with_root_cause", "root_cause_at1", "root_cause_at3" (shares of
// with_root_cause, null when none)}.
nlohmann::json LabelAccuracyJson(const LabelAccuracy& a);

class Store {
 public:
  // Opens or creates the database, applying any pending migrations. WAL mode.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path);
  ~Store();

  int schema_version() const { return schema_version_; }

  // A run of `augur detect` (or another command): started now, finished by FinishRun.
  Result<int64_t> BeginRun(const std::string& command, const nlohmann::json& meta);
  Status FinishRun(int64_t run_id, const std::string& status, const nlohmann::json& figures);

  // Writes the run's incidents and their anomalies in one transaction. Returns the store ids.
  Result<std::vector<int64_t>> SaveIncidents(int64_t run_id,
                                             const std::vector<explain::Incident>& incidents);

  Result<std::vector<IncidentRow>> ListIncidents(size_t limit = 100) const;
  // The full incident.json object of a stored incident, plus `store_id`, `run_id` and `labels`
  // (LabelJson, oldest first); empty optional when no such id.
  Result<std::optional<nlohmann::json>> GetIncident(int64_t id) const;

  bool HasIncident(int64_t id) const;
  // Stores a label (its time now when unset) and returns it as stored; fails naming the reason
  // for a bad label or an unknown incident.
  Result<Label> AddLabel(Label label);
  Result<std::vector<Label>> Labels(int64_t incident) const;
  Result<LabelAccuracy> Accuracy() const;

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql) const;
  Status Migrate();

  sqlite3* db_;
  std::string path_;
  int schema_version_ = 0;
};

}  // namespace augur::store
