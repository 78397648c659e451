#include "jobs/offload/schema_drift.h"

#include <spdlog/spdlog.h>

#include <limits>

#include "iceberg/schema.h"
#include "warm/type_mapping.h"

namespace k2::jobs {

/// The warm schema with the Iceberg table's field ids (matched by name).
Result<std::shared_ptr<const Schema>> WriteSchemaFor(const Schema& warm, const Schema& table) {
  auto out = std::make_shared<Schema>();
  for (const Field& f : warm.fields) {
    auto idx = table.IndexOf(f.name);
    if (!idx) {
      return MakeError(ErrorKind::kInternal, "column '{}' is missing from the Iceberg schema",
                       f.name);
    }
    Field w = f;
    w.id = table.fields[*idx].id;
    out->fields.push_back(std::move(w));
  }
  return out;
}

/// The warm columns a commit with table schema `schema_id` covered: those
/// whose names that schema has. `complete` turns false when the schema has a
/// column ClickHouse no longer returns (its checksum can't be recomputed).
std::vector<WarmColumn> ColumnsAsOf(const TableContext& ctx, std::optional<int> schema_id,
                                    bool& complete) {
  complete = true;
  if (!schema_id || !ctx.table) return ctx.columns;
  auto ts = ctx.table->metadata().SchemaById(*schema_id);
  if (!ts) return ctx.columns;
  // ClickHouse's column order: the checksum hashes columns in order.
  std::vector<WarmColumn> out;
  for (const auto& c : ctx.columns) {
    if ((*ts)->schema.IndexOf(c.first)) out.push_back(c);
  }
  complete = out.size() == (*ts)->schema.fields.size();
  return out;
}

/// The metadata `base` evolved for ClickHouse's columns: new columns added
/// (optional, fresh field ids), allowed widenings applied, columns that turned
/// Nullable made optional; `base` itself when nothing changed. Any other type
/// change is kInvalidInput naming the column. `log` reports each change.
namespace {

Result<iceberg::TableMetadata> EvolveForWarm(const TableContext& ctx, iceberg::Table& table,
                                             const iceberg::TableMetadata& base, bool log) {
  const Schema& current = base.CurrentSchema().schema;
  auto update = table.NewUpdateSchema();
  bool changed = false;
  for (const Field& f : ctx.warm_schema.fields) {
    auto idx = current.IndexOf(f.name);
    if (!idx) {
      if (log) {
        spdlog::info("{}: ClickHouse added column '{}' ({}); the next commit adds it to {}",
                     ctx.cfg->name, f.name, f.type.ToString(), ctx.cfg->target);
      }
      update.AddColumn(f.name, f.type, f.doc);
      changed = true;
      continue;
    }
    const Field& cur = current.fields[*idx];
    if (cur.type == f.type) {
      if (!cur.nullable && f.nullable) {
        update.MakeOptional(f.name);
        changed = true;
      }
      continue;
    }
    if (iceberg::IsAllowedPromotion(cur.type, f.type)) {
      if (log) {
        spdlog::info("{}: the next commit widens column '{}' from {} to {}", ctx.cfg->name, f.name,
                     cur.type.ToString(), f.type.ToString());
      }
      update.UpdateColumnType(f.name, f.type);
      if (!cur.nullable && f.nullable) update.MakeOptional(f.name);
      changed = true;
      continue;
    }
    if (iceberg::IsAllowedPromotion(f.type, cur.type)) continue;  // narrower source: readable
    return MakeError(ErrorKind::kInvalidInput,
                     "{}: column '{}' changed type in ClickHouse from {} to {}, which Iceberg "
                     "cannot evolve to; nothing was written",
                     ctx.cfg->name, f.name, cur.type.ToString(), f.type.ToString());
  }
  if (!changed) return base;
  return update.Apply(base);
}

}  // namespace

/// Sets ctx.write_schema from the table's latest metadata as the window's
/// commit will evolve it (schema drift lands in the same commit as the rows
/// that need it: a crash between the two can't leave a column without data).
Status PrepareSchema(TableContext& ctx, bool log) {
  K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved,
                      EvolveForWarm(ctx, *ctx.table, ctx.table->metadata(), log));
  K2_ASSIGN_OR_RETURN(ctx.write_schema,
                      WriteSchemaFor(ctx.warm_schema, evolved.CurrentSchema().schema));
  return {};
}

/// The window commit's metadata change: evolve the latest metadata the same
/// way, and refuse (kCommitConflict, so the window is written again) when a
/// concurrent schema change gave a written column another id or type.
std::function<Result<iceberg::TableMetadata>(const iceberg::TableMetadata&)> SchemaChangeFor(
    TableContext& ctx) {
  return [&ctx](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
    K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved,
                        EvolveForWarm(ctx, *ctx.table, latest, /*log=*/false));
    const Schema& schema = evolved.CurrentSchema().schema;
    for (const Field& w : ctx.write_schema->fields) {
      auto idx = schema.IndexOf(w.name);
      if (!idx || schema.fields[*idx].id != w.id || schema.fields[*idx].type != w.type) {
        return MakeError(ErrorKind::kCommitConflict,
                         "the schema of {} changed concurrently (column '{}')", ctx.cfg->target,
                         w.name);
      }
    }
    return evolved;
  };
}

/// Creates the Iceberg table on first offload, and plans the schema evolution
/// when ClickHouse gained columns or widened types (committed with the next
/// window). Other differences fail the table before any data moves, naming
/// the column.
Status MapWarmSchema(const Config& config, TableContext& ctx) {
  warm::TypeMappingOptions types;
  types.uint64_as_decimal = config.offload.uint64_mode == "decimal";
  types.datetime64_nanos = config.offload.datetime64_ns_mode == "nanos";
  K2_ASSIGN_OR_RETURN(auto mapped, warm::MapClickHouseColumns(ctx.columns, types));
  ctx.warm_schema = warm::SchemaOf(ctx.columns, mapped);
  return OkStatus();
}

Status EnsureTable(Catalog& catalog, FileIO& io, const Config& config, TableContext& ctx) {
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(ctx.cfg->target));
  auto loaded = iceberg::Table::Load(catalog, io, id);
  if (!loaded && loaded.error().kind == ErrorKind::kNotFound) {
    auto ns = catalog.CreateNamespace(id.ns, {});
    if (!ns && ns.error().kind != ErrorKind::kAlreadyExists) return std::unexpected(ns.error());
    std::vector<std::pair<std::string, std::string>> parts;
    for (const auto& p : ctx.cfg->partition) {
      const warm::TimeColumn& time = ctx.source.time;
      if (time.kind != warm::TimeColumn::Kind::kInteger) {
        parts.emplace_back(time.name, p);
      } else if (p == "hour" || p == "day") {
        // An epoch integer has no time transforms: truncate to the same span
        // where the width fits Iceberg's int; finer units stay unpartitioned
        // (files still prune by their bounds on the column).
        int64_t width = (p == "hour" ? 3600 : 86400) * time.units_per_second;
        if (width <= std::numeric_limits<int32_t>::max()) {
          parts.emplace_back(time.name, fmt::format("truncate[{}]", width));
        } else {
          spdlog::info(
              "{}: '{}' counts {} per second; a {} is too wide for Iceberg's truncate: "
              "the table is not partitioned",
              ctx.cfg->name, time.name, time.units_per_second, p);
        }
      } else {
        return MakeError(ErrorKind::kInvalidInput,
                         "partition '{}' needs a date/time column; '{}' is an epoch integer "
                         "(use hour or day)",
                         p, time.name);
      }
    }
    // The warm schema's ids (1..n in column order) become the table's ids.
    const Schema& schema = ctx.warm_schema;
    K2_ASSIGN_OR_RETURN(iceberg::PartitionSpec spec, iceberg::PartitionSpec::Make(schema, parts));
    iceberg::CreateOptions opts;
    opts.location =
        fmt::format("{}/{}/{}", config.warehouse.location, NamespaceToString(id.ns), id.name);
    opts.properties = {
        {"write.format.default", "parquet"},
        {"write.parquet.compression-codec", config.offload.compression},
        {"write.target-file-size-bytes", std::to_string(config.offload.target_file_size_bytes)},
        // metadata/ keeps the log's ~100 files, not one per hour for ever
        {"write.metadata.delete-after-commit.enabled", "true"},
        {"k2.source", ctx.cfg->source},
        {"k2.time-column", ctx.source.time.name},
        {"k2.window-seconds", std::to_string(ctx.cfg->window_s)},
    };
    auto created = iceberg::Table::Create(catalog, io, id, schema, spec, opts);
    if (!created && created.error().kind == ErrorKind::kAlreadyExists) {
      loaded = iceberg::Table::Load(catalog, io, id);  // a concurrent run created it
    } else if (!created) {
      return std::unexpected(created.error().WithContext("creating " + ctx.cfg->target));
    } else {
      spdlog::info("{}: created Iceberg table {} at {}", ctx.cfg->name, ctx.cfg->target,
                   opts.location);
      loaded = std::move(created);
    }
  }
  if (!loaded) return std::unexpected(loaded.error());
  ctx.table.emplace(std::move(*loaded));

  return PrepareSchema(ctx);
}

}  // namespace k2::jobs
