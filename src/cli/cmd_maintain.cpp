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

int64_t Num(const nlohmann::json& r, const char* key) {
  auto it = r.find(key);
  return it != r.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string Bytes(int64_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

/// One row per table and operation: what was there before, what is there
/// after, what was expired or deleted. Files are data files for compact,
/// manifests for manifests, files under the table location for orphans.
void PrintReports(const nlohmann::json& reports, bool dry_run) {
  constexpr const char* kRow = "{:<28} {:<9} {:>8} {:>8} {:>11} {:>11} {:>7} {:>7}  {}\n";
  fmt::print(kRow, "TABLE", "OPERATION", "FILES", "AFTER", "BYTES", "AFTER", "EXPIRED", "DELETED",
             dry_run ? "NOTE (dry run: nothing changed)" : "NOTE");
  for (const auto& r : reports) {
    std::string table = r.value("table", "");
    std::string op = r.value("operation", "");
    if (r.contains("error")) {
      fmt::print(kRow, table, op, "-", "-", "-", "-", "-", "-", "FAILED: " + r.value("error", ""));
      continue;
    }
    if (op == "compact") {
      std::string note = fmt::format("{} groups committed, {} failed, {} rows rewritten",
                                     Num(r, "groups_committed"), Num(r, "groups_failed"),
                                     Num(r, "rows_rewritten"));
      if (Num(r, "delete_files_removed") > 0)
        note += fmt::format(", {} delete files removed", Num(r, "delete_files_removed"));
      fmt::print(kRow, table, op, Num(r, "files_before"), Num(r, "files_after"),
                 Bytes(Num(r, "bytes_before")), Bytes(Num(r, "bytes_after")), "-", "-", note);
    } else if (op == "manifests") {
      fmt::print(kRow, table, op, Num(r, "manifests_before"), Num(r, "manifests_after"),
                 Bytes(Num(r, "bytes_before")), Bytes(Num(r, "bytes_after")), "-", "-",
                 fmt::format("manifests; {} entries rewritten", Num(r, "entries_rewritten")));
    } else if (op == "expire") {
      int64_t deleted = Num(r, "data_files_deleted") + Num(r, "delete_files_deleted");
      std::string note = fmt::format("snapshots {} -> {}; {} freed, {} manifests deleted",
                                     Num(r, "snapshots_before"), Num(r, "snapshots_after"),
                                     Bytes(Num(r, "bytes_deleted")), Num(r, "manifests_deleted"));
      if (Num(r, "failed_deletes") > 0)
        note += fmt::format("; {} deletes failed", Num(r, "failed_deletes"));
      fmt::print(kRow, table, op, "-", "-", "-", "-",
                 Num(r, "snapshots_before") - Num(r, "snapshots_after"), deleted, note);
    } else if (op == "orphans") {
      int64_t listed = Num(r, "files_listed");
      std::string note =
          fmt::format("{} orphans found ({}), {} too new to delete", Num(r, "orphans_found"),
                      Bytes(Num(r, "orphan_bytes")), Num(r, "too_new_skipped"));
      if (Num(r, "failed_deletes") > 0)
        note += fmt::format("; {} deletes failed", Num(r, "failed_deletes"));
      fmt::print(kRow, table, op, listed, listed - Num(r, "files_deleted"), "-", "-", "-",
                 Num(r, "files_deleted"), note);
    } else {
      fmt::print(kRow, table, op, "-", "-", "-", "-", "-", "-", r.dump());
    }
  }
}

Status RunMaintain(CliContext& ctx, const std::string& op, const MaintainArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
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
    PrintReports(run.reports, args.dry_run);
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
