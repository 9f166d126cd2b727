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

constexpr int kSchemaVersion = 1;

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
  // The full incident.json object of a stored incident; empty optional when no such id.
  Result<std::optional<nlohmann::json>> GetIncident(int64_t id) const;

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql) const;
  Status Migrate();

  sqlite3* db_;
  std::string path_;
  int schema_version_ = 0;
};

}  // namespace augur::store
