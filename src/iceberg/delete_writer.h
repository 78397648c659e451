#pragma once
/// Delete files (spec "Delete Formats"), written with k2's Parquet writer and
/// committed with RowDelta:
///   - position deletes: rows (file_path, pos) with the reserved field ids
///     2147483546 / 2147483545, sorted by path then position;
///   - equality deletes: rows of the equality columns (table field ids); a data
///     row whose values equal a delete row's is deleted.
/// A delete file in a partitioned table applies only to data files of the same
/// partition, so each function takes the partition of the data it deletes from.

#include <string>
#include <vector>

#include "iceberg/manifest/manifest_entry.h"

namespace k2::iceberg {

class Table;

/// One deleted row: the data file's path (exactly as in the manifest) and the
/// row's 0-based position in that file.
struct PositionDelete {
  std::string file_path;
  int64_t pos = 0;
};

/// Field ids the spec reserves for position delete files.
inline constexpr int kDeleteFilePathFieldId = 2147483546;
inline constexpr int kDeletePosFieldId = 2147483545;

/// Writes a position delete file under the table's data directory for the
/// partition `partition` of spec `spec_id` and returns its DataFile
/// (content kPositionDeletes, full-length path bounds, referenced_data_file
/// set when every row names one file). kInvalidInput for an empty list, a
/// negative position or an unknown spec; kIo from the output.
Result<DataFile> WritePositionDeleteFile(Table& table, int spec_id, PartitionValues partition,
                                         std::vector<PositionDelete> deletes);

/// Writes an equality delete file holding `rows` (whose schema fields are the
/// equality columns, carrying the table's field ids) and returns its DataFile
/// (content kEqualityDeletes, equality_ids = those ids). kInvalidInput for an
/// empty batch, a field not in the table schema, or an unknown spec.
Result<DataFile> WriteEqualityDeleteFile(Table& table, int spec_id, PartitionValues partition,
                                         const ColumnBatch& rows);

}  // namespace k2::iceberg
