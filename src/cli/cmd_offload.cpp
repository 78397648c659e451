// k2 offload: every closed window of the configured tables from ClickHouse
// into Iceberg (jobs/offload.h does the work; this prints its report).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "catalog/catalog_factory.h"
#include "catalog/memory_catalog.h"
#include "cli/cli_config.h"
#include "columnar/value.h"
#include "jobs/offload.h"

namespace k2::cli {

namespace {

struct OffloadArgs {
  jobs::OffloadOptions options;
  bool json = false;
};

void PrintReport(const jobs::OffloadReport& report) {
  fmt::print("{:<16} {:<41} {:<9} {:>10} {:>6} {:>12} {:>7}\n", "TABLE", "WINDOW", "ACTION", "ROWS",
             "FILES", "BYTES", "SECS");
  for (const auto& t : report.tables) {
    for (const auto& w : t.windows) {
      fmt::print("{:<16} {:<41} {:<9} {:>10} {:>6} {:>12} {:>7.2f}{}\n", t.table,
                 w.window.ToString(), w.action, w.rows, w.files, w.bytes, w.seconds,
                 w.reason.empty() ? "" : "  (" + w.reason + ")");
    }
    if (t.error) {
      fmt::print("{:<16} FAILED: {}\n", t.table, t.error->message);
    } else if (t.windows.empty()) {
      fmt::print("{:<16} up to date{}\n", t.table,
                 t.watermark_us
                     ? " (cold watermark " + FormatTimestampMicros(*t.watermark_us) + "Z)"
                     : "");
    }
  }
}

Status RunOffload(const CliContext& ctx, const OffloadArgs& args, int& exit_code) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  K2_RETURN_IF_ERROR(jobs::CheckOffloadOptions(config, args.options));  // before opening anything
  std::unique_ptr<Catalog> catalog;
  std::error_code ec;
  const bool sqlite_file = config.catalog.type == CatalogKind::kSql &&
                           config.catalog.uri.find("://") == std::string::npos;
  if (args.options.dry_run && sqlite_file && !std::filesystem::exists(config.catalog.uri, ec)) {
    // A dry run creates nothing: with no catalog yet, every table is new.
    catalog = NewMemoryCatalog(config.catalog.name);
  } else {
    K2_ASSIGN_OR_RETURN(catalog, OpenCatalog(config));
  }
  if (args.options.dry_run && config.warm.kind == WarmKind::kEmbedded &&
      !std::filesystem::exists(config.warm.data_dir, ec)) {
    return MakeError(ErrorKind::kNotFound,
                     "the embedded ClickHouse data dir {} does not exist: nothing to offload "
                     "(k2 generate or k2 load fill it)",
                     config.warm.data_dir);
  }
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  jobs::OffloadJob job(config, *catalog, *io, [&config] { return jobs::OpenWarmDriver(config); });
  K2_ASSIGN_OR_RETURN(jobs::OffloadReport report, job.Run(args.options));
  if (args.json) {
    fmt::print("{}\n", report.ToJson().dump(2));
  } else {
    PrintReport(report);
  }
  exit_code = report.ok() ? kExitOk : (report.all_failed() ? kExitFailed : kExitPartial);
  return {};
}

}  // namespace

void RegisterOffloadCommands(CLI::App& root, CliContext& ctx) {
  static OffloadArgs args;
  auto* offload = root.add_subcommand(
      "offload",
      "Move every closed window of every configured table from ClickHouse into Iceberg, exactly "
      "once (catches up from each table's cold watermark)");
  offload->add_option("--table", args.options.tables, "Only these tables (k2 name or ns.table)");
  offload->add_option("--layer", args.options.layer, "Only this layer")
      ->check(CLI::IsMember({"raw", "bronze", "silver", "gold"}));
  offload->add_option("--window", args.options.window,
                      "Offload the window starting here (e.g. 2026-11-24T10:00Z)");
  offload->add_option("--until", args.options.until, "With --window: every window up to here");
  offload->add_flag("--replace", args.options.replace,
                    "Re-offload the given windows even if committed (exact replace)");
  offload->add_flag("--force", args.options.force,
                    "With --replace: also replace windows ClickHouse no longer holds (empties "
                    "them in cold)");
  offload->add_flag("--dry-run", args.options.dry_run,
                    "Print the plan (rows per window from the warm tier, and why), write nothing");
  offload->add_flag("--json", args.json, "JSON output");
  offload->callback([&ctx] {
    int code = kExitOk;
    auto st = RunOffload(ctx, args, code);
    if (!st) {
      ctx.Finish(st);
      return;
    }
    ctx.Finish(code);
  });
}

}  // namespace k2::cli
