// k2 maintain compact|expire|orphans|manifests|all [--table NAME] [--dry-run] [--json]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/commands.h"
#include "jobs/maintenance/maintenance.h"

namespace k2::cli {

namespace {

struct MaintainArgs {
  std::string table;
  bool dry_run = false;
  bool json = false;
};

Status RunMaintain(CliContext& ctx, const std::string& op, const MaintainArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location));
  K2_ASSIGN_OR_RETURN(auto tables, jobs::MaintainedTables(config, *catalog, args.table));
  // One table at a time so a terminal sees progress; the reports are the same.
  const bool progress = isatty(STDERR_FILENO) != 0;
  jobs::MaintenanceRun run;
  int failed_groups = 0;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (progress) {
      fmt::print(stderr, "[{}/{}] maintain {} {}{}\n", i + 1, tables.size(), op,
                 tables[i].ToString(), args.dry_run ? " (dry run)" : "");
    }
    jobs::MaintenanceRun one =
        jobs::RunMaintenance(op, config, *catalog, *io, {tables[i]}, args.dry_run);
    for (auto& r : one.reports) {
      // A compaction group that failed (after its retries) is a partial failure.
      if (!r.contains("error")) failed_groups += r.value("groups_failed", 0);
      run.reports.push_back(std::move(r));
    }
    run.failed += one.failed;
    if (!run.first_error) run.first_error = one.first_error;
  }
  if (args.json) {
    fmt::print("{}\n", run.reports.dump(2));
  } else {
    for (const auto& r : run.reports) {
      if (!r.contains("error")) spdlog::info("maintain {}: {}", op, r.dump());
    }
  }
  if (run.failed > 0) {
    if (run.failed == static_cast<int>(run.reports.size()) && run.first_error) {
      // Every operation failed: exit with the first error (its kind and the table).
      return std::unexpected(*run.first_error);
    }
    ctx.Finish(kExitPartial);
  } else if (failed_groups > 0) {
    spdlog::warn("maintain {}: {} compaction groups failed (see the report)", op, failed_groups);
    ctx.Finish(kExitPartial);
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
