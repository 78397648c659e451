#pragma once
/// PostgreSQL backend of CatalogStore over libpq: one connection, reopened on
/// the next call after it breaks.

#include <memory>
#include <string>

#include "catalog/sql/catalog_store.h"

namespace k2::sql {

/// Connects to `uri` (postgresql://user:pass@host:port/db, libpq syntax).
/// kInvalidInput if the URI does not parse; kIo if the server cannot be
/// reached or refuses the login. Messages name the redacted URI.
Result<std::unique_ptr<CatalogStore>> OpenPostgresStore(const std::string& uri);

}  // namespace k2::sql
