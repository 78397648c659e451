#include "iceberg/transform.h"

#include <charconv>
#include <cstring>

namespace k2::iceberg {

namespace {

uint32_t Rotl(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

std::string LongBytes(int64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

/// Micros since epoch of a timestamp-like value (nanos are floored to micros).
int64_t MicrosOf(const Value& v) {
  int64_t x = std::get<int64_t>(v.data);
  return v.type.id == TypeId::kTimestampNs ? FloorDiv(x, 1000) : x;
}

bool IsTimestamp(TypeId id) {
  return id == TypeId::kTimestamp || id == TypeId::kTimestampTz || id == TypeId::kTimestampNs;
}

}  // namespace

int32_t Murmur3Hash32(std::string_view data) {
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  uint32_t h = 0;
  const size_t nblocks = data.size() / 4;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t i = 0; i < nblocks; ++i) {
    uint32_t k;
    std::memcpy(&k, p + i * 4, 4);
    k *= c1;
    k = Rotl(k, 15);
    k *= c2;
    h ^= k;
    h = Rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t* tail = p + nblocks * 4;
  uint32_t k = 0;
  switch (data.size() & 3) {
    case 3:
      k ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = Rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(data.size());
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return static_cast<int32_t>(h);
}

int32_t BucketHash(const Value& v) {
  switch (v.type.id) {
    case TypeId::kInt32:
    case TypeId::kDate:
      return Murmur3Hash32(LongBytes(std::get<int32_t>(v.data)));
    case TypeId::kInt64:
    case TypeId::kTime:
      return Murmur3Hash32(LongBytes(std::get<int64_t>(v.data)));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return Murmur3Hash32(LongBytes(MicrosOf(v)));
    case TypeId::kDecimal:
      return Murmur3Hash32(EncodeSingleValue(v));
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
      return Murmur3Hash32(std::get<std::string>(v.data));
    case TypeId::kBoolean:
      return Murmur3Hash32(LongBytes(std::get<bool>(v.data) ? 1 : 0));
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double d = v.type.id == TypeId::kFloat ? std::get<float>(v.data) : std::get<double>(v.data);
      if (d == 0) d = 0;  // -0.0 hashes like 0.0
      int64_t bits;
      std::memcpy(&bits, &d, 8);
      return Murmur3Hash32(LongBytes(bits));
    }
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // not a bucket source type
  }
  return 0;
}

Result<Transform> Transform::Parse(std::string_view text) {
  auto param = [&](std::string_view prefix) -> std::optional<int> {
    if (!text.starts_with(prefix) || !text.ends_with("]")) return std::nullopt;
    std::string_view num = text.substr(prefix.size(), text.size() - prefix.size() - 1);
    int n = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec != std::errc() || p != num.data() + num.size() || n <= 0) return std::nullopt;
    return n;
  };
  if (text == "identity") return Transform{TransformKind::kIdentity, 0};
  if (text == "year") return Transform{TransformKind::kYear, 0};
  if (text == "month") return Transform{TransformKind::kMonth, 0};
  if (text == "day") return Transform{TransformKind::kDay, 0};
  if (text == "hour") return Transform{TransformKind::kHour, 0};
  if (text == "void") return Transform{TransformKind::kVoid, 0};
  if (auto n = param("bucket[")) return Transform{TransformKind::kBucket, *n};
  if (auto w = param("truncate[")) return Transform{TransformKind::kTruncate, *w};
  return MakeError(ErrorKind::kInvalidInput, "unknown partition transform '{}'", text);
}

std::string Transform::ToString() const {
  switch (kind) {
    case TransformKind::kIdentity:
      return "identity";
    case TransformKind::kYear:
      return "year";
    case TransformKind::kMonth:
      return "month";
    case TransformKind::kDay:
      return "day";
    case TransformKind::kHour:
      return "hour";
    case TransformKind::kBucket:
      return fmt::format("bucket[{}]", param);
    case TransformKind::kTruncate:
      return fmt::format("truncate[{}]", param);
    case TransformKind::kVoid:
      return "void";
  }
  return "void";
}

Result<DataType> Transform::ResultType(const DataType& source) const {
  auto bad = [&]() {
    return MakeError(ErrorKind::kInvalidInput, "transform {} does not apply to {}", ToString(),
                     source.ToString());
  };
  switch (kind) {
    case TransformKind::kIdentity:
    case TransformKind::kVoid:
      return source;
    case TransformKind::kYear:
    case TransformKind::kMonth:
      if (source.id == TypeId::kDate || IsTimestamp(source.id)) return DataType::Int32();
      return bad();
    case TransformKind::kDay:
      if (source.id == TypeId::kDate || IsTimestamp(source.id)) return DataType::Date();
      return bad();
    case TransformKind::kHour:
      if (IsTimestamp(source.id)) return DataType::Int32();
      return bad();
    case TransformKind::kBucket:
      if (source.id == TypeId::kBoolean || source.id == TypeId::kFloat ||
          source.id == TypeId::kDouble) {
        return bad();
      }
      return DataType::Int32();
    case TransformKind::kTruncate:
      if (source.id == TypeId::kInt32 || source.id == TypeId::kInt64 ||
          source.id == TypeId::kDecimal || source.id == TypeId::kString ||
          source.id == TypeId::kBinary) {
        return source;
      }
      return bad();
  }
  return bad();
}

Result<Value> Transform::Apply(const Value& v) const {
  K2_ASSIGN_OR_RETURN(DataType out_type, ResultType(v.type));
  Value out{out_type, std::monostate{}};
  if (v.is_null() || kind == TransformKind::kVoid) return out;
  const TypeId id = v.type.id;
  switch (kind) {
    case TransformKind::kIdentity:
      return v;
    case TransformKind::kVoid:
      return out;
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay: {
      int32_t days = id == TypeId::kDate
                         ? std::get<int32_t>(v.data)
                         : static_cast<int32_t>(FloorDiv(MicrosOf(v), int64_t{86400} * 1000000));
      if (kind == TransformKind::kDay) {
        out.data = days;
        return out;
      }
      int y;
      unsigned m, d;
      CivilFromDays(days, y, m, d);
      out.data =
          kind == TransformKind::kYear ? y - 1970 : (y - 1970) * 12 + static_cast<int>(m) - 1;
      return out;
    }
    case TransformKind::kHour:
      out.data = static_cast<int32_t>(FloorDiv(MicrosOf(v), int64_t{3600} * 1000000));
      return out;
    case TransformKind::kBucket:
      out.data = static_cast<int32_t>((BucketHash(v) & 0x7fffffff) % param);
      return out;
    case TransformKind::kTruncate: {
      out = v;
      if (id == TypeId::kInt32) {
        int32_t x = std::get<int32_t>(v.data);
        out.data = x - (((x % param) + param) % param);
      } else if (id == TypeId::kInt64) {
        int64_t x = std::get<int64_t>(v.data);
        out.data = x - (((x % param) + param) % param);
      } else if (id == TypeId::kDecimal) {
        int128_t x = std::get<int128_t>(v.data);
        out.data = x - (((x % param) + param) % param);
      } else if (id == TypeId::kBinary) {
        const auto& s = std::get<std::string>(v.data);
        out.data = s.substr(0, static_cast<size_t>(param));
      } else {
        // Strings truncate to W code points, not bytes.
        const auto& s = std::get<std::string>(v.data);
        size_t pos = 0;
        int points = 0;
        while (pos < s.size() && points < param) {
          unsigned char c = static_cast<unsigned char>(s[pos]);
          pos += c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
          ++points;
        }
        out.data = s.substr(0, std::min(pos, s.size()));
      }
      return out;
    }
  }
  return out;
}

std::string Transform::ToHumanString(const Value& r) const {
  if (r.is_null()) return "null";
  switch (kind) {
    case TransformKind::kYear:
      return fmt::format("{:04d}", std::get<int32_t>(r.data) + 1970);
    case TransformKind::kMonth: {
      int32_t m = std::get<int32_t>(r.data);
      int32_t y = static_cast<int32_t>(FloorDiv(m, 12));
      return fmt::format("{:04d}-{:02d}", y + 1970, m - y * 12 + 1);
    }
    case TransformKind::kHour: {
      int64_t h = std::get<int32_t>(r.data);
      std::string ts = FormatTimestampMicros(h * 3600 * 1000000);
      return ts.substr(0, 10) + "-" + ts.substr(11, 2);
    }
    default:
      return r.ToString();
  }
}

}  // namespace k2::iceberg
