#pragma once
/// RowDelta: adds data files and position/equality delete files in one
/// snapshot (spec operation "overwrite" when deletes are added, else "append").

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class RowDelta : public SnapshotUpdateBuilder<RowDelta> {
 public:
  /// `table` must outlive this object.
  explicit RowDelta(Table* table) : SnapshotUpdateBuilder(table, "overwrite") {}
  /// Adds a data file or a delete file (by its content).
  RowDelta& AddFile(DataFile file) {
    DoAddFile(std::move(file));
    return *this;
  }
};

}  // namespace k2::iceberg
