// k2 backfill start|resume|status|diff|publish|abort: reprocess history on a
// branch, audit it, publish it atomically (jobs/backfill/backfill.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "catalog/catalog_factory.h"
#include "cli/cli_config.h"
#include "cli/commands.h"
#include "columnar/value.h"
#include "common/cancellation.h"
#include "jobs/backfill/backfill.h"
#include "jobs/backfill/backfill_audit.h"
#include "warm/warm_driver.h"

namespace k2::cli {

namespace {

struct BackfillArgs {
  jobs::BackfillStartOptions start;
  jobs::BackfillRunOptions run;
  std::string query_file;
  std::string id;
  bool json = false;
  bool no_audit = false;
};

/// The token SIGINT cancels while a backfill writes (Cancel is lock-free).
std::atomic<CancellationToken*> g_interrupt{nullptr};

/// The config, catalog and warehouse a backfill command works on, and its
/// engines: ClickHouse (the warm tier) and the embedded engine that runs
/// derivations and audits (the warm tier itself when that is embedded).
struct Session {
  Config config;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<FileIO> io;
  std::unique_ptr<jobs::BackfillEnv> env;
  /// Opens the embedded engine while the command loads the catalog and the
  /// tables' metadata (chDB takes ~0.3-0.5 s to start, more on a warm data
  /// dir); the first statement waits for it. Joined first on destruction.
  std::jthread prewarm;
};

/// `prewarm_engine`: the command will run statements on the embedded engine
/// (write, audit, publish), so start it now.
Result<std::unique_ptr<Session>> OpenSession(const CliContext& ctx, bool prewarm_engine = false) {
  auto s = std::make_unique<Session>();
  K2_ASSIGN_OR_RETURN(s->config, LoadCliConfig(ctx));
  K2_ASSIGN_OR_RETURN(s->catalog, OpenCatalog(s->config));
  K2_ASSIGN_OR_RETURN(s->io, NewFileIOFor(s->config.warehouse.location, s->config.warehouse));
  const Config* config = &s->config;
  jobs::WarmFactory warm = [config] { return jobs::OpenWarmDriver(*config); };
  jobs::WarmFactory engine = warm;
  if (config->warm.kind != WarmKind::kEmbedded) {
    engine = [config] {
      return warm::OpenEmbeddedDriver({.data_dir = "", .library_path = config->warm.chdb_library});
    };
  }
  s->env = std::make_unique<jobs::BackfillEnv>(
      jobs::BackfillEnv{s->config, *s->catalog, *s->io, std::move(warm), std::move(engine)});
  // The embedded engine reads Iceberg tables (icebergLocal) only under its
  // working directory: run from the root (config paths are absolute).
  std::error_code ec;
  std::filesystem::current_path("/", ec);
  if (prewarm_engine) {
    s->prewarm = std::jthread([factory = s->env->engine] {
      (void)factory();  // a warm-up: the command's own open reports the error
    });
  }
  return s;
}

void PrintState(const jobs::BackfillState& st, const std::string& table) {
  fmt::print("backfill {}  table {}  {}  {}  {}/{} windows  {} rows  {} .. {}\n", st.id, table,
             st.mode == "derive" ? "derive from " + st.source : std::string("from warm"), st.status,
             st.WindowsWritten(), st.Planned().size(), st.RowsWritten(),
             FormatTimestampMicros(st.from_us) + "Z", FormatTimestampMicros(st.to_us) + "Z");
}

void PrintAudit(const jobs::BackfillAudit& a) {
  fmt::print("audit of backfill {} (branch snapshot {}, main snapshot {}): {}\n", a.id,
             a.branch_snapshot_id, a.main_snapshot_id, a.ok() ? "OK" : "FAILED");
  for (const auto& c : a.checks) fmt::print("  checked: {}\n", c);
  for (const auto& f : a.failures) fmt::print("  FAILED: {}\n", f);
  fmt::print("diff against main: {} window(s) changed, {} row(s) added, {} removed\n",
             a.windows_changed, a.rows_added, a.rows_removed);
  for (const auto& w : a.windows) {
    if (w.changed()) {
      fmt::print("  {}  main {} rows -> branch {} rows\n", w.window.ToString(), w.main_rows,
                 w.branch_rows);
    }
  }
  for (const auto& m : a.measures) {
    if (m.rows_changed == 0) continue;
    fmt::print("  {:<14} {} row(s) changed, largest change {:g} at {}\n", m.column, m.rows_changed,
               m.max_abs_change, m.key);
  }
}

/// Writes the remaining windows of `id` (SIGINT stops before the next
/// commit; `resume` continues), then audits the branch.
Status WriteAndAudit(CliContext& ctx, Session& s, const std::string& id,
                     jobs::BackfillRunOptions run, bool json, bool audit_after = true) {
  if (run.parallel < 1 || run.parallel > 32) {
    return MakeError(ErrorKind::kInvalidInput, "--parallel {} is outside 1..32", run.parallel);
  }
  if (run.windows_per_commit < 0) {
    return MakeError(ErrorKind::kInvalidInput, "--windows-per-commit must not be negative");
  }
  CancellationToken interrupt;
  g_interrupt.store(&interrupt);
  auto previous = std::signal(SIGINT, [](int) {
    if (CancellationToken* t = g_interrupt.load()) t->Cancel(CancelReason::kRequested);
  });
  run.cancel = &interrupt;
  auto written = jobs::RunBackfill(*s.env, id, run);
  std::signal(SIGINT, previous);
  g_interrupt.store(nullptr);
  if (!written) {
    if (written.error().kind == ErrorKind::kCancelled) {
      spdlog::warn("backfill {}: interrupted; `k2 backfill resume {}` continues it", id, id);
      ctx.Finish(kExitInterrupted);
      return OkStatus();
    }
    return std::unexpected(written.error());
  }
  if (!audit_after) {
    if (json) {
      fmt::print("{}\n", written->ToJson().dump(2));
    } else {
      PrintState(*written, written->table);
      fmt::print("not audited yet: `k2 backfill diff {}` audits it (publish does too)\n", id);
    }
    return OkStatus();
  }
  K2_ASSIGN_OR_RETURN(jobs::BackfillAudit audit, jobs::AuditBackfill(*s.env, id));
  if (json) {
    nlohmann::json j = written->ToJson();
    j["audit"] = audit.ToJson();
    fmt::print("{}\n", j.dump(2));
  } else {
    PrintState(*written, written->table);
    PrintAudit(audit);
    if (audit.ok()) {
      fmt::print(
          "nothing is visible on main yet: `k2 backfill publish {}` publishes it, "
          "`k2 backfill abort {}` drops it\n",
          id, id);
    }
  }
  if (!audit.ok()) ctx.Finish(kExitFailed);
  return OkStatus();
}

Status Start(CliContext& ctx, BackfillArgs& a) {
  if (!a.query_file.empty()) {
    std::ifstream in(a.query_file, std::ios::binary);
    if (!in) {
      return MakeError(ErrorKind::kInvalidInput, "--query {}: cannot read the file", a.query_file);
    }
    a.start.query.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (a.start.query.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "--query {}: the file is empty", a.query_file);
    }
  }
  K2_ASSIGN_OR_RETURN(auto s, OpenSession(ctx, /*prewarm_engine=*/true));
  K2_ASSIGN_OR_RETURN(jobs::BackfillState st, jobs::StartBackfill(*s->env, a.start));
  spdlog::info(
      "backfill {} started: {} window(s) of {} on branch {}{}", st.id, st.Planned().size(),
      st.table, st.Branch(),
      st.skipped.empty() ? "" : fmt::format(" ({} expired window(s) skipped)", st.skipped.size()));
  return WriteAndAudit(ctx, *s, st.id, a.run, a.json, !a.no_audit);
}

Status Status_(CliContext& ctx, const BackfillArgs& a) {
  K2_ASSIGN_OR_RETURN(auto s, OpenSession(ctx));
  std::vector<jobs::FoundBackfill> found;
  if (a.id.empty()) {
    K2_ASSIGN_OR_RETURN(found, jobs::ListBackfills(*s->env));
  } else {
    K2_ASSIGN_OR_RETURN(auto one, jobs::LocateBackfill(*s->env, a.id));
    found.push_back(std::move(one));
  }
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : found) {
      nlohmann::json j = f.state.ToJson();
      j["planned_windows"] = f.state.Planned().size();
      j["written_windows"] = f.state.WindowsWritten();
      j["rows_written"] = f.state.RowsWritten();
      j.erase("windows");
      j.erase("settled-windows");
      j.erase("settled-rows");
      out.push_back(std::move(j));
    }
    fmt::print("{}\n", (a.id.empty() ? out : out.at(0)).dump(2));
    return OkStatus();
  }
  if (found.empty()) fmt::print("no backfills\n");
  for (const auto& f : found) PrintState(f.state, f.table->name);
  return OkStatus();
}

Status Diff(CliContext& ctx, const BackfillArgs& a) {
  K2_ASSIGN_OR_RETURN(auto s, OpenSession(ctx, /*prewarm_engine=*/true));
  K2_ASSIGN_OR_RETURN(jobs::BackfillAudit audit, jobs::AuditBackfill(*s->env, a.id));
  if (a.json) {
    fmt::print("{}\n", audit.ToJson().dump(2));
  } else {
    PrintAudit(audit);
  }
  if (!audit.ok()) ctx.Finish(kExitFailed);
  return OkStatus();
}

void AddRunOptions(CLI::App* cmd, BackfillArgs& a) {
  cmd->add_flag("--no-audit", a.no_audit,
                "Do not audit the branch once written (`diff` audits it; publish always does)");
  cmd->add_option("--parallel", a.run.parallel, "Commits prepared at once (1..32)")->default_val(1);
  cmd->add_option("--windows-per-commit", a.run.windows_per_commit,
                  "Windows per query and commit (default 0: all adjacent windows of one "
                  "partition, e.g. a day of hourly windows); a resume restarts at a commit")
      ->default_val(0);
}

void AddId(CLI::App* cmd, BackfillArgs& a) {
  cmd->add_option("id", a.id, "Backfill id (from `k2 backfill start` or `status`)")->required();
}

}  // namespace

void RegisterBackfillCommands(CLI::App& root, CliContext& ctx) {
  static BackfillArgs a;
  auto* bf = root.add_subcommand(
      "backfill",
      "Reprocess history on a branch of the table, audit it, then publish it to main in one "
      "commit: re-offload a range from ClickHouse (--from-warm) or re-derive it from the cold "
      "source table (--derive)");
  bf->require_subcommand(1);
  auto finish = [&ctx](const Status& st) {
    if (!st || ctx.exit_code == kExitOk) ctx.Finish(st);
  };

  auto* start = bf->add_subcommand("start", "Start a backfill of TABLE over [--from, --to)");
  start->add_option("table", a.start.table, "k2 table name or namespace.table")->required();
  start->add_option("--from", a.start.from, "First window start (2026-11-24T00:00:00Z)")
      ->required();
  start->add_option("--to", a.start.to, "End of the range, exclusive (a window boundary)")
      ->required();
  start->add_flag("--from-warm", a.start.from_warm,
                  "Re-offload every window of the range from ClickHouse (exact replaces)");
  start->add_flag("--derive", a.start.derive,
                  "Re-derive the windows from the cold source table at one pinned snapshot");
  start->add_option("--query", a.query_file,
                    "With --derive: a file holding the derivation SELECT with {source}, {start} "
                    "and {end} placeholders (default: the reference view's definition)");
  start->add_option("--source", a.start.source,
                    "With --derive: the source k2 table (default: the reference upstream)");
  start->add_flag("--skip-expired", a.start.skip_expired,
                  "With --from-warm: leave windows ClickHouse no longer holds as they are");
  start->add_option("--id", a.start.id, "Backfill id (default: start time and a random suffix)");
  AddRunOptions(start, a);
  start->add_flag("--json", a.json, "Print the state and the audit as JSON");
  start->callback([&ctx, finish] { finish(Start(ctx, a)); });

  auto* resume = bf->add_subcommand(
      "resume", "Continue a backfill from the last window committed on its branch");
  AddId(resume, a);
  AddRunOptions(resume, a);
  resume->add_flag("--json", a.json, "Print the state and the audit as JSON");
  resume->callback([&ctx, finish] {
    auto s = OpenSession(ctx, /*prewarm_engine=*/true);
    finish(s ? WriteAndAudit(ctx, **s, a.id, a.run, a.json, !a.no_audit)
             : Status(std::unexpected(s.error())));
  });

  auto* status = bf->add_subcommand("status", "Show one backfill, or every backfill");
  status->add_option("id", a.id, "Backfill id (default: all)");
  status->add_flag("--json", a.json, "Print as JSON");
  status->callback([&ctx, finish] { finish(Status_(ctx, a)); });

  auto* diff = bf->add_subcommand(
      "diff", "Audit a backfill's branch and diff it against main (exit 1 if the audit fails)");
  AddId(diff, a);
  diff->add_flag("--json", a.json, "Print as JSON");
  diff->callback([&ctx, finish] { finish(Diff(ctx, a)); });

  auto* publish = bf->add_subcommand(
      "publish",
      "Audit, then make the backfill's windows main's in one commit (refused, naming the window, "
      "if main changed one since the backfill started)");
  AddId(publish, a);
  publish->callback([&ctx, finish] {
    auto s = OpenSession(ctx, /*prewarm_engine=*/true);
    if (!s) return finish(std::unexpected(s.error()));
    auto snapshot = jobs::PublishBackfill(*(*s)->env, a.id);
    if (snapshot) fmt::print("published backfill {} in snapshot {}\n", a.id, *snapshot);
    finish(snapshot ? OkStatus() : Status(std::unexpected(snapshot.error())));
  });

  auto* abort = bf->add_subcommand(
      "abort", "Drop a backfill's branch (expiry and orphan cleanup reclaim its files)");
  AddId(abort, a);
  abort->callback([&ctx, finish] {
    auto s = OpenSession(ctx);
    finish(s ? jobs::AbortBackfill(*(*s)->env, a.id) : Status(std::unexpected(s.error())));
  });
}

}  // namespace k2::cli
