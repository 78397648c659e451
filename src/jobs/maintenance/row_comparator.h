#pragma once
/// RowComparator: orders rows by an Iceberg sort order, across batches.
/// Identity fields compare the stored values directly; other transforms (day,
/// bucket, truncate...) compare the transformed values, computed once per row
/// when a batch is prepared. Directions and null orders follow the order; NaN
/// sorts above every number and -0 below 0 (Iceberg's float order).

#include <cstddef>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/value.h"
#include "iceberg/partition_spec.h"

namespace k2::jobs {

class RowComparator {
 public:
  /// A batch with its transformed keys: what Compare reads. Holds a pointer to
  /// the batch, which must outlive it and stay unchanged.
  struct Keyed {
    const ColumnBatch* batch = nullptr;
    std::vector<std::vector<Value>> transformed;  ///< per key; empty for identity keys
  };

  /// kInvalidInput when a sort field's source column is not in `schema`
  /// (names the field id).
  static Result<RowComparator> Make(const Schema& schema, const iceberg::SortOrder& order);

  /// Computes `batch`'s transformed keys. Errors: those of Transform::Apply.
  Result<Keyed> Prepare(const ColumnBatch& batch) const;

  /// <0, 0 or >0 as row `i` of `a` sorts before, with or after row `j` of `b`.
  int Compare(const Keyed& a, size_t i, const Keyed& b, size_t j) const;

  /// How many leading keys (at most `limit`) `batch` can give as exact
  /// normalized words: identity keys of integer, date/time, 64-bit decimal,
  /// boolean, or string/binary columns whose values are all at most 8 bytes
  /// with no zero byte, without nulls in this batch.
  size_t NormalizableKeys(const ColumnBatch& batch, size_t limit) const;
  /// Key `k` of row `row` as a word whose unsigned order is the sort order
  /// of that key (direction applied); exact: equal words mean equal keys.
  /// Only for k < NormalizableKeys(batch, ...).
  uint64_t Normalized(size_t k, const ColumnBatch& batch, size_t row) const;
  size_t num_keys() const { return keys_.size(); }

 private:
  struct Key {
    size_t column = 0;
    iceberg::SortField field;
    bool identity = true;
  };
  std::vector<Key> keys_;
};

}  // namespace k2::jobs
