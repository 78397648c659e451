#include "service/job_schedule.h"

#include <algorithm>
#include <cmath>

#include "common/config.h"
#include "service/cron.h"
#include "service/time_zone.h"

namespace k2::service {

std::string_view MisfirePolicyName(MisfirePolicy policy) {
  return policy == MisfirePolicy::kSkip ? "skip" : "run_once";
}

Duration BackoffDelay(const RetryPolicy& policy, int attempt, double unit_random) {
  using Seconds = std::chrono::duration<double>;
  double base = std::chrono::duration_cast<Seconds>(policy.base).count();
  double cap = std::chrono::duration_cast<Seconds>(policy.cap).count();
  double delay = base * std::ldexp(1.0, std::clamp(attempt - 1, 0, 62));
  delay = std::min(delay, cap);
  double jitter = std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(unit_random, 0.0, 1.0);
  delay *= 1.0 - jitter;
  return std::chrono::duration_cast<Duration>(Seconds(std::max(delay, 0.0)));
}

bool IsRetryable(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kIo:
    case ErrorKind::kRemote:
    case ErrorKind::kTimeout:
    case ErrorKind::kCommitConflict:
    case ErrorKind::kCommitStateUnknown:
      return true;
    default:
      return false;
  }
}

std::vector<JobSchedule> DefaultSchedule() {
  auto job = [](std::string name, std::string cron) {
    JobSchedule s;
    s.name = std::move(name);
    s.cron = std::move(cron);
    return s;
  };
  return {
      job("offload_raw", "0 5 * * * *"),    job("offload_bronze", "0 6 * * * *"),
      job("offload_silver", "0 7 * * * *"), job("offload_gold", "0 9 * * * *"),
      job("compaction", "0 0 2 * * *"),     job("expire", "0 20 2 * * *"),
      job("manifests", "0 40 2 * * *"),     job("audit", "0 0 3 * * SUN"),
      job("orphans", "0 0 4 * * SUN"),
  };
}

Result<std::vector<JobSchedule>> ScheduleFromConfig(const Config& config) {
  RetryPolicy retry;
  retry.max_attempts = std::max(1, config.service.retry_max_attempts);
  retry.base = std::chrono::seconds(config.service.retry_base_s);
  retry.cap =
      std::chrono::seconds(std::max(config.service.retry_max_s, config.service.retry_base_s));
  Duration timeout = std::chrono::seconds(config.service.job_timeout_s);

  std::vector<JobSchedule> out;
  std::vector<JobSchedule> extra;  // per-table offload jobs, after the defaults
  for (JobSchedule s : DefaultSchedule()) {
    s.retry = retry;
    s.timeout = timeout;
    if (s.name.starts_with("offload_")) {
      std::string layer = s.name.substr(std::string("offload_").size());
      const TableConfig* first = nullptr;
      bool any_table = false;
      for (const TableConfig& t : config.tables) {
        if (t.layer != layer) continue;
        any_table = true;
        if (t.enabled && !first) first = &t;
      }
      if (!any_table) continue;  // no tables in this layer: no job
      if (first && !first->schedule.empty()) s.cron = first->schedule;
      s.enabled = first != nullptr;
      // Tables on the layer's schedule run in the layer job; each table with a
      // schedule of its own gets a job of its own.
      std::vector<JobSchedule> own;
      for (const TableConfig& t : config.tables) {
        if (t.layer != layer || !t.enabled) continue;
        if (t.schedule.empty() || t.schedule == s.cron) {
          s.tables.push_back(t.name);
          continue;
        }
        JobSchedule table_job = s;
        table_job.name = "offload_" + t.name;
        table_job.cron = t.schedule;
        table_job.tables = {t.name};
        own.push_back(std::move(table_job));
      }
      for (JobSchedule& j : own) {
        auto cron = CronSchedule::Parse(j.cron, TimeZone::Utc());
        if (!cron) return std::unexpected(cron.error().WithContext("job '" + j.name + "'"));
        for (const JobSchedule& d : DefaultSchedule()) {
          if (d.name == j.name) {
            return MakeError(ErrorKind::kInvalidInput,
                             "table '{}': its own schedule would make a job named '{}', which "
                             "is taken; rename the table or give it the layer's schedule",
                             j.tables.front(), j.name);
          }
        }
        extra.push_back(std::move(j));
      }
    } else {
      const MaintenancePolicy& m = config.maintenance;
      if (s.name == "compaction") s.cron = m.compaction_schedule;
      if (s.name == "expire") s.cron = m.expire_schedule;
      if (s.name == "manifests") s.cron = m.manifests_schedule;
      if (s.name == "audit") s.cron = m.audit_schedule;
      if (s.name == "orphans") s.cron = m.orphans_schedule;
    }
    if (!s.cron.empty()) {
      auto cron = CronSchedule::Parse(s.cron, TimeZone::Utc());
      if (!cron) return std::unexpected(cron.error().WithContext("job '" + s.name + "'"));
    }
    out.push_back(std::move(s));
  }
  for (JobSchedule& j : extra) out.push_back(std::move(j));
  return out;
}

Status ValidateSchedule(const JobSchedule& schedule) {
  if (schedule.retry.max_attempts < 1) {
    return MakeError(ErrorKind::kInvalidInput, "job '{}': retry max_attempts must be >= 1, got {}",
                     schedule.name, schedule.retry.max_attempts);
  }
  if (schedule.cron.empty()) return OkStatus();
  auto zone = TimeZone::Load(schedule.time_zone);
  if (!zone) return std::unexpected(zone.error().WithContext("job '" + schedule.name + "'"));
  auto cron = CronSchedule::Parse(schedule.cron, *zone);
  if (!cron) return std::unexpected(cron.error().WithContext("job '" + schedule.name + "'"));
  return OkStatus();
}

}  // namespace k2::service
