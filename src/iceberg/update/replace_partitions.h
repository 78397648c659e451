#pragma once
/// ReplacePartitions: dynamic partition overwrite. Every live data file in a
/// partition that receives new files is removed (spec operation "overwrite").

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class ReplacePartitions : public SnapshotUpdateBuilder<ReplacePartitions> {
 public:
  /// `table` must outlive this object.
  explicit ReplacePartitions(Table* table) : SnapshotUpdateBuilder(table, "overwrite") {
    replace_added_partitions_ = true;
  }
  ReplacePartitions& AddFile(DataFile file) {
    DoAddFile(std::move(file));
    return *this;
  }
  /// Fails with kCommitConflict if the replaced partitions changed after `snapshot_id`.
  ReplacePartitions& ValidateFromSnapshot(int64_t snapshot_id) {
    validate_from_snapshot_ = snapshot_id;
    fail_on_new_data_in_partitions_ = true;
    return *this;
  }
};

}  // namespace k2::iceberg
