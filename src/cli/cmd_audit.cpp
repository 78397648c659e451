// k2 audit [--table NAME | --layer L] [--since T] [--json]: compares the warm
// tier with the cold tier window by window (jobs/audit.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/commands.h"
#include "columnar/value.h"
#include "jobs/audit.h"

namespace k2::cli {

namespace {

struct AuditArgs {
  std::string table;
  std::string layer;
  std::string since;
  bool json = false;
  bool all_windows = false;
};

Status RunAudit(CliContext& ctx, const AuditArgs& args) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  if (!args.table.empty() && !args.layer.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "give --table or --layer, not both");
  }
  jobs::AuditOptions options;
  if (!args.table.empty()) options.tables = {args.table};
  options.layer = args.layer;
  if (!args.since.empty()) {
    auto since = ParseTimestampMicros(args.since);
    if (!since) return std::unexpected(since.error().WithContext("--since"));
    options.since_us = *since;
  }
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  jobs::AuditJob job(config, *catalog, *io, [&config] { return jobs::OpenWarmDriver(config); });
  K2_ASSIGN_OR_RETURN(jobs::AuditReport report, job.Run(options));

  if (args.json) {
    fmt::print("{}\n", report.ToJson().dump(2));
  } else {
    fmt::print("{:<18} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "table", "ok", "expired", "mismatch",
               "no-warm", "no-cold", "");
    for (const auto& t : report.tables) {
      fmt::print("{:<18} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", t.table,
                 t.Count(jobs::AuditStatus::kOk), t.Count(jobs::AuditStatus::kWarmExpired),
                 t.Count(jobs::AuditStatus::kMismatch), t.Count(jobs::AuditStatus::kMissingInWarm),
                 t.Count(jobs::AuditStatus::kMissingInCold),
                 t.error ? "error: " + t.error->message : "");
      for (const auto& w : t.windows) {
        if (!args.all_windows && !jobs::IsAuditFailure(w.status)) continue;
        fmt::print("  {} {}: {}\n", w.window.ToString(), jobs::AuditStatusName(w.status),
                   w.detail.empty() ? fmt::format("{} rows", w.cold_rows) : w.detail);
      }
    }
  }
  if (report.mismatch()) {
    ctx.Finish(kExitFailed);
  } else if (report.errors()) {
    bool all = std::all_of(report.tables.begin(), report.tables.end(),
                           [](const jobs::TableAudit& t) { return t.error.has_value(); });
    ctx.Finish(all ? kExitFailed : kExitPartial);
  }
  return OkStatus();
}

}  // namespace

void RegisterAuditCommands(CLI::App& root, CliContext& ctx) {
  auto* audit = root.add_subcommand(
      "audit",
      "Compare warm (ClickHouse) with cold (Iceberg) per offloaded window: counts, the offload "
      "checksum, integer/decimal column sums. Exit 1 on any mismatch, 3 if some tables could "
      "not be audited");
  auto args = std::make_shared<AuditArgs>();
  audit->add_option("--table", args->table, "k2 table name or namespace.table");
  audit->add_option("--layer", args->layer, "Only this layer's tables")
      ->check(CLI::IsMember({"raw", "bronze", "silver", "gold"}));
  audit->add_option("--since", args->since,
                    "Only windows starting at or after this time (2026-11-24T00:00:00)");
  audit->add_flag("--json", args->json, "Print every window's result as JSON");
  audit->add_flag("--all", args->all_windows, "List every window, not only the failing ones");
  audit->callback([&ctx, args] {
    auto st = RunAudit(ctx, *args);
    if (!st || ctx.exit_code == kExitOk) ctx.Finish(st);
  });
}

}  // namespace k2::cli
