#include "service/catalog_job_store.h"

namespace k2::service {
namespace {

int64_t ToMs(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromMs(int64_t ms) {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms))};
}

int64_t TtlMs(Duration ttl) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
}

std::optional<ErrorKind> ParseErrorKind(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(ErrorKind::kInternal); ++i) {
    auto kind = static_cast<ErrorKind>(i);
    if (ErrorKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

k2::JobRun ToRow(const JobRun& run) {
  k2::JobRun row;
  row.run_id = run.id;
  row.job = run.job;
  row.trigger = std::string(TriggerName(run.trigger));
  row.scheduled_at_ms = ToMs(run.scheduled);
  row.started_at_ms = ToMs(run.started);
  if (run.status != RunStatus::kRunning) row.ended_at_ms = ToMs(run.finished);
  row.status = std::string(RunStatusName(run.status));
  row.attempt = run.attempt;
  row.rows = run.outcome.rows;
  row.bytes = run.outcome.bytes;
  if (run.error_kind) row.error_kind = std::string(ErrorKindName(*run.error_kind));
  row.error = run.error;
  row.details = run.outcome.ToJson().dump();
  return row;
}

JobRun FromRow(const k2::JobRun& row) {
  JobRun run;
  run.id = row.run_id;
  run.job = row.job;
  run.trigger = ParseTrigger(row.trigger).value_or(Trigger::kManual);
  run.attempt = row.attempt;
  run.started = FromMs(row.started_at_ms);
  run.scheduled = row.scheduled_at_ms ? FromMs(*row.scheduled_at_ms) : run.started;
  run.finished = row.ended_at_ms ? FromMs(*row.ended_at_ms) : run.started;
  run.status = ParseRunStatus(row.status).value_or(RunStatus::kFailed);
  if (!row.error_kind.empty()) run.error_kind = ParseErrorKind(row.error_kind);
  run.error = row.error;
  auto json = nlohmann::json::parse(row.details, nullptr, /*allow_exceptions=*/false);
  if (auto outcome = JobOutcome::FromJson(json)) {
    run.outcome = std::move(*outcome);
  } else {
    run.outcome.rows = row.rows;
    run.outcome.bytes = row.bytes;
  }
  return run;
}

}  // namespace

Result<std::unique_ptr<CatalogJobStore>> CatalogJobStore::Open(const std::string& uri_or_path) {
  K2_ASSIGN_OR_RETURN(auto history, JobHistory::Open(uri_or_path));
  K2_ASSIGN_OR_RETURN(auto leases, LeaseStore::Open(uri_or_path));
  return std::make_unique<CatalogJobStore>(std::move(history), std::move(leases));
}

Result<int64_t> CatalogJobStore::RecordStart(const JobRun& run) {
  return history_->Start(ToRow(run));
}

Status CatalogJobStore::RecordFinish(const JobRun& run) {
  return history_->End(ToRow(run));
}

Result<std::vector<JobRun>> CatalogJobStore::History(const std::string& job, size_t limit) {
  K2_ASSIGN_OR_RETURN(std::vector<k2::JobRun> rows, history_->List(job, limit));
  std::vector<JobRun> out;
  out.reserve(rows.size());
  for (const k2::JobRun& row : rows) out.push_back(FromRow(row));
  return out;
}

Result<std::optional<TimePoint>> CatalogJobStore::LastScheduledFire(const std::string& job) {
  K2_ASSIGN_OR_RETURN(
      std::optional<int64_t> ms,
      history_->LastScheduledAt(job, {std::string(TriggerName(Trigger::kSchedule)),
                                      std::string(TriggerName(Trigger::kCatchUp))}));
  if (!ms) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromMs(*ms));
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
