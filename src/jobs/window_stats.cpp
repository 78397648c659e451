#include "jobs/window_stats.h"

#include <fmt/format.h>

#include "warm/warm_driver.h"

namespace k2::jobs {

namespace {

std::string_view Unwrap(std::string_view type, std::string_view wrapper) {
  if (type.starts_with(wrapper) && type.size() > wrapper.size() + 1 &&
      type[wrapper.size()] == '(' && type.back() == ')') {
    return type.substr(wrapper.size() + 1, type.size() - wrapper.size() - 2);
  }
  return {};
}

/// Types cityHash64 takes as they are, on every ClickHouse version k2 supports.
bool HashableAsIs(std::string_view type) {
  for (std::string_view t : {"String", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
                             "UInt32", "UInt64", "Float32", "Float64", "Date"}) {
    if (type == t) return true;
  }
  return type == "DateTime" || type.starts_with("DateTime(") || type.starts_with("FixedString(");
}

/// Types whose binary value reinterpretAsString gives (kBinary).
bool HashableAsBinary(std::string_view type) {
  return type.starts_with("Decimal") || type.starts_with("DateTime64(");
}

/// One column's value as a cityHash64 argument (`expr` is the column, or its
/// assumeNotNull for a nullable one).
std::string ValueArg(const std::string& expr, std::string_view type, ChecksumKind kind) {
  if (HashableAsIs(type)) return expr;
  if (kind == ChecksumKind::kBinary && HashableAsBinary(type)) {
    return fmt::format("reinterpretAsString({})", expr);
  }
  return fmt::format("toString({})", expr);
}

/// The cityHash64 arguments for one column.
std::string ColumnArgs(const std::string& name, const std::string& type, ChecksumKind kind) {
  const std::string q = warm::QuoteIdentifier(name);
  if (kind == ChecksumKind::kText) return fmt::format("ifNull(toString({0}), ''), isNull({0})", q);
  if (std::string_view inner = Unwrap(type, "Nullable"); !inner.empty()) {
    return fmt::format("{}, isNull({})", ValueArg(fmt::format("assumeNotNull({})", q), inner, kind),
                       q);
  }
  return ValueArg(q, type, kind);
}

}  // namespace

bool HashesValue(std::string_view type, ChecksumKind kind) {
  if (kind == ChecksumKind::kText) return false;
  if (std::string_view inner = Unwrap(type, "Nullable"); !inner.empty()) type = inner;
  return HashableAsIs(type) || (kind == ChecksumKind::kBinary && HashableAsBinary(type));
}

const char* ChecksumKindName(ChecksumKind kind) {
  switch (kind) {
    case ChecksumKind::kNative:
      return "native";
    case ChecksumKind::kBinary:
      return "binary";
    case ChecksumKind::kText:
      break;
  }
  return "text";
}

Result<ChecksumKind> ParseChecksumKind(const std::string& name) {
  if (name.empty() || name == "text") return ChecksumKind::kText;
  if (name == "native") return ChecksumKind::kNative;
  if (name == "binary") return ChecksumKind::kBinary;
  return MakeError(
      ErrorKind::kUnsupported,
      "checksum kind '{}' was recorded by a newer k2; this one knows text, native and binary",
      name);
}

std::string RowHashSql(const std::vector<WarmColumn>& columns, ChecksumKind kind) {
  std::string args;
  for (const auto& [name, type] : columns) {
    if (!args.empty()) args += ", ";
    args += ColumnArgs(name, type, kind);
  }
  if (args.empty()) args = "1";
  return fmt::format("cityHash64({})", args);
}

std::string WindowStatsSql(const std::string& window_sql, const std::vector<WarmColumn>& columns,
                           ChecksumKind kind) {
  return fmt::format("SELECT count(), sum({}) FROM ({})", RowHashSql(columns, kind), window_sql);
}

Result<WindowStats> QueryWindowStats(warm::WarmDriver& driver, const std::string& window_sql,
                                     const std::vector<WarmColumn>& columns, ChecksumKind kind) {
  K2_ASSIGN_OR_RETURN(std::string out, driver.Execute(WindowStatsSql(window_sql, columns, kind)));
  auto f = warm::TsvFirstRow(out);
  if (f.size() != 2) {
    return MakeError(ErrorKind::kRemote, "unexpected answer to the window checksum: '{}'", out);
  }
  WindowStats s;
  K2_ASSIGN_OR_RETURN(s.rows, warm::ParseTsvInt(f[0], "window count"));
  s.checksum = f[1];
  return s;
}

}  // namespace k2::jobs
