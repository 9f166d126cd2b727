// The model bundle: one versioned directory holding every model augur learned from normal data,
// with a manifest.json that lists the models, the data seen, time range, services and training
// figures.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace augur::learn {

class ModelBundle {
 public:
  static constexpr int kFormatVersion = 1;

  // Creates DIR (and parents) for writing; an existing manifest is kept and extended.
  static Result<ModelBundle> Create(const std::filesystem::path& dir);
  // Opens an existing bundle; fails with a message naming the path when manifest.json is missing,
  // unreadable or of a newer format version.
  static Result<ModelBundle> Open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  // Path of a model's file inside the bundle ("templates.json" → DIR/templates.json).
  std::filesystem::path File(const std::string& name) const { return dir_ / name; }

  // Records a model: its name (e.g. "template_miner"), kind, files, and training figures.
  void AddModel(const std::string& name, const std::string& kind,
                const std::vector<std::string>& files,
                nlohmann::json figures = nlohmann::json::object());
  bool HasModel(const std::string& name) const;
  const nlohmann::json* ModelEntry(const std::string& name) const;

  // Free-form top-level manifest fields: "data", "time_range", "services", ...
  nlohmann::json& manifest() { return manifest_; }
  const nlohmann::json& manifest() const { return manifest_; }

  // Writes manifest.json atomically (temp file + rename).
  Status Save() const;

 private:
  std::filesystem::path dir_;
  nlohmann::json manifest_;
};

}  // namespace augur::learn
