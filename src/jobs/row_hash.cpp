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
  // LowCardinality(String) is hashed as toString(x): its string, as k2 has it.
  const bool low_cardinality_string =
      kind != ChecksumKind::kText &&
      (text == "LowCardinality(String)" || text.starts_with("LowCardinality(FixedString("));
  if (!low_cardinality_string && !HashesValue(text, kind)) return std::nullopt;
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

/// cityHash64 of a number's little-endian bytes with trailing zero bytes
/// dropped: reinterpretAsString's string.
inline uint64_t HashTrimmedBytes(const void* value, int width) {
  const auto* b = static_cast<const char*>(value);
  int n = width;
  while (n > 0 && b[n - 1] == 0) --n;
  return warm::CityHash64(b, static_cast<size_t>(n));
}

/// Applies `hash(row)` to every row: h = hash for the first argument, else
/// h = combine(h, hash) (one loop per kind, the kind decided once).
template <typename F>
inline void HashRows(uint64_t* h, size_t n, bool first, F&& hash) {
  if (first) {
    for (size_t r = 0; r < n; ++r) h[r] = hash(r);
  } else {
    for (size_t r = 0; r < n; ++r) h[r] = warm::Hash128to64(h[r], hash(r));
  }
}

/// One argument's hashes of a whole column into `h`.
void HashColumn(const Column& c, const Arg& a, bool first, uint64_t* h) {
  const size_t n = c.length();
  switch (a.kind) {
    case Arg::Kind::kBytes: {
      if (c.type().IsVariableWidth()) {
        const auto* data = reinterpret_cast<const char*>(c.data().data());
        const uint32_t* off = c.offsets().data();
        HashRows(h, n, first,
                 [&](size_t r) { return warm::CityHash64(data + off[r], off[r + 1] - off[r]); });
      } else {
        HashRows(h, n, first, [&](size_t r) { return warm::CityHash64(c.Bytes(r)); });
      }
      return;
    }
    case Arg::Kind::kUInt: {
      const uint64_t mask = a.width < 8 ? (uint64_t{1} << (8 * a.width)) - 1 : ~uint64_t{0};
      switch (c.type().FixedWidth()) {
        case 4: {
          const auto v = c.Values<int32_t>();
          HashRows(h, n, first, [&](size_t r) {
            return warm::IntHash64(static_cast<uint64_t>(static_cast<int64_t>(v[r])) & mask);
          });
          return;
        }
        case 16: {
          const auto v = c.Values<int128_t>();
          HashRows(h, n, first,
                   [&](size_t r) { return warm::IntHash64(static_cast<uint64_t>(v[r]) & mask); });
          return;
        }
        default: {
          const auto v = c.Values<int64_t>();
          HashRows(h, n, first,
                   [&](size_t r) { return warm::IntHash64(static_cast<uint64_t>(v[r]) & mask); });
          return;
        }
      }
    }
    case Arg::Kind::kFloat32: {
      const auto v = c.Values<uint32_t>();  // the float's bits
      HashRows(h, n, first, [&](size_t r) { return warm::IntHash64(v[r]); });
      return;
    }
    case Arg::Kind::kFloat64: {
      const auto v = c.Values<uint64_t>();
      HashRows(h, n, first, [&](size_t r) { return warm::IntHash64(v[r]); });
      return;
    }
    case Arg::Kind::kSeconds: {  // DateTime: UInt32 seconds, stored as micros
      const auto v = c.Values<int64_t>();
      HashRows(h, n, first,
               [&](size_t r) { return warm::IntHash64(static_cast<uint32_t>(v[r] / 1'000'000)); });
      return;
    }
    case Arg::Kind::kDecimalBytes: {
      if (c.type().FixedWidth() == 8) {
        const auto v = c.Values<int64_t>();
        HashRows(h, n, first, [&](size_t r) {
          const int64_t x = v[r];
          return HashTrimmedBytes(&x, a.width);  // Decimal32's 4 bytes are its low half
        });
      } else {
        HashRows(h, n, first, [&](size_t r) {
          const int128_t x = c.DecimalValue(r);
          return HashTrimmedBytes(&x, a.width);
        });
      }
      return;
    }
    case Arg::Kind::kTicksBytes: {
      const auto v = c.Values<int64_t>();
      HashRows(h, n, first, [&](size_t r) {
        const int64_t ticks = v[r] / a.divisor;
        return HashTrimmedBytes(&ticks, 8);
      });
      return;
    }
  }
}

}  // namespace

RowHashes::RowHashes(const std::vector<WarmColumn>& columns, const Schema& schema,
                     ChecksumKind kind, RowHashing hashing)
    : kind_(kind), columns_(columns) {
  local_ = hashing == RowHashing::kK2 && !columns.empty() && columns.size() == schema.fields.size();
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

PrefetchingReader::BatchHook RowHashes::Hook() {
  if (!local_) return {};
  return [this](ColumnBatch& batch) { return Attach(batch); };
}

Status RowHashes::Attach(ColumnBatch& batch) {
  // Column by column, as ClickHouse does: the first argument's hash, then
  // each next one combined into it. A batch of the wrong width is left as
  // it is, for Take to refuse.
  if (batch.columns.size() != args_.size() || batch.schema == nullptr) return OkStatus();
  if (batch.schema.get() != decoded_) {
    auto schema = std::make_shared<Schema>(*batch.schema);
    schema->fields.push_back(Field{0, kRowHashColumn, DataType::Int64(), false});
    with_hash_ = std::move(schema);
    decoded_ = batch.schema.get();
  }
  const size_t n = batch.num_rows();
  Column hashes(DataType::Int64());
  hashes.mutable_data().resize(n * sizeof(uint64_t));
  auto* h = reinterpret_cast<uint64_t*>(hashes.mutable_data().data());
  for (size_t c = 0; c < args_.size(); ++c) HashColumn(batch.columns[c], args_[c], c == 0, h);
  hashes.SetLength(n, 0);
  batch.columns.push_back(std::move(hashes));
  batch.schema = with_hash_;
  return OkStatus();
}

Result<std::span<const int64_t>> RowHashes::Take(ColumnBatch& batch,
                                                 const std::shared_ptr<const Schema>& schema,
                                                 const std::string& table) {
  const size_t width = schema->fields.size();
  if (batch.columns.size() != width + 1 || batch.columns.back().type() != DataType::Int64() ||
      batch.schema->fields.back().name != kRowHashColumn) {
    return MakeError(
        ErrorKind::kInvalidInput, "{}: the query returned {} columns, DESCRIBE said {}{}", table,
        batch.columns.size(), width, local_ ? "" : fmt::format(" (plus {})", kRowHashColumn));
  }
  taken_ = std::move(batch.columns.back());
  batch.columns.pop_back();
  batch.schema = schema;
  return taken_.Values<int64_t>();
}

void RowHashes::Restore(ColumnBatch& batch) {
  // The server's column goes back to the reader with the batch; k2's is
  // dropped (its reader made the batch without it).
  if (!local_) batch.columns.push_back(std::move(taken_));
}

}  // namespace k2::jobs
