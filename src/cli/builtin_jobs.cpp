#include "cli/builtin_jobs.h"

#include <charconv>
#include <chrono>

#include "catalog/catalog_factory.h"
#include "common/config.h"
#include "iceberg/table.h"
#include "jobs/maintenance/maintenance.h"
#include "jobs/offload.h"
#include "jobs/offload_ledger.h"
#include "service/job.h"
#include "service/table_stats.h"

namespace k2::cli {

namespace {

/// Owns what one offload run needs for the lifetime of the job.
class OffloadLayerJob final : public service::Job {
 public:
  OffloadLayerJob(Config config, std::string layer, std::unique_ptr<Catalog> catalog,
                  std::unique_ptr<FileIO> io)
      : config_(std::move(config)),
        layer_(std::move(layer)),
        catalog_(std::move(catalog)),
        io_(std::move(io)) {}

  std::string name() const override { return "offload_" + layer_; }

  Result<service::JobOutcome> Run(service::JobContext& ctx) override {
    jobs::OffloadJob job(config_, *catalog_, *io_,
                         [this] { return jobs::OpenWarmDriver(config_); });
    jobs::OffloadOptions options;
    options.layer = layer_;
    // Polled before every commit: a timeout or shutdown stops before
    // committing, never half-way.
    options.cancelled = [&ctx] { return ctx.cancel.IsCancelled(); };
    K2_ASSIGN_OR_RETURN(jobs::OffloadReport report, job.Run(options));
    service::JobOutcome out;
    std::optional<Error> first_error;
    for (const auto& t : report.tables) {
      service::TableOutcome to;
      to.table = t.target;
      for (const auto& w : t.windows) {
        to.rows += w.rows;
        to.bytes += w.bytes;
        to.files += w.files;
        to.duration_seconds += w.seconds;
      }
      if (t.lag_seconds >= 0) to.lag_seconds = static_cast<double>(t.lag_seconds);
      if (t.error) {
        to.detail = t.error->message;
        if (!first_error) first_error = *t.error;
      }
      out.rows += to.rows;
      out.bytes += to.bytes;
      out.files += to.files;
      out.tables.push_back(std::move(to));
    }
    out.summary = fmt::format("{} rows into {} tables", out.rows, report.tables.size());
    if (first_error) {
      if (first_error->kind == ErrorKind::kCancelled) {
        if (auto st = ctx.cancel.Check("offload " + layer_); !st)
          return std::unexpected(st.error());
      }
      return std::unexpected(*first_error);
    }
    return out;
  }

 private:
  Config config_;
  std::string layer_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
};

Result<std::unique_ptr<service::Job>> MakeOffloadJob(const Config& config,
                                                     const std::string& layer) {
  K2_ASSIGN_OR_RETURN(auto catalog, OpenSqlCatalog(config.catalog.uri, config.catalog.name));
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location));
  return std::make_unique<OffloadLayerJob>(config, layer, std::move(catalog), std::move(io));
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

/// Reads every configured table's metadata for /metrics and /api/tables.
Result<service::TableStatsProvider> MakeTableStats(const Config& config) {
  std::shared_ptr<Catalog> catalog;
  {
    K2_ASSIGN_OR_RETURN(auto c, OpenSqlCatalog(config.catalog.uri, config.catalog.name));
    catalog = std::move(c);
  }
  std::shared_ptr<FileIO> io;
  {
    K2_ASSIGN_OR_RETURN(auto i, NewFileIOFor(config.warehouse.location));
    io = std::move(i);
  }
  auto tables = std::make_shared<std::vector<TableConfig>>(config.tables);
  return service::TableStatsProvider([catalog, io,
                                      tables]() -> Result<std::vector<service::TableStats>> {
    std::vector<service::TableStats> out;
    auto now = std::chrono::system_clock::now();
    for (const TableConfig& t : *tables) {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(t.target));
      auto table = iceberg::Table::Load(*catalog, *io, id);
      if (!table && table.error().kind == ErrorKind::kNotFound) continue;
      if (!table) return std::unexpected(table.error());
      const auto& m = table->metadata();
      service::TableStats s;
      s.table = t.target;
      s.snapshots = static_cast<int64_t>(m.snapshots.size());
      std::vector<jobs::AncestorSummary> ancestry;
      for (const auto* snap : m.MainAncestry())
        ancestry.push_back({snap->snapshot_id, snap->summary});
      if (!ancestry.empty()) {
        const auto& head = ancestry.front().summary;
        auto num = [&](const char* key) -> int64_t {
          auto it = head.find(key);
          return it == head.end() ? 0 : std::stoll(it->second);
        };
        s.data_files = num("total-data-files");
        s.total_bytes = num("total-files-size");
        s.total_rows = num("total-records");
      }
      auto ledger = jobs::OffloadLedger::FromAncestry(ancestry);
      if (auto wm = ledger.WatermarkUs()) {
        s.watermark = service::TimePoint(std::chrono::microseconds(*wm));
        s.lag_seconds = std::max(
            0.0, std::chrono::duration<double>(
                     now - std::chrono::system_clock::time_point(std::chrono::microseconds(*wm)))
                     .count());
      }
      out.push_back(std::move(s));
    }
    return out;
  });
}

}  // namespace

void RegisterBuiltinJobs() {
  auto& registry = service::JobRegistry::Global();
  for (const char* layer : {"raw", "bronze", "silver", "gold"}) {
    registry.RegisterJobFactory(std::string("offload_") + layer, [layer](const Config& config) {
      return MakeOffloadJob(config, layer);
    });
  }
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
          K2_ASSIGN_OR_RETURN(auto catalog,
                              OpenSqlCatalog(config.catalog.uri, config.catalog.name));
          K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(config.warehouse.location));
          return std::make_unique<MaintenanceJob>(config, name, op, std::move(catalog),
                                                  std::move(io));
        });
  }
  registry.SetTableStatsFactory(MakeTableStats);
}

}  // namespace k2::cli
