#include "service/catalog_job_store.h"

namespace k2::service {
namespace {

using sql::SqlRow;
using sql::SqlValue;

constexpr std::string_view kRunColumns =
    "run_id, job, target, run_trigger, scheduled_at_ms, started_at_ms, ended_at_ms, status, "
    "attempt, \"rows\", bytes, error_kind, error, details";

int64_t ToMs(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromMs(int64_t ms) {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms))};
}

int64_t TtlMs(Duration ttl) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
}

/// A k2_job_runs row (kRunColumns, in order) as a run. Unknown trigger and
/// status names read as manual and failed; a run without an end ends when it
/// started; details that are not an outcome leave the row's rows and bytes.
Result<JobRun> RunFromRow(const SqlRow& row) {
  JobRun run;
  K2_ASSIGN_OR_RETURN(run.id, sql::ParseInt64Cell(row.at(0), "k2_job_runs.run_id"));
  run.job = row.at(1).value_or("");
  run.trigger = ParseTrigger(row.at(3).value_or("")).value_or(Trigger::kManual);
  K2_ASSIGN_OR_RETURN(int64_t started_ms,
                      sql::ParseInt64Cell(row.at(5), "k2_job_runs.started_at_ms"));
  run.started = FromMs(started_ms);
  run.scheduled = run.started;
  if (row.at(4)) {
    K2_ASSIGN_OR_RETURN(int64_t ms, sql::ParseInt64Cell(row[4], "k2_job_runs.scheduled_at_ms"));
    run.scheduled = FromMs(ms);
  }
  run.finished = run.started;
  if (row.at(6)) {
    K2_ASSIGN_OR_RETURN(int64_t ms, sql::ParseInt64Cell(row[6], "k2_job_runs.ended_at_ms"));
    run.finished = FromMs(ms);
  }
  run.status = ParseRunStatus(row.at(7).value_or("")).value_or(RunStatus::kFailed);
  K2_ASSIGN_OR_RETURN(int64_t attempt, sql::ParseInt64Cell(row.at(8), "k2_job_runs.attempt"));
  run.attempt = static_cast<int>(attempt);
  K2_ASSIGN_OR_RETURN(int64_t rows, sql::ParseInt64Cell(row.at(9), "k2_job_runs.rows"));
  K2_ASSIGN_OR_RETURN(int64_t bytes, sql::ParseInt64Cell(row.at(10), "k2_job_runs.bytes"));
  if (std::string kind = row.at(11).value_or(""); !kind.empty()) {
    run.error_kind = ParseErrorKind(kind);
  }
  run.error = row.at(12).value_or("");
  auto details = nlohmann::json::parse(row.at(13).value_or(""), nullptr,
                                       /*allow_exceptions=*/false);
  if (auto outcome = JobOutcome::FromJson(details)) {
    run.outcome = std::move(*outcome);
  } else {
    run.outcome.rows = rows;
    run.outcome.bytes = bytes;
  }
  return run;
}

}  // namespace

Result<std::unique_ptr<CatalogJobStore>> CatalogJobStore::Open(const std::string& uri_or_path) {
  K2_ASSIGN_OR_RETURN(auto runs, sql::OpenCatalogStore(uri_or_path));
  if (Status created = CreateJobTables(*runs); !created) {
    return std::unexpected(created.error().WithContext(
        fmt::format("job history ({}): creating tables", runs->display_name())));
  }
  K2_ASSIGN_OR_RETURN(auto leases, LeaseStore::Open(uri_or_path));
  return std::unique_ptr<CatalogJobStore>(new CatalogJobStore(std::move(runs), std::move(leases)));
}

Error CatalogJobStore::Context(Error error, std::string_view what) const {
  return error.WithContext(fmt::format("job history ({}): {}", runs_->display_name(), what));
}

Result<int64_t> CatalogJobStore::RecordStart(const JobRun& run) {
  if (run.job.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "job history ({}): run has no job name",
                     runs_->display_name());
  }
  // Recorded as running whatever run.status says; RecordFinish sets the end.
  auto rows = runs_->Query(
      "INSERT INTO k2_job_runs (job, target, run_trigger, scheduled_at_ms, started_at_ms, "
      "ended_at_ms, status, attempt, \"rows\", bytes, error_kind, error, details) VALUES (?, '', "
      "?, ?, ?, NULL, ?, ?, 0, 0, '', '', '') RETURNING run_id",
      {run.job, std::string(TriggerName(run.trigger)), ToMs(run.scheduled), ToMs(run.started),
       std::string(RunStatusName(RunStatus::kRunning)), static_cast<int64_t>(run.attempt)});
  if (!rows) {
    return std::unexpected(Context(rows.error(), fmt::format("start run of job '{}'", run.job)));
  }
  if (rows->empty()) {
    return MakeError(ErrorKind::kInternal, "job history ({}): INSERT returned no run_id",
                     runs_->display_name());
  }
  return sql::ParseInt64Cell(rows->at(0).at(0), "k2_job_runs.run_id");
}

Status CatalogJobStore::RecordFinish(const JobRun& run) {
  if (run.status == RunStatus::kRunning) {
    return MakeError(ErrorKind::kInvalidInput, "job history ({}): run {} ends without an end time",
                     runs_->display_name(), run.id);
  }
  auto changed = runs_->Execute(
      "UPDATE k2_job_runs SET status = ?, ended_at_ms = ?, \"rows\" = ?, bytes = ?, error_kind = "
      "?, error = ?, details = ? WHERE run_id = ?",
      {std::string(RunStatusName(run.status)), ToMs(run.finished), run.outcome.rows,
       run.outcome.bytes, run.error_kind ? std::string(ErrorKindName(*run.error_kind)) : "",
       run.error, run.outcome.ToJson().dump(), run.id});
  if (!changed) {
    return std::unexpected(Context(changed.error(), fmt::format("end run {}", run.id)));
  }
  if (*changed == 0) {
    return MakeError(ErrorKind::kNotFound, "job history ({}): no run {}", runs_->display_name(),
                     run.id);
  }
  return OkStatus();
}

Result<std::vector<JobRun>> CatalogJobStore::History(const std::string& job, size_t limit) {
  std::string where = job.empty() ? "" : "WHERE job = ? ";
  std::vector<SqlValue> params;
  if (!job.empty()) params.emplace_back(job);
  params.emplace_back(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  auto rows = runs_->Query(fmt::format("SELECT {} FROM k2_job_runs {}ORDER BY started_at_ms "
                                       "DESC, run_id DESC LIMIT ?",
                                       kRunColumns, where),
                           params);
  if (!rows) {
    return std::unexpected(Context(rows.error(), fmt::format("list runs of job '{}'", job)));
  }
  std::vector<JobRun> runs;
  runs.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    K2_ASSIGN_OR_RETURN(JobRun run, RunFromRow(row));
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<std::optional<TimePoint>> CatalogJobStore::LastScheduledFire(const std::string& job) {
  auto rows = runs_->Query(
      "SELECT max(scheduled_at_ms) FROM k2_job_runs WHERE job = ? AND run_trigger IN (?, ?)",
      {job, std::string(TriggerName(Trigger::kSchedule)),
       std::string(TriggerName(Trigger::kCatchUp))});
  if (!rows) {
    return std::unexpected(
        Context(rows.error(), fmt::format("last scheduled fire of job '{}'", job)));
  }
  if (rows->empty() || !rows->at(0).at(0)) return std::optional<TimePoint>();
  K2_ASSIGN_OR_RETURN(int64_t at, sql::ParseInt64Cell(rows->at(0)[0], "max(scheduled_at_ms)"));
  return std::optional<TimePoint>(FromMs(at));
}

Result<bool> CatalogJobStore::TryAcquireLease(const std::string& job, const std::string& owner,
                                              TimePoint now, Duration ttl) {
  return leases_->TryAcquire("job:" + job, owner, ToMs(now), TtlMs(ttl));
}

Result<bool> CatalogJobStore::RenewLease(const std::string& job, const std::string& owner,
                                         TimePoint now, Duration ttl) {
  return leases_->Renew("job:" + job, owner, ToMs(now), TtlMs(ttl));
}

Result<std::optional<std::string>> CatalogJobStore::LeaseHolder(const std::string& job,
                                                                TimePoint now) {
  K2_ASSIGN_OR_RETURN(std::optional<Lease> lease, leases_->Get("job:" + job));
  if (!lease || lease->expires_at_ms <= ToMs(now)) return std::optional<std::string>();
  return std::optional<std::string>(lease->owner);
}

Status CatalogJobStore::ReleaseLease(const std::string& job, const std::string& owner) {
  return leases_->Release("job:" + job, owner);
}

}  // namespace k2::service
