#pragma once
/// When and how each job runs: its cron, whether it is enabled, what happens
/// to fire times missed while the daemon was down, retries and the timeout.

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "service/clock.h"

namespace k2 {
struct Config;
}

namespace k2::service {

/// What to do with fire times that passed while the daemon was down (or the
/// previous run was still going).
enum class MisfirePolicy {
  kRunOnce,  ///< run once as soon as possible (never once per missed slot)
  kSkip      ///< drop the missed slots; wait for the next fire time
};
std::string_view MisfirePolicyName(MisfirePolicy policy);

/// Exponential backoff with jitter between attempts of one run.
struct RetryPolicy {
  int max_attempts = 3;  ///< including the first attempt; 1 = no retry
  Duration base = std::chrono::seconds(30);
  Duration cap = std::chrono::minutes(10);
  double jitter = 0.2;  ///< each delay is shortened by up to this fraction, at random
};

/// Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
/// min(cap, base * 2^(attempt-1)) * (1 - jitter * unit_random), unit_random in [0, 1).
Duration BackoffDelay(const RetryPolicy& policy, int attempt, double unit_random);

/// Whether an error kind is worth another attempt (transient: kIo, kRemote,
/// kTimeout, kCommitConflict, kCommitStateUnknown).
bool IsRetryable(ErrorKind kind);

struct JobSchedule {
  std::string name;  ///< the job's name (must match Job::name())
  std::string cron;  ///< empty: runs only when triggered
  /// "UTC", a fixed offset like "+02:00" or an IANA name like "Europe/Berlin"
  /// (a CRON_TZ= prefix in `cron` overrides it).
  std::string time_zone = "UTC";
  /// Offload jobs: the tables (k2 names) this job offloads; empty = the job's
  /// whole layer (or not an offload).
  std::vector<std::string> tables;
  bool enabled = true;  ///< disabled jobs never fire but can be triggered
  MisfirePolicy misfire = MisfirePolicy::kRunOnce;
  RetryPolicy retry;
  Duration timeout = std::chrono::minutes(50);  ///< per attempt; zero = none
};

/// The platform's default schedule (UTC): offload_raw :05, offload_bronze :06,
/// offload_silver :07, offload_gold :09 hourly; compaction daily 02:00; expire
/// 02:20; manifests 02:40; audit Sunday 03:00; orphans Sunday 04:00.
/// Offloads catch up once after downtime (the offload itself then covers
/// every closed window); maintenance runs once, not once per missed slot.
std::vector<JobSchedule> DefaultSchedule();

/// The schedule k2.yaml describes: one offload job per layer ("offload_raw",
/// ...) on the schedule of that layer's first enabled table (disabled when the
/// layer has none), running the layer's tables on that schedule; a table whose
/// own schedule differs gets its own job "offload_<table>" on its schedule;
/// compaction/expire/manifests/orphans/audit on the
/// maintenance schedules (an empty schedule leaves the job manual-only);
/// retries and timeout from the service section. kInvalidInput names the job
/// whose cron is bad.
Result<std::vector<JobSchedule>> ScheduleFromConfig(const Config& config);

/// Everything the scheduler checks before it accepts `schedule`: the retry
/// policy, the time zone, the cron expression (fields in range, a date that
/// exists). kInvalidInput names the job. `config check` runs it too, so a
/// config it passes is one `serve` accepts.
Status ValidateSchedule(const JobSchedule& schedule);

}  // namespace k2::service
