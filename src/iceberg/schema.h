#pragma once
/// Iceberg table schemas: a k2::Schema (flat, with field ids) plus the schema
/// id and identifier fields, and their JSON form in table metadata.
/// Nested fields (struct/list/map) are kept verbatim in `json` for round-trip
/// but are not part of the flat `schema` (k2 reads top-level primitives).

#include <nlohmann/json.hpp>
#include <vector>

#include "columnar/types.h"

namespace k2::iceberg {

/// One schema of a table.
struct TableSchema {
  int schema_id = 0;
  std::vector<int> identifier_field_ids;
  Schema schema;  ///< top-level primitive fields with Iceberg ids
  /// The metadata's JSON for this schema when parsed (keeps nested fields);
  /// null for schemas built in code.
  nlohmann::json json;
  /// Highest field id in the schema, nested ids included.
  int highest_field_id = 0;

  /// The JSON object for table metadata (the parsed one when present).
  nlohmann::json ToJson() const;
  /// Parses a metadata schema object. kInvalidInput names the bad field.
  static Result<TableSchema> FromJson(const nlohmann::json& j);
};

}  // namespace k2::iceberg
