#include "parquet/schema_mapping.h"

namespace k2::parquet {

using format::ConvertedType;
using format::LogicalType;
using format::Type;
using K = format::LogicalType::Kind;

int DecimalBytesForPrecision(int precision) {
  // Smallest n with 2^(8n-1) > 10^precision - 1.
  for (int n = 1; n <= 16; ++n) {
    long double max = 1;
    for (int i = 0; i < 8 * n - 1; ++i) max *= 2;
    long double need = 1;
    for (int i = 0; i < precision; ++i) need *= 10;
    if (max >= need) return n;
  }
  return 16;
}

Result<format::SchemaElement> ToSchemaElement(const Field& field) {
  format::SchemaElement e;
  e.name = field.name;
  e.repetition = field.nullable ? format::Repetition::kOptional : format::Repetition::kRequired;
  if (field.id != 0) e.field_id = field.id;
  const DataType& t = field.type;
  LogicalType& lt = e.logical_type;
  switch (t.id) {
    case TypeId::kBoolean:
      e.type = Type::kBoolean;
      break;
    case TypeId::kInt32:
      e.type = Type::kInt32;
      break;
    case TypeId::kInt64:
      e.type = Type::kInt64;
      break;
    case TypeId::kFloat:
      e.type = Type::kFloat;
      break;
    case TypeId::kDouble:
      e.type = Type::kDouble;
      break;
    case TypeId::kDecimal: {
      if (t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision) {
        return MakeError(ErrorKind::kInvalidInput, "column {}: bad decimal({}, {})", field.name,
                         t.precision, t.scale);
      }
      if (t.precision <= 9) {
        e.type = Type::kInt32;
      } else if (t.precision <= 18) {
        e.type = Type::kInt64;
      } else {
        e.type = Type::kFixedLenByteArray;
        e.type_length = DecimalBytesForPrecision(t.precision);
      }
      e.converted_type = ConvertedType::kDecimal;
      e.scale = t.scale;
      e.precision = t.precision;
      lt.kind = K::kDecimal;
      lt.scale = t.scale;
      lt.precision = t.precision;
      break;
    }
    case TypeId::kDate:
      e.type = Type::kInt32;
      e.converted_type = ConvertedType::kDate;
      lt.kind = K::kDate;
      break;
    case TypeId::kTime:
      e.type = Type::kInt64;
      e.converted_type = ConvertedType::kTimeMicros;
      lt.kind = K::kTime;
      lt.adjusted_to_utc = false;
      lt.unit = format::TimeUnit::kMicros;
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      e.type = Type::kInt64;
      // The legacy TIMESTAMP_MICROS means UTC-adjusted; only set it for timestamptz.
      if (t.id == TypeId::kTimestampTz) e.converted_type = ConvertedType::kTimestampMicros;
      lt.kind = K::kTimestamp;
      lt.adjusted_to_utc = t.id == TypeId::kTimestampTz;
      lt.unit = format::TimeUnit::kMicros;
      break;
    case TypeId::kTimestampNs:
      e.type = Type::kInt64;
      lt.kind = K::kTimestamp;
      lt.adjusted_to_utc = true;
      lt.unit = format::TimeUnit::kNanos;
      break;
    case TypeId::kString:
      e.type = Type::kByteArray;
      e.converted_type = ConvertedType::kUtf8;
      lt.kind = K::kString;
      break;
    case TypeId::kBinary:
      e.type = Type::kByteArray;
      break;
    case TypeId::kFixed:
      if (t.width <= 0) {
        return MakeError(ErrorKind::kInvalidInput, "column {}: bad fixed[{}]", field.name, t.width);
      }
      e.type = Type::kFixedLenByteArray;
      e.type_length = t.width;
      break;
    case TypeId::kUuid:
      e.type = Type::kFixedLenByteArray;
      e.type_length = 16;
      lt.kind = K::kUuid;
      break;
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return MakeError(ErrorKind::kUnsupported, "column {}: k2 writes flat files, not {}",
                       field.name, t.ToString());
  }
  return e;
}

void TimeUnitScale(const format::SchemaElement& e, const DataType& type, int64_t* mul,
                   int64_t* div) {
  *mul = 1;
  *div = 1;
  const auto& lt = e.logical_type;
  auto ct = e.converted_type;
  bool has_unit = lt.kind == K::kTimestamp || lt.kind == K::kTime;
  bool millis = has_unit
                    ? lt.unit == format::TimeUnit::kMillis
                    : (ct == ConvertedType::kTimestampMillis || ct == ConvertedType::kTimeMillis);
  bool nanos = has_unit && lt.unit == format::TimeUnit::kNanos;
  switch (type.id) {
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (e.type == Type::kInt96) return;
      if (millis) *mul = 1000;
      if (nanos) *div = 1000;
      break;
    case TypeId::kTimestampNs:
      if (millis) *mul = 1000000;
      if (!millis && !nanos) *mul = 1000;
      break;
    default:
      break;
  }
}

Result<DataType> FromSchemaElement(const format::SchemaElement& e) {
  auto unsupported = [&](std::string_view what) {
    return MakeError(ErrorKind::kUnsupported, "column {}: {} is not supported", e.name, what);
  };
  if (!e.type) return unsupported("a group (nested) column");
  const LogicalType& lt = e.logical_type;
  std::optional<ConvertedType> ct = e.converted_type;
  auto decimal = [&]() -> Result<DataType> {
    int p = lt.kind == K::kDecimal ? lt.precision : e.precision.value_or(0);
    int s = lt.kind == K::kDecimal ? lt.scale : e.scale.value_or(0);
    if (p < 1 || p > 38 || s < 0 || s > p) {
      return MakeError(ErrorKind::kUnsupported, "column {}: decimal({}, {}) is not supported",
                       e.name, p, s);
    }
    return DataType::Decimal(p, s);
  };
  bool is_decimal = lt.kind == K::kDecimal || ct == ConvertedType::kDecimal;
  switch (*e.type) {
    case Type::kBoolean:
      return DataType::Boolean();
    case Type::kInt32:
      if (is_decimal) return decimal();
      if (lt.kind == K::kDate || ct == ConvertedType::kDate) return DataType::Date();
      if (lt.kind == K::kTime || ct == ConvertedType::kTimeMillis) return DataType::Time();
      if ((lt.kind == K::kInteger && !lt.is_signed && lt.bit_width == 32) ||
          ct == ConvertedType::kUint32) {
        return DataType::Int64();
      }
      return DataType::Int32();
    case Type::kInt64:
      if (is_decimal) return decimal();
      if (lt.kind == K::kTime || ct == ConvertedType::kTimeMicros) return DataType::Time();
      if (lt.kind == K::kTimestamp) {
        if (lt.unit == format::TimeUnit::kNanos) {
          return lt.adjusted_to_utc ? DataType::TimestampNs() : DataType::TimestampNs();
        }
        return lt.adjusted_to_utc ? DataType::TimestampTz() : DataType::Timestamp();
      }
      if (ct == ConvertedType::kTimestampMicros || ct == ConvertedType::kTimestampMillis) {
        return DataType::TimestampTz();
      }
      return DataType::Int64();
    case Type::kInt96:
      return DataType::Timestamp();
    case Type::kFloat:
      return DataType::Float();
    case Type::kDouble:
      return DataType::Double();
    case Type::kByteArray:
      if (is_decimal) return decimal();
      if (lt.kind == K::kString || lt.kind == K::kEnum || lt.kind == K::kJson ||
          ct == ConvertedType::kUtf8 || ct == ConvertedType::kEnum || ct == ConvertedType::kJson) {
        return DataType::String();
      }
      return DataType::Binary();
    case Type::kFixedLenByteArray: {
      if (is_decimal) return decimal();
      if (ct == ConvertedType::kInterval) return unsupported("INTERVAL");
      int width = e.type_length.value_or(0);
      if (width <= 0) {
        return MakeError(ErrorKind::kCorrupt, "column {}: FIXED_LEN_BYTE_ARRAY without length",
                         e.name);
      }
      if (lt.kind == K::kUuid && width == 16) return DataType::Uuid();
      if (lt.kind == K::kFloat16 && width == 2) return DataType::Float();
      return DataType::Fixed(width);
    }
  }
  return unsupported("the physical type");
}

}  // namespace k2::parquet
