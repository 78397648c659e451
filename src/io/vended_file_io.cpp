#include "io/vended_file_io.h"

#include <optional>
#include <type_traits>
#include <vector>

#include "io/s3/s3_client.h"
#include "io/s3/s3_file_io.h"
#include "io/s3/s3_uri.h"

namespace k2 {

namespace {

/// "bucket/key" of an S3 URI (scheme dropped, so s3a:// and s3:// match), or
/// nullopt for a path of another scheme.
std::optional<std::string> Normalize(std::string_view path) {
  if (!s3::IsS3Uri(path)) return std::nullopt;
  size_t sep = path.find("://");
  std::string rest(path.substr(sep + 3));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  return rest;
}

std::string Get(const std::map<std::string, std::string>& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? std::string() : it->second;
}

}  // namespace

VendedStorage& VendedStorage::Global() {
  static VendedStorage* global = new VendedStorage();
  return *global;
}

bool VendedStorage::HasS3Credentials(const std::map<std::string, std::string>& config) {
  return !Get(config, "s3.access-key-id").empty() && !Get(config, "s3.secret-access-key").empty();
}

Status VendedStorage::Set(const std::string& prefix,
                          const std::map<std::string, std::string>& config,
                          const WarehouseConfig& base) {
  if (!HasS3Credentials(config)) return OkStatus();
  std::optional<std::string> key =
      prefix.empty() ? std::optional<std::string>("") : Normalize(prefix);
  if (!key) {
    return MakeError(ErrorKind::kInvalidInput,
                     "vended storage credentials for '{}': not an S3 location", prefix);
  }
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(*key);
    if (it != entries_.end() && it->second.config == config) return OkStatus();
  }
  WarehouseConfig w = base;
  w.location = prefix.empty() ? base.location : prefix;
  w.s3_access_key_id = Get(config, "s3.access-key-id");
  w.s3_secret_access_key = Get(config, "s3.secret-access-key");
  if (std::string v = Get(config, "s3.endpoint"); !v.empty()) w.s3_endpoint = v;
  if (std::string v = Get(config, "s3.region"); !v.empty()) w.s3_region = v;
  if (std::string v = Get(config, "client.region"); !v.empty() && w.s3_region.empty())
    w.s3_region = v;
  if (std::string v = Get(config, "s3.path-style-access"); !v.empty())
    w.s3_path_style = v == "true" ? "true" : "false";
  K2_ASSIGN_OR_RETURN(s3::S3Options options, s3::S3OptionsFrom(w));
  // A vended key pair goes with its own session token (or none), never with
  // one from the environment.
  options.session_token = Get(config, "s3.session-token");
  std::shared_ptr<FileIO> io = s3::NewS3FileIO(std::move(options));
  std::lock_guard lock(mu_);
  entries_[*key] = Entry{config, std::move(io)};
  count_.store(entries_.size(), std::memory_order_release);
  return OkStatus();
}

std::shared_ptr<FileIO> VendedStorage::Route(std::string_view path) const {
  if (count_.load(std::memory_order_acquire) == 0) return nullptr;
  std::optional<std::string> p = Normalize(path);
  if (!p) return nullptr;
  std::lock_guard lock(mu_);
  // Longest prefix first: the path itself, then each parent, then "".
  std::string_view key = *p;
  while (true) {
    if (auto it = entries_.find(std::string(key)); it != entries_.end()) return it->second.io;
    if (key.empty()) return nullptr;
    size_t slash = key.rfind('/');
    key = slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
  }
}

void VendedStorage::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  count_.store(0, std::memory_order_release);
}

namespace {

class RoutingFileIO final : public FileIO {
 public:
  RoutingFileIO(std::unique_ptr<FileIO> base, const VendedStorage& vended)
      : base_(std::move(base)), vended_(vended) {}

  Result<std::unique_ptr<InputFile>> OpenInput(const std::string& path) override {
    return With(path, [&](FileIO& io) { return io.OpenInput(path); });
  }
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string& path, bool exclusive) override {
    return With(path, [&](FileIO& io) { return io.OpenOutput(path, exclusive); });
  }
  Result<bool> Exists(const std::string& path) override {
    return With(path, [&](FileIO& io) { return io.Exists(path); });
  }
  Status Delete(const std::string& path) override {
    return With(path, [&](FileIO& io) { return io.Delete(path); });
  }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return With(prefix, [&](FileIO& io) { return io.List(prefix); });
  }
  Result<std::vector<std::string>> ListNames(const std::string& prefix) override {
    return With(prefix, [&](FileIO& io) { return io.ListNames(prefix); });
  }
  std::vector<DeleteFailure> DeleteFiles(const std::vector<std::string>& paths) override {
    std::map<FileIO*, std::vector<std::string>> groups;
    std::vector<std::shared_ptr<FileIO>> keep;
    for (const std::string& path : paths) {
      std::shared_ptr<FileIO> io = vended_.Route(path);
      FileIO* target = io ? io.get() : base_.get();
      if (io) keep.push_back(std::move(io));
      groups[target].push_back(path);
    }
    std::vector<DeleteFailure> failures;
    for (auto& [io, group] : groups) {
      auto f = io->DeleteFiles(group);
      failures.insert(failures.end(), std::make_move_iterator(f.begin()),
                      std::make_move_iterator(f.end()));
    }
    return failures;
  }
  Result<std::vector<PendingUpload>> ListPendingUploads(const std::string& prefix) override {
    return With(prefix, [&](FileIO& io) { return io.ListPendingUploads(prefix); });
  }
  Status AbortPendingUpload(const PendingUpload& upload) override {
    return With(upload.path, [&](FileIO& io) { return io.AbortPendingUpload(upload); });
  }

 private:
  /// Calls `f` with the FileIO for `path`, holding a routed one meanwhile
  /// (its entry may be replaced; files it opened share its S3 client).
  template <typename F>
  std::invoke_result_t<F, FileIO&> With(const std::string& path, F f) {
    std::shared_ptr<FileIO> routed = vended_.Route(path);
    return f(routed ? *routed : *base_);
  }

  std::unique_ptr<FileIO> base_;
  const VendedStorage& vended_;
};

class UnavailableFileIO final : public FileIO {
 public:
  explicit UnavailableFileIO(Error error) : error_(std::move(error)) {}
  Result<std::unique_ptr<InputFile>> OpenInput(const std::string&) override { return Fail(); }
  Result<std::unique_ptr<OutputFile>> OpenOutput(const std::string&, bool) override {
    return Fail();
  }
  Result<bool> Exists(const std::string&) override { return Fail(); }
  Status Delete(const std::string&) override { return Fail(); }
  Result<std::vector<FileInfo>> List(const std::string&) override { return Fail(); }
  std::vector<DeleteFailure> DeleteFiles(const std::vector<std::string>& paths) override {
    std::vector<DeleteFailure> out;
    for (const auto& p : paths) out.push_back({p, error_});
    return out;
  }
  Result<std::vector<PendingUpload>> ListPendingUploads(const std::string&) override {
    return Fail();
  }
  Status AbortPendingUpload(const PendingUpload&) override { return Fail(); }

 private:
  std::unexpected<Error> Fail() const { return std::unexpected(error_); }
  Error error_;
};

}  // namespace

std::unique_ptr<FileIO> NewUnavailableFileIO(Error error) {
  return std::make_unique<UnavailableFileIO>(std::move(error));
}

std::unique_ptr<FileIO> NewRoutingFileIO(std::unique_ptr<FileIO> base,
                                         const VendedStorage& vended) {
  return std::make_unique<RoutingFileIO>(std::move(base), vended);
}

}  // namespace k2
