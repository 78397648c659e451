// The backfill's life on its branch, in the order of backfill.h's phases:
// start (plan, fork), run (write window chunks), publish (replace on main),
// abort. One file, not one per phase: the phases are steps of one state
// machine (the k2.backfill.<id> property) and share its private commit
// helpers (MetadataChange, StateIn/PutState, LoadTarget, ReplaceOnMain, used
// by fork and publish alike); split, those would become a header of internals.
// The windows' producer (producer.h), the writer (offload/window_writer.h),
// the audit (backfill_audit.h) and the state (backfill_state.h) live apart.
// Each function stays under 120 lines.
#include "jobs/backfill/backfill.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include "columnar/value.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/backfill/backfill_audit.h"
#include "jobs/backfill/producer.h"
#include "jobs/offload/exact_replace.h"
#include "jobs/offload/schema_drift.h"
#include "jobs/offload/window_writer.h"
#include "jobs/offload_ledger.h"
#include "jobs/warm_source.h"
#include "jobs/warm_views.h"
#include "warm/reference_schema.h"

namespace k2::jobs {

namespace {

using Clock = std::chrono::steady_clock;

/// Snapshot summary keys of a publish commit: the range it replaced (read by
/// CheckMainUnchanged like the offload's window keys).
constexpr const char* kSummaryBackfillId = "k2.backfill-id";
constexpr const char* kSummaryBackfillStart = "k2.backfill-start-us";
constexpr const char* kSummaryBackfillEnd = "k2.backfill-end-us";

/// A metadata-only commit (no snapshot) made by a function of the latest metadata.
class MetadataChange : public iceberg::PendingUpdate {
 public:
  explicit MetadataChange(
      std::function<Result<iceberg::TableMetadata>(const iceberg::TableMetadata&)> fn)
      : fn_(std::move(fn)) {}
  Result<iceberg::TableMetadata> Apply(const iceberg::TableMetadata& base) override {
    return fn_(base);
  }

 private:
  std::function<Result<iceberg::TableMetadata>(const iceberg::TableMetadata&)> fn_;
};

/// The state of backfill `id` in `m`, which must exist and be in `statuses`.
Result<BackfillState> StateIn(const iceberg::TableMetadata& m, const std::string& id,
                              std::initializer_list<std::string_view> statuses) {
  K2_ASSIGN_OR_RETURN(auto found, FindBackfill(m, id));
  if (!found) return MakeError(ErrorKind::kNotFound, "backfill {} is gone from the table", id);
  for (auto s : statuses) {
    if (found->status == s) return std::move(*found);
  }
  return MakeError(ErrorKind::kInvalidInput, "backfill {} is {}", id, found->status);
}

void PutState(iceberg::TableMetadata& m, const BackfillState& s) {
  m.properties[s.PropertyKey()] = s.ToJson().dump();
}

/// Settles the published or aborted backfills of `m` that still keep their
/// windows (states written before k2 settled them).
void SettleFinished(iceberg::TableMetadata& m) {
  auto all = BackfillsOf(m);
  if (!all) return;  // an unreadable state is named where it is used
  for (BackfillState& b : *all) {
    if ((b.status == "published" || b.status == "aborted") && !b.done.empty()) {
      b.Settle(b.status);
      PutState(m, b);
    }
  }
}

/// Adjacent windows merged.
std::vector<Window> Runs(const std::vector<Window>& windows) {
  std::vector<Window> out;
  for (const Window& w : windows) {
    if (!out.empty() && out.back().end_us == w.start_us) {
      out.back().end_us = w.end_us;
    } else {
      out.push_back(w);
    }
  }
  return out;
}

/// Main's files holding rows of `windows` (as of `snapshot`), to remove, and
/// the other rows of those that also hold other windows, rewritten.
struct Replaced {
  std::vector<std::string> deleted;
  std::vector<iceberg::DataFile> kept;
  std::vector<std::unique_ptr<RollingParquetWriter>> writers;  ///< Abort() when not committed

  void Drop() {
    for (auto& w : writers) w->Abort();
  }
};

Result<Replaced> ReplaceOnMain(const iceberg::Table& table, FileIO& io, const Config& config,
                               const warm::TimeColumn& time, std::optional<int64_t> snapshot,
                               const std::vector<Window>& windows) {
  Replaced out;
  if (!snapshot || windows.empty()) return out;
  const std::vector<Window> runs = Runs(windows);
  auto scan = table.NewScan();
  scan.UseSnapshot(*snapshot);
  scan.Filter(WindowPredicate(time, {runs.front().start_us, runs.back().end_us}));
  K2_ASSIGN_OR_RETURN(auto tasks, scan.PlanFiles());
  const Schema& schema = table.schema();
  auto idx = schema.IndexOf(time.name);
  if (!idx) return MakeError(ErrorKind::kInternal, "time column {} not in the table", time.name);
  const Field& tf = schema.fields[*idx];
  for (const auto& task : tasks) {
    out.deleted.push_back(task.file.file_path);
    bool inside = std::any_of(runs.begin(), runs.end(), [&](const Window& r) {
      return FileInsideWindow(task.file, tf, time, r);
    });
    if (inside) continue;
    auto kept = RewriteOutsideWindow(table, io, config, task, time, runs);
    if (!kept) {
      out.Drop();
      return std::unexpected(kept.error().WithContext("rewriting " + task.file.file_path));
    }
    for (auto& f : kept->files) out.kept.push_back(std::move(f));
    out.writers.push_back(std::move(kept->writer));
  }
  return out;
}

/// The live data files of snapshot `head` added by the snapshots `adders`.
Result<std::vector<iceberg::DataFile>> FilesAddedBy(FileIO& io, const iceberg::TableMetadata& m,
                                                    int64_t head, const std::set<int64_t>& adders) {
  std::vector<iceberg::DataFile> out;
  if (adders.empty()) return out;
  K2_ASSIGN_OR_RETURN(const iceberg::Snapshot* snap, m.SnapshotById(head));
  K2_ASSIGN_OR_RETURN(auto manifests, iceberg::SnapshotManifests(io, *snap));
  for (const auto& mf : manifests) {
    if (mf.content != iceberg::ManifestContent::kData) continue;
    K2_ASSIGN_OR_RETURN(auto entries, iceberg::ReadManifest(io, mf));
    for (auto& e : entries) {
      if (e.status == iceberg::EntryStatus::kDeleted) continue;
      if (adders.count(e.snapshot_id.value_or(mf.added_snapshot_id))) {
        out.push_back(std::move(e.file));
      }
    }
  }
  return out;
}

Result<iceberg::Table> LoadTarget(const BackfillEnv& env, const TableConfig& cfg) {
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(cfg.target));
  return iceberg::Table::Load(env.catalog, env.io, id);
}

Result<int64_t> ParseBoundary(const std::string& text, const char* what, int64_t window_s) {
  if (text.empty()) return MakeError(ErrorKind::kInvalidInput, "{} is required", what);
  auto at = ParseTimestampMicros(text);
  if (!at)
    return MakeError(ErrorKind::kInvalidInput, "{} '{}': {}", what, text, at.error().message);
  if (*at % (window_s * kMicrosPerSecond) != 0) {
    return MakeError(ErrorKind::kInvalidInput,
                     "{} '{}' is not on a {}s window boundary of the table (windows start on the "
                     "{} in UTC)",
                     what, text, window_s, window_s % 86400 == 0 ? "day" : "hour");
  }
  return *at;
}

Status CheckStartOptions(const BackfillStartOptions& o) {
  if (o.from_warm == o.derive) {
    return MakeError(ErrorKind::kInvalidInput, "give one of --from-warm and --derive");
  }
  if (!o.derive && (!o.query.empty() || !o.source.empty())) {
    return MakeError(ErrorKind::kInvalidInput, "--query and --source go with --derive");
  }
  if (o.skip_expired && !o.from_warm) {
    return MakeError(ErrorKind::kInvalidInput, "--skip-expired goes with --from-warm");
  }
  if (!o.id.empty() && !ValidBackfillId(o.id)) {
    return MakeError(ErrorKind::kInvalidInput,
                     "backfill id '{}': use 1 to 40 letters, digits, '-' or '_'", o.id);
  }
  if (!o.query.empty()) {
    for (const char* p : {"{source}", "{start}", "{end}"}) {
      if (o.query.find(p) == std::string::npos) {
        return MakeError(ErrorKind::kInvalidInput, "the derivation query has no {} placeholder", p);
      }
    }
  }
  return OkStatus();
}

/// Derive: the query and the pinned source of `st` (phase 1).
Status ResolveDerivation(const BackfillEnv& env, const TableConfig& cfg,
                         const BackfillStartOptions& o, BackfillState& st) {
  const warm::ReferenceTable* ref = warm::FindReferenceTable(cfg.source);
  std::string source = o.source;
  if (o.query.empty()) {
    if (!ref || ref->derive_from.empty()) {
      return MakeError(ErrorKind::kInvalidInput,
                       "{} has no built-in derivation (those are bronze from raw, silver from "
                       "bronze, gold from silver): give --query FILE",
                       cfg.name);
    }
    st.query = ref->derive_select;
  } else {
    st.query = o.query;
  }
  if (source.empty()) {
    if (!ref || ref->derive_from.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "give the source table with --source");
    }
    for (const auto& t : env.config.tables) {
      if (t.source == ref->derive_from && source.empty()) source = t.name;
    }
    if (source.empty()) {
      return MakeError(ErrorKind::kNotFound, "no configured table reads {}, the source of {}",
                       ref->derive_from, cfg.name);
    }
  }
  K2_ASSIGN_OR_RETURN(const TableConfig* src, env.config.FindTable(source));
  auto table = LoadTarget(env, *src);
  if (!table) {
    return std::unexpected(table.error().WithContext(
        fmt::format("source {} ({}) of the derivation", src->name, src->target)));
  }
  if (!table->metadata().current_snapshot_id) {
    return MakeError(ErrorKind::kInvalidInput, "source {} ({}) holds no rows yet", src->name,
                     src->target);
  }
  st.source = src->name;
  st.source_location = table->metadata().location;
  st.source_metadata = table->metadata_location();
  st.source_snapshot_id = *table->metadata().current_snapshot_id;
  return OkStatus();
}

/// --from-warm: the windows ClickHouse no longer holds (no rows now, but
/// older than its oldest row or committed with rows).
Result<std::vector<Window>> ExpiredWindows(Producer& p, const BackfillState& st,
                                           const OffloadLedger& ledger) {
  K2_ASSIGN_OR_RETURN(auto counts,
                      WarmRowsByWindow(*p.driver, p.ctx.source, st.from_us, st.to_us, st.window_s));
  K2_ASSIGN_OR_RETURN(auto oldest, OldestWarmUs(*p.driver, p.ctx.source));
  std::vector<Window> out;
  for (const Window& w : st.Planned()) {
    if (counts.count(w.start_us)) continue;
    auto rec = ledger.Find(w);
    if (!oldest || *oldest >= w.end_us || (rec && rec->source_rows != 0)) out.push_back(w);
  }
  return out;
}

/// Phase 3: the branch forked from main without the planned windows' rows,
/// and the state, in one commit.
Status ForkBranch(const BackfillEnv& env, Producer& p, BackfillState& st) {
  iceberg::Table& table = *p.ctx.table;
  for (int attempt = 1;; ++attempt) {
    K2_RETURN_IF_ERROR(table.Refresh());
    const std::optional<int64_t> head = table.metadata().current_snapshot_id;
    K2_ASSIGN_OR_RETURN(Replaced r, ReplaceOnMain(table, env.io, env.config, p.ctx.source.time,
                                                  head, st.Planned()));
    auto ow = table.NewOverwrite();
    ow.ToBranch(st.Branch());
    for (const auto& path : r.deleted) ow.DeleteFile(path);
    for (auto f : r.kept) ow.AddFile(std::move(f));
    bool moved = false;
    ow.Validate([&](const iceberg::TableMetadata& m) -> Status {
      if (m.refs.count(st.Branch()) || m.properties.count(st.PropertyKey())) {
        return MakeError(ErrorKind::kAlreadyExists, "backfill {} exists already in {}", st.id,
                         st.table);
      }
      if (m.current_snapshot_id != head) {
        moved = true;
        return MakeError(ErrorKind::kCommitConflict, "main moved while the branch was forked");
      }
      return {};
    });
    ow.ChangeMetadata([&](const iceberg::TableMetadata& m) -> Result<iceberg::TableMetadata> {
      iceberg::TableMetadata next = m;
      st.base_snapshot_id = head;
      SettleFinished(next);
      PutState(next, st);
      return next;
    });
    ow.Set(kSummaryBackfillId, st.id);
    auto committed = ow.Commit();
    if (committed) {
      spdlog::info(
          "backfill {}: branch {} forked from main{} without the rows of {} window(s) "
          "({} file(s) removed, {} rewritten)",
          st.id, st.Branch(), head ? fmt::format(" at {}", *head) : "", st.Planned().size(),
          r.deleted.size(), r.writers.size());
      return OkStatus();
    }
    if (committed.error().kind != ErrorKind::kCommitStateUnknown) r.Drop();
    if (!moved || attempt >= 5) return std::unexpected(committed.error());
  }
}

/// The partition a window falls in, by the table's time transforms.
std::vector<int64_t> PartitionOf(const TableConfig& cfg, const Window& w) {
  const int64_t secs = w.start_us / kMicrosPerSecond;
  std::vector<int64_t> key;
  for (const auto& t : cfg.partition) {
    const std::time_t tt = secs;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    if (t == "hour") key.push_back(secs / 3600);
    if (t == "day") key.push_back(secs / 86400);
    if (t == "month") key.push_back((tm.tm_year + 1900) * 12 + tm.tm_mon);
    if (t == "year") key.push_back(tm.tm_year + 1900);
  }
  return key;
}

/// Windows written by one query and one commit: adjacent windows of one
/// partition, at most `max_windows` (0: no limit).
std::vector<std::vector<Window>> Chunks(const std::vector<Window>& windows, const TableConfig& cfg,
                                        int max_windows) {
  std::vector<std::vector<Window>> out;
  for (const Window& w : windows) {
    if (out.empty() || out.back().back().end_us != w.start_us ||
        (max_windows > 0 && out.back().size() >= static_cast<size_t>(max_windows)) ||
        PartitionOf(cfg, out.back().back()) != PartitionOf(cfg, w)) {
      out.emplace_back();
    }
    out.back().push_back(w);
  }
  return out;
}

/// Commits one chunk of windows streamed by StreamWindowGroups: appends its
/// files to the branch with every window of the chunk recorded in the state
/// (its own count and checksum; 0 rows for a window without any) in the same
/// metadata version; a chunk without rows is recorded without a snapshot.
/// Returns the rows committed.
Result<int64_t> CommitChunk(Producer& p, const std::string& id, const std::vector<Window>& chunk,
                            std::vector<WrittenGroup>& groups, const CancellationToken* cancel) {
  iceberg::Table& table = *p.ctx.table;
  const Window span{chunk.front().start_us, chunk.back().end_us};
  auto abort_files = [&] {
    for (auto& g : groups) {
      if (g.writer) g.writer->Abort();
    }
  };
  int64_t rows = 0;
  std::vector<BackfillWindow> records;
  for (const Window& w : chunk) {
    BackfillWindow r{w.start_us, 0, "0", 0};
    for (const auto& g : groups) {
      if (auto it = g.windows.find(w.start_us); it != g.windows.end()) {
        r.rows = it->second.rows;
        r.checksum = it->second.checksum;
      }
    }
    rows += r.rows;
    records.push_back(r);
  }
  if (IsCancelled(cancel)) {
    abort_files();
    return MakeError(ErrorKind::kCancelled, "cancelled before committing {}", span.ToString());
  }
  std::vector<int64_t> attempts;  // snapshot ids this commit tried
  bool ours = false;
  auto validate = [&](const iceberg::TableMetadata& m) -> Status {
    K2_ASSIGN_OR_RETURN(BackfillState s, StateIn(m, id, {"running"}));
    for (const Window& w : chunk) {
      if (auto it = s.done.find(w.start_us); it != s.done.end()) {
        ours = rows > 0 && std::find(attempts.begin(), attempts.end(), it->second.snapshot_id) !=
                               attempts.end();
        return MakeError(ErrorKind::kCommitConflict,
                         "window {} of backfill {} was written meanwhile", w.ToString(), id);
      }
    }
    if (!m.refs.count(s.Branch())) {
      return MakeError(ErrorKind::kNotFound, "the branch {} is gone", s.Branch());
    }
    return {};
  };
  auto record = [&](iceberg::TableMetadata& next, int64_t snapshot) -> Status {
    K2_ASSIGN_OR_RETURN(BackfillState s, StateIn(next, id, {"running"}));
    for (BackfillWindow r : records) {
      if (r.rows > 0) r.snapshot_id = snapshot;
      s.done[r.start_us] = r;
    }
    if (s.Remaining().empty()) s.status = "written";  // the last commit says so itself
    PutState(next, s);
    return OkStatus();
  };
  if (rows == 0) {
    abort_files();
    MetadataChange update([&](const iceberg::TableMetadata& m) -> Result<iceberg::TableMetadata> {
      K2_RETURN_IF_ERROR(validate(m));
      iceberg::TableMetadata next = m;
      K2_RETURN_IF_ERROR(record(next, 0));
      return next;
    });
    K2_RETURN_IF_ERROR(table.CommitUpdate(update));
    return 0;
  }
  auto append = table.NewFastAppend();
  append.ToBranch("backfill-" + id);
  for (const auto& g : groups) {
    for (const auto& f : g.files) {
      append.AppendFile(iceberg::MakeDataFile(f.metrics, f.path,
                                              table.metadata().DefaultSpec().spec_id, g.partition));
    }
  }
  append.Validate(validate);
  auto schema_change = SchemaChangeFor(p.ctx);
  append.ChangeMetadata([&](const iceberg::TableMetadata& m) -> Result<iceberg::TableMetadata> {
    K2_ASSIGN_OR_RETURN(iceberg::TableMetadata next, schema_change(m));
    attempts.push_back(append.snapshot_id());
    K2_RETURN_IF_ERROR(record(next, append.snapshot_id()));
    return next;
  });
  append.Set(kSummaryBackfillId, id);
  auto committed = append.Commit();
  if (committed || ours) return rows;
  if (committed.error().kind != ErrorKind::kCommitStateUnknown) abort_files();
  return std::unexpected(committed.error().WithContext(span.ToString()));
}

/// Phase 4 for a run of adjacent chunks: one query over their range, rows
/// ordered by time, cut into files per chunk as they pass. Without a
/// windows-per-commit limit, chunks are committed together every few
/// seconds (a commit's cost spread over many partitions; a crash redoes at
/// most that much); with one, each chunk is its own commit.
Status WriteBackfillSlice(const BackfillEnv& env, Producer& p, const std::string& id,
                          const std::vector<std::vector<Window>>& chunks,
                          const BackfillRunOptions& options,
                          const std::function<void(const std::vector<Window>&, int64_t)>& done) {
  const Window span{chunks.front().front().start_us, chunks.back().back().end_us};
  const int64_t window_s =
      (chunks.front().front().end_us - chunks.front().front().start_us) / kMicrosPerSecond;
  K2_RETURN_IF_ERROR(p.ctx.table->Refresh());
  K2_RETURN_IF_ERROR(PrepareSchema(p.ctx, /*log=*/false));
  const std::string sql =
      fmt::format("SELECT * FROM (\n{}\n) ORDER BY {}", p.ctx.source.WindowSql(span),
                  warm::QuoteIdentifier(p.ctx.source.time.name));
  std::vector<WrittenGroup> pending;
  std::vector<Window> pending_windows;
  auto last_commit = Clock::now();
  auto drop_pending = [&] {
    for (auto& g : pending) {
      if (g.writer) g.writer->Abort();
    }
  };
  Status st = StreamWindowGroups(
      *p.driver, env.io, env.config, p.ctx, sql, window_s, chunks,
      [&](size_t i, WrittenGroup& g) -> Status {
        pending.push_back(std::move(g));
        pending_windows.insert(pending_windows.end(), chunks[i].begin(), chunks[i].end());
        const bool last = i + 1 == chunks.size();
        if (!last && options.windows_per_commit == 0 &&
            Clock::now() - last_commit < std::chrono::seconds(5)) {
          return OkStatus();
        }
        auto rows = CommitChunk(p, id, pending_windows, pending, options.cancel);
        if (!rows) {
          pending.clear();  // CommitChunk removed its files, or kept those that may be committed
          return std::unexpected(rows.error());
        }
        done(pending_windows, *rows);
        pending.clear();
        pending_windows.clear();
        last_commit = Clock::now();
        return OkStatus();
      });
  if (!st) {
    drop_pending();
    return std::unexpected(st.error().WithContext(span.ToString()));
  }
  return OkStatus();
}

/// The chunks split into runs of adjacent ones (one query each), the runs
/// cut further so that at least `parallel` queries can run at once.
std::vector<std::vector<std::vector<Window>>> Slices(const std::vector<std::vector<Window>>& chunks,
                                                     int parallel) {
  std::vector<std::vector<std::vector<Window>>> runs;
  for (const auto& c : chunks) {
    if (runs.empty() || runs.back().back().back().end_us != c.front().start_us) runs.emplace_back();
    runs.back().push_back(c);
  }
  const size_t per = std::max<size_t>(1, (chunks.size() + parallel - 1) / std::max(1, parallel));
  std::vector<std::vector<std::vector<Window>>> out;
  for (auto& run : runs) {
    for (size_t i = 0; i < run.size(); i += per) {
      out.emplace_back(run.begin() + static_cast<std::ptrdiff_t>(i),
                       run.begin() + static_cast<std::ptrdiff_t>(std::min(run.size(), i + per)));
    }
  }
  return out;
}

/// Marks the backfill written when no window remains.
Status FinishWriting(iceberg::Table& table, const std::string& id) {
  MetadataChange update([&](const iceberg::TableMetadata& m) -> Result<iceberg::TableMetadata> {
    iceberg::TableMetadata next = m;
    K2_ASSIGN_OR_RETURN(BackfillState s, StateIn(m, id, {"running", "written"}));
    if (s.Remaining().empty()) s.status = "written";
    PutState(next, s);
    return next;
  });
  return table.CommitUpdate(update);
}

/// After a publish: the committed ranges for the views of `k2 warm views`
/// (jobs/warm_views.h), as the offload records them after its commits. The
/// publish stands either way; until the next offload rewrites the ranges the
/// views read those windows from ClickHouse.
void PublishRangesToWarm(const BackfillEnv& env, const iceberg::Table& table,
                         const std::string& name) {
  auto warn = [&](const Error& e) {
    spdlog::warn("backfill: writing {} for {}: {}", kColdRangesTable, name, e.ToString());
  };
  auto ledger = OffloadLedger::FromMetadata(table.metadata());
  if (!ledger) return warn(ledger.error());
  auto warm = env.warm();
  if (!warm) return warn(warm.error());
  Status st = PublishColdRanges(**warm, name, table.metadata().last_updated_ms, ledger->ranges());
  if (!st) warn(st.error());
}

}  // namespace

Status CheckMainUnchanged(const iceberg::TableMetadata& m, const std::optional<int64_t>& base,
                          const std::vector<Window>& windows) {
  bool reached = !base.has_value();
  for (const iceberg::Snapshot* s : m.MainAncestry()) {
    if (base && s->snapshot_id == *base) {
      reached = true;
      break;
    }
    // An offload's window, or the range a publish replaced.
    const bool offload = s->summary.contains(kSummaryWindowStart);
    const int64_t start =
        SummaryInt(s->summary, offload ? kSummaryWindowStart : kSummaryBackfillStart).value_or(-1);
    const int64_t end =
        SummaryInt(s->summary, offload ? kSummaryWindowEnd : kSummaryBackfillEnd).value_or(-1);
    if (start < 0 || end <= start) continue;
    for (const Window& w : windows) {
      if (w.start_us < end && start < w.end_us) {
        auto run = s->summary.find(kSummaryRunId);
        return MakeError(ErrorKind::kCommitConflict,
                         "main changed window {} since the backfill started (snapshot {}{}): "
                         "publishing would overwrite that change; abort the backfill and start "
                         "it again",
                         w.ToString(), s->snapshot_id,
                         run == s->summary.end() ? "" : ", run " + run->second);
      }
    }
  }
  if (!reached) {
    return MakeError(ErrorKind::kCommitConflict,
                     "main's history no longer holds snapshot {}, where the backfill forked "
                     "(rolled back, or expired): abort the backfill and start it again",
                     *base);
  }
  return OkStatus();
}

Result<BackfillState> StartBackfill(const BackfillEnv& env, const BackfillStartOptions& o) {
  K2_RETURN_IF_ERROR(CheckStartOptions(o));
  K2_ASSIGN_OR_RETURN(const TableConfig* cfg, env.config.FindTable(o.table));
  BackfillState st;
  st.id = o.id.empty() ? NewBackfillId() : o.id;
  st.table = cfg->name;
  st.mode = o.derive ? "derive" : "warm";
  st.window_s = cfg->window_s;
  K2_ASSIGN_OR_RETURN(st.from_us, ParseBoundary(o.from, "--from", cfg->window_s));
  K2_ASSIGN_OR_RETURN(st.to_us, ParseBoundary(o.to, "--to", cfg->window_s));
  if (st.to_us <= st.from_us) {
    return MakeError(ErrorKind::kInvalidInput, "--to '{}' is not after --from '{}'", o.to, o.from);
  }
  if ((st.to_us - st.from_us) / (cfg->window_s * kMicrosPerSecond) > 100000) {
    return MakeError(ErrorKind::kInvalidInput, "--from..--to spans over 100,000 windows");
  }
  st.created_ms = iceberg::NowMillis();
  if (o.derive) K2_RETURN_IF_ERROR(ResolveDerivation(env, *cfg, o, st));
  if (auto existing = LocateBackfill(env, st.id); existing) {
    return MakeError(ErrorKind::kAlreadyExists, "backfill {} exists already (table {})", st.id,
                     existing->table->name);
  }

  K2_ASSIGN_OR_RETURN(Producer p, OpenProducer(env, *cfg, st, /*create_table=*/true));
  if (o.derive) st.columns = p.ctx.source.columns;
  if (o.from_warm) {
    K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(p.ctx.table->metadata()));
    K2_ASSIGN_OR_RETURN(auto expired, ExpiredWindows(p, st, ledger));
    if (!expired.empty() && !o.skip_expired) {
      std::string names;
      for (size_t i = 0; i < expired.size() && i < 5; ++i) {
        names += (i ? ", " : "") + expired[i].ToString();
      }
      return MakeError(ErrorKind::kInvalidInput,
                       "{}: ClickHouse no longer holds {} window(s) of the range ({}{}); "
                       "re-offloading would empty them in Iceberg. --skip-expired leaves them "
                       "as they are; --derive recomputes them from the cold source",
                       cfg->name, expired.size(), names, expired.size() > 5 ? ", ..." : "");
    }
    for (const Window& w : expired) st.skipped.push_back(w.start_us);
  }
  if (st.Planned().empty()) {
    return MakeError(ErrorKind::kInvalidInput, "backfill {}: no window of the range is left",
                     st.id);
  }
  K2_RETURN_IF_ERROR(ForkBranch(env, p, st));
  return st;
}

Result<FoundBackfill> LocateBackfill(const BackfillEnv& env, const std::string& id) {
  K2_ASSIGN_OR_RETURN(auto all, ListBackfills(env));
  for (auto& f : all) {
    if (f.state.id == id) return std::move(f);
  }
  return MakeError(ErrorKind::kNotFound, "no backfill {} in the configured tables", id);
}

Result<std::vector<FoundBackfill>> ListBackfills(const BackfillEnv& env) {
  std::vector<FoundBackfill> out;
  for (const TableConfig& cfg : env.config.tables) {
    auto table = LoadTarget(env, cfg);
    if (!table && table.error().kind == ErrorKind::kNotFound) continue;
    if (!table) return std::unexpected(table.error().WithContext(cfg.target));
    K2_ASSIGN_OR_RETURN(auto states, BackfillsOf(table->metadata()));
    for (auto& s : states) out.push_back({&cfg, std::move(s)});
  }
  return out;
}

Result<BackfillState> RunBackfill(const BackfillEnv& env, const std::string& id,
                                  const BackfillRunOptions& options, BackfillProgress* progress) {
  K2_ASSIGN_OR_RETURN(FoundBackfill found, LocateBackfill(env, id));
  const BackfillState& st = found.state;
  if (st.status != "running" && st.status != "written") {
    return MakeError(ErrorKind::kInvalidInput, "backfill {} is {}: nothing to write", id,
                     st.status);
  }
  const std::vector<Window> remaining = st.Remaining();
  const auto chunks = Chunks(remaining, *found.table, options.windows_per_commit);
  BackfillProgress local;
  BackfillProgress& prog = progress ? *progress : local;
  prog.windows_total = static_cast<int64_t>(st.Planned().size());
  prog.windows_done = static_cast<int64_t>(st.Planned().size() - remaining.size());
  const int64_t done_before = prog.windows_done;
  if (!remaining.empty()) {
    spdlog::info("backfill {}: writing {} of {} window(s) of {} on branch {} in {} commit(s) ({})",
                 id, remaining.size(), st.Planned().size(), st.table, st.Branch(), chunks.size(),
                 st.mode == "derive" ? "derived from " + st.source : "re-read from ClickHouse");
  }
  std::mutex mu;
  size_t next = 0;
  std::optional<Error> failed;
  const auto t0 = Clock::now();
  const auto slices = Slices(chunks, options.parallel);
  auto progress_line = [&](const std::vector<Window>& chunk, int64_t rows) {
    prog.rows += rows;
    const int64_t done = prog.windows_done += static_cast<int64_t>(chunk.size());
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double eta = secs / static_cast<double>(done - done_before) *
                       static_cast<double>(prog.windows_total - done);
    spdlog::info("backfill {}: {} {} rows; {}/{} windows, {:.0f} rows/s, ETA {:.0f}s", id,
                 Window{chunk.front().start_us, chunk.back().end_us}.ToString(), rows, done,
                 prog.windows_total.load(), secs > 0 ? static_cast<double>(prog.rows) / secs : 0.0,
                 eta);
  };
  auto worker = [&] {
    auto fail = [&](const Error& e) {
      std::lock_guard lock(mu);
      if (!failed) failed = e;
    };
    auto opened = OpenProducer(env, *found.table, st, /*create_table=*/false);
    if (!opened) return fail(opened.error());
    for (;;) {
      const std::vector<std::vector<Window>>* slice = nullptr;
      {
        std::lock_guard lock(mu);
        if (failed || next >= slices.size()) return;
        slice = &slices[next++];
      }
      auto written = WriteBackfillSlice(env, *opened, id, *slice, options,
                                        [&](const std::vector<Window>& chunk, int64_t rows) {
                                          std::lock_guard lock(mu);
                                          progress_line(chunk, rows);
                                        });
      if (!written) return fail(written.error());
    }
  };
  std::vector<std::thread> threads;
  const size_t n =
      std::min<size_t>(std::max(1, options.parallel), std::max<size_t>(1, slices.size()));
  for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failed) return std::unexpected(*failed);
  K2_ASSIGN_OR_RETURN(iceberg::Table table, LoadTarget(env, *found.table));
  K2_ASSIGN_OR_RETURN(auto after, FindBackfill(table.metadata(), id));
  if (after && after->status == "running") {
    // Nothing was left to write (a resume after the last commit's crash).
    K2_RETURN_IF_ERROR(FinishWriting(table, id));
    K2_ASSIGN_OR_RETURN(after, FindBackfill(table.metadata(), id));
  }
  if (!after) return MakeError(ErrorKind::kNotFound, "backfill {} is gone from the table", id);
  return std::move(*after);
}

Result<int64_t> PublishBackfill(const BackfillEnv& env, const std::string& id) {
  K2_ASSIGN_OR_RETURN(FoundBackfill found, LocateBackfill(env, id));
  if (found.state.status == "published") {
    return MakeError(ErrorKind::kInvalidInput, "backfill {} was published already (snapshot {})",
                     id, found.state.published_snapshot_id);
  }
  if (found.state.status != "written") {
    return MakeError(ErrorKind::kInvalidInput, "backfill {} is {}{}", id, found.state.status,
                     found.state.status == "running"
                         ? fmt::format(": {} window(s) are not written yet (k2 backfill resume {})",
                                       found.state.Remaining().size(), id)
                         : "");
  }
  K2_ASSIGN_OR_RETURN(BackfillAudit audit, AuditBackfill(env, id));
  if (!audit.ok()) {
    return MakeError(ErrorKind::kInvalidInput, "backfill {} fails its audit: {}; not published", id,
                     audit.failures.front());
  }
  K2_ASSIGN_OR_RETURN(Producer p, OpenProducer(env, *found.table, found.state, false));
  iceberg::Table& table = *p.ctx.table;
  for (int attempt = 1;; ++attempt) {
    K2_RETURN_IF_ERROR(table.Refresh());
    const iceberg::TableMetadata& m = table.metadata();
    K2_ASSIGN_OR_RETURN(BackfillState st, StateIn(m, id, {"written"}));
    const std::vector<Window> windows = st.Written();
    K2_RETURN_IF_ERROR(CheckMainUnchanged(m, st.base_snapshot_id, windows));
    auto branch = m.refs.find(st.Branch());
    if (branch == m.refs.end()) {
      return MakeError(ErrorKind::kNotFound, "backfill {}: its branch {} is gone", id, st.Branch());
    }
    std::set<int64_t> adders;
    for (const auto& [start, w] : st.done) {
      if (w.snapshot_id) adders.insert(w.snapshot_id);
    }
    K2_ASSIGN_OR_RETURN(auto added, FilesAddedBy(env.io, m, branch->second.snapshot_id, adders));
    const std::optional<int64_t> head = m.current_snapshot_id;
    K2_ASSIGN_OR_RETURN(Replaced r,
                        ReplaceOnMain(table, env.io, env.config, p.ctx.source.time, head, windows));
    auto ow = table.NewOverwrite();
    for (const auto& path : r.deleted) ow.DeleteFile(path);
    for (auto f : r.kept) ow.AddFile(std::move(f));
    for (auto f : added) ow.AddFile(std::move(f));
    bool moved = false;
    bool ours = false;
    std::vector<int64_t> attempts;
    ow.Validate([&](const iceberg::TableMetadata& latest) -> Status {
      K2_ASSIGN_OR_RETURN(auto s, FindBackfill(latest, id));
      if (s && s->status == "published") {
        ours =
            std::find(attempts.begin(), attempts.end(), s->published_snapshot_id) != attempts.end();
        return MakeError(ErrorKind::kCommitConflict, "backfill {} was published meanwhile", id);
      }
      if (latest.current_snapshot_id != head) {
        moved = true;
        return MakeError(ErrorKind::kCommitConflict, "main moved during the publish");
      }
      return {};
    });
    const std::string run_id = fmt::format("backfill:{}:{}", id, st.mode);
    ow.ChangeMetadata([&](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
      iceberg::TableMetadata next = latest;
      K2_ASSIGN_OR_RETURN(BackfillState s, StateIn(latest, id, {"written"}));
      K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(latest));
      const int64_t snapshot = ow.snapshot_id();
      for (const auto& [start, w] : s.done) {
        WindowRecord rec;
        rec.window = {start, start + s.window_s * kMicrosPerSecond};
        rec.source_rows = w.rows;
        rec.source_checksum = w.checksum;
        rec.checksum_kind = ChecksumKindName(kCommitChecksumKind);
        rec.snapshot_id = w.rows ? snapshot : 0;
        rec.schema_id = latest.current_schema_id;
        rec.run_id = run_id;
        ledger.Record(rec);
      }
      next.properties[kLedgerProperty] = ledger.ToProperty();
      s.Settle("published");
      s.published_snapshot_id = snapshot;
      attempts.push_back(snapshot);
      PutState(next, s);
      next.refs.erase(s.Branch());
      return next;
    });
    ow.Set(kSummaryTable, st.table);
    ow.Set(kSummaryBackfillId, id);
    ow.Set(kSummaryRunId, run_id);
    ow.Set(kSummaryBackfillStart, std::to_string(windows.front().start_us));
    ow.Set(kSummaryBackfillEnd, std::to_string(windows.back().end_us));
    auto committed = ow.Commit();
    if (committed) {
      spdlog::info("backfill {}: published {} window(s), {} rows, on main in snapshot {}", id,
                   windows.size(), st.RowsWritten(), *committed);
      PublishRangesToWarm(env, table, st.table);
      return *committed;
    }
    if (ours) {
      K2_RETURN_IF_ERROR(table.Refresh());
      K2_ASSIGN_OR_RETURN(auto s, FindBackfill(table.metadata(), id));
      return s ? s->published_snapshot_id : 0;
    }
    if (committed.error().kind != ErrorKind::kCommitStateUnknown) r.Drop();
    if (!moved || attempt >= 5) return std::unexpected(committed.error());
  }
}

Status AbortBackfill(const BackfillEnv& env, const std::string& id) {
  K2_ASSIGN_OR_RETURN(FoundBackfill found, LocateBackfill(env, id));
  K2_ASSIGN_OR_RETURN(iceberg::Table table, LoadTarget(env, *found.table));
  MetadataChange update([&](const iceberg::TableMetadata& m) -> Result<iceberg::TableMetadata> {
    iceberg::TableMetadata next = m;
    K2_ASSIGN_OR_RETURN(BackfillState s, StateIn(m, id, {"running", "written"}));
    s.Settle("aborted");
    PutState(next, s);
    next.refs.erase(s.Branch());
    return next;
  });
  K2_RETURN_IF_ERROR(table.CommitUpdate(update));
  spdlog::info(
      "backfill {}: aborted; branch {} removed (expiry and orphan cleanup reclaim its "
      "files)",
      id, found.state.Branch());
  return OkStatus();
}

}  // namespace k2::jobs
