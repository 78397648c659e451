#include "jobs/maintenance/row_comparator.h"

#include <algorithm>
#include <cmath>
#include <compare>
#include <cstring>

namespace k2::jobs {

namespace {

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

/// Up to 8 bytes as a big-endian word, zero padded: comparing two such words
/// compares the bytes as unsigned, a shorter string first when it is a prefix.
inline uint64_t Word(const uint8_t* p, size_t n) {
  uint64_t w = 0;
  for (size_t i = 0; i < 8; ++i) w = (w << 8) | (i < n ? p[i] : 0);
  return w;
}

/// Bytewise comparison of two string/binary values; short values (the common
/// keys: symbols, codes) without a memcmp call.
int CompareBytes(const Column& a, size_t i, const Column& b, size_t j) {
  const uint32_t ab = a.offsets()[i], ae = a.offsets()[i + 1];
  const uint32_t bb = b.offsets()[j], be = b.offsets()[j + 1];
  const size_t an = ae - ab, bn = be - bb;
  const uint8_t* ap = a.data().data() + ab;
  const uint8_t* bp = b.data().data() + bb;
  if (an <= 8 && bn <= 8) {
    const uint64_t x = Word(ap, an), y = Word(bp, bn);
    if (x != y) return x < y ? -1 : 1;
    return Cmp(an, bn);
  }
  const int c = std::memcmp(ap, bp, std::min(an, bn));
  if (c != 0) return c < 0 ? -1 : 1;
  return Cmp(an, bn);
}

/// Compares two non-null stored values of one column type.
int CompareStored(const Column& a, size_t i, const Column& b, size_t j) {
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
      if (x == y) return Cmp(std::signbit(y), std::signbit(x));
      return Cmp(x, y);
    }
    case TypeId::kDouble: {
      const double x = a.Value<double>(i), y = b.Value<double>(j);
      if (x != x || y != y) return Cmp(x != x, y != y);
      if (x == y) return Cmp(std::signbit(y), std::signbit(x));
      return Cmp(x, y);
    }
    case TypeId::kDecimal:
      return Cmp(a.DecimalValue(i), b.DecimalValue(j));
    case TypeId::kString:
    case TypeId::kBinary:
      return CompareBytes(a, i, b, j);
    default: {
      const int c = a.Bytes(i).compare(b.Bytes(j));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
}

}  // namespace

Result<RowComparator> RowComparator::Make(const Schema& schema, const iceberg::SortOrder& order) {
  RowComparator out;
  for (const iceberg::SortField& f : order.fields) {
    auto idx = schema.IndexOfId(f.source_id);
    if (!idx) {
      return MakeError(ErrorKind::kInvalidInput,
                       "sort order {}: source field id {} is not in the table schema",
                       order.order_id, f.source_id);
    }
    Key k;
    k.column = *idx;
    k.field = f;
    k.identity = f.transform.kind == iceberg::TransformKind::kIdentity;
    out.keys_.push_back(std::move(k));
  }
  return out;
}

Result<RowComparator::Keyed> RowComparator::Prepare(const ColumnBatch& batch) const {
  Keyed out;
  out.batch = &batch;
  out.transformed.resize(keys_.size());
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k].identity) continue;
    const Column& col = batch.columns[keys_[k].column];
    std::vector<Value>& vals = out.transformed[k];
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
  return out;
}

int RowComparator::Compare(const Keyed& a, size_t i, const Keyed& b, size_t j) const {
  for (size_t k = 0; k < keys_.size(); ++k) {
    const Key& key = keys_[k];
    int o = 0;
    bool an, bn;
    if (key.identity) {
      const Column& x = a.batch->columns[key.column];
      const Column& y = b.batch->columns[key.column];
      an = !x.IsValid(i);
      bn = !y.IsValid(j);
      if (!an && !bn) o = CompareStored(x, i, y, j);
    } else {
      const Value& x = a.transformed[k][i];
      const Value& y = b.transformed[k][j];
      an = x.is_null();
      bn = y.is_null();
      if (!an && !bn) {
        const std::strong_ordering s = CompareValues(x, y);
        o = s < 0 ? -1 : (s > 0 ? 1 : 0);
      }
    }
    if (an || bn) {
      if (an && bn) continue;
      const bool nulls_first = key.field.null_order == iceberg::NullOrder::kNullsFirst;
      return an == nulls_first ? -1 : 1;
    }
    if (o == 0) continue;
    return key.field.direction == iceberg::SortDirection::kAsc ? o : -o;
  }
  return 0;
}

size_t RowComparator::NormalizableKeys(const ColumnBatch& batch, size_t limit) const {
  size_t n = 0;
  for (; n < keys_.size() && n < limit; ++n) {
    const Key& key = keys_[n];
    if (!key.identity) break;
    const Column& c = batch.columns[key.column];
    if (c.has_nulls()) break;
    bool ok = false;
    switch (c.type().id) {
      case TypeId::kBoolean:
      case TypeId::kInt32:
      case TypeId::kDate:
      case TypeId::kInt64:
      case TypeId::kTime:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
      case TypeId::kTimestampNs:
        ok = true;
        break;
      case TypeId::kDecimal:
        ok = c.type().FixedWidth() == 8;
        break;
      case TypeId::kString:
      case TypeId::kBinary: {
        // Exact as a zero-padded word when no value is longer than 8 bytes
        // and none holds a zero byte ("AB" and "AB\0" would share a word).
        const auto& off = c.offsets();
        ok = std::memchr(c.data().data(), 0, c.data().size()) == nullptr;
        for (size_t r = 0; r < c.length() && ok; ++r) ok = off[r + 1] - off[r] <= 8;
        break;
      }
      default:
        break;
    }
    if (!ok) break;
  }
  return n;
}

uint64_t RowComparator::Normalized(size_t k, const ColumnBatch& batch, size_t row) const {
  const Key& key = keys_[k];
  const Column& c = batch.columns[key.column];
  constexpr uint64_t kSign = 1ULL << 63;
  uint64_t w = 0;
  switch (c.type().id) {
    case TypeId::kBoolean:
      w = c.Value<uint8_t>(row) != 0;
      break;
    case TypeId::kInt32:
    case TypeId::kDate:
      w = static_cast<uint64_t>(static_cast<int64_t>(c.Value<int32_t>(row))) ^ kSign;
      break;
    case TypeId::kString:
    case TypeId::kBinary: {
      const uint32_t b = c.offsets()[row], e = c.offsets()[row + 1];
      w = Word(c.data().data() + b, e - b);
      break;
    }
    default:  // 64-bit integers, times, 64-bit decimals
      w = static_cast<uint64_t>(c.Value<int64_t>(row)) ^ kSign;
      break;
  }
  return key.field.direction == iceberg::SortDirection::kAsc ? w : ~w;
}

}  // namespace k2::jobs
