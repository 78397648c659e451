// k2 serve: the daemon. Its phases, in order: block the stop signals, load
// the config, open the job store, build the REST catalog server (if enabled),
// add the scheduled jobs and table providers from the daemon's job registry
// (builtin_jobs.h lists them), start, wait for a signal, stop.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "catalog/catalog_factory.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "cli/builtin_jobs.h"
#include "cli/cli_config.h"
#include "io/file_io.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_uri.h"
#include "service/catalog_job_store.h"
#include "service/daemon.h"

namespace k2::cli {

namespace {

struct ServeArgs {
  std::string listen;  // overrides service.listen
};

/// Blocks SIGTERM/SIGINT (taken synchronously by sigwait) before any thread
/// starts, so every thread inherits the mask; returns the set to wait on.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed HTTP peer or alert command must not kill the daemon
  return stop_signals;
}

/// Run history and leases live in the catalog database (shared by every k2
/// process); with a REST catalog, in the state database (state.uri).
Result<std::unique_ptr<service::JobStore>> OpenDaemonJobStore(const Config& config) {
  const std::string& state_uri =
      config.catalog.type == CatalogKind::kSql ? config.catalog.uri : config.state.uri;
  K2_ASSIGN_OR_RETURN(auto store, service::CatalogJobStore::Open(state_uri));
  return std::unique_ptr<service::JobStore>(std::move(store));
}

/// The Iceberg REST catalog server over the same SQL catalog the jobs commit
/// to, with the catalog and file IO it serves (the server refers to both).
struct RestCatalogService {
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<FileIO> io;
  std::unique_ptr<rest::RestCatalogServer> server;
};

/// The S3 credentials the REST catalog vends to its clients (the warehouse's).
/// kInvalidInput if the warehouse is not on S3.
Status VendWarehouseCredentials(const Config& config, rest::RestServerOptions& rest_options) {
  const RestCatalogServerConfig& rc = config.service.rest_catalog;
  if (!s3::IsS3Uri(config.warehouse.location)) {
    return MakeError(ErrorKind::kInvalidInput,
                     "service.rest_catalog.vend_credentials: the warehouse '{}' is not on S3",
                     config.warehouse.location);
  }
  K2_ASSIGN_OR_RETURN(s3::S3Options s3, s3::S3OptionsFrom(config.warehouse));
  auto& v = rest_options.vended_config;
  v["s3.access-key-id"] = s3.access_key_id;
  v["s3.secret-access-key"] = s3.secret_access_key;
  if (!s3.session_token.empty()) v["s3.session-token"] = s3.session_token;
  if (!s3.endpoint.empty()) v["s3.endpoint"] = s3.endpoint;
  v["s3.region"] = s3.region;
  v["s3.path-style-access"] = s3.path_style ? "true" : "false";
  rest_options.vend_to_read_only = rc.vend_credentials == VendCredentials::kAll;
  return OkStatus();
}

/// K2_TEST_REST_CRASH=<point>[:<commit>]: the crash tests' fault injection.
void ReadTestCrashPoint(rest::RestServerOptions& rest_options) {
  const char* crash = std::getenv("K2_TEST_REST_CRASH");
  if (crash == nullptr || *crash == '\0') return;
  std::string_view point = crash;
  size_t colon = point.find(':');
  rest_options.crash_point = std::string(point.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view n = point.substr(colon + 1);
    int commit = 0;  // not a number: 0, as atoi gave
    std::from_chars(n.data(), n.data() + n.size(), commit);
    rest_options.crash_on_commit = commit;
  }
}

/// Builds the REST catalog server service.rest_catalog describes (none when
/// disabled) and routes the daemon's options to it.
Result<RestCatalogService> OpenRestCatalogService(const Config& config,
                                                  service::DaemonOptions& options) {
  RestCatalogService rest;
  const RestCatalogServerConfig& rc = config.service.rest_catalog;
  if (!rc.enabled) return rest;
  K2_ASSIGN_OR_RETURN(rest.catalog, OpenCatalog(config));  // a sql catalog (config checks)
  K2_ASSIGN_OR_RETURN(rest.io, NewFileIOFor(config.warehouse.location, config.warehouse));
  rest::RestServerOptions rest_options;
  rest_options.warehouse = config.warehouse.location;
  if (rc.vend_credentials != VendCredentials::kOff)
    K2_RETURN_IF_ERROR(VendWarehouseCredentials(config, rest_options));
  rest_options.auth = {rc.tokens, rc.read_only_tokens, rc.clients, rc.token_ttl_s};
  rest_options.max_body_bytes = static_cast<size_t>(rc.max_body_bytes);
  ReadTestCrashPoint(rest_options);
  rest.server = std::make_unique<rest::RestCatalogServer>(*rest.catalog, *rest.io, rest_options);
  options.rest_catalog = [server = rest.server.get()](const rest::RestRequest& req) {
    return server->Handle(req);
  };
  options.rest_catalog_listen = rc.listen;
  options.rest_catalog_max_body_bytes = static_cast<size_t>(rc.max_body_bytes);
  return rest;
}

/// Adds every scheduled job the registry can build, and the table providers;
/// returns how many jobs were added. Scheduled names without a factory are
/// reported and left out.
Result<int> AddDaemonJobs(service::Daemon& daemon, const service::JobRegistry& registry,
                          std::vector<service::JobSchedule> schedule, const Config& config) {
  int jobs = 0;
  for (service::JobSchedule& s : schedule) {
    if (!registry.Has(s.name)) {
      spdlog::warn("job {}: no implementation registered in this build; not scheduled", s.name);
      continue;
    }
    K2_ASSIGN_OR_RETURN(std::unique_ptr<service::Job> job, registry.Create(s.name, config));
    spdlog::info("job {}: cron '{}'{}", s.name, s.cron, s.enabled ? "" : " (disabled)");
    K2_RETURN_IF_ERROR(daemon.AddJob(std::move(job), std::move(s)));
    ++jobs;
  }
  if (auto factory = registry.table_stats_factory()) {
    K2_ASSIGN_OR_RETURN(service::TableStatsProvider provider, factory(config));
    daemon.SetTableStatsProvider(std::move(provider));
  }
  if (auto factory = registry.table_detail_factory()) {
    K2_ASSIGN_OR_RETURN(service::TableDetailProvider details, factory(config));
    daemon.SetTableDetailProvider(std::move(details));
  }
  return jobs;
}

/// Waits for SIGTERM/SIGINT, then stops the daemon gracefully. A second
/// signal during the grace period exits at once.
void WaitForStopAndStop(service::Daemon& daemon, const sigset_t& stop_signals) {
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  spdlog::info("received {}; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::thread([stop_signals] {
    int again = 0;
    if (sigwait(&stop_signals, &again) == 0) {
      spdlog::warn("second signal: exiting without waiting for running jobs");
      spdlog::shutdown();
      std::_Exit(kExitInterrupted);
    }
  }).detach();
  daemon.RequestStop();
  Status stopped = daemon.Wait();
  if (!stopped) {
    // Running jobs ignored cancellation past the grace: they never committed
    // half-way (commits are atomic), so leaving now is safe.
    spdlog::error("{}", stopped.error().ToString());
    spdlog::shutdown();
    std::_Exit(kExitInterrupted);
  }
  spdlog::info("stopped");
}

Status Serve(const CliContext& ctx, const ServeArgs& args) {
  const sigset_t stop_signals = BlockStopSignals();
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  service::DaemonOptions options = service::DaemonOptionsFromConfig(config);
  if (!args.listen.empty()) options.listen = args.listen;
  K2_ASSIGN_OR_RETURN(std::vector<service::JobSchedule> schedule,
                      service::ScheduleFromConfig(config));

  service::SystemClock clock;
  K2_ASSIGN_OR_RETURN(std::unique_ptr<service::JobStore> store, OpenDaemonJobStore(config));
  K2_ASSIGN_OR_RETURN(RestCatalogService rest, OpenRestCatalogService(config, options));
  service::Daemon daemon(clock, *store, options);
  service::JobRegistry registry;
  RegisterBuiltinJobs(registry);
  K2_ASSIGN_OR_RETURN(int jobs, AddDaemonJobs(daemon, registry, std::move(schedule), config));

  K2_RETURN_IF_ERROR(daemon.Start());
  spdlog::info("k2 serve: {} job(s) scheduled; API on port {}; SIGTERM/SIGINT stop gracefully",
               jobs, daemon.port());
  if (rest.server) {
    spdlog::info("REST catalog: {}",
                 daemon.rest_catalog_port() > 0
                     ? fmt::format("port {} (/v1 and /iceberg/v1)", daemon.rest_catalog_port())
                     : fmt::format("port {} under /iceberg/v1", daemon.port()));
  }
  WaitForStopAndStop(daemon, stop_signals);
  return OkStatus();
}

}  // namespace

void RegisterServeCommands(CLI::App& root, CliContext& ctx) {
  static ServeArgs serve_args;
  auto* serve = root.add_subcommand(
      "serve",
      "Run the daemon: offloads and maintenance on their schedules, HTTP API with /metrics, "
      "alerts (see docs/serve.md)");
  serve->add_option("--listen", serve_args.listen, "host:port for the HTTP API (service.listen)");
  serve->callback([&ctx] { ctx.Finish(Serve(ctx, serve_args)); });
}

}  // namespace k2::cli
