#pragma once
/// FastAppend: adds data files in a new manifest and keeps every existing
/// manifest as is (spec operation "append"). Never conflicts with concurrent
/// appends: on retry it is re-based on the latest snapshot.

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class FastAppend : public SnapshotUpdateBuilder<FastAppend> {
 public:
  /// `table` must outlive this object.
  explicit FastAppend(Table* table) : SnapshotUpdateBuilder(table, "append") {}
  /// Adds a data file (content must be data; its spec must be the table's default).
  FastAppend& AppendFile(DataFile file) {
    DoAddFile(std::move(file));
    return *this;
  }
};

}  // namespace k2::iceberg
