#pragma once
/// Schema drift between ClickHouse and the Iceberg table: the table is
/// created on first offload; a column ClickHouse added (optional, fresh id),
/// an allowed widening or a column turned Nullable is applied by the window's
/// own commit, so data and the schema it needs land together; any other
/// type change fails the table before data moves, naming the column.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "iceberg/catalog.h"
#include "io/file_io.h"
#include "jobs/offload/table_context.h"

namespace k2::jobs {

/// The warm schema with the Iceberg table's field ids (matched by name).
Result<std::shared_ptr<const Schema>> WriteSchemaFor(const Schema& warm, const Schema& table);

/// The warm columns a commit with table schema `schema_id` covered: those
/// whose names that schema has. `complete` turns false when the schema has a
/// column ClickHouse no longer returns (its checksum can't be recomputed).
std::vector<WarmColumn> ColumnsAsOf(const TableContext& ctx, std::optional<int> schema_id,
                                    bool& complete);

/// Sets ctx.write_schema from the table's latest metadata as the window's
/// commit will evolve it.
Status PrepareSchema(TableContext& ctx, bool log = true);

/// The window commit's metadata change: evolve the latest metadata the same
/// way, and refuse (kCommitConflict, so the window is written again) when a
/// concurrent schema change gave a written column another id or type.
std::function<Result<iceberg::TableMetadata>(const iceberg::TableMetadata&)> SchemaChangeFor(
    TableContext& ctx);

/// Sets ctx.warm_schema: ctx.columns mapped to Iceberg types (the offload's
/// uint64 and DateTime64 modes). kUnsupported names a column k2 cannot map.
Status MapWarmSchema(const Config& config, TableContext& ctx);

/// Creates the Iceberg table on first offload (partitioned by the config's
/// transforms of the time column) and prepares the write schema.
Status EnsureTable(Catalog& catalog, FileIO& io, const Config& config, TableContext& ctx);

}  // namespace k2::jobs
