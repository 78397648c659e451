#pragma once
/// Opens a Catalog by URI.

#include <memory>
#include <string>

#include "common/result.h"
#include "iceberg/catalog.h"

namespace k2 {

struct Config;

/// Opens the SQL catalog `catalog_name` (the JDBC catalog_name column) in the
/// database named by `uri_or_path`:
///   postgresql://user:pass@host:port/db or postgres://... → PostgreSQL;
///   sqlite:///abs/path, sqlite:path or a plain path → SQLite (the file and its
///   parent directories are created on first use).
/// Creates the catalog tables if missing. kInvalidInput for a bad URI or an
/// empty catalog name; kIo when the database cannot be created or reached;
/// kRemote for other server errors. Messages name the database, never the
/// password. Thread-safe; the catalog may be shared by threads.
Result<std::unique_ptr<Catalog>> OpenSqlCatalog(const std::string& uri_or_path,
                                                const std::string& catalog_name);

/// Opens the catalog k2.yaml's `catalog` section describes: sql (as
/// OpenSqlCatalog) or rest (rest::RestCatalog: reads the server's /v1/config).
/// The errors of the chosen kind.
Result<std::unique_ptr<Catalog>> OpenCatalog(const Config& config);

}  // namespace k2
