#pragma once
/// Orphan file cleanup (Iceberg's remove_orphan_files): deletes files under a
/// table's location that no metadata references and that are older than a
/// threshold (so in-flight commits' files survive).
///
/// Phases: 1. collect the referenced set: the current metadata file, every
/// metadata file in its log, version-hint.text, statistics files, and for
/// every snapshot its manifest list, manifests and every entry of those
/// manifests (DELETED ones included); 2. list the location; 3. compare on
/// normalized URIs (file:/x = file:///x = /x; s3a:// = s3://); a listed file
/// whose path matches a referenced one under a different scheme or authority
/// fails the run (prefix mismatch) instead of guessing; 4. delete orphans
/// older than the threshold; 5. abort unfinished uploads (S3 multipart
/// uploads a crashed writer left) under the location that are older than the
/// threshold.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "iceberg/catalog.h"
#include "io/file_io.h"

namespace k2::iceberg {
class TableMetadata;
}
namespace k2 {
class CancellationToken;
}

namespace k2::jobs {

/// The minimum age threshold: younger files may belong to a commit in flight.
inline constexpr int64_t kMinOrphanAgeSeconds = 24 * 3600;

struct OrphanOptions {
  int64_t older_than_s = 3 * 86400;  ///< refused below kMinOrphanAgeSeconds
  bool dry_run = false;
  int64_t now_ms = 0;  ///< 0 = wall clock (tests pin it)
};

/// What an orphan cleanup found and did.
struct OrphanReport {
  std::string table;
  std::string location;
  bool dry_run = false;
  int64_t files_listed = 0;
  int64_t files_referenced = 0;
  int64_t orphans_found = 0;  ///< old enough to delete
  int64_t orphan_bytes = 0;
  int64_t too_new_skipped = 0;  ///< unreferenced but younger than the threshold
  int64_t files_deleted = 0;
  int64_t bytes_deleted = 0;
  std::vector<std::string> orphans;  ///< the first 1000 paths
  std::vector<std::string> failed_deletes;
  int64_t uploads_found = 0;    ///< unfinished uploads older than the threshold
  int64_t uploads_aborted = 0;  ///< of those, aborted (0 in a dry run)

  nlohmann::json ToJson() const;
};

/// Every file `metadata` (read from `metadata_location`) references, as
/// written in the metadata. kCorrupt/kIo for unreadable manifest lists or
/// manifests: then nothing may be deleted.
Result<std::vector<std::string>> ReferencedFiles(FileIO& io, const std::string& metadata_location,
                                                 const iceberg::TableMetadata& metadata);

/// The listed files that `referenced` does not name and that were modified
/// before `cutoff_ms`; `too_new` counts unreferenced files kept for age.
/// kInvalidInput on a prefix mismatch (same path, other scheme or authority),
/// naming both spellings.
Result<std::vector<FileInfo>> FindOrphans(const std::vector<FileInfo>& listed,
                                          const std::vector<std::string>& referenced,
                                          int64_t cutoff_ms, int64_t* too_new = nullptr);

/// Runs the cleanup on table `id`. kInvalidInput for a threshold under 24 h
/// or a prefix mismatch; kNotFound for a missing table; kCancelled before
/// deleting when `cancel` fired.
Result<OrphanReport> RemoveOrphanFiles(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                       const OrphanOptions& options,
                                       const CancellationToken* cancel = nullptr);

}  // namespace k2::jobs
