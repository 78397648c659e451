#pragma once
/// Iceberg table schemas: a k2::Schema (top-level fields with field ids;
/// struct/list/map fields carry their nested fields' ids in DataType::children)
/// plus the schema id and identifier fields, and their JSON form in table metadata.
/// Fields of types k2 does not know (variant, geometry, ...) are kept verbatim
/// in `json` for round-trip but are not part of `schema`.

#include <nlohmann/json.hpp>
#include <vector>

#include "columnar/types.h"

namespace k2::iceberg {

/// Iceberg's JSON for a type: a primitive's name or a struct/list/map object.
nlohmann::json TypeToJson(const DataType& type);

/// One schema of a table.
struct TableSchema {
  int schema_id = 0;
  std::vector<int> identifier_field_ids;
  Schema schema;  ///< top-level fields with Iceberg ids
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
