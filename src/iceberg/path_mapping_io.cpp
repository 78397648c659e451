#include "iceberg/path_mapping_io.h"

namespace k2::iceberg {

namespace {

class PathMappingFileIO : public FileIO {
 public:
  PathMappingFileIO(FileIO& base, std::vector<std::pair<std::string, std::string>> map)
      : base_(base), map_(std::move(map)) {}

  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override {
    return base_.OpenInput(Map(path));
  }
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path, bool exclusive) override {
    return base_.OpenOutput(Map(path), exclusive);
  }
  Result<bool> Exists(const std::string& path) override { return base_.Exists(Map(path)); }
  Status Delete(const std::string& path) override { return base_.Delete(Map(path)); }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return base_.List(Map(prefix));
  }
  std::vector<DeleteFailure> DeleteFiles(const std::vector<std::string>& paths) override {
    std::vector<std::string> mapped;
    mapped.reserve(paths.size());
    for (const std::string& p : paths) mapped.push_back(Map(p));
    return base_.DeleteFiles(mapped);
  }
  Result<std::vector<PendingUpload>> ListPendingUploads(const std::string& prefix) override {
    return base_.ListPendingUploads(Map(prefix));
  }
  Status AbortPendingUpload(const PendingUpload& upload) override {
    return base_.AbortPendingUpload(upload);
  }

 private:
  std::string Map(const std::string& path) const {
    for (const auto& [from, to] : map_) {
      if (path.starts_with(from)) return to + path.substr(from.size());
    }
    std::string local = LocalPathOf(path);
    for (const auto& [from, to] : map_) {
      if (local.starts_with(from)) return to + local.substr(from.size());
    }
    return path;
  }

  FileIO& base_;
  std::vector<std::pair<std::string, std::string>> map_;
};

}  // namespace

std::unique_ptr<FileIO> NewPathMappingFileIO(FileIO& base,
                                             std::vector<std::pair<std::string, std::string>> map) {
  return std::make_unique<PathMappingFileIO>(base, std::move(map));
}

}  // namespace k2::iceberg
