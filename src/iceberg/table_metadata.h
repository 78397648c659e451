#pragma once
/// Table metadata (spec "Table Metadata"): the JSON file a catalog points to.
/// Reads format v1 and v2 (v3 files parse where they use v2 fields), writes v2.
/// Unknown top-level keys, statistics and partition-statistics are kept.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "iceberg/partition_spec.h"
#include "iceberg/schema.h"

namespace k2::iceberg {

inline constexpr const char* kMainBranch = "main";

/// One snapshot: the table's state after a commit.
struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;                   ///< empty for v1 snapshots listing manifests
  std::vector<std::string> v1_manifests;       ///< v1 "manifests"
  std::string operation;                       ///< summary "operation": append, overwrite, ...
  std::map<std::string, std::string> summary;  ///< other summary properties
  std::optional<int> schema_id;

  nlohmann::json ToJson() const;
  static Result<Snapshot> FromJson(const nlohmann::json& j);
};

enum class RefType { kBranch, kTag };

/// A named reference to a snapshot (branch or tag) with its retention.
struct SnapshotRef {
  int64_t snapshot_id = 0;
  RefType type = RefType::kBranch;
  std::optional<int> min_snapshots_to_keep;
  std::optional<int64_t> max_snapshot_age_ms;
  std::optional<int64_t> max_ref_age_ms;
};

struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
};

struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
};

/// Largest metadata JSON k2 reads (after gzip): far above any real table's,
/// low enough that a gzip bomb cannot exhaust memory.
inline constexpr size_t kMaxMetadataBytes = size_t{256} << 20;

/// Parsed table metadata. A plain value: copy it, change it, serialize it.
/// The update classes build the next version from the current one.
class TableMetadata {
 public:
  int format_version = 2;
  std::string table_uuid;
  std::string location;
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int last_column_id = 0;
  std::vector<TableSchema> schemas;
  int current_schema_id = 0;
  std::vector<PartitionSpec> specs;
  int default_spec_id = 0;
  int last_partition_id = kFirstPartitionFieldId - 1;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> current_snapshot_id;
  std::vector<Snapshot> snapshots;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  std::vector<SortOrder> sort_orders;
  int default_sort_order_id = 0;
  std::map<std::string, SnapshotRef> refs;
  nlohmann::json statistics = nlohmann::json::array();
  nlohmann::json partition_statistics = nlohmann::json::array();
  /// Top-level keys k2 does not know, written back unchanged.
  nlohmann::json extra = nlohmann::json::object();

  /// Parses metadata JSON text (v1 or v2). kCorrupt names the bad field.
  static Result<TableMetadata> FromJson(std::string_view text);
  /// Parses a metadata file: plain JSON or gzip (.metadata.json.gz or gzip magic).
  /// kCorrupt for gzip that inflates past kMaxMetadataBytes or JSON nested
  /// deeper than kMaxJsonDepth (common/json.h).
  static Result<TableMetadata> FromFileBytes(std::string_view bytes, const std::string& path);
  /// Parses an already parsed metadata JSON object (a REST LoadTableResult's
  /// "metadata"). kCorrupt names the bad field.
  static Result<TableMetadata> FromJsonObject(const nlohmann::json& j);
  /// Serializes as format v2 (or the table's version if higher).
  std::string ToJson() const;
  /// The same JSON as ToJson(), as an object.
  nlohmann::json ToJsonObject() const;

  const TableSchema& CurrentSchema() const;
  /// kNotFound if absent.
  Result<const TableSchema*> SchemaById(int id) const;
  const PartitionSpec& DefaultSpec() const;
  Result<const PartitionSpec*> SpecById(int id) const;
  const SortOrder& DefaultSortOrder() const;
  /// The current snapshot of main, or nullptr for an empty table.
  const Snapshot* CurrentSnapshot() const;
  /// kNotFound names the id.
  Result<const Snapshot*> SnapshotById(int64_t id) const;
  /// Head of a branch or tag; kNotFound if absent. "main" falls back to current-snapshot-id.
  Result<const Snapshot*> SnapshotForRef(const std::string& ref) const;
  /// The main-branch snapshot current at `timestamp_ms` (from the snapshot log,
  /// like Spark's as-of). kNotFound if the table had no snapshot then.
  Result<const Snapshot*> SnapshotAsOf(int64_t timestamp_ms) const;
  /// Snapshots from `snapshot_id` back to the root following parent ids
  /// (stops at an expired parent). Head first.
  std::vector<const Snapshot*> Ancestry(int64_t snapshot_id) const;
  /// Ancestry of the main branch's head (empty for an empty table).
  std::vector<const Snapshot*> MainAncestry() const;
  /// Integer property with a default; malformed values give the default.
  int64_t PropertyAsInt(const std::string& key, int64_t default_value) const;
};

/// JSON of a snapshot ref as in metadata "refs" and set-snapshot-ref.
nlohmann::json RefToJson(const SnapshotRef& ref);

/// Version number of a metadata file name: "00012-<uuid>.metadata.json" -> 12,
/// "v3.metadata.json" -> 3; -1 if none.
int ParseMetadataVersion(std::string_view path);

}  // namespace k2::iceberg
