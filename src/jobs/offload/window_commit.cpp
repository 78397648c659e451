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

/// The window commit's metadata change: the schema evolution, and the ledger
/// with this window (and the empty windows before it) recorded, naming the
/// snapshot `update` adds.
namespace {

template <typename Update>
void RecordInLedger(WindowJob& j, Update& update, const WindowRecord& record) {
  auto schema_change = SchemaChangeFor(j.ctx);
  update.ChangeMetadata(
      [&j, &update, record,
       schema_change](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
        K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved, schema_change(latest));
        K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(latest));
        for (WindowRecord e : j.empties) {
          if (ledger.Contains(e.window)) continue;
          e.schema_id = evolved.current_schema_id;
          ledger.Record(e);
        }
        WindowRecord r = record;
        r.snapshot_id = update.snapshot_id();
        r.schema_id = evolved.current_schema_id;
        ledger.Record(r);
        evolved.properties[kLedgerProperty] = ledger.ToProperty();
        return evolved;
      });
}

}  // namespace

/// Streams and commits one planned window (retrying a lost commit race).
Result<WindowOutcome> OffloadWindow(WindowJob& j, const PlannedWindow& p) {
  auto t0 = Clock::now();
  const TableConfig& cfg = *j.ctx.cfg;
  WindowOutcome wo;
  wo.window = p.window;
  if (p.replace) wo.reason = fmt::format("{}: {}", PlanReasonName(p.reason), p.detail);
  const std::string sql = j.ctx.source.WindowSql(p.window);

  for (int attempt = 1;; ++attempt) {
    K2_RETURN_IF_ERROR(j.ctx.table->Refresh());
    K2_RETURN_IF_ERROR(PrepareSchema(j.ctx, /*log=*/false));
    K2_ASSIGN_OR_RETURN(OffloadLedger latest, OffloadLedger::FromMetadata(j.ctx.table->metadata()));
    std::optional<WindowRecord> existing = latest.Find(p.window);
    if (existing && !p.replace) {
      wo.action = "skipped";
      wo.reason = existing->run_id == j.run_id ? "committed by this run"
                                               : "already committed (run " + existing->run_id + ")";
      return wo;
    }
    const int64_t expected_snapshot = existing ? existing->snapshot_id : 0;

    // The window's count and checksum are those of the rows streamed.
    std::unique_ptr<RollingParquetWriter> writer;
    iceberg::PartitionValues partition;
    WindowStats stats;
    auto files = WriteWindow(j.warm, j.io, j.config, j.ctx, sql, stats, partition, writer);
    if (!files) {
      if (writer) writer->Abort();
      return std::unexpected(files.error().WithContext(p.window.ToString()));
    }
    WindowRecord record;
    record.window = p.window;
    record.source_rows = stats.rows;
    record.source_checksum = stats.checksum;
    record.checksum_kind = ChecksumKindName(kCommitChecksumKind);
    record.run_id = j.run_id;
    if (j.options.cancelled && j.options.cancelled()) {
      writer->Abort();
      return MakeError(ErrorKind::kCancelled, "cancelled before commit");
    }
    if (stats.rows == 0 && !p.replace) {
      // No snapshot for an empty window: the next commit records it.
      writer->Abort();
      j.empties.push_back(record);
      wo.action = "empty";
      wo.reason = "no rows: recorded in the ledger without a snapshot";
      wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return wo;
    }
    if (stats.rows == 0 && p.replace && (!existing || existing->source_rows != 0)) {
      // Never empty a cold window because ClickHouse dropped it.
      K2_ASSIGN_OR_RETURN(bool expired, WarmExpired(j.warm, j.ctx.source, p.window, j.oldest_warm));
      if (expired && !j.options.force) {
        writer->Abort();
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

    // Validation re-run against the latest state on every commit attempt.
    bool lost_race = false;
    bool ours = false;
    auto validate = [&, window = p.window, replace = p.replace,
                     expected_snapshot](const iceberg::TableMetadata& m) -> Status {
      K2_ASSIGN_OR_RETURN(OffloadLedger l, OffloadLedger::FromMetadata(m));
      std::optional<WindowRecord> r = l.Find(window);
      if (!replace && r) {
        (r->run_id == j.run_id ? ours : lost_race) = true;
        return MakeError(ErrorKind::kCommitConflict, "window {} was committed meanwhile",
                         window.ToString());
      }
      if (replace && (r ? r->snapshot_id : 0) != expected_snapshot) {
        lost_race = true;
        return MakeError(ErrorKind::kCommitConflict, "window {} was replaced meanwhile",
                         window.ToString());
      }
      return {};
    };
    int64_t bytes = 0;
    std::vector<iceberg::DataFile> data_files;
    for (const auto& f : *files) {
      bytes += f.metrics.file_size_in_bytes;
      data_files.push_back(iceberg::MakeDataFile(
          f.metrics, f.path, j.ctx.table->metadata().DefaultSpec().spec_id, partition));
    }
    auto summary = SummaryFor(cfg.name, record, p.replace);
    // Writers of files a replace rewrote (their rows outside the window).
    std::vector<std::unique_ptr<RollingParquetWriter>> kept;
    auto abort_all = [&] {
      writer->Abort();
      for (auto& k : kept) k->Abort();
    };
    Result<int64_t> committed = 0;
    if (!p.replace) {
      auto append = j.ctx.table->NewFastAppend();
      for (auto& f : data_files) append.AppendFile(std::move(f));
      for (const auto& [k, v] : summary) append.Set(k, v);
      append.Validate(validate);
      RecordInLedger(j, append, record);
      committed = append.Commit();
    } else {
      // Exact replace: drop every file holding rows of this window. Files
      // that also hold other windows (after compaction) are rewritten
      // without the window's rows; deletes are applied on the way.
      auto scan = j.ctx.table->NewScan();
      scan.Filter(WindowPredicate(j.ctx.source.time, p.window));
      auto tasks = scan.PlanFiles();
      if (!tasks) {
        abort_all();
        return std::unexpected(tasks.error());
      }
      auto overwrite = j.ctx.table->NewOverwrite();
      const Schema& schema = j.ctx.table->schema();
      const Field& tf = schema.fields[*schema.IndexOf(j.ctx.source.time.name)];
      for (const auto& task : *tasks) {
        overwrite.DeleteFile(task.file.file_path);
        if (FileInsideWindow(task.file, tf, j.ctx.source.time, p.window)) continue;
        auto kept_rows =
            RewriteOutsideWindow(*j.ctx.table, j.io, j.config, task, j.ctx.source.time, p.window);
        if (!kept_rows) {
          abort_all();
          return std::unexpected(kept_rows.error().WithContext(
              fmt::format("{}: rewriting {}", p.window.ToString(), task.file.file_path)));
        }
        spdlog::info("{} {}: {} also holds other windows; kept its other rows in {} new file(s)",
                     cfg.name, p.window.ToString(), task.file.file_path, kept_rows->files.size());
        for (auto& f : kept_rows->files) {
          bytes += f.file_size_in_bytes;
          overwrite.AddFile(std::move(f));
        }
        kept.push_back(std::move(kept_rows->writer));
      }
      for (auto& f : data_files) overwrite.AddFile(std::move(f));
      for (const auto& [k, v] : summary) overwrite.Set(k, v);
      overwrite.Validate(validate);
      RecordInLedger(j, overwrite, record);
      committed = overwrite.Commit();
    }
    if (committed || ours) {
      // An unknown outcome that did land shows up as "ours" on the retry.
      j.empties.clear();
      wo.action = p.replace ? "replace" : "append";
      wo.rows = record.source_rows;
      wo.bytes = bytes;
      wo.files = static_cast<int64_t>(files->size());
      if (committed) wo.snapshot_id = *committed;
      wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return wo;
    }
    if (committed.error().kind == ErrorKind::kCommitStateUnknown) {
      // Never delete files that may be committed.
      return std::unexpected(committed.error().WithContext(p.window.ToString()));
    }
    abort_all();  // never committed: remove its files
    if (lost_race && !p.replace) {
      wo.action = "skipped";
      wo.reason = "committed concurrently by another run";
      return wo;
    }
    if (attempt >= 3) return std::unexpected(committed.error().WithContext(p.window.ToString()));
    spdlog::warn("{} {}: {}; retrying", cfg.name, p.window.ToString(),
                 committed.error().ToString());
  }
}

}  // namespace k2::jobs
