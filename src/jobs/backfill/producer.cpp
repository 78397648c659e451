#include "jobs/backfill/producer.h"

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "iceberg/table.h"
#include "jobs/offload/schema_drift.h"
#include "warm/warm_driver.h"

namespace k2::jobs {

namespace {

/// `sql` with its columns cast to `columns`' types.
std::string CastTo(const std::vector<WarmColumn>& columns, const std::string& sql) {
  std::string select;
  for (const auto& [name, type] : columns) {
    select +=
        fmt::format("{}CAST({}, {}) AS {}", select.empty() ? "" : ", ", warm::QuoteIdentifier(name),
                    warm::QuoteLiteral(type), warm::QuoteIdentifier(name));
  }
  return fmt::format("SELECT {} FROM (\n{}\n)", select, sql);
}

/// The columns the derivation of `st` yields. A built-in derivation reads the
/// cold copy of a warm table, so the same SELECT over the warm table (when
/// the warm tier has it) names the same columns: describing that costs the
/// engine no read of the Iceberg table's metadata, manifests and footers.
/// Otherwise (a user's query, no warm table) the engine describes the
/// derivation over the pinned source itself.
Result<std::vector<WarmColumn>> DescribeDerivation(const BackfillEnv& env, const TableConfig& cfg,
                                                   const BackfillState& st, const Producer& p) {
  const warm::ReferenceTable* ref = warm::FindReferenceTable(cfg.source);
  if (ref && st.query == ref->derive_select) {
    if (auto warm = env.warm()) {
      WarmSource over_warm = p.ctx.source;
      over_warm.query_template =
          ReplaceAll(st.query, "{source}", warm::QuoteIdentifier(ref->derive_from));
      auto described = (*warm)->Describe(over_warm.WindowSql({0, 0}));
      if (described) return described;
      spdlog::debug(
          "backfill {}: describing the derivation over warm {} failed ({}); "
          "describing it over the cold source",
          st.id, ref->derive_from, described.error().ToString());
    }
  }
  auto described = p.driver->Describe(p.ctx.source.WindowSql({0, 0}));
  if (!described) return std::unexpected(described.error().WithContext("the derivation query"));
  return described;
}

/// The derivation of `st` as a window template over its pinned source, its
/// columns cast to the warm tier's types where ClickHouse has the table (so
/// that checksums compare with the warm rows, as the offload's do).
Status ResolveDerived(const BackfillEnv& env, const TableConfig& cfg, const BackfillState& st,
                      Producer& p) {
  K2_ASSIGN_OR_RETURN(
      std::string source,
      IcebergAtSnapshotSql(st.source_location, st.source_metadata, st.source_snapshot_id));
  WarmSource& s = p.ctx.source;
  s.table = cfg.name;
  s.query_template = ReplaceAll(st.query, "{source}", source);
  std::string time_name = cfg.time_column;
  if (time_name.empty()) {
    for (const auto& r : warm::ReferenceTables()) {
      if (r.name == cfg.source) time_name = r.time_column;
    }
  }
  if (time_name.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: no time_column in the config", cfg.name);
  }
  s.time.name = time_name;
  if (!st.columns.empty()) {
    // Resolved when the backfill started, over the same pinned source.
    s.columns = st.columns;
    s.query_template = CastTo(s.columns, s.query_template);
  } else {
    K2_ASSIGN_OR_RETURN(s.columns, DescribeDerivation(env, cfg, st, p));
    // The warm tier's types, when it has the table.
    if (auto warm = env.warm()) {
      if (auto ws = ResolveWarmSource(**warm, cfg)) {
        for (auto& [name, type] : s.columns) {
          for (const auto& [wname, wtype] : ws->columns) {
            if (wname == name) type = wtype;
          }
        }
      }
    }
    s.query_template = CastTo(s.columns, s.query_template);
  }
  K2_ASSIGN_OR_RETURN(s.time, warm::ResolveTimeColumn(s.columns, time_name, cfg.time_unit));
  return OkStatus();
}

}  // namespace

Result<std::string> IcebergAtSnapshotSql(const std::string& location,
                                         const std::string& metadata_location,
                                         int64_t snapshot_id) {
  auto local = [](std::string path) -> Result<std::string> {
    if (path.starts_with("file://")) path = path.substr(7);
    if (path.find("://") != std::string::npos) {
      return MakeError(ErrorKind::kUnsupported,
                       "{}: derivations and backfill audits read local warehouses only "
                       "(icebergLocal) in this version",
                       path);
    }
    return path;
  };
  K2_ASSIGN_OR_RETURN(std::string root, local(location));
  std::string settings;
  if (!metadata_location.empty()) {
    // Named, so that the engine does not list the metadata directory again
    // for every query (thousands of files on an hourly table).
    K2_ASSIGN_OR_RETURN(std::string file, local(metadata_location));
    settings = ", SETTINGS iceberg_metadata_file_path = " + warm::QuoteLiteral(file);
  }
  return fmt::format("(SELECT * FROM icebergLocal({}{}) SETTINGS iceberg_snapshot_id = {})",
                     warm::QuoteLiteral(root), settings, snapshot_id);
}

Result<Producer> OpenProducer(const BackfillEnv& env, const TableConfig& cfg,
                              const BackfillState& st, bool create_table) {
  Producer p;
  p.ctx.cfg = &cfg;
  if (st.mode == "derive") {
    K2_ASSIGN_OR_RETURN(p.driver, env.engine());
    K2_RETURN_IF_ERROR(ResolveDerived(env, cfg, st, p));
  } else {
    K2_ASSIGN_OR_RETURN(p.driver, env.warm());
    K2_ASSIGN_OR_RETURN(p.ctx.source, ResolveWarmSource(*p.driver, cfg));
  }
  p.ctx.columns = p.ctx.source.columns;
  K2_RETURN_IF_ERROR(MapWarmSchema(env.config, p.ctx));
  if (create_table) {
    K2_RETURN_IF_ERROR(EnsureTable(env.catalog, env.io, env.config, p.ctx));
  } else {
    K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(cfg.target));
    K2_ASSIGN_OR_RETURN(auto table, iceberg::Table::Load(env.catalog, env.io, id));
    p.ctx.table.emplace(std::move(table));
    K2_RETURN_IF_ERROR(PrepareSchema(p.ctx, /*log=*/false));
  }
  return p;
}

}  // namespace k2::jobs
