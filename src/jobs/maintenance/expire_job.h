#pragma once
/// Snapshot expiry job: the platform's policy (config `maintenance`) applied
/// to one table through iceberg::ExpireSnapshots. Table properties
/// history.expire.max-snapshot-age-ms / history.expire.min-snapshots-to-keep
/// override the configured defaults; gc.enabled=false refuses.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "iceberg/catalog.h"
#include "io/file_io.h"

namespace k2 {
class CancellationToken;
}

namespace k2::jobs {

/// Expiry options (defaults: Iceberg's procedure with this platform's values).
struct ExpireOptions {
  int64_t older_than_s = 7 * 86400;  ///< unless history.expire.max-snapshot-age-ms is set
  int retain_last = 1;               ///< unless history.expire.min-snapshots-to-keep is set
  bool dry_run = false;
  int64_t now_ms = 0;  ///< 0 = wall clock (tests pin it)
};

/// What an expiry did (or would do, for a dry run).
struct ExpireReport {
  std::string table;
  bool dry_run = false;
  bool committed = false;
  int snapshots_before = 0;
  int snapshots_after = 0;
  std::vector<int64_t> expired_snapshot_ids;
  std::vector<std::string> removed_refs;
  int64_t manifest_lists_deleted = 0;
  int64_t manifests_deleted = 0;
  int64_t data_files_deleted = 0;
  int64_t delete_files_deleted = 0;
  int64_t bytes_deleted = 0;  ///< data and delete files
  std::vector<std::string> failed_deletes;
  std::string cleanup_error;

  nlohmann::json ToJson() const;
};

/// Expires `id`'s old snapshots, then deletes the files only they reached.
/// kNotFound for a missing table; kInvalidInput for gc.enabled=false;
/// kCancelled when `cancel` fired before the commit; commit errors as
/// iceberg::Table::CommitUpdate.
Result<ExpireReport> ExpireSnapshots(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                     const ExpireOptions& options,
                                     const CancellationToken* cancel = nullptr);

}  // namespace k2::jobs
