#pragma once
/// Iceberg partition transforms (spec "Partition Transforms"): identity,
/// year, month, day, hour, bucket[N] (Murmur3_x86_32 of the spec's byte
/// representation), truncate[W], void.

#include <cstdint>
#include <string>
#include <string_view>

#include "columnar/value.h"

namespace k2::iceberg {

enum class TransformKind { kIdentity, kYear, kMonth, kDay, kHour, kBucket, kTruncate, kVoid };

struct Transform {
  TransformKind kind = TransformKind::kIdentity;
  int param = 0;  ///< N of bucket[N], W of truncate[W]

  static Transform Identity() { return {TransformKind::kIdentity, 0}; }
  static Transform Bucket(int n) { return {TransformKind::kBucket, n}; }
  static Transform Truncate(int w) { return {TransformKind::kTruncate, w}; }
  static Transform Day() { return {TransformKind::kDay, 0}; }
  static Transform Hour() { return {TransformKind::kHour, 0}; }

  /// Parses "identity", "bucket[16]", "truncate[4]", "day", ... kInvalidInput otherwise.
  static Result<Transform> Parse(std::string_view text);
  /// The spec spelling ("bucket[16]").
  std::string ToString() const;
  /// Type of the transform's output for a source type. kInvalidInput if the
  /// transform does not apply to the type (e.g. day of a string).
  Result<DataType> ResultType(const DataType& source) const;
  /// Applies the transform to one value (null in, null out).
  Result<Value> Apply(const Value& v) const;
  /// Partition path text of a transformed value: "2026-11-24" for day,
  /// "2026-11-24-10" for hour, "null" for null.
  std::string ToHumanString(const Value& result) const;
  /// True if a <= b implies T(a) <= T(b) (everything but bucket and void).
  bool PreservesOrder() const {
    return kind != TransformKind::kBucket && kind != TransformKind::kVoid;
  }
  bool operator==(const Transform&) const = default;
};

/// Murmur3_x86_32 with seed 0, as the bucket transform uses it.
int32_t Murmur3Hash32(std::string_view bytes);
/// The spec's bucket hash of a non-null value (ints hashed as longs, dates as
/// day longs, decimals as minimal big-endian unscaled bytes, ...).
int32_t BucketHash(const Value& v);

}  // namespace k2::iceberg
