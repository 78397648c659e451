#include "jobs/row_hash.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "warm/city_hash.h"
#include "warm/type_mapping.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

namespace {

using Arg = RowHashes::Arg;

/// The column the server streams each row's hash in (when k2 does not).
constexpr const char* kRowHashColumn = "_k2_row_hash";

Arg UInt(int width) {
  return Arg{Arg::Kind::kUInt, width, 1};
}

/// How k2 reproduces the hash argument of a ClickHouse column of type `text`
/// decoded to `type`; nullopt when it does not (the server hashes).
std::optional<Arg> ArgFor(const std::string& text, const DataType& type, ChecksumKind kind) {
  if (!HashesValue(text, kind)) return std::nullopt;
  auto ch = warm::MapClickHouseType(text);
  // Nullable: assumeNotNull hashes whatever value the column holds under a
  // NULL (an if(..., NULL, x) keeps x there), which the decoded batch does
  // not keep; the server hashes those tables.
  if (!ch || ch->nullable) return std::nullopt;
  using W = warm::WireKind;
  std::optional<Arg> arg;
  switch (ch->wire) {
    case W::kString:
    case W::kFixedString:
      if (type.id == TypeId::kString || type.id == TypeId::kBinary || type.id == TypeId::kFixed) {
        arg = Arg{};
      }
      break;
    case W::kInt8:
    case W::kUInt8:
      if (type.id == TypeId::kInt32) arg = UInt(1);
      break;
    case W::kInt16:
    case W::kUInt16:
      if (type.id == TypeId::kInt32) arg = UInt(2);
      break;
    case W::kInt32:
      if (type.id == TypeId::kInt32) arg = UInt(4);
      break;
    case W::kUInt32:
      if (type.id == TypeId::kInt64) arg = UInt(4);
      break;
    case W::kInt64:
    case W::kUInt64:
      if (type.id == TypeId::kInt64 || type.id == TypeId::kDecimal) arg = UInt(8);
      break;
    case W::kFloat32:
      if (type.id == TypeId::kFloat) arg = Arg{Arg::Kind::kFloat32};
      break;
    case W::kFloat64:
      if (type.id == TypeId::kDouble) arg = Arg{Arg::Kind::kFloat64};
      break;
    case W::kDate:
      if (type.id == TypeId::kDate) arg = UInt(2);
      break;
    case W::kDateTime:
      if (type.id == TypeId::kTimestampTz) arg = Arg{Arg::Kind::kSeconds, 4};
      break;
    case W::kDecimal32:
    case W::kDecimal64:
    case W::kDecimal128:
      if (type.id == TypeId::kDecimal) {
        arg = Arg{Arg::Kind::kDecimalBytes, ch->wire == W::kDecimal32   ? 4
                                            : ch->wire == W::kDecimal64 ? 8
                                                                        : 16};
      }
      break;
    case W::kDateTime64: {
      // Ticks of 10^-scale s from the stored micros (or nanos); a scale
      // finer than what is stored was truncated: not reproducible.
      const int stored = type.id == TypeId::kTimestampNs ? 9 : 6;
      if ((type.id == TypeId::kTimestampTz || type.id == TypeId::kTimestampNs) &&
          ch->scale <= stored) {
        int64_t divisor = 1;
        for (int i = ch->scale; i < stored; ++i) divisor *= 10;
        arg = Arg{Arg::Kind::kTicksBytes, 8, divisor};
      }
      break;
    }
    default:
      break;
  }
  return arg;
}

/// The unsigned 64-bit value of row `r` of an integer-like column, as its
/// storage holds it (int32, int64, or a decimal(20, 0)'s low half).
inline uint64_t StoredBits(const Column& c, size_t r) {
  switch (c.type().FixedWidth()) {
    case 4:
      return static_cast<uint64_t>(static_cast<int64_t>(c.Value<int32_t>(r)));
    case 16:
      return static_cast<uint64_t>(c.Value<int128_t>(r));
    default:
      return static_cast<uint64_t>(c.Value<int64_t>(r));
  }
}

/// cityHash64 of a number's little-endian bytes with trailing zero bytes
/// dropped: reinterpretAsString's string.
inline uint64_t HashTrimmedBytes(const void* value, int width) {
  const auto* b = static_cast<const char*>(value);
  int n = width;
  while (n > 0 && b[n - 1] == 0) --n;
  return warm::CityHash64(b, static_cast<size_t>(n));
}

/// The hash of one argument for row `r`.
inline uint64_t ArgHash(const Column& c, const Arg& a, size_t r) {
  switch (a.kind) {
    case Arg::Kind::kBytes:
      return warm::CityHash64(c.Bytes(r));
    case Arg::Kind::kUInt: {
      uint64_t v = StoredBits(c, r);
      if (a.width < 8) v &= (uint64_t{1} << (8 * a.width)) - 1;
      return warm::IntHash64(v);
    }
    case Arg::Kind::kFloat32: {
      uint32_t bits;
      float f = c.Value<float>(r);
      std::memcpy(&bits, &f, sizeof(bits));
      return warm::IntHash64(bits);
    }
    case Arg::Kind::kFloat64:
      return warm::IntHash64(c.Value<uint64_t>(r));
    case Arg::Kind::kSeconds:
      return warm::IntHash64(
          static_cast<uint32_t>(c.Value<int64_t>(r) / 1'000'000));  // DateTime: UInt32 s
    case Arg::Kind::kDecimalBytes: {
      int128_t v = c.DecimalValue(r);
      return HashTrimmedBytes(&v, a.width);
    }
    case Arg::Kind::kTicksBytes: {
      int64_t ticks = c.Value<int64_t>(r) / a.divisor;
      return HashTrimmedBytes(&ticks, 8);
    }
  }
  return 0;
}

}  // namespace

RowHashes::RowHashes(const std::vector<WarmColumn>& columns, const Schema& schema,
                     ChecksumKind kind)
    : kind_(kind), columns_(columns) {
  local_ = !columns.empty() && columns.size() == schema.fields.size();
  for (size_t i = 0; local_ && i < columns.size(); ++i) {
    std::optional<Arg> arg = ArgFor(columns[i].second, schema.fields[i].type, kind);
    if (!arg) local_ = false;
    if (arg) args_.push_back(*arg);
  }
  if (!local_) args_.clear();
}

std::string RowHashes::Query(const std::string& window_sql) const {
  if (local_) return window_sql;
  return fmt::format("SELECT *, toInt64({}) AS {} FROM ({})", RowHashSql(columns_, kind_),
                     kRowHashColumn, window_sql);
}

void RowHashes::Compute(const ColumnBatch& batch) {
  const size_t n = batch.num_rows();
  scratch_.resize(n);
  uint64_t* h = scratch_.data();
  // Column by column, as ClickHouse does: the first argument's hash, then
  // each next one combined into it.
  for (size_t c = 0; c < args_.size(); ++c) {
    const Column& col = batch.columns[c];
    const Arg& a = args_[c];
    if (c == 0) {
      for (size_t r = 0; r < n; ++r) h[r] = ArgHash(col, a, r);
    } else {
      for (size_t r = 0; r < n; ++r) h[r] = warm::Hash128to64(h[r], ArgHash(col, a, r));
    }
  }
  hashes_.resize(n);
  std::memcpy(hashes_.data(), h, n * sizeof(uint64_t));
}

Result<std::span<const int64_t>> RowHashes::Take(ColumnBatch& batch,
                                                 const std::shared_ptr<const Schema>& schema,
                                                 const std::string& table) {
  const size_t width = schema->fields.size();
  if (local_) {
    if (batch.columns.size() != width) {
      return MakeError(ErrorKind::kInvalidInput,
                       "{}: the query returned {} columns, DESCRIBE said {}", table,
                       batch.columns.size(), width);
    }
    batch.schema = schema;
    Compute(batch);
    return std::span<const int64_t>(hashes_);
  }
  if (batch.columns.size() != width + 1 || batch.columns.back().type() != DataType::Int64() ||
      batch.schema->fields.back().name != kRowHashColumn) {
    return MakeError(ErrorKind::kInvalidInput,
                     "{}: the query returned {} columns, DESCRIBE said {} (plus {})", table,
                     batch.columns.size(), width, kRowHashColumn);
  }
  taken_ = std::move(batch.columns.back());
  batch.columns.pop_back();
  batch.schema = schema;
  return taken_.Values<int64_t>();
}

void RowHashes::Restore(ColumnBatch& batch) {
  if (!local_) batch.columns.push_back(std::move(taken_));
}

}  // namespace k2::jobs
