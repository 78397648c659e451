#pragma once
/// `k2 serve`: the scheduler, the HTTP API, metrics and alerts put together.
///
///   Daemon daemon(clock, store, options);
///   daemon.AddJob(job, schedule)...;           // before Start
///   daemon.SetTableStatsProvider(provider);    // optional
///   daemon.Start();                            // scheduler thread + HTTP server
///   daemon.RequestStop();                      // from a signal-handling thread
///   daemon.Wait();                             // returns after the graceful stop
///
/// Job outcomes feed the metrics (runs by job and status, durations, offload
/// rows/bytes/files by table) and the alerts (job failure after its last
/// attempt, audit mismatch); a ticker checks table lag against the threshold.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/rest_server/rest_http_listener.h"
#include "common/result.h"
#include "service/alerts.h"
#include "service/clock.h"
#include "service/http_api.h"
#include "service/job.h"
#include "service/job_schedule.h"
#include "service/job_store.h"
#include "service/metrics.h"
#include "service/scheduler.h"
#include "service/table_stats.h"

namespace k2 {
struct Config;
}

namespace k2::service {

struct DaemonOptions {
  /// "host:port" to listen on (loopback by default); port 0 picks a free port.
  std::string listen = "127.0.0.1:9464";
  /// Bearer token required on /api/* (empty: no auth). Secret: never logged.
  std::string token;
  std::string alert_webhook;  ///< URL to POST alerts to (empty: none)
  std::string alert_command;  ///< shell command run per alert (empty: none)
  Duration lag_alert_threshold = std::chrono::hours(2);  ///< zero: no lag alerts
  Duration lag_check_interval = std::chrono::minutes(1);
  Duration shutdown_grace = std::chrono::seconds(60);
  SchedulerOptions scheduler;
  /// The Iceberg REST catalog to serve (none when empty): under /iceberg on
  /// `listen`, or on `rest_catalog_listen` when that is set.
  rest::RestCatalogHandler rest_catalog;
  std::string rest_catalog_listen;
  size_t rest_catalog_max_body_bytes = 16u << 20;
};

/// The daemon options k2.yaml's `service` section describes.
DaemonOptions DaemonOptionsFromConfig(const Config& config);

class Daemon {
 public:
  /// `clock` and `store` must outlive the daemon. `notifiers` are added to the
  /// webhook/command notifiers built from the options.
  Daemon(Clock& clock, JobStore& store, DaemonOptions options,
         std::vector<std::unique_ptr<Notifier>> notifiers = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// See Scheduler::AddJob.
  Status AddJob(std::unique_ptr<Job> job, JobSchedule schedule);
  /// Source of /api/tables, k2_table_* gauges and lag alerts. Set before Start().
  void SetTableStatsProvider(TableStatsProvider provider);
  /// Source of the dashboard's per-table detail (/api/dashboard). Set before Start().
  void SetTableDetailProvider(TableDetailProvider provider);

  /// Starts the scheduler and the HTTP server. kInvalidInput for a bad listen
  /// address, kIo if the port cannot be bound.
  Status Start();
  /// The bound HTTP port (after Start).
  int port() const;
  /// The REST catalog's own port (after Start; 0 when mounted on port()).
  int rest_catalog_port() const;
  /// Asks Wait() to stop the daemon. Thread-safe, idempotent (not async-signal-safe:
  /// call it from a thread that waits for signals).
  void RequestStop();
  /// Blocks until RequestStop(), then stops: no new runs, running attempts
  /// cancelled and given the shutdown grace, HTTP server closed. kTimeout
  /// names jobs still running after the grace (the process should then exit).
  Status Wait();

  Scheduler& scheduler() { return scheduler_; }
  MetricsRegistry& metrics() { return metrics_; }
  AlertManager& alerts() { return *alerts_; }

 private:
  void OnRun(const JobRun& run, bool will_retry);
  void CheckLag();
  Result<std::vector<TableStats>> Tables();

  Clock& clock_;
  JobStore& store_;
  DaemonOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<AlertManager> alerts_;
  Scheduler scheduler_;
  TableStatsProvider provider_;
  TableDetailProvider detail_provider_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<rest::RestCatalogListener> rest_listener_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace k2::service
