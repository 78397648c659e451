// k2 warm: the warm tier (ClickHouse): apply or print the reference schema,
// run ad-hoc queries, create the views across both tiers.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/warm_target.h"
#include "columnar/value.h"
#include "io/file_io.h"
#include "jobs/offload.h"
#include "jobs/tiered_query.h"
#include "jobs/warm_views.h"
#include "warm/reference_schema.h"

namespace k2::cli {

namespace {

/// chDB's icebergLocal reads only under the working directory: the embedded
/// engine runs from the root, as k2 query does, so views reading Iceberg
/// work (the data dir is absolute by then).
void RunEmbeddedFromRoot(const Config& config) {
  if (config.warm.kind != WarmKind::kEmbedded) return;
  std::error_code ec;
  std::filesystem::current_path("/", ec);
}

// --flavor modern|legacy|auto; auto asks the server.
Result<warm::SchemaFlavor> ResolveFlavor(const std::string& name, warm::WarmDriver* driver) {
  if (name != "auto") return warm::ParseSchemaFlavor(name);
  if (!driver) return MakeError(ErrorKind::kInternal, "--flavor auto needs a connection");
  return warm::DetectSchemaFlavor(*driver);
}

struct SchemaArgs {
  WarmTarget target;
  std::string flavor = "auto";
};

struct QueryArgs {
  WarmTarget target;
  std::string sql;
  bool json = false;
};

Status RunQuery(const CliContext& ctx, const QueryArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, TargetConfig(ctx, args.target));
  K2_ASSIGN_OR_RETURN(auto driver, jobs::OpenWarmDriver(config));
  RunEmbeddedFromRoot(config);
  std::string sql = args.sql;
  if (args.json) sql += "\nFORMAT JSONEachRow";
  K2_ASSIGN_OR_RETURN(std::string out, driver->Execute(sql));
  fmt::print("{}", out);
  return OkStatus();
}

struct ViewsArgs {
  WarmTarget target;
  bool apply = false;
  bool json = false;
};

/// k2 warm views: the ranges table, each table's committed ranges, and one
/// `<table>_all` view per enabled table (jobs/warm_views).
Status RunViews(const CliContext& ctx, const ViewsArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, TargetConfig(ctx, args.target));
  K2_RETURN_IF_ERROR(RequireSqlCatalog(config, "k2 warm views"));
  K2_ASSIGN_OR_RETURN(auto driver, jobs::OpenWarmDriver(config));
  K2_RETURN_IF_ERROR(jobs::CheckServerReadsIceberg(*driver));
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  K2_ASSIGN_OR_RETURN(std::string db_out, driver->Execute("SELECT currentDatabase()"));
  auto db_row = warm::TsvFirstRow(db_out);
  const std::string database = db_row.empty() || db_row[0].empty() ? "default" : db_row[0];

  std::vector<std::string> names;
  for (const auto& t : config.tables) names.push_back(t.name);
  std::vector<std::string> statements = {jobs::ColdRangesTableDdl(database)};
  nlohmann::json views = nlohmann::json::array();
  for (const auto& cfg : config.tables) {
    if (!cfg.enabled) continue;
    auto t = jobs::ResolveTierTable(*driver, *catalog, *io, config, cfg);
    if (!t) return std::unexpected(t.error().WithContext("table " + cfg.name));
    const bool cold = t->cold && t->cold->has_snapshot;
    if (cold) {
      statements.push_back(
          jobs::ColdRangesInsertSql(database, t->name, t->cold->last_updated_ms, t->ranges));
    }
    statements.push_back(jobs::WarmViewSql(*t, database, names));
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& [s, e] : t->ranges) {
      ranges.push_back({FormatTimestampMicros(s), FormatTimestampMicros(e)});
    }
    views.push_back({{"table", t->name},
                     {"view", t->name + jobs::kViewSuffix},
                     {"cold_location", cold ? nlohmann::json(t->cold->location) : nullptr},
                     {"cold_windows", ranges}});
  }
  if (args.apply) {
    RunEmbeddedFromRoot(config);
    for (const auto& sql : statements) {
      auto done = driver->Execute(sql);
      if (!done) return std::unexpected(done.error().WithContext("k2 warm views --apply"));
    }
  }
  if (args.json) {
    nlohmann::json out = {{"server_version", driver->ServerVersion()},
                          {"database", database},
                          {"applied", args.apply},
                          {"views", views},
                          {"statements", statements}};
    fmt::print("{}\n", out.dump());
    return OkStatus();
  }
  if (!args.apply) {
    for (const auto& sql : statements) fmt::print("{};\n\n", sql);
    return OkStatus();
  }
  for (const auto& v : views) {
    const bool cold = !v["cold_location"].is_null();
    fmt::print("{}.{}: {}\n", database, v["view"].get<std::string>(),
               cold ? fmt::format("cold rows of {} committed range(s) from {}, warm rows of the "
                                  "rest",
                                  v["cold_windows"].size(), v["cold_location"].get<std::string>())
                    : std::string("warm rows only (no Iceberg snapshot yet: run k2 warm views "
                                  "--apply again after its first offload)"));
  }
  fmt::print(
      "{} views applied on ClickHouse {}; {}.{} holds the split, rewritten by each "
      "offload\n",
      views.size(), driver->ServerVersion(), database, jobs::kColdRangesTable);
  return OkStatus();
}

}  // namespace

void RegisterWarmCommands(CLI::App& root, CliContext& ctx) {
  auto* warm_cmd = root.add_subcommand(
      "warm", "The warm tier (ClickHouse): schema, queries, views across both tiers");
  warm_cmd->require_subcommand(1);
  auto* schema = warm_cmd->add_subcommand("schema", "The medallion reference schema");
  schema->require_subcommand(1);
  static SchemaArgs apply_args;
  auto* apply = schema->add_subcommand("apply", "Create the reference schema (idempotent)");
  AddTargetOptions(apply, apply_args.target);
  apply
      ->add_option("--flavor", apply_args.flavor,
                   "SQL flavour: modern (ClickHouse 22+, chDB), legacy (18.16 .. 21.x), or auto "
                   "(from the server's version)")
      ->check(CLI::IsMember({"modern", "legacy", "auto"}))
      ->default_val("auto");
  apply->callback([&ctx] {
    ctx.Finish([&]() -> Status {
      K2_ASSIGN_OR_RETURN(auto driver, OpenTarget(ctx, apply_args.target));
      K2_ASSIGN_OR_RETURN(warm::SchemaFlavor flavor,
                          ResolveFlavor(apply_args.flavor, driver.get()));
      K2_RETURN_IF_ERROR(warm::ApplyReferenceSchema(*driver, flavor));
      fmt::print("{} reference schema applied ({} tables) on ClickHouse {}\n",
                 warm::SchemaFlavorName(flavor), warm::ReferenceTables(flavor).size(),
                 driver->ServerVersion());
      return OkStatus();
    }());
  });
  static SchemaArgs print_args;
  print_args.flavor = "modern";
  auto* print =
      schema->add_subcommand("print",
                             "Print the reference schema SQL (sql/reference_schema.sql; legacy: "
                             "sql/reference_schema_legacy.sql)");
  print
      ->add_option("--flavor", print_args.flavor,
                   "SQL flavour: modern, legacy, or auto (asks the configured or given server)")
      ->check(CLI::IsMember({"modern", "legacy", "auto"}))
      ->default_val("modern");
  AddTargetOptions(print, print_args.target);
  print->callback([&ctx] {
    ctx.Finish([&]() -> Status {
      std::unique_ptr<warm::WarmDriver> driver;
      if (print_args.flavor == "auto") {
        K2_ASSIGN_OR_RETURN(driver, OpenTarget(ctx, print_args.target));
      }
      K2_ASSIGN_OR_RETURN(warm::SchemaFlavor flavor,
                          ResolveFlavor(print_args.flavor, driver.get()));
      fmt::print("{}", warm::ReferenceSchemaScript(flavor));
      return OkStatus();
    }());
  });
  static QueryArgs query_args;
  auto* q = warm_cmd->add_subcommand(
      "query",
      "Run SQL on the warm tier and print the result (the embedded engine runs from /, as k2 "
      "query does, so the views of k2 warm views can read the warehouse)");
  q->add_option("sql", query_args.sql, "SQL statement")->required();
  q->add_flag("--json", query_args.json, "JSONEachRow output");
  AddTargetOptions(q, query_args.target);
  q->callback([&ctx] { ctx.Finish(RunQuery(ctx, query_args)); });

  static ViewsArgs views_args;
  auto* v = warm_cmd->add_subcommand(
      "views",
      "Print (or --apply) one view per table, <table>_all, that reads both tiers inside a "
      "ClickHouse server able to read Iceberg (icebergLocal: ClickHouse 24+, chDB): cold rows "
      "of the committed windows, warm rows of the others, the split read from the warm table "
      "k2_cold_ranges that every offload rewrites (docs/query.md)");
  v->add_flag("--apply", views_args.apply,
              "Create k2_cold_ranges, write each table's committed windows and create the views "
              "on the warm tier");
  v->add_flag("--json", views_args.json, "One JSON object: the views, their cold windows, the SQL");
  AddTargetOptions(v, views_args.target);
  v->callback([&ctx] { ctx.Finish(RunViews(ctx, views_args)); });
}

}  // namespace k2::cli
