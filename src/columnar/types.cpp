#include "columnar/types.h"

#include <charconv>

namespace k2 {

int DataType::FixedWidth() const {
  switch (id) {
    case TypeId::kBoolean:
      return 1;
    case TypeId::kInt32:
    case TypeId::kDate:
    case TypeId::kFloat:
      return 4;
    case TypeId::kInt64:
    case TypeId::kDouble:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return 8;
    case TypeId::kDecimal:
      return precision <= 18 ? 8 : 16;
    case TypeId::kUuid:
      return 16;
    case TypeId::kFixed:
      return width;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return 0;
  }
  return 0;
}

std::string DataType::ToString() const {
  switch (id) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt32:
      return "int";
    case TypeId::kInt64:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDecimal:
      return fmt::format("decimal({}, {})", precision, scale);
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampTz:
      return "timestamptz";
    case TypeId::kTimestampNs:
      return "timestamptz_ns";
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kFixed:
      return fmt::format("fixed[{}]", width);
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ", ";
        out += children[i].name + ": " + children[i].type.ToString();
      }
      return out + ">";
    }
    case TypeId::kList:
      return children.size() == 1 ? "list<" + children[0].type.ToString() + ">" : "list<?>";
    case TypeId::kMap:
      return children.size() == 2
                 ? "map<" + children[0].type.ToString() + ", " + children[1].type.ToString() + ">"
                 : "map<?>";
  }
  return "unknown";
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool ParseInt(std::string_view s, int& out) {
  s = Trim(s);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<DataType> DataType::Parse(std::string_view text) {
  std::string_view t = Trim(text);
  struct Named {
    std::string_view name;
    TypeId id;
  };
  static constexpr Named kNamed[] = {
      {"boolean", TypeId::kBoolean},
      {"int", TypeId::kInt32},
      {"long", TypeId::kInt64},
      {"float", TypeId::kFloat},
      {"double", TypeId::kDouble},
      {"date", TypeId::kDate},
      {"time", TypeId::kTime},
      {"timestamp", TypeId::kTimestamp},
      {"timestamptz", TypeId::kTimestampTz},
      {"timestamptz_ns", TypeId::kTimestampNs},
      {"string", TypeId::kString},
      {"binary", TypeId::kBinary},
      {"uuid", TypeId::kUuid},
  };
  for (const auto& n : kNamed) {
    if (t == n.name) return DataType{n.id};
  }
  if (t.starts_with("decimal(") && t.ends_with(")")) {
    std::string_view inner = t.substr(8, t.size() - 9);
    size_t comma = inner.find(',');
    int p = 0, s = 0;
    if (comma != std::string_view::npos && ParseInt(inner.substr(0, comma), p) &&
        ParseInt(inner.substr(comma + 1), s) && p >= 1 && p <= 38 && s >= 0 && s <= p) {
      return Decimal(p, s);
    }
  }
  if (t.starts_with("fixed[") && t.ends_with("]")) {
    int w = 0;
    if (ParseInt(t.substr(6, t.size() - 7), w) && w > 0) return Fixed(w);
  }
  return MakeError(ErrorKind::kInvalidInput, "unknown type '{}'", text);
}

std::optional<size_t> Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> Schema::IndexOfId(int id) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].id == id) return i;
  }
  return std::nullopt;
}

}  // namespace k2
