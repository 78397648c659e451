#pragma once
/// RewriteFiles: compaction's replace (spec operation "replace"). Replaces a
/// set of live data files by new files holding the same rows. Validated
/// against changes since the snapshot the rewrite started from: it fails with
/// kCommitConflict if a file it replaces is no longer live, or if a delete,
/// overwrite, or an append carrying delete files touched its partitions since
/// then (plain data appends do not change the rewritten rows and are allowed
/// unless FailOnNewData() is set).

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class RewriteFiles : public SnapshotUpdateBuilder<RewriteFiles> {
 public:
  /// `table` must outlive this object.
  explicit RewriteFiles(Table* table) : SnapshotUpdateBuilder(table, "replace") {}
  RewriteFiles& DeleteFile(std::string path) {
    DoDeleteFile(std::move(path));
    return *this;
  }
  RewriteFiles& AddFile(DataFile file) {
    DoAddFile(std::move(file));
    return *this;
  }
  /// The snapshot the rewrite read its files from (required for validation).
  RewriteFiles& ValidateFromSnapshot(int64_t snapshot_id) {
    validate_from_snapshot_ = snapshot_id;
    return *this;
  }
  /// Also treat appends of data files to the touched partitions as conflicts.
  RewriteFiles& FailOnNewData() {
    fail_on_new_data_in_partitions_ = true;
    return *this;
  }
};

}  // namespace k2::iceberg
