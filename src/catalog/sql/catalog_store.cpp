#include "catalog/sql/catalog_store.h"

#include <charconv>

#include "catalog/sql/postgres_store.h"
#include "catalog/sql/sqlite_store.h"

namespace k2::sql {

std::string RedactUri(std::string_view uri) {
  std::string out(uri);
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t auth_begin = scheme_end + 3;
    size_t auth_end = out.find_first_of("/?#", auth_begin);
    if (auth_end == std::string::npos) auth_end = out.size();
    size_t at = out.rfind('@', auth_end == 0 ? 0 : auth_end - 1);
    if (at != std::string::npos && at >= auth_begin && at < auth_end) {
      size_t colon = out.find(':', auth_begin);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // libpq also accepts ?password=... and key=value conninfo strings.
  for (std::string_view key : {"password="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      bool at_boundary =
          pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' || out[pos - 1] == ' ';
      size_t value_begin = pos + key.size();
      if (!at_boundary) {
        pos = value_begin;
        continue;
      }
      size_t value_end = out.find_first_of("& ", value_begin);
      if (value_end == std::string::npos) value_end = out.size();
      out.replace(value_begin, value_end - value_begin, "***");
      pos = value_begin + 3;
    }
  }
  return out;
}

Result<int64_t> ParseInt64Cell(const std::optional<std::string>& cell, std::string_view what) {
  if (!cell) return MakeError(ErrorKind::kCorrupt, "{} is NULL", what);
  int64_t value = 0;
  const char* end = cell->data() + cell->size();
  auto [ptr, ec] = std::from_chars(cell->data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return MakeError(ErrorKind::kCorrupt, "{} is not an integer: '{}'", what, *cell);
  }
  return value;
}

Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(const std::string& uri_or_path) {
  std::string_view uri = uri_or_path;
  if (uri.starts_with("jdbc:")) uri.remove_prefix(5);
  if (uri.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "empty catalog URI (expected a path or URI)");
  }
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    return OpenPostgresStore(std::string(uri));
  }
  if (uri.starts_with("sqlite:")) {
    std::string_view path = uri.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "catalog URI '{}' names no SQLite file",
                       RedactUri(uri_or_path));
    }
    return OpenSqliteStore(std::string(path));
  }
  if (size_t pos = uri.find("://"); pos != std::string_view::npos) {
    return MakeError(ErrorKind::kInvalidInput,
                     "catalog URI '{}' has unsupported scheme '{}' (expected postgresql://, "
                     "sqlite: or a file path)",
                     RedactUri(uri_or_path), uri.substr(0, pos));
  }
  return OpenSqliteStore(std::string(uri));
}

}  // namespace k2::sql
