#pragma once
/// k2 types <-> Parquet schema elements (physical type, logical type and the
/// legacy converted type).

#include "columnar/types.h"
#include "common/result.h"
#include "parquet/metadata.h"

namespace k2::parquet {

/// The leaf SchemaElement for a k2 field. kInvalidInput for bad parameters.
Result<format::SchemaElement> ToSchemaElement(const Field& field);

/// Bytes of a FIXED_LEN_BYTE_ARRAY decimal of `precision` (minimal two's complement).
int DecimalBytesForPrecision(int precision);

/// The k2 type for a Parquet leaf. kUnsupported names the column for types k2
/// has no mapping for (INTERVAL, nested).
Result<DataType> FromSchemaElement(const format::SchemaElement& e);

/// Factor from a stored time/timestamp value to the k2 type's unit: k2 value
/// = stored * mul / div (e.g. millis -> micros: mul 1000).
void TimeUnitScale(const format::SchemaElement& e, const DataType& type, int64_t* mul,
                   int64_t* div);

}  // namespace k2::parquet
