#pragma once
/// Avro schemas (parsed from their JSON form) and generic values (Datum)
/// encoded and decoded against them. Iceberg's manifests and manifest lists
/// are Avro records whose shape varies by writer (v1/v2/v3, partition type),
/// so k2 decodes with the writer's schema into Datums and then reads fields by
/// name, which is Avro schema resolution for records in practice.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "avro/encoding.h"
#include "common/result.h"

namespace k2::avro {

enum class Type {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

/// A record field.
struct FieldDef {
  std::string name;
  NodePtr type;
  int field_id = -1;  ///< Iceberg "field-id" attribute, -1 if absent
  std::optional<nlohmann::json> default_value;
};

/// One schema node. Which members are used depends on `type`.
struct Node {
  Type type = Type::kNull;
  std::string name;                  ///< full name of record/enum/fixed
  std::vector<FieldDef> fields;      ///< record
  std::vector<std::string> symbols;  ///< enum
  NodePtr items;                     ///< array
  NodePtr values;                    ///< map
  std::vector<NodePtr> branches;     ///< union
  size_t size = 0;                   ///< fixed
  std::string logical_type;          ///< "decimal", "date", "map" (Iceberg), ...
  int precision = 0, scale = 0;      ///< decimal
  bool adjust_to_utc = false;        ///< Iceberg timestamp "adjust-to-utc"
  int element_id = -1;               ///< Iceberg array "element-id"
  int key_id = -1, value_id = -1;    ///< Iceberg map "key-id"/"value-id"

  /// Index of record field `name`.
  std::optional<size_t> FieldIndex(std::string_view field_name) const;
  /// For a union of null and one other type, that other type; else nullptr.
  const Node* NonNullBranch() const;
};

/// Parses an Avro schema in JSON form. kInvalidInput names the problem.
Result<NodePtr> ParseSchema(std::string_view json_text);

/// A generic Avro value. A union value is stored as the chosen branch's value
/// with `branch` set. int/long share `l`; float/double share `d`;
/// bytes/string/fixed/enum-symbol share `s` (enum also sets `l` to the index).
/// Arrays hold `items`; maps hold `keys` and `items`; records hold one item per
/// field in schema order and point to their schema in `node`.
struct Datum {
  Type type = Type::kNull;
  int branch = -1;
  bool b = false;
  int64_t l = 0;
  double d = 0;
  std::string s;
  std::vector<Datum> items;
  std::vector<std::string> keys;
  const Node* node = nullptr;

  static Datum Null() { return {}; }
  static Datum Bool(bool v);
  static Datum Int(int32_t v);
  static Datum Long(int64_t v);
  static Datum Float(float v);
  static Datum Double(double v);
  static Datum Bytes(std::string v);
  static Datum String(std::string v);
  static Datum Fixed(std::string v);
  static Datum Array(std::vector<Datum> items);
  /// A record of `node` with every field null (fill by name with Set).
  static Datum Record(const Node* node);

  bool is_null() const { return type == Type::kNull; }
  /// Field `name` of a record, or nullptr if the record has no such field.
  const Datum* Get(std::string_view name) const;
  /// Sets field `name` of a record; returns false if the schema lacks it.
  bool Set(std::string_view name, Datum value);
};

/// Encodes `value` as `schema`. kInvalidInput names the mismatching field.
Status EncodeDatum(const Node& schema, const Datum& value, Encoder& out);
/// Decodes one value written with `schema`. kCorrupt names the offset.
Result<Datum> DecodeDatum(const Node& schema, Decoder& in);

}  // namespace k2::avro
