#include "learn/model_bundle.h"

#include <fstream>

#include "core/file.h"

namespace augur::learn {

namespace fs = std::filesystem;

Result<ModelBundle> ModelBundle::Create(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Result<ModelBundle>::Error(dir.string() +
                                      ": cannot create model directory: " + ec.message());
  if (fs::exists(dir / "manifest.json")) return Open(dir);
  ModelBundle b;
  b.dir_ = dir;
  b.manifest_ = {{"format_version", kFormatVersion},
#ifdef AUGUR_VERSION
                 {"augur_version", AUGUR_VERSION},
#endif
                 {"models", nlohmann::json::object()}};
  return b;
}

Result<ModelBundle> ModelBundle::Open(const fs::path& dir) {
  fs::path path = dir / "manifest.json";
  std::ifstream in(path);
  if (!in)
    return Result<ModelBundle>::Error(
        path.string() + ": no model bundle here (manifest.json missing); run `augur train` first");
  ModelBundle b;
  b.dir_ = dir;
  try {
    in >> b.manifest_;
  } catch (const std::exception& e) {
    return Result<ModelBundle>::Error(path.string() + ": manifest is not valid JSON: " + e.what());
  }
  if (!b.manifest_.is_object())
    return Result<ModelBundle>::Error(path.string() + ": manifest is not a JSON object");
  const auto v = b.manifest_.find("format_version");
  if (v == b.manifest_.end() || !v->is_number_integer())
    return Result<ModelBundle>::Error(path.string() +
                                      ": format_version is missing or not an integer");
  const auto models = b.manifest_.find("models");
  if (models != b.manifest_.end() && !models->is_object())
    return Result<ModelBundle>::Error(path.string() + ": models is not a JSON object");
  const int version = v->get<int>();
  if (version < 1 || version > kFormatVersion)
    return Result<ModelBundle>::Error(path.string() + ": unsupported bundle format_version " +
                                      std::to_string(version) + " (this augur reads up to " +
                                      std::to_string(kFormatVersion) + ")");
  if (!b.manifest_.contains("models")) b.manifest_["models"] = nlohmann::json::object();
  return b;
}

void ModelBundle::AddModel(const std::string& name, const std::string& kind,
                           const std::vector<std::string>& files, nlohmann::json figures) {
  manifest_["models"][name] = {{"kind", kind}, {"files", files}, {"figures", std::move(figures)}};
}

bool ModelBundle::HasModel(const std::string& name) const {
  return ModelEntry(name) != nullptr;
}

const nlohmann::json* ModelBundle::ModelEntry(const std::string& name) const {
  auto it = manifest_["models"].find(name);
  return it == manifest_["models"].end() ? nullptr : &*it;
}

Status ModelBundle::Save() const {
  return WriteFileAtomic(dir_ / "manifest.json", manifest_.dump(2) + "\n");
}

}  // namespace augur::learn
