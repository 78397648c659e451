#pragma once
/// Manifest rewrite job (Iceberg's rewrite_manifests): merges main's small
/// data manifests by partition spec so planning after months of hourly
/// commits reads a handful of manifests. Delegates to iceberg::RewriteManifests.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "iceberg/catalog.h"
#include "io/file_io.h"

namespace k2 {
class CancellationToken;
}

namespace k2::jobs {

struct ManifestRewriteOptions {
  /// Manifests under this size are merged into outputs of at most this size
  /// (0 = commit.manifest.target-size-bytes, else 8 MiB).
  int64_t target_size_bytes = 0;
  int min_input_manifests = 2;
  bool dry_run = false;
};

/// What a manifest rewrite did.
struct ManifestRewriteReport {
  std::string table;
  bool dry_run = false;
  int64_t snapshot_id = 0;  ///< the replace snapshot (0: nothing committed)
  int manifests_before = 0;
  int manifests_after = 0;
  int manifests_replaced = 0;
  int manifests_created = 0;
  int64_t bytes_before = 0;  ///< length of the replaced manifests
  int64_t bytes_after = 0;   ///< length of the manifests that replaced them
  int64_t entries_rewritten = 0;

  nlohmann::json ToJson() const;
};

/// Rewrites `id`'s small manifests. kNotFound for a missing table; kCancelled
/// when `cancel` fired before the commit; commit errors as Table::CommitUpdate.
Result<ManifestRewriteReport> RewriteManifests(Catalog& catalog, FileIO& io,
                                               const TableIdentifier& id,
                                               const ManifestRewriteOptions& options,
                                               const CancellationToken* cancel = nullptr);

}  // namespace k2::jobs
