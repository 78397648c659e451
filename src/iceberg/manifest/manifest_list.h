#pragma once
/// Manifest lists (spec "Manifest Lists"): one Avro file per snapshot listing
/// its manifests with their counts and partition summaries. Reads v1 and v2,
/// writes v2.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "io/file_io.h"

namespace k2::iceberg {

enum class ManifestContent { kData = 0, kDeletes = 1 };

struct PartitionFieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::string> lower_bound;  ///< single-value binary
  std::optional<std::string> upper_bound;
};

/// An entry of a manifest list.
struct ManifestFile {
  std::string manifest_path;
  int64_t manifest_length = 0;
  int partition_spec_id = 0;
  ManifestContent content = ManifestContent::kData;
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int added_files_count = 0;
  int existing_files_count = 0;
  int deleted_files_count = 0;
  int64_t added_rows_count = 0;
  int64_t existing_rows_count = 0;
  int64_t deleted_rows_count = 0;
  std::vector<PartitionFieldSummary> partitions;
  /// True when the manifest list predates sequence numbers (v1): inherit 0.
  bool v1 = false;
};

/// Writes a manifest list for a snapshot.
Status WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                         std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                         const std::vector<ManifestFile>& manifests);

/// Reads a manifest list (v1 or v2).
Result<std::vector<ManifestFile>> ReadManifestList(FileIO& io, const std::string& path);

}  // namespace k2::iceberg
