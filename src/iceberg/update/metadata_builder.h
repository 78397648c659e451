#pragma once
/// MetadataBuilder: applies the table updates of a REST commit (spec
/// "TableUpdate" in open-api/rest-catalog-open-api.yaml), in their JSON wire
/// form, to a table's metadata:
///   assign-uuid, upgrade-format-version, add-schema, set-current-schema,
///   add-spec, set-default-spec, add-sort-order, set-default-sort-order,
///   add-snapshot, set-snapshot-ref, remove-snapshots, remove-snapshot-ref,
///   set-location, set-properties, remove-properties, set-statistics,
///   remove-statistics, set-partition-statistics, remove-partition-statistics,
///   remove-partition-specs, remove-schemas
/// The server applies them after checking the requirements
/// (table_requirement.h); the client derives both from the metadata it would
/// have written (metadata_diff.h). One vocabulary for both ends, so they
/// cannot drift.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/result.h"
#include "iceberg/table_metadata.h"

namespace k2::iceberg {

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
  Status UpgradeFormatVersion(const nlohmann::json& u);
  Status SetCurrentSchema(const nlohmann::json& u);
  Status SetDefaultSpec(const nlohmann::json& u);
  Status SetDefaultSortOrder(const nlohmann::json& u);
  Status SetLocation(const nlohmann::json& u);
  Status SetProperties(const nlohmann::json& u);
  Status RemoveProperties(const nlohmann::json& u);
  /// set-statistics or set-partition-statistics (`type`).
  Status SetStatistics(const nlohmann::json& u, const std::string& type);
  Status RemovePartitionSpecs(const nlohmann::json& u);
  Status RemoveSchemas(const nlohmann::json& u);

  TableMetadata m_;
  std::optional<int> last_schema_id_;
  std::optional<int> last_spec_id_;
  std::optional<int> last_order_id_;
};

}  // namespace k2::iceberg
