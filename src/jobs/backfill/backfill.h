#pragma once
/// Backfills and re-derivations, written-audited-published:
///
///   start   1. Resolve the producer of the windows: the table's warm source
///              (--from-warm: ClickHouse re-read, as the offload reads it) or
///              a derivation (--derive: the reference view's SELECT, or the
///              user's, over the cold source table at one pinned snapshot,
///              run by the embedded ClickHouse engine).
///           2. Plan [from, to) in the table's windows; windows ClickHouse no
///              longer holds are refused by name unless skipped.
///           3. Fork branch `backfill-<id>` from main in one commit that also
///              removes the planned windows' rows from the branch (files
///              holding other windows too are rewritten without them) and
///              records the state (backfill_state.h): the branch is main with
///              the range re-derived so far.
///   run     4. In chunks of adjacent windows of one partition (a day of
///              hourly windows by default): one ordered query per run of
///              chunks (runs written in parallel), its rows cut into Parquet
///              files per chunk as they pass (the offload's window writer:
///              count and checksum of exactly the rows written per window),
///              appended to the branch with the chunk's windows recorded in
///              the state property in the same metadata version (chunks
///              finished within a few seconds share a commit). Resumable after
///              a crash from the last chunk committed.
///   audit   5. (backfill_audit.h) the branch per window against what was
///              written, invariants of candles against their source, a diff
///              against main. Nothing so far is visible on main.
///   publish 6. One commit on main: the written windows' rows replaced by the
///              branch's files (an exact replace against main as it is now),
///              the windows recorded in the offload ledger (run id
///              "backfill:<id>:<mode>"), the branch removed. Refused, naming
///              the window, when main changed a window of the range since the
///              fork.
///   abort      Removes the branch; expiry and orphan cleanup reclaim its files.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/cancellation.h"
#include "common/config.h"
#include "iceberg/catalog.h"
#include "io/file_io.h"
#include "jobs/backfill/backfill_state.h"
#include "jobs/offload.h"

namespace k2::jobs {

/// What a backfill job needs: the config, catalog, warehouse, and the two
/// engines (ClickHouse for --from-warm; the embedded engine that runs
/// derivations and audits, which may be the same).
struct BackfillEnv {
  const Config& config;
  Catalog& catalog;
  FileIO& io;
  WarmFactory warm;
  WarmFactory engine;
};

struct BackfillStartOptions {
  std::string table;
  std::string from;           ///< window start (2026-11-24T00:00:00Z)
  std::string to;             ///< end, exclusive, on a window boundary
  bool from_warm = false;     ///< re-offload the range from ClickHouse
  bool derive = false;        ///< re-derive from the cold source
  std::string query;          ///< derive: a SELECT template ({source}, {start}, {end}); "" built-in
  std::string source;         ///< derive: the source k2 table ("" : the reference upstream)
  bool skip_expired = false;  ///< --from-warm: leave windows ClickHouse dropped as they are
  std::string id;             ///< "" : a new id
  int parallel = 1;           ///< windows written at once
};

/// Progress of a running backfill (for the terminal and the daemon).
struct BackfillProgress {
  std::atomic<int64_t> windows_done{0};
  std::atomic<int64_t> windows_total{0};
  std::atomic<int64_t> rows{0};
};

/// Starts a backfill (phases 1-3) and returns its state; Run() writes it.
Result<BackfillState> StartBackfill(const BackfillEnv& env, const BackfillStartOptions& options);

/// How RunBackfill writes.
struct BackfillRunOptions {
  int parallel = 1;  ///< runs of chunks written at once (one query each)
  /// Windows per chunk, each chunk its own commit (0: every adjacent window
  /// of one partition, a day of hourly windows, and chunks finished within a
  /// few seconds committed together); a resume restarts at a commit.
  int windows_per_commit = 0;
  const CancellationToken* cancel = nullptr;  ///< checked before each commit
};

/// Writes the remaining windows of backfill `id` (phase 4) and marks it
/// written. kNotFound for an unknown id; kInvalidInput for a published or
/// aborted one; kCancelled when `cancel` was cancelled (resume continues).
Result<BackfillState> RunBackfill(const BackfillEnv& env, const std::string& id,
                                  const BackfillRunOptions& options,
                                  BackfillProgress* progress = nullptr);

/// A backfill and the configured table holding it.
struct FoundBackfill {
  const TableConfig* table = nullptr;
  BackfillState state;
};

/// Looks backfill `id` up in every configured table (kNotFound otherwise).
Result<FoundBackfill> LocateBackfill(const BackfillEnv& env, const std::string& id);
/// Every backfill of every configured table (tables not created yet have none).
Result<std::vector<FoundBackfill>> ListBackfills(const BackfillEnv& env);

/// Publishes backfill `id` (phase 6) after its audit passed; returns main's
/// new snapshot id. kCommitConflict naming the window when main changed it
/// since the fork; kInvalidInput when not all windows are written or the
/// audit fails.
Result<int64_t> PublishBackfill(const BackfillEnv& env, const std::string& id);

/// Aborts backfill `id`: removes its branch and marks it aborted.
Status AbortBackfill(const BackfillEnv& env, const std::string& id);

/// Windows of main's history since the fork that a backfill would overwrite:
/// the k2 commits after `base` (exclusive) overlapping `windows`. kCommitConflict naming the first;
/// also when `base` is no longer in main's history.
Status CheckMainUnchanged(const iceberg::TableMetadata& metadata,
                          const std::optional<int64_t>& base, const std::vector<Window>& windows);

}  // namespace k2::jobs
