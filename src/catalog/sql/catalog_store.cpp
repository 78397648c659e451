#include "catalog/sql/catalog_store.h"

#include <charconv>

#include "catalog/sql/postgres_store.h"
#include "catalog/sql/sqlite_store.h"

namespace k2::sql {

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
