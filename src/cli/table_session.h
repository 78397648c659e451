#pragma once
/// What the Iceberg table commands (tables, table, snapshots, scan) need to
/// reach a table: the config, catalog and FileIO, kept alive together because
/// iceberg::Table borrows them.

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/config.h"
#include "iceberg/catalog.h"
#include "iceberg/table.h"
#include "io/file_io.h"

namespace k2::cli {

struct TableSession {
  Config config;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<FileIO> io;
  std::optional<iceberg::Table> table;
};

/// The config and the warehouse's FileIO, with the catalog when `need_catalog`.
/// Errors of the config, the catalog or the FileIO.
Result<std::unique_ptr<TableSession>> OpenTableSession(const CliContext& ctx, bool need_catalog);

/// Opens NAME: a metadata file path directly, else a catalog table (k2 table
/// name from the config, or namespace.table; a bare name uses offload.namespace).
/// kNotFound if there is no such table.
Result<std::unique_ptr<TableSession>> OpenTable(const CliContext& ctx, const std::string& name);

}  // namespace k2::cli
