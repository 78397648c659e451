#include "columnar/value.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "columnar/value_json.h"

namespace k2 {

namespace {

template <typename T>
std::string LittleEndianBytes(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

template <typename T>
T FromLittleEndian(std::string_view bytes) {
  T v;
  std::memcpy(&v, bytes.data(), sizeof(T));
  return v;
}

/// Total order for floating point: -inf < ... < +inf < NaN.
template <typename F>
std::strong_ordering CompareFloat(F a, F b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb)
    return na == nb ? std::strong_ordering::equal
                    : (na ? std::strong_ordering::greater : std::strong_ordering::less);
  if (a < b) return std::strong_ordering::less;
  if (a > b) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

std::string Int128ToString(int128_t v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u =
      neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  return {s.rbegin(), s.rend()};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<int128_t> ParseDecimalText(std::string_view text, int scale) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int128_t v = 0;
  int frac = -1;
  bool any = false;
  for (char c : s) {
    if (c == '.') {
      if (frac >= 0) return MakeError(ErrorKind::kInvalidInput, "bad decimal '{}'", text);
      frac = 0;
      continue;
    }
    if (c < '0' || c > '9') return MakeError(ErrorKind::kInvalidInput, "bad decimal '{}'", text);
    any = true;
    if (frac >= 0) {
      if (frac == scale) {
        return MakeError(ErrorKind::kInvalidInput, "decimal '{}' has more than {} fraction digits",
                         text, scale);
      }
      ++frac;
    }
    v = v * 10 + (c - '0');
  }
  if (!any) return MakeError(ErrorKind::kInvalidInput, "bad decimal '{}'", text);
  for (int i = frac < 0 ? 0 : frac; i < scale; ++i) v *= 10;
  return neg ? -v : v;
}

}  // namespace

int32_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void CivilFromDays(int32_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::string FormatDate(int32_t days) {
  int y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
}

std::string FormatTimestampMicros(int64_t micros) {
  int64_t days =
      micros >= 0 ? micros / 86400000000LL : -((-micros + 86400000000LL - 1) / 86400000000LL);
  int64_t rem = micros - days * 86400000000LL;
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  return fmt::format("{}T{:02d}:{:02d}:{:02d}.{:06d}", FormatDate(static_cast<int32_t>(days)),
                     secs / 3600, (secs / 60) % 60, secs % 60, frac);
}

std::string FormatDecimal(int128_t unscaled, int scale) {
  bool neg = unscaled < 0;
  std::string digits = Int128ToString(neg ? -unscaled : unscaled);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) {
      digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return neg ? "-" + digits : digits;
}

Result<int64_t> ParseTimestampMicros(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorKind::kInvalidInput,
                     "bad timestamp '{}' (want YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z])", text);
  };
  std::string_view s = text;
  if (s.ends_with("Z") || s.ends_with("z")) s.remove_suffix(1);
  if (s.ends_with("+00:00")) s.remove_suffix(6);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return bad();
  int y = 0, mo = 0, d = 0;
  if (!ParseNumber(s.substr(0, 4), y) || !ParseNumber(s.substr(5, 2), mo) ||
      !ParseNumber(s.substr(8, 2), d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return bad();
  }
  int64_t micros =
      static_cast<int64_t>(DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) *
      86400000000LL;
  s.remove_prefix(10);
  if (s.empty()) return micros;
  if (s[0] != 'T' && s[0] != ' ') return bad();
  s.remove_prefix(1);
  int h = 0, mi = 0, sec = 0;
  if (s.size() < 5 || s[2] != ':' || !ParseNumber(s.substr(0, 2), h) ||
      !ParseNumber(s.substr(3, 2), mi) || h > 23 || mi > 59) {
    return bad();
  }
  s.remove_prefix(5);
  int64_t frac_us = 0;
  if (!s.empty()) {
    if (s[0] != ':' || s.size() < 3 || !ParseNumber(s.substr(1, 2), sec) || sec > 60) return bad();
    s.remove_prefix(3);
    if (!s.empty()) {
      if (s[0] != '.' || s.size() < 2 || s.size() > 10) return bad();
      std::string_view f = s.substr(1);
      int64_t scale = 100000;
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] < '0' || f[i] > '9') return bad();
        if (i < 6) {
          frac_us += (f[i] - '0') * scale;
          scale /= 10;
        }
      }
    }
  }
  return micros + (static_cast<int64_t>(h) * 3600 + mi * 60 + sec) * 1000000LL + frac_us;
}

Value Value::FromColumn(const Column& c, size_t row) {
  Value v{c.type(), std::monostate{}};
  if (!c.IsValid(row)) return v;
  switch (c.type().id) {
    case TypeId::kBoolean:
      v.data = c.Value<uint8_t>(row) != 0;
      break;
    case TypeId::kInt32:
    case TypeId::kDate:
      v.data = c.Value<int32_t>(row);
      break;
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      v.data = c.Value<int64_t>(row);
      break;
    case TypeId::kFloat:
      v.data = c.Value<float>(row);
      break;
    case TypeId::kDouble:
      v.data = c.Value<double>(row);
      break;
    case TypeId::kDecimal:
      v.data = c.DecimalValue(row);
      break;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
      v.data = std::string(c.Bytes(row));
      break;
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      v.data =
          ColumnValueToJson(c, row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
  }
  return v;
}

Result<Value> Value::Parse(const DataType& type, std::string_view text) {
  Value v{type, std::monostate{}};
  auto bad = [&] {
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not a valid {}", text, type.ToString());
  };
  switch (type.id) {
    case TypeId::kBoolean:
      if (text == "true") {
        v.data = true;
      } else if (text == "false") {
        v.data = false;
      } else {
        return bad();
      }
      break;
    case TypeId::kInt32: {
      int32_t x;
      if (!ParseNumber(text, x)) return bad();
      v.data = x;
      break;
    }
    case TypeId::kInt64:
    case TypeId::kTime: {
      int64_t x;
      if (!ParseNumber(text, x)) return bad();
      v.data = x;
      break;
    }
    case TypeId::kFloat: {
      float x;
      if (!ParseNumber(text, x)) return bad();
      v.data = x;
      break;
    }
    case TypeId::kDouble: {
      double x;
      if (!ParseNumber(text, x)) return bad();
      v.data = x;
      break;
    }
    case TypeId::kDecimal: {
      K2_ASSIGN_OR_RETURN(int128_t x, ParseDecimalText(text, type.scale));
      v.data = x;
      break;
    }
    case TypeId::kDate: {
      if (text.size() != 10) return bad();
      K2_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros(text));
      v.data = static_cast<int32_t>(us / 86400000000LL);
      break;
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      int64_t x;
      if (ParseNumber(text, x)) {
        v.data = x;
        break;
      }
      K2_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros(text));
      v.data = us;
      break;
    }
    case TypeId::kTimestampNs: {
      K2_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros(text));
      v.data = us * 1000;
      break;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      v.data = std::string(text);
      break;
    case TypeId::kFixed:
      if (text.size() != static_cast<size_t>(type.width)) return bad();
      v.data = std::string(text);
      break;
    case TypeId::kUuid: {
      std::string bytes;
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '-') continue;
        if (i + 1 >= text.size()) return bad();
        int hi = HexDigit(text[i]), lo = HexDigit(text[i + 1]);
        if (hi < 0 || lo < 0) return bad();
        bytes.push_back(static_cast<char>(hi * 16 + lo));
        ++i;
      }
      if (bytes.size() != 16) return bad();
      v.data = bytes;
      break;
    }
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return MakeError(ErrorKind::kInvalidInput, "'{}': {} values have no literal form", text,
                       type.ToString());
  }
  return v;
}

std::string Value::ToString() const {
  if (is_null()) return "null";
  switch (type.id) {
    case TypeId::kBoolean:
      return std::get<bool>(data) ? "true" : "false";
    case TypeId::kInt32:
      return std::to_string(std::get<int32_t>(data));
    case TypeId::kDate:
      return FormatDate(std::get<int32_t>(data));
    case TypeId::kInt64:
    case TypeId::kTime:
      return std::to_string(std::get<int64_t>(data));
    case TypeId::kTimestamp:
      return FormatTimestampMicros(std::get<int64_t>(data));
    case TypeId::kTimestampTz:
      return FormatTimestampMicros(std::get<int64_t>(data)) + "Z";
    case TypeId::kTimestampNs: {
      int64_t ns = std::get<int64_t>(data);
      int64_t us = ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
      return fmt::format("{}{:03d}Z", FormatTimestampMicros(us), ns - us * 1000);
    }
    case TypeId::kFloat:
      return fmt::format("{}", std::get<float>(data));
    case TypeId::kDouble:
      return fmt::format("{}", std::get<double>(data));
    case TypeId::kDecimal:
      return FormatDecimal(std::get<int128_t>(data), type.scale);
    case TypeId::kString:
      return std::get<std::string>(data);
    case TypeId::kUuid: {
      const std::string& b = std::get<std::string>(data);
      std::string out;
      for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out += fmt::format("{:02x}", static_cast<uint8_t>(b[i]));
      }
      return out;
    }
    case TypeId::kBinary:
    case TypeId::kFixed: {
      std::string out;
      for (char c : std::get<std::string>(data))
        out += fmt::format("{:02x}", static_cast<uint8_t>(c));
      return out;
    }
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return std::get<std::string>(data);
  }
  return "?";
}

std::strong_ordering CompareValues(const Value& a, const Value& b) {
  switch (a.type.id) {
    case TypeId::kBoolean:
      return std::get<bool>(a.data) <=> std::get<bool>(b.data);
    case TypeId::kInt32:
    case TypeId::kDate:
      return std::get<int32_t>(a.data) <=> std::get<int32_t>(b.data);
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return std::get<int64_t>(a.data) <=> std::get<int64_t>(b.data);
    case TypeId::kFloat:
      return CompareFloat(std::get<float>(a.data), std::get<float>(b.data));
    case TypeId::kDouble:
      return CompareFloat(std::get<double>(a.data), std::get<double>(b.data));
    case TypeId::kDecimal: {
      int128_t x = std::get<int128_t>(a.data), y = std::get<int128_t>(b.data);
      return x < y ? std::strong_ordering::less
                   : (x > y ? std::strong_ordering::greater : std::strong_ordering::equal);
    }
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap: {
      // std::string compares as unsigned char (char_traits<char>::compare uses memcmp).
      int c = std::get<std::string>(a.data).compare(std::get<std::string>(b.data));
      return c < 0 ? std::strong_ordering::less
                   : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
    }
  }
  return std::strong_ordering::equal;
}

std::string EncodeSingleValue(const Value& v) {
  switch (v.type.id) {
    case TypeId::kBoolean:
      return std::string(1, std::get<bool>(v.data) ? '\x01' : '\x00');
    case TypeId::kInt32:
    case TypeId::kDate:
      return LittleEndianBytes(std::get<int32_t>(v.data));
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return LittleEndianBytes(std::get<int64_t>(v.data));
    case TypeId::kFloat:
      return LittleEndianBytes(std::get<float>(v.data));
    case TypeId::kDouble:
      return LittleEndianBytes(std::get<double>(v.data));
    case TypeId::kDecimal: {
      // Minimal two's-complement big-endian bytes.
      int128_t x = std::get<int128_t>(v.data);
      std::string be(16, '\0');
      for (int i = 0; i < 16; ++i) {
        be[15 - i] = static_cast<char>(static_cast<uint8_t>(x >> (8 * i)));
      }
      size_t start = 0;
      while (start < 15) {
        uint8_t cur = static_cast<uint8_t>(be[start]);
        uint8_t next = static_cast<uint8_t>(be[start + 1]);
        if ((cur == 0x00 && !(next & 0x80)) || (cur == 0xff && (next & 0x80))) {
          ++start;
        } else {
          break;
        }
      }
      return be.substr(start);
    }
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return std::get<std::string>(v.data);
  }
  return {};
}

Result<Value> DecodeSingleValue(const DataType& type, std::string_view bytes) {
  Value v{type, std::monostate{}};
  auto need = [&](size_t n) -> Status {
    if (bytes.size() != n) {
      return MakeError(ErrorKind::kCorrupt, "{} bound has {} bytes, expected {}", type.ToString(),
                       bytes.size(), n);
    }
    return {};
  };
  switch (type.id) {
    case TypeId::kBoolean:
      K2_RETURN_IF_ERROR(need(1));
      v.data = bytes[0] != 0;
      break;
    case TypeId::kInt32:
    case TypeId::kDate:
      K2_RETURN_IF_ERROR(need(4));
      v.data = FromLittleEndian<int32_t>(bytes);
      break;
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      // Iceberg allows an int bound for a column promoted to long.
      if (bytes.size() == 4) {
        v.data = static_cast<int64_t>(FromLittleEndian<int32_t>(bytes));
        break;
      }
      K2_RETURN_IF_ERROR(need(8));
      v.data = FromLittleEndian<int64_t>(bytes);
      break;
    case TypeId::kFloat:
      K2_RETURN_IF_ERROR(need(4));
      v.data = FromLittleEndian<float>(bytes);
      break;
    case TypeId::kDouble:
      if (bytes.size() == 4) {
        v.data = static_cast<double>(FromLittleEndian<float>(bytes));
        break;
      }
      K2_RETURN_IF_ERROR(need(8));
      v.data = FromLittleEndian<double>(bytes);
      break;
    case TypeId::kDecimal: {
      if (bytes.empty() || bytes.size() > 16) {
        return MakeError(ErrorKind::kCorrupt, "decimal bound has {} bytes", bytes.size());
      }
      int128_t x = (static_cast<uint8_t>(bytes[0]) & 0x80) ? -1 : 0;
      for (char c : bytes)
        x = static_cast<int128_t>((static_cast<unsigned __int128>(x) << 8) |
                                  static_cast<uint8_t>(c));
      v.data = x;
      break;
    }
    case TypeId::kUuid:
      K2_RETURN_IF_ERROR(need(16));
      v.data = std::string(bytes);
      break;
    case TypeId::kFixed:
    case TypeId::kString:
    case TypeId::kBinary:
      v.data = std::string(bytes);
      break;
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return MakeError(ErrorKind::kUnsupported, "{} columns have no single-value bounds",
                       type.ToString());
  }
  return v;
}

}  // namespace k2
