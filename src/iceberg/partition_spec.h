#pragma once
/// Partition specs (spec "Partitioning"), partition tuples of data files and
/// their Hive-style path ("ts_day=2026-11-24/sym=BTC"), and sort orders.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "iceberg/transform.h"

namespace k2::iceberg {

/// Partition field ids start here (spec: 1000 for the first field).
inline constexpr int kFirstPartitionFieldId = 1000;

struct PartitionField {
  int source_id = 0;
  int field_id = 0;
  std::string name;
  Transform transform;
  bool operator==(const PartitionField&) const = default;
};

/// A partition tuple: one value per spec field, in spec order.
using PartitionValues = std::vector<Value>;

struct PartitionSpec {
  int spec_id = 0;
  std::vector<PartitionField> fields;

  static PartitionSpec Unpartitioned() { return {}; }
  /// Builds a spec from (column name, transform text) pairs, e.g.
  /// {{"ts", "day"}, {"symbol", "identity"}}. Names follow Java's defaults
  /// (ts_day, symbol, id_bucket, ...). Field ids are numbered from
  /// `first_field_id`. kInvalidInput names an unknown column or bad transform.
  static Result<PartitionSpec> Make(const Schema& schema,
                                    const std::vector<std::pair<std::string, std::string>>& fields,
                                    int spec_id = 0, int first_field_id = kFirstPartitionFieldId);

  bool IsUnpartitioned() const;
  /// The partition tuple's schema: one nullable field per spec field, with the
  /// partition field ids and transform result types. kInvalidInput if a
  /// source column is missing from `schema`.
  Result<Schema> PartitionType(const Schema& schema) const;
  /// The partition tuple of row `row` of `batch` (whose schema carries field ids).
  Result<PartitionValues> PartitionFor(const ColumnBatch& batch, size_t row) const;
  /// "name=value/name=value" (URL-escaped values), "" for unpartitioned.
  std::string PartitionPath(const PartitionValues& values) const;
  /// Same fields (ids, sources, transforms, names) ignoring the spec id.
  bool CompatibleWith(const PartitionSpec& other) const { return fields == other.fields; }

  /// {"spec-id": N, "fields": [...]}
  nlohmann::json ToJson() const;
  /// The fields array alone (manifest "partition-spec" metadata).
  nlohmann::json FieldsJson() const;
  static Result<PartitionSpec> FromJson(const nlohmann::json& j);
};

enum class SortDirection { kAsc, kDesc };
enum class NullOrder { kNullsFirst, kNullsLast };

struct SortField {
  Transform transform;
  int source_id = 0;
  SortDirection direction = SortDirection::kAsc;
  NullOrder null_order = NullOrder::kNullsFirst;
  bool operator==(const SortField&) const = default;
};

struct SortOrder {
  int order_id = 0;
  std::vector<SortField> fields;

  static SortOrder Unsorted() { return {}; }
  nlohmann::json ToJson() const;
  static Result<SortOrder> FromJson(const nlohmann::json& j);
};

/// Escapes a partition value for a path segment (like Java's URLEncoder).
std::string EscapePathSegment(std::string_view s);

}  // namespace k2::iceberg
