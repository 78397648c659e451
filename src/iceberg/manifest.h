#pragma once
/// Manifests (spec "Manifests"): Avro files listing data/delete files with
/// their partition tuple and column metrics, and manifest lists (one per
/// snapshot) listing manifests with partition summaries. Reads v1 and v2
/// (v3 fields ignored), writes v2 with the key-value metadata readers expect
/// (schema, schema-id, partition-spec, partition-spec-id, format-version, content).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "avro/container.h"
#include "iceberg/partition_spec.h"
#include "iceberg/schema.h"
#include "io/file_io.h"

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

/// Writes one manifest. Entries with status ADDED get `snapshot_id` and null
/// sequence numbers (inherited at read time); EXISTING/DELETED entries keep theirs.
class ManifestWriter {
 public:
  /// `schema` is the table schema written into the manifest metadata; `spec`
  /// types the partition tuples. kInvalidInput if the spec does not fit the schema.
  static Result<std::unique_ptr<ManifestWriter>> Open(FileIO& io, const std::string& path,
                                                      const TableSchema& schema,
                                                      const PartitionSpec& spec,
                                                      ManifestContent content, int64_t snapshot_id);
  /// Adds an entry. kInvalidInput if its partition tuple does not match the spec.
  Status Add(const ManifestEntry& entry);
  /// Publishes the file and returns its manifest-list entry (sequence numbers
  /// are set by the snapshot that commits it).
  Result<ManifestFile> Finish();
  void Abort();

 private:
  ManifestWriter() = default;
  std::unique_ptr<avro::ContainerWriter> writer_;
  Schema partition_type_;
  PartitionSpec spec_;
  ManifestFile info_;
  std::optional<int64_t> min_seq_;
  const avro::Node* entry_node_ = nullptr;
};

/// Reads every entry of a manifest (DELETED entries included; callers filter),
/// applying snapshot id and sequence number inheritance from `manifest`.
/// Partition values are typed from the manifest's own Avro schema.
Result<std::vector<ManifestEntry>> ReadManifest(FileIO& io, const ManifestFile& manifest);

/// Reads the key-value metadata of a manifest ("partition-spec-id", "content", ...).
Result<std::map<std::string, std::string>> ReadManifestMetadata(FileIO& io,
                                                                const std::string& path);

/// Writes a manifest list for a snapshot.
Status WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                         std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                         const std::vector<ManifestFile>& manifests);

/// Reads a manifest list (v1 or v2).
Result<std::vector<ManifestFile>> ReadManifestList(FileIO& io, const std::string& path);

/// Avro schema JSON of an Iceberg primitive type (for partition tuples).
nlohmann::json AvroTypeOf(const DataType& type);

}  // namespace k2::iceberg

namespace k2::parquet {
struct DataFileMetrics;
}

namespace k2::iceberg {

/// Builds a data file entry from a finished Parquet file's metrics (all
/// column metrics by field id, split offsets) with its path and partition.
DataFile MakeDataFile(const parquet::DataFileMetrics& metrics, std::string path, int spec_id,
                      PartitionValues partition);

}  // namespace k2::iceberg
