// Over 600 lines on purpose: ClickHouse's row formats, both ways, around one
// set of wire helpers (little-endian loads, varints, UUID halves, tick
// scaling): the RowBinary decoder (a switch per WireKind), the Native column
// decoder (whole-column conversions), the RowBinary encoder the loaders use
// (the same switch, mirrored) and the stream reader. Splitting them would
// copy the helpers or expose them as an API of their own.
#include "warm/row_binary.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "warm/clickhouse_error.h"

namespace k2::warm {
namespace {

constexpr size_t kMaxStringBytesPerBatch = size_t{1} << 30;

constexpr int64_t kPow10[] = {1,      10,      100,      1000,      10000,
                              100000, 1000000, 10000000, 100000000, 1000000000};

template <typename T>
inline T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void Put(uint8_t* dst, T v) {
  std::memcpy(dst, &v, sizeof(T));
}

inline void WriteVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// ClickHouse UUID wire: two little-endian UInt64, high half first. k2: RFC 4122 bytes.
inline void UuidWireToBytes(const uint8_t* w, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[i] = w[7 - i];
  for (int i = 0; i < 8; ++i) out[8 + i] = w[15 - i];
}

void AppendVar(Column& c, const uint8_t* p, size_t n) {
  auto& d = c.mutable_data();
  d.insert(d.end(), p, p + n);
  c.mutable_offsets().push_back(static_cast<uint32_t>(d.size()));
}

}  // namespace

RowBinaryDecoder::RowBinaryDecoder(std::vector<ClickHouseType> types,
                                   std::shared_ptr<const Schema> schema, size_t batch_rows)
    : types_(std::move(types)),
      batch_(std::move(schema)),
      batch_rows_(std::max<size_t>(1, batch_rows)) {
  enum_lookup_.resize(types_.size());
  for (size_t i = 0; i < types_.size(); ++i) {
    const Column& c = batch_.columns[i];
    const ClickHouseType& t = types_[i];
    widths_.push_back(c.type().IsVariableWidth() ? 0 : static_cast<size_t>(c.type().FixedWidth()));
    FastKind f = FastKind::kNone;
    if (!t.nullable) {
      switch (t.wire) {
        case WireKind::kInt64:
        case WireKind::kDecimal64:
        case WireKind::kFloat64:
          f = FastKind::kCopy8;
          break;
        case WireKind::kInt32:
        case WireKind::kDate32:
        case WireKind::kFloat32:
          f = FastKind::kCopy4;
          break;
        case WireKind::kUInt64:
          if (c.type().id != TypeId::kDecimal) f = FastKind::kUInt64ToLong;
          break;
        case WireKind::kUInt32:
          f = FastKind::kUInt32ToLong;
          break;
        case WireKind::kDateTime:
          f = FastKind::kDateTime;
          break;
        case WireKind::kDateTime64:
          if (t.scale == 6 && c.type().id != TypeId::kTimestampNs) f = FastKind::kCopy8;
          break;
        case WireKind::kString:
          f = FastKind::kString;
          break;
        default:
          break;
      }
    }
    fast_.push_back(f);
  }
  bases_.resize(types_.size());
  for (size_t i = 0; i < types_.size(); ++i) {
    const auto& t = types_[i];
    if (t.wire == WireKind::kEnum8 || t.wire == WireKind::kEnum16) {
      enum_lookup_[i].assign(65536, -1);
      for (size_t k = 0; k < t.enum_values.size(); ++k) {
        int v = t.enum_values[k].first;
        if (v >= -32768 && v <= 32767)
          enum_lookup_[i][static_cast<size_t>(v + 32768)] = static_cast<int>(k);
      }
    }
  }
  Clear();
}

void RowBinaryDecoder::Clear() {
  rows_ = 0;
  full_ = false;
  for (size_t i = 0; i < batch_.columns.size(); ++i) {
    Column& c = batch_.columns[i];
    if (!c.type().IsVariableWidth()) {
      // Sized for a whole batch up front: values are stored at row * width
      // without growing the vector per value; Finish() trims to the rows.
      // The old values stay in place (every slot is written before it is
      // read), so only growth is zero-filled.
      std::vector<uint8_t> data;
      data.swap(c.mutable_data());
      c.Clear();
      data.resize(batch_rows_ * static_cast<size_t>(c.type().FixedWidth()));
      c.mutable_data().swap(data);
      if (types_[i].nullable) c.mutable_validity().reserve(batch_rows_);
    } else {
      c.Clear();
      if (types_[i].nullable) c.mutable_validity().reserve(batch_rows_);
      c.mutable_offsets().reserve(batch_rows_ + 1);
    }
  }
}

void RowBinaryDecoder::Truncate(size_t rows) {
  for (size_t i = 0; i < batch_.columns.size(); ++i) {
    Column& c = batch_.columns[i];
    if (c.type().IsVariableWidth()) {
      auto& off = c.mutable_offsets();
      if (off.size() > rows + 1) {
        off.resize(rows + 1);
        c.mutable_data().resize(off[rows]);
      }
    }
    if (types_[i].nullable && c.mutable_validity().size() > rows) c.mutable_validity().resize(rows);
  }
}

const ColumnBatch& RowBinaryDecoder::Finish() {
  for (size_t i = 0; i < batch_.columns.size(); ++i) {
    Column& c = batch_.columns[i];
    if (!c.type().IsVariableWidth()) {
      c.mutable_data().resize(rows_ * static_cast<size_t>(c.type().FixedWidth()));
    }
    size_t nulls = 0;
    if (types_[i].nullable) {
      const auto& v = c.mutable_validity();
      nulls = static_cast<size_t>(std::count(v.begin(), v.end(), uint8_t{0}));
    }
    c.SetLength(rows_, nulls);
  }
  return batch_;
}

RowBinaryDecoder::Step RowBinaryDecoder::DecodeValue(size_t col, const uint8_t*& p,
                                                     const uint8_t* end, size_t row,
                                                     bool null_flag) {
  const ClickHouseType& t = types_[col];
  Column& c = batch_.columns[col];
  auto& d = c.mutable_data();
  // Fixed-width values go to their row's slot of the pre-sized buffer.
  uint8_t* dst = widths_[col] == 0 ? nullptr : d.data() + row * widths_[col];
  if (t.nullable && null_flag) {
    if (p >= end) return Step::kNeedMore;
    uint8_t is_null = *p++;
    if (is_null) {
      c.mutable_validity().push_back(0);
      if (c.type().IsVariableWidth()) {
        c.mutable_offsets().push_back(static_cast<uint32_t>(d.size()));
      } else {
        std::memset(dst, 0, widths_[col]);
      }
      return Step::kOk;
    }
    c.mutable_validity().push_back(1);
  }
  auto need = [&](size_t n) { return static_cast<size_t>(end - p) >= n; };
  switch (t.wire) {
    case WireKind::kInt8:
      if (!need(1)) return Step::kNeedMore;
      Put<int32_t>(dst, Load<int8_t>(p));
      p += 1;
      return Step::kOk;
    case WireKind::kUInt8:
      if (!need(1)) return Step::kNeedMore;
      Put<int32_t>(dst, *p);
      p += 1;
      return Step::kOk;
    case WireKind::kBool:
      if (!need(1)) return Step::kNeedMore;
      Put<uint8_t>(dst, *p != 0);
      p += 1;
      return Step::kOk;
    case WireKind::kInt16:
      if (!need(2)) return Step::kNeedMore;
      Put<int32_t>(dst, Load<int16_t>(p));
      p += 2;
      return Step::kOk;
    case WireKind::kUInt16:
      if (!need(2)) return Step::kNeedMore;
      Put<int32_t>(dst, Load<uint16_t>(p));
      p += 2;
      return Step::kOk;
    case WireKind::kDate:
      if (!need(2)) return Step::kNeedMore;
      Put<int32_t>(dst, Load<uint16_t>(p));
      p += 2;
      return Step::kOk;
    case WireKind::kInt32:
    case WireKind::kDate32:
      if (!need(4)) return Step::kNeedMore;
      Put<int32_t>(dst, Load<int32_t>(p));
      p += 4;
      return Step::kOk;
    case WireKind::kUInt32:
      if (!need(4)) return Step::kNeedMore;
      Put<int64_t>(dst, Load<uint32_t>(p));
      p += 4;
      return Step::kOk;
    case WireKind::kDecimal32:
      if (!need(4)) return Step::kNeedMore;
      Put<int64_t>(dst, Load<int32_t>(p));
      p += 4;
      return Step::kOk;
    case WireKind::kDateTime:
      if (!need(4)) return Step::kNeedMore;
      Put<int64_t>(dst, int64_t{Load<uint32_t>(p)} * 1000000);
      p += 4;
      return Step::kOk;
    case WireKind::kFloat32:
      if (!need(4)) return Step::kNeedMore;
      Put<float>(dst, Load<float>(p));
      p += 4;
      return Step::kOk;
    case WireKind::kInt64:
    case WireKind::kDecimal64:
      if (!need(8)) return Step::kNeedMore;
      Put<int64_t>(dst, Load<int64_t>(p));
      p += 8;
      return Step::kOk;
    case WireKind::kFloat64:
      if (!need(8)) return Step::kNeedMore;
      Put<double>(dst, Load<double>(p));
      p += 8;
      return Step::kOk;
    case WireKind::kUInt64: {
      if (!need(8)) return Step::kNeedMore;
      uint64_t v = Load<uint64_t>(p);
      if (c.type().id == TypeId::kDecimal) {
        Put<int128_t>(dst, static_cast<int128_t>(v));
      } else {
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          error_ = Error{ErrorKind::kUnsupported,
                         fmt::format("column '{}' (UInt64) value {} exceeds the long range; map "
                                     "UInt64 to decimal(20, 0) to read it",
                                     batch_.schema->fields[col].name, v)};
          return Step::kError;
        }
        Put<int64_t>(dst, static_cast<int64_t>(v));
      }
      p += 8;
      return Step::kOk;
    }
    case WireKind::kDateTime64: {
      if (!need(8)) return Step::kNeedMore;
      int64_t ticks = Load<int64_t>(p);
      int64_t v = 0;
      bool overflow = false;
      if (c.type().id == TypeId::kTimestampNs) {
        overflow = __builtin_mul_overflow(ticks, kPow10[9 - t.scale], &v);
      } else if (t.scale <= 6) {
        overflow = __builtin_mul_overflow(ticks, kPow10[6 - t.scale], &v);
      } else {
        v = FloorDiv(ticks, kPow10[t.scale - 6]);
      }
      if (overflow) {  // past any DateTime64 ClickHouse stores: not a value
        error_ = Error{ErrorKind::kCorrupt,
                       fmt::format("column '{}' ({}) value {} is out of the timestamp range",
                                   batch_.schema->fields[col].name, t.text, ticks)};
        return Step::kError;
      }
      Put<int64_t>(dst, v);
      p += 8;
      return Step::kOk;
    }
    case WireKind::kDecimal128:
      if (!need(16)) return Step::kNeedMore;
      Put<int128_t>(dst, Load<int128_t>(p));
      p += 16;
      return Step::kOk;
    case WireKind::kUuid: {
      if (!need(16)) return Step::kNeedMore;
      UuidWireToBytes(p, dst);
      p += 16;
      return Step::kOk;
    }
    case WireKind::kFixedString: {
      size_t n = static_cast<size_t>(t.fixed_width);
      if (!need(n)) return Step::kNeedMore;
      std::memcpy(dst, p, n);
      p += n;
      return Step::kOk;
    }
    case WireKind::kString: {
      const uint8_t* q = p;
      uint64_t n = 0;
      if (!ReadVarint(q, end, n)) return Step::kNeedMore;
      if (static_cast<uint64_t>(end - q) < n) return Step::kNeedMore;
      AppendVar(c, q, n);
      p = q + n;
      return Step::kOk;
    }
    case WireKind::kEnum8:
    case WireKind::kEnum16: {
      int v;
      if (t.wire == WireKind::kEnum8) {
        if (!need(1)) return Step::kNeedMore;
        v = Load<int8_t>(p);
        p += 1;
      } else {
        if (!need(2)) return Step::kNeedMore;
        v = Load<int16_t>(p);
        p += 2;
      }
      int idx = enum_lookup_[col][static_cast<size_t>(v + 32768)];
      if (idx < 0) {
        error_ =
            Error{ErrorKind::kCorrupt, fmt::format("column '{}' ({}): unknown enum value {}",
                                                   batch_.schema->fields[col].name, t.text, v)};
        return Step::kError;
      }
      const std::string& name = t.enum_values[static_cast<size_t>(idx)].second;
      AppendVar(c, reinterpret_cast<const uint8_t*>(name.data()), name.size());
      return Step::kOk;
    }
    case WireKind::kIPv4: {
      if (!need(4)) return Step::kNeedMore;
      uint32_t v = Load<uint32_t>(p);
      p += 4;
      char text[16];
      int n = std::snprintf(text, sizeof(text), "%u.%u.%u.%u", (v >> 24) & 255, (v >> 16) & 255,
                            (v >> 8) & 255, v & 255);
      AppendVar(c, reinterpret_cast<const uint8_t*>(text), static_cast<size_t>(n));
      return Step::kOk;
    }
    case WireKind::kIPv6: {
      if (!need(16)) return Step::kNeedMore;
      char text[INET6_ADDRSTRLEN];
      if (!inet_ntop(AF_INET6, p, text, sizeof(text))) text[0] = 0;
      p += 16;
      AppendVar(c, reinterpret_cast<const uint8_t*>(text), std::strlen(text));
      return Step::kOk;
    }
  }
  return Step::kError;
}

Result<size_t> RowBinaryDecoder::Decode(const uint8_t* data, size_t size, uint64_t stream_offset) {
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const size_t ncols = types_.size();
  // Fixed-width buffers are pre-sized for the batch (see Clear), so their
  // base pointers hold for the whole call.
  for (size_t i = 0; i < ncols; ++i) {
    bases_[i] = widths_[i] == 0 ? nullptr : batch_.columns[i].mutable_data().data();
  }
  while (rows_ < batch_rows_) {
    const uint8_t* row_start = p;
    for (size_t i = 0; i < ncols; ++i) {
      // Non-nullable common kinds inline; everything else through DecodeValue.
      const size_t left = static_cast<size_t>(end - p);
      switch (fast_[i]) {
        case FastKind::kCopy8:
          if (left < 8) goto need_more;
          std::memcpy(bases_[i] + rows_ * 8, p, 8);
          p += 8;
          continue;
        case FastKind::kCopy4:
          if (left < 4) goto need_more;
          std::memcpy(bases_[i] + rows_ * 4, p, 4);
          p += 4;
          continue;
        case FastKind::kUInt64ToLong:
          if (left < 8) goto need_more;
          if (p[7] & 0x80) break;  // above INT64_MAX: DecodeValue reports it
          std::memcpy(bases_[i] + rows_ * 8, p, 8);
          p += 8;
          continue;
        case FastKind::kUInt32ToLong:
          if (left < 4) goto need_more;
          Put<int64_t>(bases_[i] + rows_ * 8, Load<uint32_t>(p));
          p += 4;
          continue;
        case FastKind::kDateTime:
          if (left < 4) goto need_more;
          Put<int64_t>(bases_[i] + rows_ * 8, int64_t{Load<uint32_t>(p)} * 1000000);
          p += 4;
          continue;
        case FastKind::kString: {
          const uint8_t* q = p;
          uint64_t n = 0;
          if (left > 0 && *q < 0x80) {
            n = *q++;
          } else if (!ReadVarint(q, end, n)) {
            goto need_more;
          }
          if (static_cast<uint64_t>(end - q) < n) goto need_more;
          AppendVar(batch_.columns[i], q, n);
          p = q + n;
          continue;
        }
        case FastKind::kNone:
          break;
      }
      {
        Step s = DecodeValue(i, p, end, rows_, /*null_flag=*/true);
        if (s == Step::kOk) continue;
        Truncate(rows_);
        if (s == Step::kNeedMore) return static_cast<size_t>(row_start - data);
        return std::unexpected(error_.WithContext(
            fmt::format("RowBinary row at byte {}", stream_offset + (row_start - data))));
      }
    need_more:
      Truncate(rows_);
      return static_cast<size_t>(row_start - data);
    }
    ++rows_;
    if ((rows_ & 1023) == 0) {
      for (const auto& c : batch_.columns) {
        if (c.type().IsVariableWidth() && c.data().size() > kMaxStringBytesPerBatch) full_ = true;
      }
      if (full_) break;
    }
  }
  if (rows_ >= batch_rows_) full_ = true;
  return static_cast<size_t>(p - data);
}

size_t NativeValueWidth(const ClickHouseType& t) {
  switch (t.wire) {
    case WireKind::kInt8:
    case WireKind::kUInt8:
    case WireKind::kBool:
    case WireKind::kEnum8:
      return 1;
    case WireKind::kInt16:
    case WireKind::kUInt16:
    case WireKind::kDate:
    case WireKind::kEnum16:
      return 2;
    case WireKind::kInt32:
    case WireKind::kUInt32:
    case WireKind::kDate32:
    case WireKind::kDateTime:
    case WireKind::kFloat32:
    case WireKind::kDecimal32:
    case WireKind::kIPv4:
      return 4;
    case WireKind::kInt64:
    case WireKind::kUInt64:
    case WireKind::kFloat64:
    case WireKind::kDecimal64:
    case WireKind::kDateTime64:
      return 8;
    case WireKind::kDecimal128:
    case WireKind::kUuid:
    case WireKind::kIPv6:
      return 16;
    case WireKind::kFixedString:
      return static_cast<size_t>(t.fixed_width);
    case WireKind::kString:
      return 0;
  }
  return 0;
}

Result<size_t> RowBinaryDecoder::DecodeNativeColumn(size_t col, size_t rows, const uint8_t* data,
                                                    size_t size) {
  const ClickHouseType& t = types_[col];
  Column& c = batch_.columns[col];
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const size_t w = widths_[col];
  if (w != 0 && c.mutable_data().size() < (rows_ + rows) * w) {
    c.mutable_data().resize((rows_ + rows) * w);
  }
  auto truncated = [&] {
    return MakeError(ErrorKind::kCorrupt, "Native column '{}' ({}) ends early",
                     batch_.schema->fields[col].name, t.text);
  };
  const uint8_t* nulls = nullptr;
  if (t.nullable) {
    if (size < rows) return truncated();
    nulls = p;
    p += rows;
  }
  const size_t vw = NativeValueWidth(t);
  if (nulls == nullptr && fast_[col] != FastKind::kNone) {
    // Whole-column conversions of the common kinds.
    uint8_t* base = w == 0 ? nullptr : c.mutable_data().data() + rows_ * w;
    if (fast_[col] != FastKind::kString && static_cast<size_t>(end - p) < rows * vw) {
      return truncated();
    }
    switch (fast_[col]) {
      case FastKind::kCopy8:
      case FastKind::kCopy4:
        std::memcpy(base, p, rows * vw);
        return rows * vw;
      case FastKind::kUInt64ToLong:
        for (size_t r = 0; r < rows; ++r) {
          if (p[r * 8 + 7] & 0x80) {
            return MakeError(ErrorKind::kUnsupported,
                             "column '{}' (UInt64) value {} exceeds the long range; map UInt64 "
                             "to decimal(20, 0) to read it",
                             batch_.schema->fields[col].name, Load<uint64_t>(p + r * 8));
          }
        }
        std::memcpy(base, p, rows * 8);
        return rows * 8;
      case FastKind::kUInt32ToLong:
        for (size_t r = 0; r < rows; ++r) Put<int64_t>(base + r * 8, Load<uint32_t>(p + r * 4));
        return rows * 4;
      case FastKind::kDateTime:
        for (size_t r = 0; r < rows; ++r) {
          Put<int64_t>(base + r * 8, int64_t{Load<uint32_t>(p + r * 4)} * 1000000);
        }
        return rows * 4;
      case FastKind::kString: {
        auto& d = c.mutable_data();
        auto& off = c.mutable_offsets();
        for (size_t r = 0; r < rows; ++r) {
          uint64_t n = 0;
          if (!ReadVarint(p, end, n) || static_cast<uint64_t>(end - p) < n) return truncated();
          d.insert(d.end(), p, p + n);
          off.push_back(static_cast<uint32_t>(d.size()));
          p += n;
        }
        return static_cast<size_t>(p - data);
      }
      case FastKind::kNone:
        break;
    }
  }
  if (nulls == nullptr && vw > 0 && vw <= 2 && w == 4 && t.wire != WireKind::kEnum8 &&
      t.wire != WireKind::kEnum16) {
    // Small integers and Date widen to int32 a column at a time.
    if (static_cast<size_t>(end - p) < rows * vw) return truncated();
    uint8_t* base = c.mutable_data().data() + rows_ * 4;
    for (size_t r = 0; r < rows; ++r) {
      int32_t v = 0;
      switch (t.wire) {
        case WireKind::kInt8:
          v = Load<int8_t>(p + r);
          break;
        case WireKind::kInt16:
          v = Load<int16_t>(p + r * 2);
          break;
        case WireKind::kUInt16:
        case WireKind::kDate:
          v = Load<uint16_t>(p + r * 2);
          break;
        default:
          v = p[r];
          break;
      }
      Put<int32_t>(base + r * 4, v);
    }
    return rows * vw;
  }
  for (size_t r = 0; r < rows; ++r) {
    if (nulls != nullptr) {
      if (nulls[r] != 0) {
        // A null's slot holds the nested type's default: skipped, not decoded
        // (0 need not be a valid enum value).
        if (vw == 0) {
          uint64_t n = 0;
          if (!ReadVarint(p, end, n) || static_cast<uint64_t>(end - p) < n) return truncated();
          p += n;
        } else {
          if (static_cast<size_t>(end - p) < vw) return truncated();
          p += vw;
        }
        c.mutable_validity().push_back(0);
        if (w == 0) {
          c.mutable_offsets().push_back(static_cast<uint32_t>(c.mutable_data().size()));
        } else {
          std::memset(c.mutable_data().data() + (rows_ + r) * w, 0, w);
        }
        continue;
      }
      c.mutable_validity().push_back(1);
    }
    Step step = DecodeValue(col, p, end, rows_ + r, /*null_flag=*/false);
    if (step == Step::kNeedMore) return truncated();
    if (step == Step::kError) return std::unexpected(error_);
  }
  return static_cast<size_t>(p - data);
}

void RowBinaryDecoder::TakeBatch(ColumnBatch& out) {
  bool same = out.columns.size() == batch_.columns.size();
  for (size_t i = 0; same && i < out.columns.size(); ++i) {
    same = out.columns[i].type() == batch_.columns[i].type();
  }
  if (!same) {
    out = batch_;
    return;
  }
  std::swap(out.columns, batch_.columns);
  out.schema = batch_.schema;  // the caller may have relabelled the batch it gives back
}

void RowBinaryDecoder::AddNativeRows(size_t rows) {
  rows_ += rows;
  if (rows_ >= batch_rows_) full_ = true;
  for (const auto& c : batch_.columns) {
    if (c.type().IsVariableWidth() && c.data().size() > kMaxStringBytesPerBatch) full_ = true;
  }
}

void RowBinaryDecoder::DropNativeRows() {
  Truncate(rows_);
}

Status EncodeRowBinary(const ColumnBatch& batch, const std::vector<ClickHouseType>& types,
                       size_t begin, size_t end, std::string& out) {
  if (types.size() != batch.columns.size()) {
    return MakeError(ErrorKind::kInternal, "{} target types for {} columns", types.size(),
                     batch.columns.size());
  }
  for (size_t i = 0; i < types.size(); ++i) {
    if (batch.columns[i].type() != types[i].type) {
      return MakeError(ErrorKind::kInvalidInput,
                       "column '{}' has type {} but the table's {} needs {}",
                       batch.schema->fields[i].name, batch.columns[i].type().ToString(),
                       types[i].text, types[i].type.ToString());
    }
  }
  auto bad = [&](size_t col, size_t row, std::string_view why) {
    return MakeError(ErrorKind::kInvalidInput, "column '{}' ({}) row {}: {}",
                     batch.schema->fields[col].name, types[col].text, row, why);
  };
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  for (size_t row = begin; row < end; ++row) {
    for (size_t i = 0; i < types.size(); ++i) {
      const Column& c = batch.columns[i];
      const ClickHouseType& t = types[i];
      bool valid = c.IsValid(row);
      if (t.nullable) {
        out.push_back(valid ? 0 : 1);
        if (!valid) continue;
      } else if (!valid) {
        return bad(i, row, "null in a non-Nullable column");
      }
      switch (t.wire) {
        case WireKind::kInt8: {
          auto v = static_cast<int8_t>(c.Value<int32_t>(row));
          put(&v, 1);
          break;
        }
        case WireKind::kUInt8: {
          auto v = static_cast<uint8_t>(c.Value<int32_t>(row));
          put(&v, 1);
          break;
        }
        case WireKind::kBool: {
          uint8_t v = c.Value<uint8_t>(row) != 0;
          put(&v, 1);
          break;
        }
        case WireKind::kInt16: {
          auto v = static_cast<int16_t>(c.Value<int32_t>(row));
          put(&v, 2);
          break;
        }
        case WireKind::kUInt16: {
          auto v = static_cast<uint16_t>(c.Value<int32_t>(row));
          put(&v, 2);
          break;
        }
        case WireKind::kDate: {
          int32_t days = c.Value<int32_t>(row);
          if (days < 0 || days > 65535) return bad(i, row, "date outside Date's range");
          auto v = static_cast<uint16_t>(days);
          put(&v, 2);
          break;
        }
        case WireKind::kInt32:
        case WireKind::kDate32: {
          int32_t v = c.Value<int32_t>(row);
          put(&v, 4);
          break;
        }
        case WireKind::kUInt32: {
          auto v = static_cast<uint32_t>(c.Value<int64_t>(row));
          put(&v, 4);
          break;
        }
        case WireKind::kDecimal32: {
          auto v = static_cast<int32_t>(c.Value<int64_t>(row));
          put(&v, 4);
          break;
        }
        case WireKind::kDateTime: {
          int64_t s = FloorDiv(c.Value<int64_t>(row), 1000000);
          if (s < 0 || s > 0xffffffffLL) return bad(i, row, "timestamp outside DateTime's range");
          auto v = static_cast<uint32_t>(s);
          put(&v, 4);
          break;
        }
        case WireKind::kFloat32: {
          float v = c.Value<float>(row);
          put(&v, 4);
          break;
        }
        case WireKind::kFloat64: {
          double v = c.Value<double>(row);
          put(&v, 8);
          break;
        }
        case WireKind::kInt64:
        case WireKind::kDecimal64: {
          int64_t v = c.Value<int64_t>(row);
          put(&v, 8);
          break;
        }
        case WireKind::kUInt64: {
          uint64_t v = c.type().id == TypeId::kDecimal
                           ? static_cast<uint64_t>(c.Value<int128_t>(row))
                           : static_cast<uint64_t>(c.Value<int64_t>(row));
          put(&v, 8);
          break;
        }
        case WireKind::kDateTime64: {
          int64_t x = c.Value<int64_t>(row);
          int64_t v;
          if (c.type().id == TypeId::kTimestampNs) {
            v = FloorDiv(x, kPow10[9 - t.scale]);
          } else if (t.scale >= 6) {
            v = x * kPow10[t.scale - 6];
          } else {
            v = FloorDiv(x, kPow10[6 - t.scale]);
          }
          put(&v, 8);
          break;
        }
        case WireKind::kDecimal128: {
          int128_t v = c.Value<int128_t>(row);
          put(&v, 16);
          break;
        }
        case WireKind::kUuid: {
          std::string_view b = c.Bytes(row);
          uint8_t w[16];
          for (int k = 0; k < 8; ++k) w[k] = static_cast<uint8_t>(b[7 - k]);
          for (int k = 0; k < 8; ++k) w[8 + k] = static_cast<uint8_t>(b[15 - k]);
          put(w, 16);
          break;
        }
        case WireKind::kFixedString: {
          std::string_view b = c.Bytes(row);
          put(b.data(), b.size());
          break;
        }
        case WireKind::kString: {
          std::string_view b = c.Bytes(row);
          WriteVarint(out, b.size());
          put(b.data(), b.size());
          break;
        }
        case WireKind::kEnum8:
        case WireKind::kEnum16: {
          std::string_view name = c.Bytes(row);
          auto it = std::find_if(t.enum_values.begin(), t.enum_values.end(),
                                 [&](const auto& e) { return e.second == name; });
          if (it == t.enum_values.end())
            return bad(i, row, fmt::format("unknown enum name '{}'", name));
          if (t.wire == WireKind::kEnum8) {
            auto v = static_cast<int8_t>(it->first);
            put(&v, 1);
          } else {
            auto v = static_cast<int16_t>(it->first);
            put(&v, 2);
          }
          break;
        }
        case WireKind::kIPv4: {
          std::string text(c.Bytes(row));
          in_addr a;
          if (inet_pton(AF_INET, text.c_str(), &a) != 1) return bad(i, row, "not an IPv4 address");
          uint32_t v = ntohl(a.s_addr);
          put(&v, 4);
          break;
        }
        case WireKind::kIPv6: {
          std::string text(c.Bytes(row));
          in6_addr a;
          if (inet_pton(AF_INET6, text.c_str(), &a) != 1) return bad(i, row, "not an IPv6 address");
          put(&a, 16);
          break;
        }
      }
    }
  }
  return OkStatus();
}

RowBinaryReader::RowBinaryReader(ByteSource source, std::vector<ClickHouseType> types,
                                 std::shared_ptr<const Schema> schema, size_t batch_rows)
    : source_(std::move(source)),
      schema_(schema),
      decoder_(std::move(types), std::move(schema), batch_rows) {}

Result<bool> RowBinaryReader::Fill() {
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  auto more = source_(buffer_);
  peak_buffer_ = std::max(peak_buffer_, buffer_.capacity());
  return more;
}

Result<std::unique_ptr<RowBinaryReader>> RowBinaryReader::Open(
    ByteSource source, const std::vector<std::pair<std::string, std::string>>& columns,
    size_t batch_rows, const TypeMappingOptions& options) {
  K2_ASSIGN_OR_RETURN(auto types, MapClickHouseColumns(columns, options));
  auto schema = std::make_shared<const Schema>(SchemaOf(columns, types));
  return std::unique_ptr<RowBinaryReader>(
      new RowBinaryReader(std::move(source), std::move(types), std::move(schema), batch_rows));
}

Result<size_t> ParseRowBinaryHeader(std::string_view data,
                                    std::vector<std::pair<std::string, std::string>>* columns) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const auto* end = p + data.size();
  const auto* q = p;
  uint64_t n = 0;
  if (!ReadVarint(q, end, n)) return 0;
  if (n == 0 || n > 100000) {
    if (auto e = FindClickHouseException(data)) return std::unexpected(*e);
    return MakeError(ErrorKind::kCorrupt, "RowBinaryWithNamesAndTypes header claims {} columns", n);
  }
  std::vector<std::string> strings;
  for (uint64_t i = 0; i < 2 * n; ++i) {
    uint64_t len = 0;
    if (!ReadVarint(q, end, len) || static_cast<uint64_t>(end - q) < len) return 0;
    strings.emplace_back(reinterpret_cast<const char*>(q), len);
    q += len;
  }
  if (columns) {
    columns->clear();
    for (uint64_t i = 0; i < n; ++i) columns->emplace_back(strings[i], strings[n + i]);
  }
  return static_cast<size_t>(q - p);
}

Result<std::unique_ptr<RowBinaryReader>> RowBinaryReader::OpenWithHeader(
    ByteSource source, size_t batch_rows, const TypeMappingOptions& options) {
  std::string buffer;
  std::vector<std::pair<std::string, std::string>> columns;
  size_t header_len = 0;
  while (true) {
    K2_ASSIGN_OR_RETURN(header_len, ParseRowBinaryHeader(buffer, &columns));
    if (header_len > 0) break;
    K2_ASSIGN_OR_RETURN(bool more, source(buffer));
    if (!more) {
      if (auto e = FindClickHouseException(buffer)) return std::unexpected(*e);
      return MakeError(ErrorKind::kCorrupt,
                       "stream ended inside the RowBinaryWithNamesAndTypes header after {} bytes",
                       buffer.size());
    }
  }
  K2_ASSIGN_OR_RETURN(auto reader, Open(std::move(source), columns, batch_rows, options));
  reader->buffer_ = std::move(buffer);
  reader->pos_ = header_len;
  reader->consumed_ = header_len;
  return reader;
}

Result<const ColumnBatch*> RowBinaryReader::Next() {
  if (error_) return std::unexpected(*error_);
  if (done_) return nullptr;
  decoder_.Clear();
  while (true) {
    auto consumed = decoder_.Decode(reinterpret_cast<const uint8_t*>(buffer_.data()) + pos_,
                                    buffer_.size() - pos_, consumed_);
    if (!consumed) {
      // An exception appended to the stream decodes as garbage: prefer its text.
      std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
      auto ch = FindClickHouseException(rest);
      error_ = ch ? *ch : consumed.error();
      source_ = nullptr;
      return std::unexpected(*error_);
    }
    pos_ += *consumed;
    consumed_ += *consumed;
    if (decoder_.full()) break;
    auto more = Fill();
    if (!more) {
      error_ = more.error();
      source_ = nullptr;
      return std::unexpected(*error_);
    }
    if (!*more) {
      done_ = true;
      source_ = nullptr;  // releases the connection/transfer now, not when the reader dies
      if (pos_ < buffer_.size()) {
        std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
        if (auto e = FindClickHouseException(rest)) {
          error_ = *e;
        } else {
          error_ =
              Error{ErrorKind::kCorrupt,
                    fmt::format("RowBinary stream ends inside a row at byte {} ({} bytes left)",
                                consumed_, rest.size())};
        }
        return std::unexpected(*error_);
      }
      break;
    }
  }
  if (decoder_.rows() == 0) return nullptr;
  const ColumnBatch& batch = decoder_.Finish();
  rows_read_ += batch.num_rows();
  peak_batch_ = std::max(peak_batch_, batch.MemoryUsage());
  return &batch;
}

}  // namespace k2::warm
