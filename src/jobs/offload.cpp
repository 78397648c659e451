#include "jobs/offload.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "iceberg/table.h"
#include "jobs/offload/schema_drift.h"
#include "jobs/offload/table_context.h"
#include "jobs/offload/window_commit.h"
#include "jobs/offload_ledger.h"
#include "jobs/offload_plan.h"
#include "jobs/warm_source.h"
#include "jobs/warm_views.h"
#include "jobs/window_stats.h"
#include "warm/type_mapping.h"

namespace k2::jobs {

namespace {

using Clock = std::chrono::steady_clock;

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t TransformSeconds(const std::string& transform) {
  if (transform == "hour") return 3600;
  if (transform == "day") return 86400;
  if (transform == "month") return 28 * 86400;
  if (transform == "year") return 365 * 86400;
  return 0;
}

std::string NewRunId() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

bool OffloadReport::ok() const {
  return std::none_of(tables.begin(), tables.end(), [](const auto& t) { return t.error; });
}

bool OffloadReport::all_failed() const {
  return !tables.empty() &&
         std::all_of(tables.begin(), tables.end(), [](const auto& t) { return t.error; });
}

int64_t OffloadReport::total_rows() const {
  int64_t n = 0;
  for (const auto& t : tables) {
    for (const auto& w : t.windows) n += w.rows;
  }
  return n;
}

nlohmann::json OffloadReport::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tables) {
    nlohmann::json jt = {{"table", t.table}, {"target", t.target}, {"lag_seconds", t.lag_seconds}};
    if (t.watermark_us) jt["watermark"] = FormatTimestampMicros(*t.watermark_us) + "Z";
    if (t.error) {
      jt["error"] = t.error->message;
      jt["error_kind"] = std::string(ErrorKindName(t.error->kind));
    }
    nlohmann::json ws = nlohmann::json::array();
    for (const auto& w : t.windows) {
      nlohmann::json jw = {{"window", w.window.ToString()},
                           {"action", w.action},
                           {"rows", w.rows},
                           {"bytes", w.bytes},
                           {"files", w.files},
                           {"seconds", w.seconds}};
      if (!w.reason.empty()) jw["reason"] = w.reason;
      if (w.snapshot_id) jw["snapshot_id"] = w.snapshot_id;
      ws.push_back(std::move(jw));
    }
    jt["windows"] = std::move(ws);
    out.push_back(std::move(jt));
  }
  return out;
}

OffloadJob::OffloadJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm)
    : config_(config), catalog_(catalog), io_(io), warm_(std::move(warm)) {}

Result<OffloadJob::RunWindows> OffloadJob::ParseWindows(
    const OffloadOptions& options, const std::vector<const TableConfig*>& selected) {
  if (options.replace && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--replace needs --window");
  }
  if (!options.until.empty() && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--until needs --window");
  }
  if (options.force && !options.replace) {
    return MakeError(ErrorKind::kInvalidInput, "--force goes with --replace");
  }
  // Windows that cannot be right are usage errors, before any table runs.
  RunWindows windows;
  if (!options.window.empty()) {
    auto at = ParseTimestampMicros(options.window);
    if (!at) {
      return MakeError(ErrorKind::kInvalidInput, "--window '{}': {}", options.window,
                       at.error().message);
    }
    constexpr int64_t kMaxUs = int64_t{253402300800} * kMicrosPerSecond;  // 10000-01-01
    if (*at < 0 || *at >= kMaxUs) {
      return MakeError(ErrorKind::kInvalidInput,
                       "--window '{}' is outside 1970-01-01 .. 9999-12-31", options.window);
    }
    int64_t finest = 0;
    for (const TableConfig* t : selected) {
      finest = finest == 0 ? t->window_s : std::min(finest, t->window_s);
    }
    if (finest > 0 && *at % (finest * kMicrosPerSecond) != 0) {
      return MakeError(ErrorKind::kInvalidInput,
                       "--window '{}' is not the start of a {}s window (windows start on the "
                       "{} in UTC)",
                       options.window, finest, finest % 86400 == 0 ? "day" : "hour");
    }
    windows.from_us = *at;
    windows.until_us = *at + 1;
    if (!options.until.empty()) {
      auto until = ParseTimestampMicros(options.until);
      if (!until) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}': {}", options.until,
                         until.error().message);
      }
      if (*until <= *at) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}' is not after --window '{}'",
                         options.until, options.window);
      }
      if (*until > kMaxUs) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}' is after 9999-12-31",
                         options.until);
      }
      windows.until_us = *until;
    }
  }
  return windows;
}

Status CheckOffloadOptions(const Config& config, const OffloadOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config.SelectTables(options.tables, options.layer));
  K2_RETURN_IF_ERROR(OffloadJob::ParseWindows(options, selected));
  return OkStatus();
}

Result<OffloadReport> OffloadJob::Run(const OffloadOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config_.SelectTables(options.tables, options.layer));
  K2_ASSIGN_OR_RETURN(RunWindows windows, ParseWindows(options, selected));
  int64_t now_us = options.now_us ? options.now_us : SystemNowUs();
  std::string run_id = NewRunId();

  OffloadReport report;
  report.tables.resize(selected.size());
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mu);
        if (next >= selected.size()) return;
        i = next++;
      }
      report.tables[i] = RunTable(*selected[i], options, windows, now_us, run_id);
    }
  };
  size_t n = std::min<size_t>(
      selected.size(), static_cast<size_t>(std::max(1, config_.offload.max_parallel_tables)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return report;
}

namespace {

/// 1. Resolve: the source (query, time column, FINAL, schema) and the Iceberg
/// table (created unless this is a dry run), before any data moves.
Status ResolveTable(const Config& config, Catalog& catalog, FileIO& io, warm::WarmDriver& warm,
                    bool dry_run, TableContext& ctx) {
  const TableConfig& cfg = *ctx.cfg;
  K2_ASSIGN_OR_RETURN(ctx.source, ResolveWarmSource(warm, cfg));
  ctx.columns = ctx.source.columns;
  for (const auto& p : cfg.partition) {
    int64_t gran = TransformSeconds(p);
    if (gran == 0 || (gran < cfg.window_s)) {
      return MakeError(ErrorKind::kInvalidInput,
                       "partition '{}' is finer than the {}s window: a window must fall in one "
                       "partition",
                       p, cfg.window_s);
    }
  }
  K2_RETURN_IF_ERROR(MapWarmSchema(config, ctx));
  if (!dry_run) return EnsureTable(catalog, io, config, ctx);
  // A dry run plans without creating anything.
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(cfg.target));
  auto loaded = iceberg::Table::Load(catalog, io, id);
  if (loaded) {
    ctx.table.emplace(std::move(*loaded));
  } else if (loaded.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(loaded.error());
  }
  return OkStatus();
}

/// 2a. The windows --window/--until asks for. A coarser table (daily candles
/// in an hourly --window) takes the closed windows containing the range, or
/// one skipped window saying why.
Result<std::vector<PlannedWindow>> PlanRequested(const Config& config, const TableConfig& cfg,
                                                 const OffloadLedger& ledger,
                                                 const OffloadJob::RunWindows& windows,
                                                 bool replace, int64_t now_us) {
  Window first = WindowContaining(*windows.from_us, cfg.window_s);
  Window last = WindowContaining(windows.until_us - 1, cfg.window_s);
  if (first.start_us != *windows.from_us) {
    const int64_t settle_us = config.offload.settle_delay_s * kMicrosPerSecond;
    while (last.start_us >= first.start_us && last.end_us + settle_us > now_us) {
      last = {last.start_us - cfg.window_s * kMicrosPerSecond, last.start_us};
    }
    if (last.start_us < first.start_us) {
      return std::vector<PlannedWindow>{
          {first, false, true, PlanReason::kNew,
           fmt::format("the {}s window containing --window has not closed", cfg.window_s)}};
    }
  }
  return PlanExplicit(ledger, first, last, cfg.window_s, replace, now_us,
                      config.offload.settle_delay_s);
}

/// 2b. The catch-up: late-row checks of the newest committed windows
/// (recomputed the way each was recorded, over the columns its commit had,
/// so a column added since does not make every window look changed), then
/// the due windows.
Result<std::vector<PlannedWindow>> PlanCatchUpFor(const Config& config, WindowJob& job,
                                                  const OffloadLedger& ledger, int64_t now_us) {
  TableContext& ctx = job.ctx;
  CatchUpInput in;
  in.ledger = &ledger;
  in.now_us = now_us;
  in.window_s = ctx.cfg->window_s;
  in.settle_s = config.offload.settle_delay_s;
  in.max_windows = static_cast<size_t>(config.offload.max_windows_per_run);
  for (const WindowRecord& r :
       ledger.Newest(static_cast<size_t>(config.offload.late_check_windows))) {
    K2_ASSIGN_OR_RETURN(ChecksumKind kind, ParseChecksumKind(r.checksum_kind));
    WarmCheck check;
    check.record = r;
    std::vector<WarmColumn> columns = ColumnsAsOf(ctx, r.schema_id, check.checksum_comparable);
    K2_ASSIGN_OR_RETURN(WindowStats stats,
                        QueryWindowStats(job.warm, ctx.source.WindowSql(r.window), columns, kind));
    check.warm_rows = stats.rows;
    check.warm_checksum = stats.checksum;
    if (check.warm_rows == 0 && r.source_rows > 0) {
      K2_ASSIGN_OR_RETURN(check.warm_expired,
                          WarmExpired(job.warm, ctx.source, r.window, job.oldest_warm));
    }
    in.checks.push_back(std::move(check));
  }
  if (!ledger.WatermarkUs()) {
    K2_ASSIGN_OR_RETURN(in.oldest_warm_us, OldestWarmUs(job.warm, ctx.source));
    job.oldest_warm = in.oldest_warm_us;
  }
  return PlanCatchUp(in);
}

/// Rows per planned window in one grouped query, when several windows are to
/// be written (an outage's catch-up: empty ones are then recorded without a
/// stream each) or for the dry run's counts; nullopt when not asked.
Result<std::optional<std::map<int64_t, int64_t>>> CountPlanned(
    warm::WarmDriver& warm, const TableContext& ctx, const std::vector<PlannedWindow>& plan,
    bool dry_run) {
  std::optional<Window> span;
  size_t to_write = 0;
  for (const auto& p : plan) {
    if (p.skip) continue;
    ++to_write;
    if (!span) span = p.window;
    span->start_us = std::min(span->start_us, p.window.start_us);
    span->end_us = std::max(span->end_us, p.window.end_us);
  }
  if (!span || (!dry_run && to_write <= 2)) return std::optional<std::map<int64_t, int64_t>>{};
  K2_ASSIGN_OR_RETURN(auto rows, WarmRowsByWindow(warm, ctx.source, span->start_us, span->end_us,
                                                  ctx.cfg->window_s));
  return std::optional<std::map<int64_t, int64_t>>(std::move(rows));
}

/// The dry run's outcome of a planned window.
WindowOutcome DryRunOutcome(const PlannedWindow& p, const std::map<int64_t, int64_t>& rows) {
  WindowOutcome wo;
  wo.window = p.window;
  if (p.skip) {
    wo.action = "committed";
    wo.reason =
        p.detail == "already committed" ? "already committed; --replace re-offloads it" : p.detail;
    return wo;
  }
  wo.action = "planned";
  wo.reason = p.replace ? fmt::format("replace ({}): {}", PlanReasonName(p.reason), p.detail)
                        : "append (new)";
  auto n = rows.find(p.window.start_us);
  wo.rows = n == rows.end() ? 0 : n->second;
  return wo;
}

/// A window not written: already committed (or not closed, for a coarser table).
WindowOutcome SkippedOutcome(const PlannedWindow& p, const OffloadLedger& ledger) {
  WindowOutcome wo;
  wo.window = p.window;
  wo.action = "skipped";
  auto r = ledger.Find(p.window);
  if (!r) {
    wo.reason = p.detail;
  } else if (r->snapshot_id) {
    wo.reason =
        fmt::format("already committed (snapshot {}); --replace re-offloads it", r->snapshot_id);
  } else {
    wo.reason = "already committed; --replace re-offloads it";
  }
  return wo;
}

/// A window the grouped count found empty: recorded by the next commit,
/// nothing streamed. Rows that arrive later are late rows, found by the
/// next run's check.
WindowOutcome RecordEmpty(WindowJob& job, const Window& w) {
  WindowRecord r;
  r.window = w;
  r.source_rows = 0;
  r.source_checksum = "0";
  r.checksum_kind = ChecksumKindName(kCommitChecksumKind);
  r.run_id = job.run_id;
  job.empties.push_back(std::move(r));
  WindowOutcome wo;
  wo.window = w;
  wo.action = "empty";
  wo.reason = "no rows: recorded in the ledger without a snapshot";
  return wo;
}

}  // namespace

TableOffload OffloadJob::RunTable(const TableConfig& cfg, const OffloadOptions& options,
                                  const RunWindows& windows, int64_t now_us,
                                  const std::string& run_id) {
  TableOffload out;
  out.table = cfg.name;
  out.target = cfg.target;
  auto fail = [&](const Error& e) {
    out.error = e.WithContext(cfg.name);
    spdlog::error("{}", out.error->message);
    return out;
  };
  TableContext ctx;
  ctx.cfg = &cfg;
  auto driver = warm_();
  if (!driver) return fail(driver.error());
  warm::WarmDriver& warm = **driver;

  // 1. Resolve.
  if (auto st = ResolveTable(config_, catalog_, io_, warm, options.dry_run, ctx); !st) {
    return fail(st.error());
  }
  // 2. Plan.
  OffloadLedger ledger;
  if (ctx.table) {
    auto read = OffloadLedger::FromMetadata(ctx.table->metadata());
    if (!read) return fail(read.error());
    ledger = std::move(*read);
  }
  out.watermark_us = ledger.WatermarkUs();
  WindowJob job{config_, io_, ctx, warm, options, run_id, {}, {}};
  auto plan = windows.from_us
                  ? PlanRequested(config_, cfg, ledger, windows, options.replace, now_us)
                  : PlanCatchUpFor(config_, job, ledger, now_us);
  if (!plan) return fail(plan.error());
  auto counted = CountPlanned(warm, ctx, *plan, options.dry_run);
  if (!counted) return fail(counted.error());
  const int64_t closed_end =
      WindowContaining(now_us - config_.offload.settle_delay_s * kMicrosPerSecond, cfg.window_s)
          .start_us;
  auto set_lag = [&] {
    if (out.watermark_us) {
      out.lag_seconds = std::max<int64_t>(0, closed_end - *out.watermark_us) / kMicrosPerSecond;
    }
  };
  if (options.dry_run) {
    const std::map<int64_t, int64_t> none;
    for (const auto& p : *plan)
      out.windows.push_back(DryRunOutcome(p, *counted ? **counted : none));
    set_lag();
    return out;
  }

  // 3 + 4. Write and commit each window, oldest first.
  for (const PlannedWindow& p : *plan) {
    if (p.skip) {
      out.windows.push_back(SkippedOutcome(p, ledger));
      continue;
    }
    if (*counted && !p.replace && !(*counted)->count(p.window.start_us)) {
      out.windows.push_back(RecordEmpty(job, p.window));
      continue;
    }
    auto wo = OffloadWindow(job, p);
    if (!wo) return fail(wo.error());
    if (wo->action == "append" || wo->action == "replace") {
      spdlog::info("{} {}: {} {} rows in {} files ({} bytes) in {:.2f}s", cfg.name,
                   p.window.ToString(), wo->action, wo->rows, wo->files, wo->bytes, wo->seconds);
    }
    out.windows.push_back(std::move(*wo));
  }
  if (!job.empties.empty()) {
    // Trailing empty windows: one metadata commit records them all.
    LedgerUpdate update(job.empties);
    if (auto st = ctx.table->CommitUpdate(update); !st) {
      return fail(st.error().WithContext("recording empty windows"));
    }
    spdlog::info("{}: recorded {} empty window(s) in the ledger", cfg.name, job.empties.size());
  }
  if (ctx.table && ctx.table->Refresh()) {
    if (auto l = OffloadLedger::FromMetadata(ctx.table->metadata())) {
      out.watermark_us = l->WatermarkUs();
      // The views of `k2 warm views` read the committed windows from the warm
      // tier: written after the commits, so they name only committed windows.
      if (auto st =
              PublishColdRanges(warm, cfg.name, ctx.table->metadata().last_updated_ms, l->ranges());
          !st) {
        return fail(st.error().WithContext(std::string("writing ") + kColdRangesTable));
      }
    }
  }
  set_lag();
  return out;
}

}  // namespace k2::jobs
