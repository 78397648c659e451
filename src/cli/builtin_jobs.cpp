#include "cli/builtin_jobs.h"

#include <charconv>
#include <chrono>

#include <fmt/ranges.h>

#include "catalog/catalog_factory.h"
#include "cli/child_job.h"
#include "cli/commands.h"
#include "common/config.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/audit.h"
#include "jobs/backfill/backfill_state.h"
#include "jobs/maintenance/maintenance.h"
#include "jobs/offload.h"
#include "jobs/offload_ledger.h"
#include "service/job.h"
#include "service/job_schedule.h"
#include "service/table_stats.h"

namespace k2::cli {

namespace {

/// The arguments that give a child k2 this daemon's config.
std::vector<std::string> ConfigArgs(const Config& config) {
  if (config.path.empty()) return {};
  return {"--config", config.path};
}

/// Runs a job's command in a child k2 and returns its --json report (an
/// array of tables). A child that printed no report failed before any table
/// ran (its error is in the log).
Result<nlohmann::json> ChildReport(const std::vector<std::string>& args, service::JobContext& ctx,
                                   const std::string& job) {
  auto child = RunChildCommand(args, ctx.cancel);
  if (!child) {
    if (child.error().kind == ErrorKind::kCancelled) K2_RETURN_IF_ERROR(ctx.cancel.Check(job));
    return std::unexpected(child.error());
  }
  if (!child->output.is_array()) {
    return MakeError(
        child->exit_code == kExitUsage ? ErrorKind::kInvalidInput : ErrorKind::kInternal,
        "job {}: k2 {} exited {} without a report (its error is in the log above)", job,
        fmt::join(args, " "), child->exit_code);
  }
  return std::move(child->output);
}

/// Owns what one offload run needs for the lifetime of the job: a layer's
/// tables ("offload_raw") or one table on a schedule of its own.
class OffloadLayerJob final : public service::Job {
 public:
  OffloadLayerJob(Config config, std::string name, std::string layer,
                  std::vector<std::string> tables, std::unique_ptr<Catalog> catalog,
                  std::unique_ptr<FileIO> io)
      : config_(std::move(config)),
        name_(std::move(name)),
        layer_(std::move(layer)),
        tables_(std::move(tables)),
        catalog_(std::move(catalog)),
        io_(std::move(io)) {}

  std::string name() const override { return name_; }

  Result<service::JobOutcome> Run(service::JobContext& ctx) override {
    nlohmann::json report;
    if (config_.warm.kind == WarmKind::kEmbedded) {
      // The embedded engine lives in a child process for the job's length.
      std::vector<std::string> args = ConfigArgs(config_);
      args.push_back("offload");
      if (tables_.empty()) {
        args.insert(args.end(), {"--layer", layer_});
      } else {
        for (const auto& t : tables_) args.insert(args.end(), {"--table", t});
      }
      args.push_back("--json");
      K2_ASSIGN_OR_RETURN(report, ChildReport(args, ctx, name_));
    } else {
      jobs::OffloadJob job(config_, *catalog_, *io_,
                           [this] { return jobs::OpenWarmDriver(config_); });
      jobs::OffloadOptions options;
      if (tables_.empty()) {
        options.layer = layer_;
      } else {
        options.tables = tables_;
      }
      // Polled before every commit: a timeout or shutdown stops before
      // committing, never half-way.
      options.cancel = &ctx.cancel;
      K2_ASSIGN_OR_RETURN(jobs::OffloadReport r, job.Run(options));
      report = r.ToJson();
    }
    service::JobOutcome out;
    std::optional<Error> first_error;
    for (const auto& t : report) {
      service::TableOutcome to;
      to.table = t.value("target", "");
      for (const auto& w : t.value("windows", nlohmann::json::array())) {
        to.rows += w.value("rows", int64_t{0});
        to.bytes += w.value("bytes", int64_t{0});
        to.files += w.value("files", int64_t{0});
        to.duration_seconds += w.value("seconds", 0.0);
      }
      if (int64_t lag = t.value("lag_seconds", int64_t{-1}); lag >= 0) {
        to.lag_seconds = static_cast<double>(lag);
      }
      if (t.contains("error")) {
        to.detail = t.value("error", "");
        if (!first_error) {
          first_error = Error{
              ParseErrorKind(t.value("error_kind", "")).value_or(ErrorKind::kInternal), to.detail};
        }
      }
      out.rows += to.rows;
      out.bytes += to.bytes;
      out.files += to.files;
      out.tables.push_back(std::move(to));
    }
    out.summary = fmt::format("{} rows into {} tables", out.rows, report.size());
    if (first_error) {
      if (first_error->kind == ErrorKind::kCancelled) {
        if (auto st = ctx.cancel.Check(name_); !st) return std::unexpected(st.error());
      }
      return std::unexpected(*first_error);
    }
    return out;
  }

 private:
  Config config_;
  std::string name_;
  std::string layer_;
  std::vector<std::string> tables_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
};

/// "offload_<layer>" or "offload_<table>", with the tables the schedule gives it.
Result<std::unique_ptr<service::Job>> MakeOffloadJob(const std::string& name,
                                                     const Config& config) {
  std::string layer;
  std::vector<std::string> tables;
  K2_ASSIGN_OR_RETURN(auto schedule, service::ScheduleFromConfig(config));
  bool scheduled = false;
  for (const auto& s : schedule) {
    if (s.name != name) continue;
    scheduled = true;
    tables = s.tables;
  }
  std::string suffix = name.substr(std::string("offload_").size());
  if (suffix == "raw" || suffix == "bronze" || suffix == "silver" || suffix == "gold") {
    layer = suffix;
  } else if (!scheduled) {
    return MakeError(ErrorKind::kNotFound,
                     "job '{}': no layer or table with a schedule of its own has that name", name);
  }
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  return std::make_unique<OffloadLayerJob>(config, name, layer, std::move(tables),
                                           std::move(catalog), std::move(io));
}

/// One maintenance operation over every configured table that exists.
class MaintenanceJob final : public service::Job {
 public:
  MaintenanceJob(Config config, std::string name, std::string op, std::unique_ptr<Catalog> catalog,
                 std::unique_ptr<FileIO> io)
      : config_(std::move(config)),
        name_(std::move(name)),
        op_(std::move(op)),
        catalog_(std::move(catalog)),
        io_(std::move(io)) {}

  std::string name() const override { return name_; }

  Result<service::JobOutcome> Run(service::JobContext& ctx) override {
    K2_ASSIGN_OR_RETURN(auto tables, jobs::MaintainedTables(config_, *catalog_, ""));
    jobs::MaintenanceRun run =
        jobs::RunMaintenance(op_, config_, *catalog_, *io_, tables, false, &ctx.cancel);
    if (run.first_error) return std::unexpected(*run.first_error);
    service::JobOutcome out;
    out.summary = fmt::format("{} on {} tables", op_, tables.size());
    for (const auto& r : run.reports) {
      service::TableOutcome t;
      t.table = r.value("table", "");
      t.detail = r.dump();
      out.tables.push_back(std::move(t));
    }
    return out;
  }

 private:
  Config config_;
  std::string name_;
  std::string op_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
};

/// The weekly warm-vs-cold audit of every enabled table. Each table's
/// outcome carries audit_ok, which raises or clears its audit_mismatch alert.
class AuditServiceJob final : public service::Job {
 public:
  AuditServiceJob(Config config, std::unique_ptr<Catalog> catalog, std::unique_ptr<FileIO> io)
      : config_(std::move(config)), catalog_(std::move(catalog)), io_(std::move(io)) {}

  std::string name() const override { return "audit"; }

  Result<service::JobOutcome> Run(service::JobContext& ctx) override {
    nlohmann::json report;
    if (config_.warm.kind == WarmKind::kEmbedded) {
      std::vector<std::string> args = ConfigArgs(config_);
      args.insert(args.end(), {"audit", "--json"});
      K2_ASSIGN_OR_RETURN(report, ChildReport(args, ctx, name()));
    } else {
      jobs::AuditJob job(config_, *catalog_, *io_,
                         [this] { return jobs::OpenWarmDriver(config_); });
      jobs::AuditOptions options;
      options.cancel = &ctx.cancel;
      auto r = job.Run(options);
      if (!r) {
        if (r.error().kind == ErrorKind::kCancelled) K2_RETURN_IF_ERROR(ctx.cancel.Check(name()));
        return std::unexpected(r.error());
      }
      report = r->ToJson();
    }
    service::JobOutcome out;
    int64_t windows = 0, failing = 0;
    for (const auto& t : report) {
      if (t.contains("error")) {
        return std::unexpected(
            Error{ParseErrorKind(t.value("error_kind", "")).value_or(ErrorKind::kInternal),
                  t.value("error", "")});
      }
      service::TableOutcome to;
      to.table = t.value("target", "");
      to.audit_ok = t.value("ok", false);
      to.audit_failures = 0;
      for (const auto& w : t.value("windows", nlohmann::json::array())) {
        ++windows;
        to.rows += w.value("cold_rows", int64_t{0});
        std::string status = w.value("status", "");
        if (status != "mismatch" && status != "missing_in_warm" && status != "missing_in_cold") {
          continue;
        }
        ++failing;
        ++*to.audit_failures;
        if (to.detail.size() < 400) {
          to.detail += fmt::format("{}{} {}: {}", to.detail.empty() ? "" : "; ",
                                   w.value("window", ""), status, w.value("detail", ""));
        }
      }
      out.rows += to.rows;
      out.tables.push_back(std::move(to));
    }
    out.summary = fmt::format("{} windows of {} tables audited, {} disagree", windows,
                              report.size(), failing);
    return out;
  }

 private:
  Config config_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
};

/// The catalog and file IO the table providers share (opened once per daemon).
struct TableSources {
  std::shared_ptr<Catalog> catalog;
  std::shared_ptr<FileIO> io;
  std::vector<TableConfig> tables;
  int64_t small_file_bytes = 0;
};

Result<std::shared_ptr<const TableSources>> OpenTableSources(const Config& config) {
  auto sources = std::make_shared<TableSources>();
  K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
  sources->catalog = std::move(catalog);
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
  sources->io = std::move(io);
  sources->tables = config.tables;
  sources->small_file_bytes = config.maintenance.compaction_min_file_size_bytes;
  return sources;
}

int64_t SummaryNumber(const std::map<std::string, std::string>& summary, const char* key) {
  return jobs::SummaryInt(summary, key).value_or(0);
}

/// Watermark, lag and totals of a loaded table, from its current snapshot summary
/// and offload ledger.
service::TableStats StatsOf(const std::string& name, const iceberg::TableMetadata& m,
                            std::chrono::system_clock::time_point now) {
  service::TableStats s;
  s.table = name;
  s.snapshots = static_cast<int64_t>(m.snapshots.size());
  if (const iceberg::Snapshot* head = m.CurrentSnapshot()) {
    s.data_files = SummaryNumber(head->summary, "total-data-files");
    s.total_bytes = SummaryNumber(head->summary, "total-files-size");
    s.total_rows = SummaryNumber(head->summary, "total-records");
  }
  if (auto backfills = jobs::BackfillsOf(m)) {
    for (const auto& b : *backfills) {
      if (b.status != "running" && b.status != "written") continue;
      s.backfills.push_back({b.id, b.status, b.mode, static_cast<int64_t>(b.Planned().size()),
                             b.WindowsWritten(), b.RowsWritten()});
    }
  }
  auto read = jobs::OffloadLedger::FromMetadata(m);
  jobs::OffloadLedger ledger = read ? std::move(*read) : jobs::OffloadLedger{};
  if (auto wm = ledger.WatermarkUs()) {
    s.watermark = service::TimePoint(std::chrono::microseconds(*wm));
    s.lag_seconds = std::max(
        0.0, std::chrono::duration<double>(
                 now - std::chrono::system_clock::time_point(std::chrono::microseconds(*wm)))
                 .count());
  }
  return s;
}

/// Reads every configured table's metadata for /metrics and /api/tables.
Result<service::TableStatsProvider> MakeTableStats(const Config& config) {
  K2_ASSIGN_OR_RETURN(auto sources, OpenTableSources(config));
  return service::TableStatsProvider([sources]() -> Result<std::vector<service::TableStats>> {
    std::vector<service::TableStats> out;
    auto now = std::chrono::system_clock::now();
    for (const TableConfig& t : sources->tables) {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(t.target));
      auto table = iceberg::Table::Load(*sources->catalog, *sources->io, id);
      if (!table && table.error().kind == ErrorKind::kNotFound) continue;
      if (!table) return std::unexpected(table.error());
      out.push_back(StatsOf(t.target, table->metadata(), now));
    }
    return out;
  });
}

/// One offload commit's window, if `snap` is one.
std::optional<service::WindowStat> OffloadWindowOf(const iceberg::Snapshot& snap) {
  if (!snap.summary.contains(jobs::kSummaryWindowStart)) return std::nullopt;
  auto us = [](int64_t v) { return service::TimePoint(std::chrono::microseconds(v)); };
  service::WindowStat w;
  w.start = us(SummaryNumber(snap.summary, jobs::kSummaryWindowStart));
  w.end = us(SummaryNumber(snap.summary, jobs::kSummaryWindowEnd));
  w.committed = service::TimePoint(std::chrono::milliseconds(snap.timestamp_ms));
  w.rows = SummaryNumber(snap.summary, "added-records");
  w.bytes = SummaryNumber(snap.summary, "added-files-size");
  w.files = SummaryNumber(snap.summary, "added-data-files");
  return w;
}

/// The dashboard's view of one table: stats, file sizes, deletes, recent windows.
Result<service::TableDetail> DetailOf(const TableSources& sources, const std::string& name,
                                      const iceberg::Table& table, service::TimePoint since,
                                      std::chrono::system_clock::time_point now) {
  const auto& m = table.metadata();
  service::TableDetail d;
  d.stats = StatsOf(name, m, now);
  d.small_file_threshold_bytes = sources.small_file_bytes;
  d.file_size_buckets.assign(std::size(service::kFileSizeBucketBounds) + 1, 0);
  std::vector<const iceberg::Snapshot*> ancestry = m.MainAncestry();
  if (ancestry.empty()) return d;
  const auto& head = ancestry.front()->summary;
  d.delete_files = SummaryNumber(head, "total-delete-files");
  d.position_deletes = SummaryNumber(head, "total-position-deletes");
  d.equality_deletes = SummaryNumber(head, "total-equality-deletes");

  K2_ASSIGN_OR_RETURN(std::vector<iceberg::FileScanTask> tasks, table.NewScan().PlanFiles());
  bool first = true;
  for (const iceberg::FileScanTask& task : tasks) {
    int64_t size = task.file.file_size_in_bytes;
    size_t bucket = 0;
    while (bucket < std::size(service::kFileSizeBucketBounds) &&
           size > service::kFileSizeBucketBounds[bucket]) {
      ++bucket;
    }
    ++d.file_size_buckets[bucket];
    if (size < sources.small_file_bytes) {
      ++d.small_files;
      d.small_file_bytes += size;
    }
    d.smallest_file_bytes = first ? size : std::min(d.smallest_file_bytes, size);
    d.largest_file_bytes = std::max(d.largest_file_bytes, size);
    first = false;
  }

  // Newest commit of each window wins (a --replace re-offload supersedes the first).
  std::map<int64_t, service::WindowStat> windows;
  for (const iceberg::Snapshot* snap : ancestry) {
    auto w = OffloadWindowOf(*snap);
    if (!w) continue;
    if (!d.last_offload) d.last_offload = *w;
    if (w->start < since) continue;
    windows.try_emplace(w->start.time_since_epoch().count(), *w);
  }
  for (auto& [start, w] : windows) d.windows.push_back(w);
  return d;
}

Result<service::TableDetailProvider> MakeTableDetails(const Config& config) {
  K2_ASSIGN_OR_RETURN(auto sources, OpenTableSources(config));
  return service::TableDetailProvider(
      [sources](service::TimePoint since) -> Result<std::vector<service::TableDetail>> {
        std::vector<service::TableDetail> out;
        auto now = std::chrono::system_clock::now();
        for (const TableConfig& t : sources->tables) {
          K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(t.target));
          auto table = iceberg::Table::Load(*sources->catalog, *sources->io, id);
          if (!table && table.error().kind == ErrorKind::kNotFound) continue;
          if (!table) return std::unexpected(table.error());
          K2_ASSIGN_OR_RETURN(service::TableDetail d,
                              DetailOf(*sources, t.target, *table, since, now));
          out.push_back(std::move(d));
        }
        return out;
      });
}

}  // namespace

void RegisterBuiltinJobs(service::JobRegistry& registry) {
  for (const char* layer : {"raw", "bronze", "silver", "gold"}) {
    std::string name = std::string("offload_") + layer;
    registry.RegisterJobFactory(
        name, [name](const Config& config) { return MakeOffloadJob(name, config); });
  }
  registry.RegisterJobFamily("offload_", MakeOffloadJob);
  // Scheduled maintenance job names (service/job_schedule) -> operations.
  static const std::pair<const char*, const char*> kMaintenance[] = {{"compaction", "compact"},
                                                                     {"expire", "expire"},
                                                                     {"orphans", "orphans"},
                                                                     {"manifests", "manifests"}};
  for (const auto& [name, op] : kMaintenance) {
    registry.RegisterJobFactory(
        name,
        [name = std::string(name),
         op = std::string(op)](const Config& config) -> Result<std::unique_ptr<service::Job>> {
          K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
          K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
          return std::make_unique<MaintenanceJob>(config, name, op, std::move(catalog),
                                                  std::move(io));
        });
  }
  registry.RegisterJobFactory(
      "audit", [](const Config& config) -> Result<std::unique_ptr<service::Job>> {
        K2_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config));
        K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location, config.warehouse));
        return std::make_unique<AuditServiceJob>(config, std::move(catalog), std::move(io));
      });
  registry.SetTableStatsFactory(MakeTableStats);
  registry.SetTableDetailFactory(MakeTableDetails);
}

}  // namespace k2::cli
