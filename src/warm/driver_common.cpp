#include "warm/driver_common.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "warm/warm_driver.h"

namespace k2::warm {

std::string WarmDriver::ServerVersion() {
  auto v = Execute("SELECT version()");
  if (!v) return "unknown";
  std::string out = *v;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::vector<std::string> TsvFirstRow(const std::string& text) {
  std::vector<std::string> out;
  const std::string line = text.substr(0, text.find('\n'));
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

Result<int64_t> ParseTsvInt(const std::string& field, const std::string& what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || p != field.data() + field.size()) {
    return MakeError(ErrorKind::kRemote, "{}: unexpected answer '{}'", what, field);
  }
  return v;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('`');
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    if (c == '\0') {
      out += "\\0";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string QuoteTableName(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return QuoteIdentifier(name);
  return QuoteIdentifier(name.substr(0, dot)) + "." + QuoteIdentifier(name.substr(dot + 1));
}

std::string QuoteLiteral(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

namespace internal {

std::string DescribeStatement(std::string_view q) {
  std::string_view t = q;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  std::string head;
  for (size_t i = 0; i < t.size() && i < 6; ++i) {
    head.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(t[i]))));
  }
  if (head.starts_with("SELECT") || head.starts_with("WITH") || head.starts_with("(")) {
    return fmt::format("DESCRIBE ({})", q);
  }
  if (t.find('`') != std::string_view::npos) return fmt::format("DESCRIBE TABLE {}", t);
  return fmt::format("DESCRIBE TABLE {}", QuoteTableName(t));
}

std::string UnescapeTsv(std::string_view f) {
  std::string out;
  out.reserve(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (c != '\\' || i + 1 == f.size()) {
      out.push_back(c);
      continue;
    }
    char n = f[++i];
    switch (n) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '0':
        out.push_back('\0');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      default:
        out.push_back(n);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseDescribe(std::string_view tsv) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < tsv.size()) {
    size_t nl = tsv.find('\n', start);
    if (nl == std::string_view::npos) nl = tsv.size();
    std::string_view line = tsv.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos) {
      return MakeError(ErrorKind::kCorrupt, "DESCRIBE output line without a type: '{}'", line);
    }
    size_t t2 = line.find('\t', t1 + 1);
    std::string_view type =
        line.substr(t1 + 1, t2 == std::string_view::npos ? std::string_view::npos : t2 - t1 - 1);
    out.emplace_back(UnescapeTsv(line.substr(0, t1)), UnescapeTsv(type));
  }
  return out;
}

Result<InsertPlan> PlanInsert(const std::string& table, const ColumnBatch& batch,
                              const std::vector<std::pair<std::string, std::string>>& table_columns,
                              const TypeMappingOptions& options) {
  InsertPlan plan;
  plan.statement = "INSERT INTO " + QuoteTableName(table) + " (";
  for (size_t i = 0; i < batch.schema->fields.size(); ++i) {
    const std::string& name = batch.schema->fields[i].name;
    auto it = std::find_if(table_columns.begin(), table_columns.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it == table_columns.end()) {
      return MakeError(ErrorKind::kInvalidInput, "table {} has no column '{}'", table, name);
    }
    auto t = MapClickHouseType(it->second, options);
    if (!t) return std::unexpected(t.error().WithContext(fmt::format("{}.{}", table, name)));
    plan.types.push_back(std::move(*t));
    if (i > 0) plan.statement += ", ";
    plan.statement += QuoteIdentifier(name);
  }
  plan.statement += ")";
  return plan;
}

}  // namespace internal
}  // namespace k2::warm
