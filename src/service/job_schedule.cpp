#include "service/job_schedule.h"

#include <algorithm>
#include <cmath>

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

}  // namespace k2::service
