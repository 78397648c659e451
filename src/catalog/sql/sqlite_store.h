#pragma once
/// SQLite backend of CatalogStore: one database file in WAL mode with a busy
/// timeout, so threads and processes sharing the file serialize their writes
/// instead of failing.

#include <memory>
#include <string>

#include "catalog/sql/catalog_store.h"

namespace k2::sql {

/// How long a statement waits for another connection's write lock before
/// failing with kTimeout.
inline constexpr int kSqliteBusyTimeoutMs = 60000;

/// Opens (creating if needed, parent directories too) the SQLite database at
/// `path`. kIo naming the path if it cannot be created or opened.
Result<std::unique_ptr<CatalogStore>> OpenSqliteStore(const std::string& path);

}  // namespace k2::sql
