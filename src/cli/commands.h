#pragma once
/// The k2 command table. Each area registers its subcommands on the root
/// CLI11 app; a subcommand's callback does its work and records the outcome in
/// the context with ctx.Finish(status). main() maps that to the exit code.

#include <CLI/CLI.hpp>
#include <string>

#include "common/result.h"

namespace k2::cli {

/// Documented exit codes (also in `k2 --help` and README.md).
enum ExitCode : int {
  kExitOk = 0,            ///< success
  kExitFailed = 1,        ///< a job or command failed (I/O, remote server, corrupt data, conflict)
  kExitUsage = 2,         ///< bad command line or config
  kExitPartial = 3,       ///< some tables/windows succeeded, others failed
  kExitInterrupted = 130  ///< stopped by SIGINT/SIGTERM
};

/// Options shared by every subcommand, and the outcome of the one that ran.
struct CliContext {
  std::string config_path;          ///< --config (default: $K2_CONFIG or ./k2.yaml)
  std::string log_format = "auto";  ///< --log-format text|json|auto
  std::string log_level = "info";   ///< --log-level
  int exit_code = kExitOk;

  /// Records a command's outcome: logs the error once, sets the exit code from
  /// its kind (ExitCodeFor: kInvalidInput -> 2, kCancelled -> 130, every other
  /// kind, kNotFound included, -> 1).
  void Finish(const Status& status);
  /// Sets an explicit exit code (e.g. kExitPartial).
  void Finish(int code) { exit_code = code; }
};

/// Exit code for an error kind.
int ExitCodeFor(ErrorKind kind);

void RegisterConfigCommands(CLI::App& root, CliContext& ctx);     // config check|example
void RegisterParquetCommands(CLI::App& root, CliContext& ctx);    // parquet inspect
void RegisterTablesCommands(CLI::App& root, CliContext& ctx);     // tables
void RegisterTableCommands(CLI::App& root, CliContext& ctx);      // table show
void RegisterSnapshotsCommands(CLI::App& root, CliContext& ctx);  // snapshots
void RegisterScanCommands(CLI::App& root, CliContext& ctx);       // scan
void RegisterGenerateCommands(CLI::App& root, CliContext& ctx);   // generate
void RegisterLoadCommands(CLI::App& root, CliContext& ctx);       // load binance
void RegisterWarmCommands(CLI::App& root, CliContext& ctx);       // warm schema|query|views
void RegisterOffloadCommands(CLI::App& root, CliContext& ctx);    // offload
void RegisterMaintainCommands(CLI::App& root,
                              CliContext& ctx);  // maintain compact|expire|orphans|manifests|all
void RegisterServeCommands(CLI::App& root, CliContext& ctx);     // serve
void RegisterJobsCommands(CLI::App& root, CliContext& ctx);      // jobs [history|run]
void RegisterAuditCommands(CLI::App& root, CliContext& ctx);     // audit
void RegisterQueryCommands(CLI::App& root, CliContext& ctx);     // query
void RegisterBackfillCommands(CLI::App& root, CliContext& ctx);  // backfill

}  // namespace k2::cli
