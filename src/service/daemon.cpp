#include "service/daemon.h"

#include <spdlog/spdlog.h>

#include "common/config.h"

namespace k2::service {
namespace {

const std::vector<double> kDurationBuckets = {0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200};

std::vector<std::unique_ptr<Notifier>> BuildNotifiers(
    const DaemonOptions& options, std::vector<std::unique_ptr<Notifier>> extra) {
  std::vector<std::unique_ptr<Notifier>> out;
  if (!options.alert_webhook.empty()) {
    out.push_back(std::make_unique<WebhookNotifier>(options.alert_webhook));
  }
  if (!options.alert_command.empty()) {
    out.push_back(std::make_unique<CommandNotifier>(options.alert_command));
  }
  for (auto& n : extra) out.push_back(std::move(n));
  return out;
}

}  // namespace

nlohmann::json TableStats::ToJson() const {
  nlohmann::json bf = nlohmann::json::array();
  for (const BackfillStat& b : backfills) {
    bf.push_back({{"id", b.id},
                  {"status", b.status},
                  {"mode", b.mode},
                  {"windows_planned", b.windows_planned},
                  {"windows_written", b.windows_written},
                  {"rows_written", b.rows_written}});
  }
  return {{"table", table},
          {"backfills", std::move(bf)},
          {"watermark", watermark ? nlohmann::json(FormatTime(*watermark)) : nlohmann::json()},
          {"lag_seconds", lag_seconds},
          {"data_files", data_files},
          {"total_bytes", total_bytes},
          {"total_rows", total_rows},
          {"snapshots", snapshots}};
}

DaemonOptions DaemonOptionsFromConfig(const Config& config) {
  DaemonOptions options;
  options.listen = config.service.listen;
  options.token = config.service.token;
  options.alert_webhook = config.service.alert_webhook;
  options.alert_command = config.service.alert_command;
  options.lag_alert_threshold = std::chrono::seconds(config.service.lag_alert_threshold_s);
  options.shutdown_grace = std::chrono::seconds(config.service.shutdown_grace_s);
  return options;
}

Daemon::Daemon(Clock& clock, JobStore& store, DaemonOptions options,
               std::vector<std::unique_ptr<Notifier>> notifiers)
    : clock_(clock),
      store_(store),
      options_(std::move(options)),
      alerts_(
          std::make_unique<AlertManager>(clock, BuildNotifiers(options_, std::move(notifiers)))),
      scheduler_(clock, store, options_.scheduler) {
  // Register every family up front so /metrics shows HELP/TYPE before the first run.
  metrics_.Counter("k2_job_runs_total", "Job run attempts by job and final status.",
                   {"job", "status"});
  metrics_.Histogram("k2_job_duration_seconds", "Duration of job run attempts.", {"job"},
                     kDurationBuckets);
  metrics_.Gauge("k2_job_last_success_timestamp_seconds",
                 "Unix time of the job's last successful run.", {"job"});
  metrics_.Gauge("k2_job_running", "1 while the job runs.", {"job"});
  metrics_.Counter("k2_job_rows_total", "Rows written by successful job runs.", {"job"});
  metrics_.Counter("k2_job_bytes_total", "Bytes written by successful job runs.", {"job"});
  metrics_.Counter("k2_offload_rows_total", "Rows offloaded to Iceberg by table.", {"table"});
  metrics_.Counter("k2_offload_bytes_total", "Bytes of data files offloaded by table.", {"table"});
  metrics_.Counter("k2_offload_files_total", "Data files offloaded by table.", {"table"});
  metrics_.Histogram("k2_offload_duration_seconds", "Offload duration per table and run.",
                     {"table"}, kDurationBuckets);
  metrics_.Gauge("k2_table_cold_lag_seconds", "Seconds between now and the table's watermark.",
                 {"table"});
  metrics_.Gauge("k2_table_watermark_timestamp_seconds",
                 "Unix time up to which the table is offloaded.", {"table"});
  metrics_.Gauge("k2_table_data_files", "Data files in the table's current snapshot.", {"table"});
  metrics_.Gauge("k2_table_bytes", "Bytes of data files in the table's current snapshot.",
                 {"table"});
  metrics_.Gauge("k2_table_rows", "Rows in the table's current snapshot.", {"table"});
  metrics_.Gauge("k2_table_snapshots", "Snapshots in the table's metadata.", {"table"});
  metrics_.Gauge("k2_backfill_windows",
                 "Windows of each unpublished backfill: planned, and written on its branch.",
                 {"table", "id", "state"});
  metrics_.Gauge("k2_table_audit_failed_windows",
                 "Windows whose warm and cold copies disagreed in the table's last audit.",
                 {"table"});
  metrics_.Gauge("k2_alerts_active", "Alert conditions currently firing.", {});
  metrics_.Counter("k2_alerts_sent_total", "Alert messages delivered.", {});
  metrics_.Counter("k2_alert_failures_total", "Alert deliveries that failed.", {});
  metrics_.Counter("k2_table_stats_errors_total", "Failed table stats collections.", {});

  metrics_.AddCollector([this] {
    MetricFamily& running = metrics_.Gauge("k2_job_running", "", {"job"});
    for (const JobState& s : scheduler_.Jobs()) running.Set({s.name}, s.running ? 1 : 0);
    metrics_.Gauge("k2_alerts_active", "", {})
        .Set({}, static_cast<double>(alerts_->Active().size()));
    MetricFamily& sent = metrics_.Counter("k2_alerts_sent_total", "", {});
    sent.Inc({}, static_cast<double>(alerts_->sent()) - sent.Value({}));
    MetricFamily& failed = metrics_.Counter("k2_alert_failures_total", "", {});
    failed.Inc({}, static_cast<double>(alerts_->failed()) - failed.Value({}));
    if (!provider_) return;
    auto tables = provider_();
    MetricFamily& lag = metrics_.Gauge("k2_table_cold_lag_seconds", "", {"table"});
    MetricFamily& watermark = metrics_.Gauge("k2_table_watermark_timestamp_seconds", "", {"table"});
    MetricFamily& files = metrics_.Gauge("k2_table_data_files", "", {"table"});
    MetricFamily& bytes = metrics_.Gauge("k2_table_bytes", "", {"table"});
    MetricFamily& rows = metrics_.Gauge("k2_table_rows", "", {"table"});
    MetricFamily& snapshots = metrics_.Gauge("k2_table_snapshots", "", {"table"});
    if (!tables) {
      spdlog::warn("table stats for /metrics: {}", tables.error().ToString());
      metrics_.Counter("k2_table_stats_errors_total", "", {}).Inc({});
      return;
    }
    MetricFamily& backfill = metrics_.Gauge("k2_backfill_windows", "", {"table", "id", "state"});
    for (MetricFamily* f : {&lag, &watermark, &files, &bytes, &rows, &snapshots, &backfill}) {
      f->Clear();
    }
    for (const TableStats& t : *tables) {
      lag.Set({t.table}, t.lag_seconds);
      if (t.watermark) watermark.Set({t.table}, ToUnixSeconds(*t.watermark));
      files.Set({t.table}, static_cast<double>(t.data_files));
      bytes.Set({t.table}, static_cast<double>(t.total_bytes));
      rows.Set({t.table}, static_cast<double>(t.total_rows));
      snapshots.Set({t.table}, static_cast<double>(t.snapshots));
      for (const BackfillStat& b : t.backfills) {
        backfill.Set({t.table, b.id, "planned"}, static_cast<double>(b.windows_planned));
        backfill.Set({t.table, b.id, "written"}, static_cast<double>(b.windows_written));
      }
    }
  });
  scheduler_.AddRunListener([this](const JobRun& run, bool will_retry) { OnRun(run, will_retry); });
}

Daemon::~Daemon() {
  RequestStop();
  if (started_ && !stopped_) (void)Wait();  // a destructor cannot report: Wait() first
}

Status Daemon::AddJob(std::unique_ptr<Job> job, JobSchedule schedule) {
  return scheduler_.AddJob(std::move(job), std::move(schedule));
}

void Daemon::SetTableStatsProvider(TableStatsProvider provider) {
  provider_ = std::move(provider);
}

void Daemon::SetTableDetailProvider(TableDetailProvider provider) {
  detail_provider_ = std::move(provider);
}

Result<std::vector<TableStats>> Daemon::Tables() {
  if (!provider_) return std::vector<TableStats>{};
  return provider_();
}

Status Daemon::Start() {
  if (options_.lag_alert_threshold > Duration::zero() && provider_) {
    scheduler_.AddTicker(options_.lag_check_interval, [this] { CheckLag(); });
  }
  const bool own_listener = options_.rest_catalog && !options_.rest_catalog_listen.empty();
  ApiServer::Deps deps{scheduler_,    store_, metrics_, *alerts_, [this] { return Tables(); },
                       options_.token};
  deps.clock = &clock_;
  deps.details = [this](TimePoint since) -> Result<std::vector<TableDetail>> {
    if (!detail_provider_) return std::vector<TableDetail>{};
    return detail_provider_(since);
  };
  deps.rest_catalog = own_listener ? rest::RestCatalogHandler() : options_.rest_catalog;
  deps.max_body_bytes = options_.rest_catalog_max_body_bytes;
  api_ = std::make_unique<ApiServer>(std::move(deps));
  K2_RETURN_IF_ERROR(api_->Start(options_.listen));
  if (own_listener) {
    rest_listener_ = std::make_unique<rest::RestCatalogListener>(
        options_.rest_catalog, options_.rest_catalog_max_body_bytes);
    auto address = ParseListenAddress(options_.rest_catalog_listen);
    Status st = address ? rest_listener_->Start(address->first, address->second)
                        : Status(std::unexpected(address.error()));
    if (!st) {
      api_->Stop();
      return st;
    }
  }
  Status st = scheduler_.Start();
  if (!st) {
    api_->Stop();
    if (rest_listener_) rest_listener_->Stop();
    return st;
  }
  started_ = true;
  return OkStatus();
}

int Daemon::port() const {
  return api_ ? api_->port() : 0;
}

int Daemon::rest_catalog_port() const {
  return rest_listener_ ? rest_listener_->port() : 0;
}

void Daemon::RequestStop() {
  std::lock_guard<std::mutex> guard(stop_mu_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

Status Daemon::Wait() {
  {
    std::unique_lock<std::mutex> lock(stop_mu_);
    stop_cv_.wait(lock, [&] { return stop_requested_; });
    if (stopped_) return OkStatus();
    stopped_ = true;
  }
  spdlog::info("stopping: no new runs; running jobs get {}s to finish or abandon",
               std::chrono::duration_cast<std::chrono::seconds>(options_.shutdown_grace).count());
  Status st = scheduler_.Stop(options_.shutdown_grace);
  if (api_) api_->Stop();
  if (rest_listener_) rest_listener_->Stop();
  return st;
}

void Daemon::OnRun(const JobRun& run, bool will_retry) {
  metrics_.Counter("k2_job_runs_total", "", {"job", "status"})
      .Inc({run.job, std::string(RunStatusName(run.status))});
  if (run.status == RunStatus::kSkipped) return;
  metrics_.Histogram("k2_job_duration_seconds", "", {"job"}, kDurationBuckets)
      .Observe({run.job}, run.duration_seconds());
  if (run.status == RunStatus::kSucceeded) {
    metrics_.Gauge("k2_job_last_success_timestamp_seconds", "", {"job"})
        .Set({run.job}, ToUnixSeconds(run.finished));
    metrics_.Counter("k2_job_rows_total", "", {"job"})
        .Inc({run.job}, static_cast<double>(run.outcome.rows));
    metrics_.Counter("k2_job_bytes_total", "", {"job"})
        .Inc({run.job}, static_cast<double>(run.outcome.bytes));
    bool offload = run.job.starts_with("offload");
    for (const TableOutcome& t : run.outcome.tables) {
      if (offload) {
        metrics_.Counter("k2_offload_rows_total", "", {"table"})
            .Inc({t.table}, static_cast<double>(t.rows));
        metrics_.Counter("k2_offload_bytes_total", "", {"table"})
            .Inc({t.table}, static_cast<double>(t.bytes));
        metrics_.Counter("k2_offload_files_total", "", {"table"})
            .Inc({t.table}, static_cast<double>(t.files));
        metrics_.Histogram("k2_offload_duration_seconds", "", {"table"}, kDurationBuckets)
            .Observe({t.table}, t.duration_seconds);
      }
      if (t.audit_ok.has_value()) {
        metrics_.Gauge("k2_table_audit_failed_windows", "", {"table"})
            .Set({t.table}, static_cast<double>(t.audit_failures.value_or(*t.audit_ok ? 0 : 1)));
        if (*t.audit_ok) {
          alerts_->Resolve(AlertKind::kAuditMismatch, t.table, "audit matches again");
        } else {
          alerts_->Raise(AlertKind::kAuditMismatch, t.table,
                         t.detail.empty() ? "warm and cold copies differ" : t.detail);
        }
      }
      if (t.lag_seconds && options_.lag_alert_threshold > Duration::zero()) {
        double threshold = std::chrono::duration<double>(options_.lag_alert_threshold).count();
        if (*t.lag_seconds > threshold) {
          alerts_->Raise(
              AlertKind::kLag, t.table,
              fmt::format("cold lag {:.0f}s exceeds {:.0f}s", *t.lag_seconds, threshold));
        } else {
          alerts_->Resolve(AlertKind::kLag, t.table,
                           fmt::format("cold lag back to {:.0f}s", *t.lag_seconds));
        }
      }
    }
    alerts_->Resolve(AlertKind::kJobFailed, run.job,
                     fmt::format("job {} succeeded at {}", run.job, FormatTime(run.finished)));
    return;
  }
  if ((run.status == RunStatus::kFailed || run.status == RunStatus::kTimedOut) && !will_retry) {
    alerts_->Raise(AlertKind::kJobFailed, run.job,
                   fmt::format("job {} {} after attempt {}: {}", run.job, RunStatusName(run.status),
                               run.attempt, run.error));
  }
}

void Daemon::CheckLag() {
  auto tables = Tables();
  if (!tables) {
    spdlog::warn("lag check: {}", tables.error().ToString());
    return;
  }
  double threshold = std::chrono::duration<double>(options_.lag_alert_threshold).count();
  for (const TableStats& t : *tables) {
    if (t.lag_seconds > threshold) {
      alerts_->Raise(AlertKind::kLag, t.table,
                     fmt::format("cold lag {:.0f}s exceeds {:.0f}s", t.lag_seconds, threshold));
    } else {
      alerts_->Resolve(AlertKind::kLag, t.table,
                       fmt::format("cold lag back to {:.0f}s", t.lag_seconds));
    }
  }
}

}  // namespace k2::service
