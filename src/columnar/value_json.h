#pragma once
/// JSON form of column values, nested ones included: how `k2 scan --format
/// json` prints rows and how nested values are shown as text.

#include <nlohmann/json.hpp>

#include "columnar/column_batch.h"

namespace k2 {

/// Row `row` of `column` as JSON: null; booleans; int/long/float/double as
/// numbers (NaN and infinities as text); other primitives as their
/// Value::ToString text (exact decimals, ISO dates and timestamps, hex bytes);
/// a struct as an object by field name; a list as an array; a map as an object
/// keyed by the keys' text.
nlohmann::json ColumnValueToJson(const Column& column, size_t row);

}  // namespace k2
