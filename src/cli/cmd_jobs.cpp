// k2 jobs: the daemon's jobs, their run history, and starting a run, read
// from the job store in the catalog database or asked of a running daemon.
#include <httplib.h>

#include <cctype>

#include "cli/cli_config.h"
#include "service/catalog_job_store.h"
#include "service/cron.h"
#include "service/http_api.h"
#include "service/job_schedule.h"
#include "service/scheduler.h"
#include "service/time_zone.h"

namespace k2::cli {

namespace {

struct JobsArgs {
  std::string url;  // overrides http://<service.listen>
  std::string job;
  std::string run_job;
  size_t limit = 20;
  bool json = false;
};

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
  if (config.catalog.type != CatalogKind::kSql) {
    return MakeError(ErrorKind::kUnsupported,
                     "catalog.type {}: the job history lives in the daemon; use --url",
                     CatalogKindName(config.catalog.type));
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

void RegisterJobsCommands(CLI::App& root, CliContext& ctx) {
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
