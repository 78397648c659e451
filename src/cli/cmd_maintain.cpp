// k2 maintain compact|expire|orphans|manifests|all [--table NAME] [--dry-run] [--json]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/commands.h"
#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/expire_job.h"
#include "jobs/maintenance/manifest_rewrite.h"
#include "jobs/maintenance/orphan_files.h"

namespace k2::cli {

namespace {

struct MaintainArgs {
  std::string table;
  bool dry_run = false;
  bool json = false;
};

/// The configured tables' Iceberg identifiers (or just `only`).
Result<std::vector<TableIdentifier>> TargetTables(const Config& config, Catalog& catalog,
                                                  const std::string& only) {
  std::vector<TableIdentifier> out;
  auto resolve = [&](const TableConfig& tc) -> Result<TableIdentifier> {
    const std::string target = tc.target.empty() ? config.offload.ns + "." + tc.name : tc.target;
    return TableIdentifier::Parse(target);
  };
  if (!only.empty()) {
    if (auto tc = config.FindTable(only)) {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, resolve(**tc));
      out.push_back(std::move(id));
    } else {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(only));
      if (id.ns.empty()) id.ns = {config.offload.ns};
      out.push_back(std::move(id));
    }
    return out;
  }
  for (const TableConfig& tc : config.tables) {
    K2_ASSIGN_OR_RETURN(TableIdentifier id, resolve(tc));
    auto loc = catalog.LoadTable(id);
    if (!loc) {
      if (loc.error().kind == ErrorKind::kNotFound) continue;  // not offloaded yet
      return std::unexpected(loc.error());
    }
    out.push_back(std::move(id));
  }
  return out;
}

Status RunMaintain(CliContext& ctx, const std::string& op, const MaintainArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  if (config.catalog.type != "sql") {
    return MakeError(ErrorKind::kUnsupported, "catalog.type '{}' is not supported by maintain",
                     config.catalog.type);
  }
  K2_ASSIGN_OR_RETURN(auto catalog, OpenSqlCatalog(config.catalog.uri, config.catalog.name));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location));
  K2_ASSIGN_OR_RETURN(auto tables, TargetTables(config, *catalog, args.table));
  const MaintenancePolicy& p = config.maintenance;

  nlohmann::json reports = nlohmann::json::array();
  int failed = 0;
  auto record = [&](const std::string& what, const TableIdentifier& id, auto result) {
    if (!result) {
      ++failed;
      spdlog::error("maintain {} {}: {}", what, id.ToString(), result.error().ToString());
      reports.push_back(
          {{"operation", what}, {"table", id.ToString()}, {"error", result.error().ToString()}});
      return;
    }
    nlohmann::json j = result->ToJson();
    if (!args.json) spdlog::info("maintain {} {}: {}", what, id.ToString(), j.dump());
    reports.push_back(std::move(j));
  };
  for (const TableIdentifier& id : tables) {
    if (op == "compact" || op == "all") {
      jobs::CompactionOptions o;
      o.target_file_size_bytes = p.compaction_target_file_size_bytes;
      o.min_file_size_bytes = p.compaction_min_file_size_bytes;
      o.min_input_files = p.compaction_min_input_files;
      o.dry_run = args.dry_run;
      record("compact", id, jobs::CompactTable(*catalog, *io, id, o));
    }
    if (op == "manifests" || op == "all") {
      jobs::ManifestRewriteOptions o;
      o.dry_run = args.dry_run;
      record("manifests", id, jobs::RewriteManifests(*catalog, *io, id, o));
    }
    if (op == "expire" || op == "all") {
      jobs::ExpireOptions o;
      o.older_than_s = p.expire_older_than_s;
      o.retain_last = p.expire_retain_last;
      o.dry_run = args.dry_run;
      record("expire", id, jobs::ExpireSnapshots(*catalog, *io, id, o));
    }
    if (op == "orphans" || op == "all") {
      jobs::OrphanOptions o;
      o.older_than_s = p.orphans_older_than_s;
      o.dry_run = args.dry_run;
      record("orphans", id, jobs::RemoveOrphanFiles(*catalog, *io, id, o));
    }
  }
  if (args.json) fmt::print("{}\n", reports.dump(2));
  if (failed > 0) {
    if (failed == static_cast<int>(reports.size())) {
      return MakeError(ErrorKind::kIo, "maintain {}: every operation failed", op);
    }
    ctx.Finish(kExitPartial);
    return OkStatus();
  }
  return OkStatus();
}

}  // namespace

void RegisterMaintainCommands(CLI::App& root, CliContext& ctx) {
  auto* maintain = root.add_subcommand(
      "maintain",
      "Table maintenance: compaction, snapshot expiry, orphan cleanup, manifest rewrite");
  maintain->require_subcommand(1);
  auto args = std::make_shared<MaintainArgs>();
  const std::vector<std::pair<std::string, std::string>> ops = {
      {"compact", "Bin-pack small data files of closed partitions into target-size files"},
      {"expire", "Expire old snapshots and delete the files only they reached"},
      {"orphans", "Delete old files under table locations that no metadata references"},
      {"manifests", "Merge small manifests so scan planning stays fast"},
      {"all", "compact, manifests, expire, then orphans"}};
  for (const auto& [name, help] : ops) {
    auto* sub = maintain->add_subcommand(name, help);
    sub->add_option("--table", args->table,
                    "k2 table name or namespace.table (default: every configured table)");
    sub->add_flag("--dry-run", args->dry_run, "Plan and report; change nothing");
    sub->add_flag("--json", args->json, "Print the reports as JSON");
    sub->callback([&ctx, args, op = name] {
      auto st = RunMaintain(ctx, op, *args);
      if (!st || ctx.exit_code == kExitOk) ctx.Finish(st);
    });
  }
}

}  // namespace k2::cli
