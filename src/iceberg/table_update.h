#pragma once
/// The REST catalog's commit vocabulary (spec "TableRequirement" and
/// "TableUpdate" in open-api/rest-catalog-open-api.yaml), in its JSON wire form:
///
///   requirements  assert-create, assert-table-uuid, assert-ref-snapshot-id,
///                 assert-last-assigned-field-id, assert-current-schema-id,
///                 assert-last-assigned-partition-id, assert-default-spec-id,
///                 assert-default-sort-order-id
///   updates       assign-uuid, upgrade-format-version, add-schema,
///                 set-current-schema, add-spec, set-default-spec, add-sort-order,
///                 set-default-sort-order, add-snapshot, set-snapshot-ref,
///                 remove-snapshots, remove-snapshot-ref, set-location,
///                 set-properties, remove-properties, set-statistics,
///                 remove-statistics, set-partition-statistics,
///                 remove-partition-statistics, remove-partition-specs, remove-schemas
///
/// The server checks requirements and applies updates (CheckRequirement,
/// MetadataBuilder); the client derives both from the metadata it would have
/// written (DiffMetadata). One vocabulary for both ends, so they cannot drift.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "iceberg/table_metadata.h"
#include "io/file_io.h"

namespace k2::iceberg {

/// Checks one requirement against the table's current metadata (`current` is
/// null when the table does not exist). kCommitConflict when it does not hold
/// (the message names the requirement and both values); kInvalidInput for an
/// unknown type or a malformed requirement.
Status CheckRequirement(const nlohmann::json& requirement, const TableMetadata* current);

/// A table's next metadata and the JSON text of its metadata file.
struct BuiltMetadata {
  TableMetadata metadata;
  std::string json;
};

/// Applies updates in order to a copy of a table's metadata, remembering the
/// last added schema, spec and sort order for the "-1 = last added" ids.
class MetadataBuilder {
 public:
  /// Starts from `base` (an existing table's metadata).
  explicit MetadataBuilder(TableMetadata base) : m_(std::move(base)) {}
  /// Starts from nothing: a table being created (assert-create).
  static MetadataBuilder ForCreate();

  /// Applies one update. kInvalidInput for an unknown type, a malformed update
  /// or one that contradicts the metadata (an unknown snapshot id, removing the
  /// current schema); kUnsupported for a format version k2 cannot write.
  Status Apply(const nlohmann::json& update);
  /// The result, readied for writing by `finish` (the next file's name and
  /// metadata-log: PrepareNextVersion; its error is returned as is), then
  /// serialized once and checked by re-reading that JSON with k2's metadata
  /// reader (kInvalidInput names what is inconsistent, e.g. no schema).
  Result<BuiltMetadata> Build(const std::function<Status(TableMetadata&)>& finish = {}) &&;

 private:
  MetadataBuilder() = default;
  Status AddSchema(const nlohmann::json& u);
  Status AddSpec(const nlohmann::json& u);
  Status AddSortOrder(const nlohmann::json& u);
  Status AddSnapshot(const nlohmann::json& u);
  Status SetSnapshotRef(const nlohmann::json& u);
  Status RemoveSnapshots(const nlohmann::json& u);
  void RemoveRef(const std::string& name);

  TableMetadata m_;
  std::optional<int> last_schema_id_;
  std::optional<int> last_spec_id_;
  std::optional<int> last_order_id_;
};

/// A commit as the REST protocol carries it.
struct TableCommit {
  std::vector<nlohmann::json> requirements;
  std::vector<nlohmann::json> updates;
};

/// What a client sends to turn `base` into `next`: assert-table-uuid, and
/// assert-ref-snapshot-id for every ref it moves; assert-current-schema-id and
/// assert-last-assigned-field-id with schema changes; the partition and sort
/// order asserts with spec and order changes; then the updates that rebuild
/// `next`'s schemas, specs, orders, snapshots, refs, properties, location and
/// statistics from `base`'s. Metadata-log and timestamps are the server's.
TableCommit DiffMetadata(const TableMetadata& base, const TableMetadata& next);

/// Readies `next` (built from `base`, which was read from `base_location`) for
/// writing as the table's next version: last-updated-ms after the base's, the
/// base in the metadata-log (trimmed to write.metadata.previous-versions-max).
/// Returns the new file's path `<location>/metadata/NNNNN-<uuid>.metadata.json`.
/// The version is the base's + 1, or above `highest_existing` (the highest
/// version among the table's metadata files, -1 for none): a file left by a
/// writer killed before its commit must not outrank the committed one for
/// readers that pick the highest-numbered file (chDB's icebergLocal, DuckDB).
std::string PrepareNextVersion(const TableMetadata& base, const std::string& base_location,
                               TableMetadata& next, int highest_existing = -1);

/// The highest version among `<location>/metadata/NNNNN-*.metadata.json`
/// files (-1 for none, or when the store cannot list).
int HighestMetadataVersion(FileIO& io, const std::string& location);

}  // namespace k2::iceberg
