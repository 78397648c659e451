#include "warm/type_mapping.h"

#include <cctype>
#include <charconv>

namespace k2::warm {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "Name(args)" into name and the text between the outer parentheses.
bool SplitCall(std::string_view text, std::string_view& name, std::string_view& args) {
  size_t open = text.find('(');
  if (open == std::string_view::npos) {
    name = text;
    args = {};
    return false;
  }
  name = Trim(text.substr(0, open));
  if (text.back() != ')') return false;
  args = text.substr(open + 1, text.size() - open - 2);
  return true;
}

// Splits top-level comma-separated arguments (respecting quotes and parentheses).
std::vector<std::string_view> SplitArgs(std::string_view args) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '\'') {
        quoted = false;
      }
    } else if (c == '\'') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(Trim(args.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (!Trim(args).empty()) out.push_back(Trim(args.substr(start)));
  return out;
}

bool ParseInt(std::string_view s, int& out) {
  s = Trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Parses 'name' = value (ClickHouse escapes quotes with backslash).
bool ParseEnumEntry(std::string_view s, int& value, std::string& name) {
  s = Trim(s);
  if (s.empty() || s.front() != '\'') return false;
  size_t i = 1;
  name.clear();
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      name.push_back(s[++i]);
    } else if (c == '\'') {
      break;
    } else {
      name.push_back(c);
    }
  }
  if (i >= s.size()) return false;
  std::string_view rest = Trim(s.substr(i + 1));
  if (rest.empty() || rest.front() != '=') return false;
  return ParseInt(rest.substr(1), value);
}

Result<ClickHouseType> Unsupported(std::string_view text, std::string_view why) {
  return MakeError(ErrorKind::kUnsupported, "ClickHouse type {} is not supported: {}", text, why);
}

Result<ClickHouseType> Malformed(std::string_view text) {
  return MakeError(ErrorKind::kInvalidInput, "malformed ClickHouse type '{}'", text);
}

ClickHouseType Simple(WireKind wire, DataType type) {
  ClickHouseType t;
  t.wire = wire;
  t.type = type;
  return t;
}

Result<ClickHouseType> MapInner(std::string_view text, const TypeMappingOptions& options) {
  std::string_view name, args;
  bool has_args = SplitCall(text, name, args);
  if (!has_args && text.find('(') != std::string_view::npos) return Malformed(text);
  if (name == "Nullable" || name == "LowCardinality") {
    if (!has_args) return Malformed(text);
    K2_ASSIGN_OR_RETURN(auto inner, MapInner(Trim(args), options));
    if (name == "Nullable") {
      if (inner.nullable) return Malformed(text);
      inner.nullable = true;
    }
    return inner;
  }
  if (name == "Int8") return Simple(WireKind::kInt8, DataType::Int32());
  if (name == "Int16") return Simple(WireKind::kInt16, DataType::Int32());
  if (name == "Int32") return Simple(WireKind::kInt32, DataType::Int32());
  if (name == "Int64") return Simple(WireKind::kInt64, DataType::Int64());
  if (name == "UInt8") return Simple(WireKind::kUInt8, DataType::Int32());
  if (name == "UInt16") return Simple(WireKind::kUInt16, DataType::Int32());
  if (name == "UInt32") return Simple(WireKind::kUInt32, DataType::Int64());
  if (name == "UInt64") {
    return Simple(WireKind::kUInt64,
                  options.uint64_as_decimal ? DataType::Decimal(20, 0) : DataType::Int64());
  }
  if (name == "Float32") return Simple(WireKind::kFloat32, DataType::Float());
  if (name == "Float64") return Simple(WireKind::kFloat64, DataType::Double());
  if (name == "Bool") return Simple(WireKind::kBool, DataType::Boolean());
  if (name == "String") return Simple(WireKind::kString, DataType::String());
  if (name == "UUID") return Simple(WireKind::kUuid, DataType::Uuid());
  if (name == "Date") return Simple(WireKind::kDate, DataType::Date());
  if (name == "Date32") return Simple(WireKind::kDate32, DataType::Date());
  if (name == "IPv4") return Simple(WireKind::kIPv4, DataType::String());
  if (name == "IPv6") return Simple(WireKind::kIPv6, DataType::String());
  if (name == "DateTime") {
    // DateTime or DateTime('tz'): values are UTC seconds whatever the zone.
    return Simple(WireKind::kDateTime, DataType::TimestampTz());
  }
  if (name == "DateTime64") {
    auto parts = SplitArgs(args);
    int precision = 0;
    if (parts.empty() || parts.size() > 2 || !ParseInt(parts[0], precision) || precision < 0 ||
        precision > 9) {
      return Malformed(text);
    }
    ClickHouseType t = Simple(WireKind::kDateTime64, DataType::TimestampTz());
    t.scale = precision;
    if (precision > 6 && options.datetime64_nanos) t.type = DataType::TimestampNs();
    return t;
  }
  if (name == "FixedString") {
    int n = 0;
    if (!ParseInt(args, n) || n <= 0) return Malformed(text);
    ClickHouseType t = Simple(WireKind::kFixedString, DataType::Fixed(n));
    t.fixed_width = n;
    return t;
  }
  if (name == "Decimal" || name == "Decimal32" || name == "Decimal64" || name == "Decimal128" ||
      name == "Decimal256") {
    int precision = 0, scale = 0;
    auto parts = SplitArgs(args);
    if (name == "Decimal") {
      if (parts.empty() || parts.size() > 2 || !ParseInt(parts[0], precision)) {
        return Malformed(text);
      }
      if (parts.size() == 2 && !ParseInt(parts[1], scale)) return Malformed(text);
    } else {
      if (parts.size() != 1 || !ParseInt(parts[0], scale)) return Malformed(text);
      precision = name == "Decimal32"    ? 9
                  : name == "Decimal64"  ? 18
                  : name == "Decimal128" ? 38
                                         : 76;
    }
    if (precision < 1 || scale < 0 || scale > precision) return Malformed(text);
    if (precision > 38) return Unsupported(text, "decimal precision over 38");
    ClickHouseType t = Simple(precision <= 9    ? WireKind::kDecimal32
                              : precision <= 18 ? WireKind::kDecimal64
                                                : WireKind::kDecimal128,
                              DataType::Decimal(precision, scale));
    t.scale = scale;
    return t;
  }
  if (name == "Enum8" || name == "Enum16" || name == "Enum") {
    ClickHouseType t =
        Simple(name == "Enum16" ? WireKind::kEnum16 : WireKind::kEnum8, DataType::String());
    for (auto part : SplitArgs(args)) {
      int value = 0;
      std::string entry;
      if (!ParseEnumEntry(part, value, entry)) return Malformed(text);
      t.enum_values.emplace_back(value, std::move(entry));
    }
    if (t.enum_values.empty()) return Malformed(text);
    if (name == "Enum") {
      // Plain Enum picks Enum8 when every value fits.
      for (const auto& [v, n] : t.enum_values) {
        if (v < -128 || v > 127) t.wire = WireKind::kEnum16;
      }
    }
    return t;
  }
  if (name == "Array" || name == "Map" || name == "Tuple" || name == "Nested") {
    return Unsupported(text, "nested types need nested Parquet columns, not written by k2 yet");
  }
  return Unsupported(text, "no k2 mapping for this type");
}

}  // namespace

Result<ClickHouseType> MapClickHouseType(std::string_view text, const TypeMappingOptions& options) {
  text = Trim(text);
  if (text.empty()) return Malformed(text);
  K2_ASSIGN_OR_RETURN(auto t, MapInner(text, options));
  t.text = std::string(text);
  return t;
}

Result<std::vector<ClickHouseType>> MapClickHouseColumns(
    const std::vector<std::pair<std::string, std::string>>& columns,
    const TypeMappingOptions& options) {
  std::vector<ClickHouseType> out;
  out.reserve(columns.size());
  for (const auto& [name, type] : columns) {
    auto t = MapClickHouseType(type, options);
    if (!t) return std::unexpected(t.error().WithContext(fmt::format("column '{}'", name)));
    out.push_back(std::move(*t));
  }
  return out;
}

Schema SchemaOf(const std::vector<std::pair<std::string, std::string>>& columns,
                const std::vector<ClickHouseType>& types) {
  Schema schema;
  for (size_t i = 0; i < columns.size(); ++i) {
    Field f;
    f.id = static_cast<int>(i + 1);
    f.name = columns[i].first;
    f.type = types[i].type;
    f.nullable = types[i].nullable;
    schema.fields.push_back(std::move(f));
  }
  return schema;
}

}  // namespace k2::warm
