#pragma once
/// Manifest entries (spec "Manifests"): a data or delete file with its
/// partition tuple and column metrics, and its status in the snapshot that
/// wrote the manifest.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "iceberg/partition_spec.h"

namespace k2::parquet {
struct DataFileMetrics;
}

namespace k2::iceberg {

enum class FileContent { kData = 0, kPositionDeletes = 1, kEqualityDeletes = 2 };

/// A data or delete file with its partition and column metrics (maps keyed by field id;
/// bounds hold Iceberg single-value binary).
struct DataFile {
  FileContent content = FileContent::kData;
  std::string file_path;
  std::string file_format = "PARQUET";
  int spec_id = 0;  ///< spec of `partition` (from the manifest)
  PartitionValues partition;
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::map<int, int64_t> column_sizes;
  std::map<int, int64_t> value_counts;
  std::map<int, int64_t> null_value_counts;
  std::map<int, int64_t> nan_value_counts;
  std::map<int, std::string> lower_bounds;
  std::map<int, std::string> upper_bounds;
  std::vector<int64_t> split_offsets;
  std::vector<int> equality_ids;
  std::optional<int> sort_order_id;
  std::optional<std::string> referenced_data_file;  ///< v3 / position deletes of one file
};

enum class EntryStatus { kExisting = 0, kAdded = 1, kDeleted = 2 };

/// One manifest entry. After reading, snapshot_id and sequence numbers are
/// filled by inheritance from the manifest list entry when written as null.
struct ManifestEntry {
  EntryStatus status = EntryStatus::kAdded;
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> sequence_number;
  std::optional<int64_t> file_sequence_number;
  DataFile file;
};

/// Builds a data file entry from a finished Parquet file's metrics (all
/// column metrics by field id, split offsets) with its path and partition.
DataFile MakeDataFile(const parquet::DataFileMetrics& metrics, std::string path, int spec_id,
                      PartitionValues partition);

}  // namespace k2::iceberg
