#pragma once
/// The daemon's HTTP surface (cpp-httplib, loopback by default):
///   GET  /metrics                 Prometheus text exposition
///   GET  /health                  200 while the process serves
///   GET  /ready                   200 once scheduling and the job store work, else 503
///   GET  /api/jobs                jobs with schedule, next fire, running, last run
///   GET  /api/jobs/history        ?job=NAME&limit=N (newest first, default 50)
///   POST /api/jobs/{name}/run     starts a run now: 202; 404 unknown; 409 running
///   GET  /api/tables              watermark, lag, files, bytes, snapshots per table
///   GET  /api/alerts              active alert conditions
///   GET  /api/dashboard           ?hours=N (default 48): everything the dashboard shows
///   GET  /                        the dashboard page (/ui and /dashboard redirect here;
///                                 assets under /ui/, embedded in the binary)
///   *    /iceberg/v1/...          the Iceberg REST catalog, when enabled (its own auth)
/// With a token configured, /api/* requires "Authorization: Bearer <token>"
/// (compared in constant time); errors are JSON {"error": {"kind", "message"}}.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "catalog/rest_server/rest_http_listener.h"
#include "common/result.h"
#include "common/strings.h"  // ConstantTimeEquals (the API token check)
#include "service/alerts.h"
#include "service/job_store.h"
#include "service/metrics.h"
#include "service/scheduler.h"
#include "service/table_stats.h"

namespace httplib {
class Server;
}

namespace k2::service {

/// Splits "host:port" ("[::1]:9464" for IPv6). kInvalidInput names the text.
Result<std::pair<std::string, int>> ParseListenAddress(std::string_view text);

class ApiServer {
 public:
  struct Deps {
    Scheduler& scheduler;
    JobStore& store;
    MetricsRegistry& metrics;
    AlertManager& alerts;
    std::function<Result<std::vector<TableStats>>()> tables;
    std::string token;
    /// The dashboard's per-table detail (windows starting at or after the
    /// argument); empty: /api/dashboard lists no tables.
    std::function<Result<std::vector<TableDetail>>(TimePoint since)> details;
    /// The clock /api/dashboard reads "now" from (the system clock if null).
    const Clock* clock = nullptr;
    /// The REST catalog mounted under /iceberg (none when empty).
    rest::RestCatalogHandler rest_catalog = {};
    size_t max_body_bytes = 16u << 20;
  };
  /// Everything in `deps` must outlive the server.
  explicit ApiServer(Deps deps);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// Binds `listen` ("host:port"; port 0 = any free) and serves on a thread.
  /// kInvalidInput for a bad address, kIo if binding fails.
  Status Start(const std::string& listen);
  /// The bound port.
  int port() const { return port_; }
  /// Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();

 private:
  void Routes();
  /// Routes of the dashboard: the page, its assets and /api/dashboard.
  void DashboardRoutes();

  Deps deps_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace k2::service
