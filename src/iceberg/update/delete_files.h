#pragma once
/// DeleteFiles: removes whole data files by path or by a filter that all their
/// rows match (spec operation "delete").

#include "iceberg/update/snapshot_update.h"

namespace k2::iceberg {

class DeleteFiles : public SnapshotUpdateBuilder<DeleteFiles> {
 public:
  /// `table` must outlive this object.
  explicit DeleteFiles(Table* table) : SnapshotUpdateBuilder(table, "delete") {}
  /// Removes a file by path; kCommitConflict at commit if it is not live.
  DeleteFiles& DeleteFile(std::string path) {
    DoDeleteFile(std::move(path));
    return *this;
  }
  /// Removes every live data file whose rows all match `filter`; a partly
  /// matching file fails the commit with kInvalidInput.
  DeleteFiles& DeleteFromRowFilter(Predicate filter) {
    delete_filter_ = std::move(filter);
    return *this;
  }
};

}  // namespace k2::iceberg
