#include "jobs/offload/window_commit.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "iceberg/update/pending_update.h"
#include "jobs/offload/exact_replace.h"
#include "jobs/offload/schema_drift.h"
#include "jobs/offload/window_writer.h"

namespace k2::jobs {

using Clock = std::chrono::steady_clock;

Result<bool> WarmExpired(warm::WarmDriver& warm, const WarmSource& source, const Window& w,
                         std::optional<std::optional<int64_t>>& oldest_cache) {
  if (!oldest_cache) {
    K2_ASSIGN_OR_RETURN(auto oldest, OldestWarmUs(warm, source));
    oldest_cache = oldest;
  }
  return !*oldest_cache || **oldest_cache >= w.end_us;
}

namespace {

/// The window commit's metadata change: the schema evolution, and the ledger
/// with this window (and the empty windows before it) recorded, naming the
/// snapshot `update` adds. `schema_moved` turns true when a concurrent schema
/// change moved a written column (the files must be written again).
template <typename Update>
void RecordInLedger(WindowJob& j, Update& update, const WindowRecord& record, bool& schema_moved) {
  auto schema_change = SchemaChangeFor(j.ctx);
  update.ChangeMetadata(
      [&j, &update, record, schema_change,
       &schema_moved](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
        auto changed = schema_change(latest);
        if (!changed) {
          schema_moved = true;
          return std::unexpected(changed.error());
        }
        iceberg::TableMetadata evolved = std::move(*changed);
        K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(latest));
        ledger.RecordNew(j.empties, evolved.current_schema_id);
        WindowRecord r = record;
        r.snapshot_id = update.snapshot_id();
        r.schema_id = evolved.current_schema_id;
        ledger.Record(r);
        evolved.properties[kLedgerProperty] = ledger.ToProperty();
        return evolved;
      });
}

/// A window's rows written and not yet committed.
struct StreamedWindow {
  std::unique_ptr<RollingParquetWriter> writer;  ///< Abort() removes its files
  std::vector<WrittenFile> files;
  iceberg::PartitionValues partition;
  WindowRecord record;
};

/// What one commit attempt found.
struct CommitAttempt {
  Result<int64_t> committed = 0;  ///< the snapshot id, or the commit's error
  bool ours = false;              ///< this run committed the window (an unknown outcome landed)
  bool lost_race = false;         ///< another run committed or replaced the window meanwhile
  bool schema_moved = false;      ///< a concurrent schema change moved a written column
  int64_t bytes = 0;
};

/// One commit of streamed files: an append, or the exact replace of the
/// window against the table as it is now (files that also hold other windows
/// are rewritten without the window's rows; those rewrites are dropped again
/// when the attempt surely failed). The validation re-runs on every retry of
/// the catalog's compare-and-swap.
Result<CommitAttempt> CommitOnce(WindowJob& j, const PlannedWindow& p, StreamedWindow& s,
                                 int64_t expected_snapshot) {
  const TableConfig& cfg = *j.ctx.cfg;
  CommitAttempt a;
  auto validate = [&j, &a, window = p.window, replace = p.replace,
                   expected_snapshot](const iceberg::TableMetadata& m) -> Status {
    K2_ASSIGN_OR_RETURN(OffloadLedger l, OffloadLedger::FromMetadata(m));
    std::optional<WindowRecord> r = l.Find(window);
    if (!replace && r) {
      (r->run_id == j.run_id ? a.ours : a.lost_race) = true;
      return MakeError(ErrorKind::kCommitConflict, "window {} was committed meanwhile",
                       window.ToString());
    }
    if (replace && (r ? r->snapshot_id : 0) != expected_snapshot) {
      a.lost_race = true;
      return MakeError(ErrorKind::kCommitConflict, "window {} was replaced meanwhile",
                       window.ToString());
    }
    return {};
  };
  std::vector<iceberg::DataFile> data_files;
  for (const auto& f : s.files) {
    a.bytes += f.metrics.file_size_in_bytes;
    data_files.push_back(iceberg::MakeDataFile(
        f.metrics, f.path, j.ctx.table->metadata().DefaultSpec().spec_id, s.partition));
  }
  auto summary = SummaryFor(cfg.name, s.record, p.replace);
  if (!p.replace) {
    auto append = j.ctx.table->NewFastAppend();
    for (auto& f : data_files) append.AppendFile(std::move(f));
    for (const auto& [k, v] : summary) append.Set(k, v);
    append.Validate(validate);
    RecordInLedger(j, append, s.record, a.schema_moved);
    a.committed = append.Commit();
    return a;
  }
  auto scan = j.ctx.table->NewScan();
  scan.Filter(WindowPredicate(j.ctx.source.time, p.window));
  K2_ASSIGN_OR_RETURN(auto tasks, scan.PlanFiles());
  auto overwrite = j.ctx.table->NewOverwrite();
  const Schema& schema = j.ctx.table->schema();
  const Field& tf = schema.fields[*schema.IndexOf(j.ctx.source.time.name)];
  std::vector<std::unique_ptr<RollingParquetWriter>> kept;  // rewrites of shared files
  auto drop_kept = [&kept] {
    for (auto& k : kept) k->Abort();
  };
  for (const auto& task : tasks) {
    overwrite.DeleteFile(task.file.file_path);
    if (FileInsideWindow(task.file, tf, j.ctx.source.time, p.window)) continue;
    auto kept_rows =
        RewriteOutsideWindow(*j.ctx.table, j.io, j.config, task, j.ctx.source.time, {p.window});
    if (!kept_rows) {
      drop_kept();
      return std::unexpected(kept_rows.error().WithContext(
          fmt::format("{}: rewriting {}", p.window.ToString(), task.file.file_path)));
    }
    spdlog::info("{} {}: {} also holds other windows; kept its other rows in {} new file(s)",
                 cfg.name, p.window.ToString(), task.file.file_path, kept_rows->files.size());
    for (auto& f : kept_rows->files) {
      a.bytes += f.file_size_in_bytes;
      overwrite.AddFile(std::move(f));
    }
    kept.push_back(std::move(kept_rows->writer));
  }
  for (auto& f : data_files) overwrite.AddFile(std::move(f));
  for (const auto& [k, v] : summary) overwrite.Set(k, v);
  overwrite.Validate(validate);
  RecordInLedger(j, overwrite, s.record, a.schema_moved);
  a.committed = overwrite.Commit();
  if (!a.committed && !a.ours && a.committed.error().kind != ErrorKind::kCommitStateUnknown) {
    drop_kept();  // never committed: the rewrites go
  }
  return a;
}

}  // namespace

Result<WindowOutcome> OffloadWindow(WindowJob& j, const PlannedWindow& p) {
  auto t0 = Clock::now();
  const TableConfig& cfg = *j.ctx.cfg;
  WindowOutcome wo;
  wo.window = p.window;
  if (p.replace) wo.reason = fmt::format("{}: {}", PlanReasonName(p.reason), p.detail);
  auto done = [&](std::string action) {
    wo.action = std::move(action);
    wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return wo;
  };

  // The window is streamed again only when what was written no longer fits
  // (a concurrent schema change moved a column, or another run replaced the
  // window first); a commit that merely lost the catalog's race is retried
  // with the same files.
  for (int stream_attempt = 1;; ++stream_attempt) {
    K2_RETURN_IF_ERROR(j.ctx.table->Refresh());
    K2_RETURN_IF_ERROR(PrepareSchema(j.ctx, /*log=*/false));
    K2_ASSIGN_OR_RETURN(OffloadLedger latest, OffloadLedger::FromMetadata(j.ctx.table->metadata()));
    std::optional<WindowRecord> existing = latest.Find(p.window);
    if (existing && !p.replace) {
      wo.reason = existing->run_id == j.run_id ? "committed by this run"
                                               : "already committed (run " + existing->run_id + ")";
      return done("skipped");
    }
    const int64_t expected_snapshot = existing ? existing->snapshot_id : 0;

    // The window's count and checksum are those of the rows streamed.
    StreamedWindow s;
    WindowStats stats;
    auto files = WriteWindow(j.warm, j.io, j.config, j.ctx, j.ctx.source.WindowSql(p.window), stats,
                             s.partition, s.writer);
    if (!files) {
      if (s.writer) s.writer->Abort();
      return std::unexpected(files.error().WithContext(p.window.ToString()));
    }
    s.files = std::move(*files);
    s.record.window = p.window;
    s.record.source_rows = stats.rows;
    s.record.source_checksum = stats.checksum;
    s.record.checksum_kind = ChecksumKindName(kCommitChecksumKind);
    s.record.run_id = j.run_id;
    if (IsCancelled(j.options.cancel)) {
      s.writer->Abort();
      return MakeError(ErrorKind::kCancelled, "cancelled before commit");
    }
    if (stats.rows == 0 && !p.replace) {
      // No snapshot for an empty window: the next commit records it.
      s.writer->Abort();
      j.empties.push_back(s.record);
      wo.reason = "no rows: recorded in the ledger without a snapshot";
      return done("empty");
    }
    if (stats.rows == 0 && p.replace && (!existing || existing->source_rows != 0)) {
      // Never empty a cold window because ClickHouse dropped it.
      K2_ASSIGN_OR_RETURN(bool expired, WarmExpired(j.warm, j.ctx.source, p.window, j.oldest_warm));
      if (expired && !j.options.force) {
        s.writer->Abort();
        return MakeError(ErrorKind::kInvalidInput,
                         "window {}: ClickHouse no longer holds it (no warm rows this old), so a "
                         "replace would empty the cold window{}; nothing was changed (--force "
                         "replaces it with nothing)",
                         p.window.ToString(),
                         existing && existing->detailed()
                             ? fmt::format(" and its {} committed rows", existing->source_rows)
                             : "");
      }
    }

    for (int commit_attempt = 1;; ++commit_attempt) {
      auto attempt = CommitOnce(j, p, s, expected_snapshot);
      if (!attempt) {
        s.writer->Abort();
        return std::unexpected(attempt.error().WithContext(p.window.ToString()));
      }
      if (attempt->committed || attempt->ours) {
        // An unknown outcome that did land shows up as "ours" on a retry.
        j.empties.clear();
        wo.rows = s.record.source_rows;
        wo.bytes = attempt->bytes;
        wo.files = static_cast<int64_t>(s.files.size());
        if (attempt->committed) wo.snapshot_id = *attempt->committed;
        return done(p.replace ? "replace" : "append");
      }
      const Error error = attempt->committed.error();
      if (error.kind == ErrorKind::kCommitStateUnknown) {
        // Never delete files that may be committed.
        return std::unexpected(error.WithContext(p.window.ToString()));
      }
      if (attempt->lost_race && !p.replace) {
        s.writer->Abort();
        wo.reason = "committed concurrently by another run";
        return done("skipped");
      }
      const bool rewrite = attempt->lost_race || attempt->schema_moved;
      if (rewrite || commit_attempt >= 3 || error.kind != ErrorKind::kCommitConflict) {
        s.writer->Abort();  // never committed: remove its files
        if (!rewrite || stream_attempt >= 3) {
          return std::unexpected(error.WithContext(p.window.ToString()));
        }
        spdlog::warn("{} {}: {}; writing the window again", cfg.name, p.window.ToString(),
                     error.ToString());
        break;
      }
      spdlog::warn("{} {}: {}; committing the same files again", cfg.name, p.window.ToString(),
                   error.ToString());
      K2_RETURN_IF_ERROR(j.ctx.table->Refresh());
    }
  }
}

}  // namespace k2::jobs
