#include "service/job_store.h"

#include <algorithm>

namespace k2::service {

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kTimedOut:
      return "timed_out";
    case RunStatus::kCancelled:
      return "cancelled";
    case RunStatus::kSkipped:
      return "skipped";
  }
  return "failed";
}

Result<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed,
                      RunStatus::kTimedOut, RunStatus::kCancelled, RunStatus::kSkipped}) {
    if (RunStatusName(s) == name) return s;
  }
  return MakeError(ErrorKind::kInvalidInput, "unknown run status '{}'", name);
}

double JobRun::duration_seconds() const {
  return std::chrono::duration<double>(finished - started).count();
}

nlohmann::json JobRun::ToJson() const {
  nlohmann::json j = {{"id", id},
                      {"job", job},
                      {"trigger", TriggerName(trigger)},
                      {"attempt", attempt},
                      {"scheduled", FormatTime(scheduled)},
                      {"started", FormatTime(started)},
                      {"status", RunStatusName(status)},
                      {"outcome", outcome.ToJson()}};
  if (status != RunStatus::kRunning) {
    j["finished"] = FormatTime(finished);
    j["duration_seconds"] = duration_seconds();
  }
  if (error_kind) {
    j["error_kind"] = ErrorKindName(*error_kind);
    j["error"] = error;
  }
  return j;
}

Result<int64_t> InMemoryJobStore::RecordStart(const JobRun& run) {
  std::lock_guard<std::mutex> guard(mu_);
  JobRun stored = run;
  stored.id = next_id_++;
  runs_[stored.id] = stored;
  if (run.trigger == Trigger::kSchedule || run.trigger == Trigger::kCatchUp) {
    TimePoint& last = last_fire_[run.job];
    last = std::max(last, run.scheduled);
  }
  while (runs_.size() > max_runs_) runs_.erase(runs_.begin());
  return stored.id;
}

Status InMemoryJobStore::RecordFinish(const JobRun& run) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = runs_.find(run.id);
  if (it == runs_.end()) {
    return MakeError(ErrorKind::kNotFound, "job run {} ({}) is not in the history", run.id,
                     run.job);
  }
  it->second = run;
  return OkStatus();
}

Result<std::vector<JobRun>> InMemoryJobStore::History(const std::string& job, size_t limit) {
  std::lock_guard<std::mutex> guard(mu_);
  std::vector<JobRun> out;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (job.empty() || it->second.job == job) out.push_back(it->second);
  }
  std::stable_sort(out.begin(), out.end(), [](const JobRun& a, const JobRun& b) {
    return a.started != b.started ? a.started > b.started : a.id > b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::optional<TimePoint>> InMemoryJobStore::LastScheduledFire(const std::string& job) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = last_fire_.find(job);
  if (it == last_fire_.end()) return std::optional<TimePoint>();
  return std::optional<TimePoint>(it->second);
}

Result<bool> InMemoryJobStore::TryAcquireLease(const std::string& job, const std::string& owner,
                                               TimePoint now, Duration ttl) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = leases_.find(job);
  if (it != leases_.end() && it->second.owner != owner && it->second.expires > now) return false;
  leases_[job] = Lease{owner, now + ttl};
  return true;
}

Result<std::optional<std::string>> InMemoryJobStore::LeaseHolder(const std::string& job,
                                                                 TimePoint now) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = leases_.find(job);
  if (it == leases_.end() || it->second.expires <= now) return std::optional<std::string>();
  return std::optional<std::string>(it->second.owner);
}

Result<bool> InMemoryJobStore::RenewLease(const std::string& job, const std::string& owner,
                                          TimePoint now, Duration ttl) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = leases_.find(job);
  if (it == leases_.end() || it->second.owner != owner) return false;
  it->second.expires = now + ttl;
  return true;
}

Status InMemoryJobStore::ReleaseLease(const std::string& job, const std::string& owner) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = leases_.find(job);
  if (it != leases_.end() && it->second.owner == owner) leases_.erase(it);
  return OkStatus();
}

}  // namespace k2::service
