#include "jobs/maintenance/sorting_writer.h"

#include <algorithm>
#include <compare>

#include "columnar/value.h"

namespace k2::jobs {

namespace {

template <typename T>
std::strong_ordering Cmp(T a, T b) {
  if (a < b) return std::strong_ordering::less;
  if (b < a) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

/// Compares two non-null stored values of one column type.
std::strong_ordering CompareStored(const Column& a, size_t i, const Column& b, size_t j) {
  switch (a.type().id) {
    case TypeId::kBoolean:
      return Cmp(a.Value<uint8_t>(i), b.Value<uint8_t>(j));
    case TypeId::kInt32:
    case TypeId::kDate:
      return Cmp(a.Value<int32_t>(i), b.Value<int32_t>(j));
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return Cmp(a.Value<int64_t>(i), b.Value<int64_t>(j));
    case TypeId::kFloat: {
      // Iceberg orders -0 < 0 < NaN; std::partial_order would leave NaN unordered.
      const float x = a.Value<float>(i), y = b.Value<float>(j);
      if (x != x || y != y) return Cmp(x != x, y != y);
      return Cmp(x, y);
    }
    case TypeId::kDouble: {
      const double x = a.Value<double>(i), y = b.Value<double>(j);
      if (x != x || y != y) return Cmp(x != x, y != y);
      return Cmp(x, y);
    }
    case TypeId::kDecimal:
      return Cmp(a.DecimalValue(i), b.DecimalValue(j));
    default:
      return a.Bytes(i).compare(b.Bytes(j)) <=> 0;
  }
}

}  // namespace

Result<std::unique_ptr<SortingWriter>> SortingWriter::Make(std::shared_ptr<const Schema> schema,
                                                           const iceberg::SortOrder& order,
                                                           RollingParquetWriter& out,
                                                           int64_t run_bytes) {
  std::vector<Key> keys;
  for (const iceberg::SortField& f : order.fields) {
    auto idx = schema->IndexOfId(f.source_id);
    if (!idx) {
      return MakeError(ErrorKind::kInvalidInput,
                       "sort order {}: source field id {} is not in the table schema",
                       order.order_id, f.source_id);
    }
    Key k;
    k.column = *idx;
    k.field = f;
    k.identity = f.transform.kind == iceberg::TransformKind::kIdentity;
    keys.push_back(std::move(k));
  }
  return std::unique_ptr<SortingWriter>(
      new SortingWriter(std::move(schema), std::move(keys), out, run_bytes));
}

Status SortingWriter::Write(const ColumnBatch& batch) {
  if (batch.num_rows() == 0) return OkStatus();
  buffered_.push_back(batch);
  buffered_bytes_ += static_cast<int64_t>(batch.MemoryUsage());
  if (buffered_bytes_ >= run_bytes_) return Flush();
  return OkStatus();
}

Status SortingWriter::Flush() {
  if (buffered_.empty()) return OkStatus();
  // Transformed keys (non-identity fields) computed once per row.
  std::vector<std::vector<std::vector<Value>>> transformed(keys_.size());
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k].identity) continue;
    transformed[k].resize(buffered_.size());
    for (size_t c = 0; c < buffered_.size(); ++c) {
      const Column& col = buffered_[c].columns[keys_[k].column];
      auto& vals = transformed[k][c];
      vals.reserve(col.length());
      for (size_t r = 0; r < col.length(); ++r) {
        Value v = Value::FromColumn(col, r);
        if (v.is_null()) {
          vals.push_back(std::move(v));
          continue;
        }
        K2_ASSIGN_OR_RETURN(Value t, keys_[k].field.transform.Apply(v));
        vals.push_back(std::move(t));
      }
    }
  }
  struct RowRef {
    uint32_t chunk;
    uint32_t row;
  };
  std::vector<RowRef> order;
  size_t total = 0;
  for (const ColumnBatch& b : buffered_) total += b.num_rows();
  order.reserve(total);
  for (size_t c = 0; c < buffered_.size(); ++c) {
    for (size_t r = 0; r < buffered_[c].num_rows(); ++r) {
      order.push_back({static_cast<uint32_t>(c), static_cast<uint32_t>(r)});
    }
  }
  auto less = [&](const RowRef& x, const RowRef& y) {
    for (size_t k = 0; k < keys_.size(); ++k) {
      const Key& key = keys_[k];
      std::strong_ordering o = std::strong_ordering::equal;
      bool xn, yn;
      if (key.identity) {
        const Column& a = buffered_[x.chunk].columns[key.column];
        const Column& b = buffered_[y.chunk].columns[key.column];
        xn = !a.IsValid(x.row);
        yn = !b.IsValid(y.row);
        if (!xn && !yn) o = CompareStored(a, x.row, b, y.row);
      } else {
        const Value& a = transformed[k][x.chunk][x.row];
        const Value& b = transformed[k][y.chunk][y.row];
        xn = a.is_null();
        yn = b.is_null();
        if (!xn && !yn) o = CompareValues(a, b);
      }
      if (xn || yn) {
        if (xn && yn) continue;
        const bool nulls_first = key.field.null_order == iceberg::NullOrder::kNullsFirst;
        return xn ? nulls_first : !nulls_first;
      }
      if (o == std::strong_ordering::equal) continue;
      const bool lt = o == std::strong_ordering::less;
      return key.field.direction == iceberg::SortDirection::kAsc ? lt : !lt;
    }
    return false;
  };
  // Stable: equal keys keep their arrival order (oldest file first).
  std::stable_sort(order.begin(), order.end(), less);
  ColumnBatch sorted(schema_);
  for (size_t i = 0; i < sorted.columns.size(); ++i) sorted.columns[i].Reserve(total);
  for (const RowRef& ref : order) {
    const ColumnBatch& src = buffered_[ref.chunk];
    for (size_t i = 0; i < sorted.columns.size(); ++i) {
      sorted.columns[i].AppendFrom(src.columns[i], ref.row);
    }
  }
  buffered_.clear();
  buffered_bytes_ = 0;
  ++runs_;
  return out_.Write(sorted);
}

}  // namespace k2::jobs
