#pragma once
/// What a finished Parquet file reports for an Iceberg manifest: per column
/// sizes, counts and bounds, and per file the record count and split offsets.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace k2::parquet {

/// Per field, what an Iceberg manifest needs.
struct ColumnMetrics {
  int field_id = 0;
  int64_t column_size = 0;  ///< compressed bytes of the column chunks
  int64_t value_count = 0;  ///< including nulls
  int64_t null_count = 0;
  int64_t nan_count = -1;  ///< -1 = not applicable (non-float)
  /// Iceberg single-value binary (EncodeSingleValue). String/binary bounds are
  /// truncated to max_bound_length (lower truncated, upper truncated then
  /// incremented; upper omitted if it cannot be incremented).
  std::optional<std::string> lower_bound, upper_bound;
};

/// The outcome of a finished file.
struct DataFileMetrics {
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::vector<ColumnMetrics> columns;  ///< schema order
  std::vector<int64_t> split_offsets;  ///< row group start offsets
};

}  // namespace k2::parquet
