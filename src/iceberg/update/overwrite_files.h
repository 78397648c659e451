#pragma once
/// OverwriteFiles: replaces data by filter or by explicit files (spec
/// operation "overwrite"). A filter removes every live data file whose rows
/// all match it (by partition and column bounds); a file that only partly
/// matches fails the commit with kInvalidInput, since k2 does not rewrite rows here.

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class OverwriteFiles : public SnapshotUpdateBuilder<OverwriteFiles> {
 public:
  /// `table` must outlive this object.
  explicit OverwriteFiles(Table* table) : SnapshotUpdateBuilder(table, "overwrite") {
    require_deletes_present_ = true;
  }
  OverwriteFiles& AddFile(DataFile file) {
    DoAddFile(std::move(file));
    return *this;
  }
  /// Removes a data file by path; kCommitConflict at commit if it is no longer live.
  OverwriteFiles& DeleteFile(std::string path) {
    DoDeleteFile(std::move(path));
    return *this;
  }
  /// Removes every live data file whose rows all satisfy `filter` (unbound; bound at commit).
  OverwriteFiles& OverwriteByFilter(Predicate filter) {
    delete_filter_ = std::move(filter);
    return *this;
  }
  /// Fails with kCommitConflict if data was added or removed in the touched
  /// partitions after `snapshot_id` (serializable overwrite).
  OverwriteFiles& ValidateFromSnapshot(int64_t snapshot_id) {
    validate_from_snapshot_ = snapshot_id;
    fail_on_new_data_in_partitions_ = true;
    return *this;
  }
};

}  // namespace k2::iceberg
