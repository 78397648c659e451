// k2 serve: the daemon; k2 jobs [history]: the job store (--url: a daemon); jobs run: the daemon.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "catalog/catalog_factory.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "cli/cli_config.h"
#include "io/file_io.h"
#include "io/s3/s3_client.h"
#include "io/s3/s3_uri.h"
#include "service/catalog_job_store.h"
#include "service/cron.h"
#include "service/daemon.h"
#include "service/http_api.h"
#include "service/time_zone.h"

namespace k2::cli {

namespace {

struct ServeArgs {
  std::string listen;  // overrides service.listen
};

struct JobsArgs {
  std::string url;  // overrides http://<service.listen>
  std::string job;
  std::string run_job;
  size_t limit = 20;
  bool json = false;
};

Status Serve(const CliContext& ctx, const ServeArgs& args) {
  // Signals are taken synchronously by this thread (sigwait): block them before
  // any thread starts so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed HTTP peer or alert command must not kill the daemon

  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  service::DaemonOptions options = service::DaemonOptionsFromConfig(config);
  if (!args.listen.empty()) options.listen = args.listen;
  K2_ASSIGN_OR_RETURN(std::vector<service::JobSchedule> schedule,
                      service::ScheduleFromConfig(config));

  service::SystemClock clock;
  // Run history and leases live in the catalog database (shared by every k2
  // process); with a REST catalog, in the state database (state.uri).
  const std::string& state_uri =
      config.catalog.type == "sql" ? config.catalog.uri : config.state.uri;
  K2_ASSIGN_OR_RETURN(std::unique_ptr<service::JobStore> store,
                      service::CatalogJobStore::Open(state_uri));
  // The Iceberg REST catalog over the same SQL catalog the jobs commit to.
  std::unique_ptr<Catalog> rest_catalog;
  std::unique_ptr<FileIO> rest_io;
  std::unique_ptr<rest::RestCatalogServer> rest_server;
  if (config.service.rest_catalog.enabled) {
    const RestCatalogServerConfig& rc = config.service.rest_catalog;
    K2_ASSIGN_OR_RETURN(rest_catalog, OpenSqlCatalog(config.catalog.uri, config.catalog.name));
    K2_ASSIGN_OR_RETURN(rest_io, NewFileIOFor(config.warehouse.location, config.warehouse));
    rest::RestServerOptions rest_options;
    rest_options.warehouse = config.warehouse.location;
    if (rc.vend_credentials != "off") {
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
      rest_options.vend_to_read_only = rc.vend_credentials == "all";
    }
    rest_options.auth = {rc.tokens, rc.read_only_tokens, rc.clients, rc.token_ttl_s};
    rest_options.max_body_bytes = static_cast<size_t>(rc.max_body_bytes);
    if (const char* crash = std::getenv("K2_TEST_REST_CRASH"); crash && *crash) {
      std::string_view point = crash;
      size_t colon = point.find(':');
      rest_options.crash_point = std::string(point.substr(0, colon));
      if (colon != std::string_view::npos) {
        rest_options.crash_on_commit = std::atoi(std::string(point.substr(colon + 1)).c_str());
      }
    }
    rest_server = std::make_unique<rest::RestCatalogServer>(*rest_catalog, *rest_io, rest_options);
    options.rest_catalog = [server = rest_server.get()](const rest::RestRequest& req) {
      return server->Handle(req);
    };
    options.rest_catalog_listen = rc.listen;
    options.rest_catalog_max_body_bytes = static_cast<size_t>(rc.max_body_bytes);
  }
  service::Daemon daemon(clock, *store, options);
  service::JobRegistry& registry = service::JobRegistry::Global();
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
  K2_RETURN_IF_ERROR(daemon.Start());
  spdlog::info("k2 serve: {} job(s) scheduled; API on port {}; SIGTERM/SIGINT stop gracefully",
               jobs, daemon.port());
  if (rest_server) {
    spdlog::info("REST catalog: {}",
                 daemon.rest_catalog_port() > 0
                     ? fmt::format("port {} (/v1 and /iceberg/v1)", daemon.rest_catalog_port())
                     : fmt::format("port {} under /iceberg/v1", daemon.port()));
  }

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  spdlog::info("received {}; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // A second signal during the grace period exits at once.
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
  return OkStatus();
}

/// GETs/POSTs the daemon's API and returns the parsed JSON body.
Result<nlohmann::json> CallApi(const CliContext& ctx, const JobsArgs& args,
                               const std::string& method, const std::string& path) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  const std::string& token = config.service.token;
  std::string url = args.url;
  if (url.empty()) {
    K2_ASSIGN_OR_RETURN(auto address, service::ParseListenAddress(config.service.listen));
    std::string host = address.first == "0.0.0.0" ? "127.0.0.1"
                       : address.first == "::"    ? "::1"
                                                  : address.first;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    url = fmt::format("http://{}:{}", host, address.second);
  }
  httplib::Client client(url);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result res = method == "POST" ? client.Post(path, headers, "", "application/json")
                                         : client.Get(path, headers);
  if (!res) {
    return MakeError(ErrorKind::kRemote, "k2 daemon at {}: {} (is `k2 serve` running?)", url,
                     httplib::to_string(res.error()));
  }
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (res->status >= 300) {
    std::string message = body.is_object() && body.contains("error")
                              ? body["error"].value("message", res->body)
                              : res->body;
    ErrorKind kind = res->status == 404   ? ErrorKind::kNotFound
                     : res->status == 409 ? ErrorKind::kAlreadyExists
                     : res->status == 400 ? ErrorKind::kInvalidInput
                                          : ErrorKind::kRemote;
    return MakeError(kind, "k2 daemon at {}: {} {}: HTTP {}: {}", url, method, path, res->status,
                     message);
  }
  if (body.is_discarded()) {
    return MakeError(ErrorKind::kRemote, "k2 daemon at {}: {} returned non-JSON", url, path);
  }
  return body;
}

/// Job names are [A-Za-z0-9_.-] (they are URL path segments and metric labels).
Status CheckJobName(const std::string& name) {
  bool ok = !name.empty();
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (!ok) return MakeError(ErrorKind::kInvalidInput, "job name '{}': use [A-Za-z0-9_.-]", name);
  return OkStatus();
}

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

/// The job store of the configured catalog, read directly (no daemon needed):
/// the daemon records every run there. kUnsupported for a REST catalog, whose
/// history lives in the daemon's memory (use --url then).
Result<std::unique_ptr<service::JobStore>> OpenJobStore(const Config& config) {
  if (config.catalog.type != "sql") {
    return MakeError(ErrorKind::kUnsupported,
                     "catalog.type {}: the job history lives in the daemon; use --url",
                     config.catalog.type);
  }
  K2_ASSIGN_OR_RETURN(auto store, service::CatalogJobStore::Open(config.catalog.uri));
  return std::unique_ptr<service::JobStore>(std::move(store));
}

/// The jobs as `k2 serve` would schedule them, with their last run and last
/// success from the job store and their next fire time from the cron.
Result<nlohmann::json> JobsFromStore(const CliContext& ctx) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  K2_ASSIGN_OR_RETURN(std::vector<service::JobSchedule> schedule,
                      service::ScheduleFromConfig(config));
  K2_ASSIGN_OR_RETURN(auto store, OpenJobStore(config));
  auto now = std::chrono::system_clock::now();
  nlohmann::json jobs = nlohmann::json::array();
  for (service::JobSchedule& s : schedule) {
    service::JobState state;
    state.name = s.name;
    if (!s.cron.empty() && s.enabled) {
      K2_ASSIGN_OR_RETURN(auto zone, service::TimeZone::Load(s.time_zone));
      K2_ASSIGN_OR_RETURN(auto cron, service::CronSchedule::Parse(s.cron, zone));
      if (auto next = cron.NextAfter(now)) state.next_fire = *next;
    }
    K2_ASSIGN_OR_RETURN(std::vector<service::JobRun> runs, store->History(s.name, 200));
    for (const service::JobRun& run : runs) {
      if (run.status == service::RunStatus::kSkipped) continue;
      if (!state.last_run) state.last_run = run;
      if (run.status == service::RunStatus::kSucceeded) {
        state.last_success = run.finished;
        break;
      }
    }
    if (state.last_run && state.last_run->status == service::RunStatus::kRunning) {
      state.running = true;
      state.running_since = state.last_run->started;
      state.attempt = state.last_run->attempt;
    }
    state.schedule = std::move(s);
    jobs.push_back(state.ToJson());
  }
  return jobs;
}

Status ListJobs(const CliContext& ctx, const JobsArgs& args) {
  nlohmann::json jobs;
  if (args.url.empty()) {
    K2_ASSIGN_OR_RETURN(jobs, JobsFromStore(ctx));
  } else {
    K2_ASSIGN_OR_RETURN(nlohmann::json body, CallApi(ctx, args, "GET", "/api/jobs"));
    jobs = body["jobs"];
  }
  if (args.json) {
    fmt::print("{}\n", jobs.dump(2));
    return OkStatus();
  }
  constexpr const char* kRow = "{:<22} {:<16} {:<8} {:<21} {:<8} {:<10} {:<21}\n";
  fmt::print(kRow, "JOB", "CRON", "ENABLED", "NEXT FIRE", "RUNNING", "LAST", "LAST SUCCESS");
  for (const auto& j : jobs) {
    fmt::print(kRow, Str(j, "name"), j.value("cron", "").empty() ? "(manual)" : Str(j, "cron"),
               Str(j, "enabled"), Str(j, "next_fire"), Str(j, "running"),
               Str(j["last_run"], "status"), Str(j, "last_success"));
  }
  return OkStatus();
}

Status JobHistory(const CliContext& ctx, const JobsArgs& args) {
  std::string path = fmt::format("/api/jobs/history?limit={}", args.limit);
  if (!args.job.empty()) {
    K2_RETURN_IF_ERROR(CheckJobName(args.job));
    path += "&job=" + args.job;
  }
  nlohmann::json body;
  if (args.url.empty()) {
    K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
    K2_ASSIGN_OR_RETURN(auto store, OpenJobStore(config));
    K2_ASSIGN_OR_RETURN(std::vector<service::JobRun> runs, store->History(args.job, args.limit));
    body["runs"] = nlohmann::json::array();
    for (const service::JobRun& run : runs) body["runs"].push_back(run.ToJson());
  } else {
    K2_ASSIGN_OR_RETURN(body, CallApi(ctx, args, "GET", path));
  }
  if (args.json) {
    fmt::print("{}\n", body["runs"].dump(2));
    return OkStatus();
  }
  fmt::print("{:>6} {:<22} {:<9} {:>3} {:<21} {:<10} {:>9} {:>12}  {}\n", "ID", "JOB", "TRIGGER",
             "#", "STARTED", "STATUS", "SECS", "ROWS", "ERROR");
  for (const auto& r : body["runs"]) {
    std::string secs = r.contains("duration_seconds")
                           ? fmt::format("{:.1f}", r["duration_seconds"].get<double>())
                           : "-";
    fmt::print("{:>6} {:<22} {:<9} {:>3} {:<21} {:<10} {:>9} {:>12}  {}\n", Str(r, "id"),
               Str(r, "job"), Str(r, "trigger"), Str(r, "attempt"), Str(r, "started"),
               Str(r, "status"), secs, Str(r["outcome"], "rows"),
               r.contains("error") ? Str(r, "error") : "");
  }
  return OkStatus();
}

Status RunJob(const CliContext& ctx, const JobsArgs& args) {
  K2_RETURN_IF_ERROR(CheckJobName(args.run_job));
  K2_ASSIGN_OR_RETURN(nlohmann::json body,
                      CallApi(ctx, args, "POST", "/api/jobs/" + args.run_job + "/run"));
  fmt::print("job {}: {}\n", Str(body, "job"), Str(body, "status"));
  return OkStatus();
}

}  // namespace

void RegisterServiceCommands(CLI::App& root, CliContext& ctx) {
  static ServeArgs serve_args;
  auto* serve = root.add_subcommand(
      "serve",
      "Run the daemon: offloads and maintenance on their schedules, HTTP API with /metrics, "
      "alerts (see docs/serve.md)");
  serve->add_option("--listen", serve_args.listen, "host:port for the HTTP API (service.listen)");
  serve->callback([&ctx] { ctx.Finish(Serve(ctx, serve_args)); });

  static JobsArgs jobs_args;
  auto* jobs = root.add_subcommand(
      "jobs",
      "List the jobs: schedule, next fire, last run (read from the job store in the catalog "
      "database; no daemon needed)");
  jobs->add_option("--url", jobs_args.url,
                   "Ask a running daemon's API instead of the job store (e.g. "
                   "http://127.0.0.1:9464); `jobs run` always asks the daemon");
  jobs->add_flag("--json", jobs_args.json, "Print JSON");
  auto* history =
      jobs->add_subcommand("history", "Recent runs, newest first (from the job store, like jobs)");
  history->add_option("--job", jobs_args.job, "Only this job");
  history->add_option("--limit", jobs_args.limit, "At most this many runs")
      ->check(CLI::Range(1, 10000));
  history->add_flag("--json", jobs_args.json, "Print JSON");
  auto* run = jobs->add_subcommand("run", "Start a run of a job now");
  run->add_option("name", jobs_args.run_job, "Job name")->required();
  history->callback([&ctx] { ctx.Finish(JobHistory(ctx, jobs_args)); });
  run->callback([&ctx] { ctx.Finish(RunJob(ctx, jobs_args)); });
  jobs->callback([&ctx, history, run] {
    if (history->parsed() || run->parsed()) return;
    ctx.Finish(ListJobs(ctx, jobs_args));
  });
}

}  // namespace k2::cli
