#pragma once
/// The commit protocol's view of a table change: build the next metadata from
/// the latest one (re-run on every retry), and clean up what an attempt wrote
/// once it is certain that attempt did not commit.

#include "common/result.h"
#include "iceberg/table_metadata.h"

namespace k2::iceberg {

class PendingUpdate {
 public:
  virtual ~PendingUpdate() = default;
  /// Builds the next metadata from `base` (the table's latest). Validation
  /// failures return their error (kCommitConflict for conflicting concurrent
  /// changes, kInvalidInput for bad requests) and stop the commit.
  virtual Result<TableMetadata> Apply(const TableMetadata& base) = 0;
  /// The last Apply's result did not commit. `safe_to_delete` is false when
  /// the outcome was unknown: files it wrote must then be kept.
  virtual void AttemptFailed(bool safe_to_delete) {}
  /// Called once when the commit ends: `committed` tells whether it succeeded.
  virtual void Finished(bool committed) {}
};

}  // namespace k2::iceberg
