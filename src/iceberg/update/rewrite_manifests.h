#pragma once
/// RewriteManifests: merges the small data manifests of main's head (Iceberg's
/// rewrite_manifests procedure) so scan planning reads a few manifests instead
/// of one per hourly commit. Commits a "replace" snapshot with the same live
/// files: every live entry is carried over as EXISTING with its snapshot id
/// and sequence numbers; DELETED entries are dropped; delete manifests and
/// manifests at or above the target size are kept as they are.
///
/// Per attempt, against the latest metadata (re-planned when main moved):
///   1. group main's data manifests below the target size by partition spec;
///   2. bin-pack each group (by manifest length) into outputs of at most the
///      target size; bins of fewer than `min_input_manifests` stay untouched;
///   3. write each bin's entries, clustered by partition, into one manifest;
///   4. write the manifest list and the snapshot, summary with the counts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iceberg/manifest/manifest_list.h"
#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

/// What a manifest rewrite did.
struct RewriteManifestsResult {
  int64_t snapshot_id = 0;  ///< 0 when nothing needed rewriting
  int manifests_before = 0;
  int manifests_after = 0;
  int manifests_replaced = 0;
  int manifests_created = 0;
  int64_t bytes_replaced = 0;  ///< total length of the replaced manifests
  int64_t bytes_created = 0;
  int64_t entries_rewritten = 0;
};

class RewriteManifests : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit RewriteManifests(Table* table) : table_(table) {}
  ~RewriteManifests() override;
  /// Manifests at or above this length are kept; outputs are at most this long
  /// (estimated). Default: commit.manifest.target-size-bytes, else 8 MiB.
  RewriteManifests& TargetSizeBytes(int64_t bytes) {
    target_size_ = bytes;
    return *this;
  }
  /// A bin with fewer manifests is not rewritten (default 2).
  RewriteManifests& MinInputManifests(int n) {
    min_inputs_ = n;
    return *this;
  }
  /// Plans against the current metadata and reports without writing.
  RewriteManifests& DryRun(bool dry_run) {
    dry_run_ = dry_run;
    return *this;
  }

  /// Commits through the table's commit protocol. kCommitConflict as
  /// Table::CommitUpdate; kCorrupt/kIo for unreadable manifests.
  Result<RewriteManifestsResult> Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;
  void AttemptFailed(bool safe_to_delete) override;
  void Finished(bool committed) override;

 private:
  struct Plan {
    std::vector<ManifestFile> kept;
    std::vector<std::vector<ManifestFile>> bins;
    int manifests_before = 0;
  };
  Result<Plan> MakePlan(const TableMetadata& base, const Snapshot& head) const;
  int64_t TargetSize(const TableMetadata& base) const;

  Table* table_;
  std::optional<int64_t> target_size_;
  int min_inputs_ = 2;
  bool dry_run_ = false;
  int attempt_ = 0;
  int64_t snapshot_id_ = 0;
  std::vector<std::string> attempt_files_;
  bool any_unknown_ = false;
  RewriteManifestsResult result_;
};

}  // namespace k2::iceberg
