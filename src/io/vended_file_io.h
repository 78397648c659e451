#pragma once
/// Vended storage credentials: an Iceberg REST catalog may answer a table's
/// load (LoadTableResult `config`, or its `storage-credentials` list of
/// {prefix, config}) or its /v1/config (`overrides`) with S3 settings for
/// that table's files: s3.access-key-id, s3.secret-access-key,
/// s3.session-token, s3.endpoint, s3.region (or client.region),
/// s3.path-style-access. VendedStorage keeps them by location prefix, each as
/// an S3 FileIO; the FileIO a command opens for its warehouse
/// (NewFileIOFor(location, warehouse)) routes every S3 path to the entry with
/// the longest prefix that contains it, and the rest to the warehouse's own.
/// A table loaded again replaces its entry (credentials refreshed). Secrets
/// never appear in logs or error messages.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/config.h"
#include "io/file_io.h"

namespace k2 {

class VendedStorage {
 public:
  /// The process's registry (fed by the REST catalog, read by NewFileIOFor).
  static VendedStorage& Global();

  /// True when `config` carries an S3 key pair (s3.access-key-id and
  /// s3.secret-access-key).
  static bool HasS3Credentials(const std::map<std::string, std::string>& config);

  /// Routes S3 files under `prefix` (a location such as s3://bucket/ns/t;
  /// "" = every S3 path) to an S3 FileIO with `config` over the settings of
  /// `base` (endpoint, region, timeouts: what `config` leaves out). Replaces
  /// the entry of the same prefix unless its config is unchanged. A config
  /// without an S3 key pair is ignored. kInvalidInput for a prefix that is
  /// not an S3 location (naming the prefix, never a secret).
  Status Set(const std::string& prefix, const std::map<std::string, std::string>& config,
             const WarehouseConfig& base);
  /// The FileIO for `path`: the entry with the longest prefix containing it
  /// (s3://, s3a://, s3n:// alike), or null.
  std::shared_ptr<FileIO> Route(std::string_view path) const;
  size_t size() const { return count_.load(std::memory_order_acquire); }
  void Clear();

 private:
  struct Entry {
    std::map<std::string, std::string> config;
    std::shared_ptr<FileIO> io;
  };
  mutable std::mutex mu_;
  /// By normalized prefix ("bucket/key...", "" for all).
  std::map<std::string, Entry> entries_;
  std::atomic<size_t> count_{0};
};

/// A FileIO that sends each path to `vended.Route(path)` when it has an
/// entry, and to `base` otherwise. `vended` must outlive it.
std::unique_ptr<FileIO> NewRoutingFileIO(std::unique_ptr<FileIO> base, const VendedStorage& vended);

/// A FileIO whose every operation fails with `error` (a warehouse without
/// credentials of its own, behind a routing FileIO).
std::unique_ptr<FileIO> NewUnavailableFileIO(Error error);

}  // namespace k2
