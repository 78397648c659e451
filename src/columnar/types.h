#pragma once
/// The logical types and schema shared by every stage: the warm drivers
/// produce batches of these, the Parquet writer encodes them, Iceberg maps
/// them to its own types by field id. Primitive types flow everywhere; the
/// nested types (struct, list, map) are produced by readers only (the Parquet
/// writer refuses them with kUnsupported).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2 {

enum class TypeId {
  kBoolean,      ///< stored as uint8_t 0/1
  kInt32,        ///< int32_t
  kInt64,        ///< int64_t
  kFloat,        ///< float
  kDouble,       ///< double
  kDecimal,      ///< unscaled integer: int64_t if precision <= 18, else __int128
  kDate,         ///< int32_t days since 1970-01-01
  kTime,         ///< int64_t microseconds since midnight
  kTimestamp,    ///< int64_t microseconds since epoch, no time zone
  kTimestampTz,  ///< int64_t microseconds since epoch, adjusted to UTC
  kTimestampNs,  ///< int64_t nanoseconds since epoch, adjusted to UTC
  kString,       ///< UTF-8 bytes: offsets + data
  kBinary,       ///< bytes: offsets + data
  kFixed,        ///< `width` bytes per value
  kUuid,         ///< 16 bytes per value, big-endian as in RFC 4122 text order
  kStruct,       ///< child columns, one per DataType::children field
  kList,         ///< offsets into one child column (children[0] = the element)
  kMap,          ///< offsets into two child columns (children[0] = key, [1] = value)
};

struct Field;

/// A logical type with its parameters.
struct DataType {
  TypeId id = TypeId::kInt64;
  int precision = 0;  ///< decimal only, 1..38
  int scale = 0;      ///< decimal only
  int width = 0;      ///< fixed only: bytes per value
  /// Nested types only: struct fields; list {element}; map {key, value}. Child
  /// fields carry their own Iceberg field ids (element-id, key-id, value-id).
  std::vector<Field> children;

  static DataType Boolean() { return {TypeId::kBoolean}; }
  static DataType Int32() { return {TypeId::kInt32}; }
  static DataType Int64() { return {TypeId::kInt64}; }
  static DataType Float() { return {TypeId::kFloat}; }
  static DataType Double() { return {TypeId::kDouble}; }
  static DataType Decimal(int precision, int scale) {
    return {TypeId::kDecimal, precision, scale, 0};
  }
  static DataType Date() { return {TypeId::kDate}; }
  static DataType Time() { return {TypeId::kTime}; }
  static DataType Timestamp() { return {TypeId::kTimestamp}; }
  static DataType TimestampTz() { return {TypeId::kTimestampTz}; }
  static DataType TimestampNs() { return {TypeId::kTimestampNs}; }
  static DataType String() { return {TypeId::kString}; }
  static DataType Binary() { return {TypeId::kBinary}; }
  static DataType Fixed(int width) { return {TypeId::kFixed, 0, 0, width}; }
  static DataType Uuid() { return {TypeId::kUuid}; }
  static DataType Struct(std::vector<Field> fields);
  /// `element` is named "element"; its nullable flag says whether elements may be null.
  static DataType List(Field element);
  /// `key` (named "key", never null) and `value` (named "value").
  static DataType Map(Field key, Field value);

  bool operator==(const DataType&) const = default;

  /// True for string and binary (offsets + data storage).
  bool IsVariableWidth() const { return id == TypeId::kString || id == TypeId::kBinary; }
  /// True for struct, list and map.
  bool IsNested() const {
    return id == TypeId::kStruct || id == TypeId::kList || id == TypeId::kMap;
  }
  /// Bytes per value in a column's fixed-width storage; 0 for variable width.
  int FixedWidth() const;
  /// Iceberg's spelling: "long", "decimal(18, 8)", "timestamptz", "fixed[16]", ...;
  /// nested types as "struct<a: int, b: string>", "list<int>", "map<string, long>".
  std::string ToString() const;
  /// Parses Iceberg's spelling of a primitive type (nested types are JSON
  /// objects in Iceberg metadata and are parsed there).
  static Result<DataType> Parse(std::string_view text);
};

/// A column of a flat schema. `id` is the Iceberg field id (0 when unassigned).
struct Field {
  int id = 0;
  std::string name;
  DataType type;
  bool nullable = true;
  std::string doc;

  bool operator==(const Field&) const = default;
};

inline DataType DataType::Struct(std::vector<Field> fields) {
  DataType t{TypeId::kStruct};
  t.children = std::move(fields);
  return t;
}

inline DataType DataType::List(Field element) {
  DataType t{TypeId::kList};
  element.name = "element";
  t.children.push_back(std::move(element));
  return t;
}

inline DataType DataType::Map(Field key, Field value) {
  DataType t{TypeId::kMap};
  key.name = "key";
  key.nullable = false;
  value.name = "value";
  t.children.push_back(std::move(key));
  t.children.push_back(std::move(value));
  return t;
}

/// An ordered list of fields.
struct Schema {
  std::vector<Field> fields;

  /// Index of the field named `name`, if any.
  std::optional<size_t> IndexOf(std::string_view name) const;
  /// Index of the field with Iceberg id `id`, if any.
  std::optional<size_t> IndexOfId(int id) const;
  bool operator==(const Schema&) const = default;
};

}  // namespace k2
