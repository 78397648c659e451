#include "service/job_schedule.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "common/config.h"
#include "service/cron.h"

namespace k2::service {

std::string_view MisfirePolicyName(MisfirePolicy policy) {
  return policy == MisfirePolicy::kSkip ? "skip" : "run_once";
}

Result<MisfirePolicy> ParseMisfirePolicy(std::string_view name) {
  if (name == "run_once") return MisfirePolicy::kRunOnce;
  if (name == "skip") return MisfirePolicy::kSkip;
  return MakeError(ErrorKind::kInvalidInput, "misfire policy '{}': expected run_once or skip",
                   name);
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
        if (!t.enabled) continue;
        if (!first) {
          first = &t;
        } else if (!t.schedule.empty() && t.schedule != first->schedule) {
          spdlog::warn(
              "table {} ({}): schedule '{}' differs from '{}' of table {}; the {} job "
              "runs the whole layer on the latter",
              t.name, layer, t.schedule, first->schedule, first->name, s.name);
        }
      }
      if (!any_table) continue;  // no tables in this layer: no job
      if (first && !first->schedule.empty()) s.cron = first->schedule;
      s.enabled = first != nullptr;
    } else {
      const MaintenancePolicy& m = config.maintenance;
      if (s.name == "compaction") s.cron = m.compaction_schedule;
      if (s.name == "expire") s.cron = m.expire_schedule;
      if (s.name == "manifests") s.cron = m.manifests_schedule;
      if (s.name == "audit") s.cron = m.audit_schedule;
      if (s.name == "orphans") s.cron = m.orphans_schedule;
    }
    if (!s.cron.empty()) {
      auto cron = CronSchedule::Parse(s.cron);
      if (!cron) return std::unexpected(cron.error().WithContext("job '" + s.name + "'"));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace k2::service
