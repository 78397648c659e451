#pragma once
/// ClickHouse column types -> k2/Iceberg types, and the RowBinary wire layout
/// of each supported ClickHouse type.
///
///   (U)Int8/16, Int32        -> int        UInt32, Int64 -> long
///   UInt64                   -> long (values > INT64_MAX fail) or decimal(20, 0)
///   Float32/64               -> float/double
///   Decimal(P,S), DecimalN   -> decimal(P, S), P <= 38 (larger is kUnsupported)
///   String                   -> string     FixedString(N) -> fixed[N]
///   UUID                     -> uuid       Date, Date32 -> date
///   DateTime(tz)             -> timestamptz (seconds * 1e6)
///   DateTime64(p, tz)        -> timestamptz (p <= 6), p > 6: truncated to us or timestamptz_ns
///   Bool                     -> boolean    Enum8/16 -> string (the name)
///   IPv4/IPv6                -> string (text form)
///   LowCardinality(T)        -> T          Nullable(T) -> optional T
///   Array/Map/Tuple/others   -> kUnsupported

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/types.h"
#include "common/result.h"

namespace k2::warm {

/// How a value is laid out in RowBinary (after any Nullable prefix byte).
enum class WireKind : uint8_t {
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat32,
  kFloat64,
  kDecimal32,    ///< Int32 unscaled
  kDecimal64,    ///< Int64 unscaled
  kDecimal128,   ///< Int128 unscaled, little-endian
  kString,       ///< varint length + bytes
  kFixedString,  ///< N bytes
  kUuid,         ///< two little-endian UInt64: high half first
  kDate,         ///< UInt16 days
  kDate32,       ///< Int32 days
  kDateTime,     ///< UInt32 seconds
  kDateTime64,   ///< Int64 ticks of 10^-scale s
  kBool,         ///< 1 byte
  kEnum8,        ///< Int8 value
  kEnum16,       ///< Int16 value
  kIPv4,         ///< UInt32 little-endian
  kIPv6,         ///< 16 bytes, network order
};

/// Choices where a ClickHouse type has no exact k2 counterpart.
struct TypeMappingOptions {
  /// UInt64: false -> long (a value above INT64_MAX fails the query); true -> decimal(20, 0).
  bool uint64_as_decimal = false;
  /// DateTime64 with precision > 6: false -> truncate to microseconds; true -> timestamptz_ns.
  bool datetime64_nanos = false;
};

/// A ClickHouse column type resolved for decoding and mapping.
struct ClickHouseType {
  std::string text;  ///< as ClickHouse spells it
  WireKind wire = WireKind::kInt64;
  bool nullable = false;
  int fixed_width = 0;  ///< FixedString(N)
  int scale = 0;        ///< Decimal scale or DateTime64 precision
  /// Enum8/16: (value, name) pairs.
  std::vector<std::pair<int, std::string>> enum_values;
  DataType type;  ///< the k2 type values decode to
};

/// Resolves a ClickHouse type string. kUnsupported for nested and unknown
/// types (message names the type), kInvalidInput for malformed text.
Result<ClickHouseType> MapClickHouseType(std::string_view text,
                                         const TypeMappingOptions& options = {});

/// Resolves every column; fields get ids 1..n. The first unsupported column
/// fails with its name and type.
Result<std::vector<ClickHouseType>> MapClickHouseColumns(
    const std::vector<std::pair<std::string, std::string>>& columns,
    const TypeMappingOptions& options = {});

/// The flat k2 schema of resolved columns (ids 1..n, nullable from Nullable).
Schema SchemaOf(const std::vector<std::pair<std::string, std::string>>& columns,
                const std::vector<ClickHouseType>& types);

}  // namespace k2::warm
