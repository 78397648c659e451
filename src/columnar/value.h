#pragma once
/// A single typed value (a literal in a predicate, a partition value, a column
/// bound) and Iceberg's single-value binary serialization (spec Appendix D),
/// which is how manifests store lower/upper bounds.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "columnar/column_batch.h"
#include "columnar/types.h"

namespace k2 {

/// One value of a DataType. Storage by type:
///   boolean -> bool; int/date -> int32_t; long/time/timestamp* -> int64_t;
///   float -> float; double -> double; decimal -> int128_t (unscaled);
///   string/binary/fixed/uuid -> std::string (raw bytes; uuid big-endian 16 bytes);
///   struct/list/map -> std::string holding the value's JSON text (display
///   only: nested values have no literals, bounds or partition values).
/// monostate means null.
struct Value {
  using Storage =
      std::variant<std::monostate, bool, int32_t, int64_t, float, double, int128_t, std::string>;
  DataType type;
  Storage data;

  bool is_null() const { return std::holds_alternative<std::monostate>(data); }

  /// Reads row `row` of `column` (null if the row is null).
  static Value FromColumn(const Column& column, size_t row);
  /// Parses a literal written as text for `type`: numbers, 'decimal' text
  /// ("12.5"), dates "2026-11-24", timestamps "2026-11-24T10:00:00[.ffffff][Z]"
  /// (also ' ' for T), uuids in 8-4-4-4-12 form. kInvalidInput names the text.
  static Result<Value> Parse(const DataType& type, std::string_view text);

  /// Human text: the inverse of Parse for every type (binary/fixed as hex).
  std::string ToString() const;
};

/// Orders two non-null values of the same type: signed for numbers and time,
/// unsigned bytewise for string/binary/fixed/uuid, IEEE total order for
/// floating point with NaN greatest. Comparing different types is a programmer error.
std::strong_ordering CompareValues(const Value& a, const Value& b);

/// Iceberg single-value serialization (Appendix D) of a non-null value.
std::string EncodeSingleValue(const Value& value);
/// Inverse of EncodeSingleValue. kCorrupt if the bytes have the wrong length for `type`.
Result<Value> DecodeSingleValue(const DataType& type, std::string_view bytes);

/// Formats days since epoch as YYYY-MM-DD and micros as YYYY-MM-DDTHH:MM:SS.ffffff.
std::string FormatDate(int32_t days);
std::string FormatTimestampMicros(int64_t micros);
/// Decimal unscaled value with `scale` as exact text ("-1.50").
std::string FormatDecimal(int128_t unscaled, int scale);
/// Civil date <-> days since epoch (proleptic Gregorian).
int32_t DaysFromCivil(int year, unsigned month, unsigned day);
void CivilFromDays(int32_t days, int& year, unsigned& month, unsigned& day);
/// Parses "YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|+00:00]" to micros since epoch (UTC).
Result<int64_t> ParseTimestampMicros(std::string_view text);

}  // namespace k2
