#pragma once
/// Where the daemon records runs and takes the per-job lease that keeps two
/// k2 processes from running the same job at once. The production store lives
/// in the catalog database (the catalog's job history and lease tables);
/// InMemoryJobStore serves tests and a daemon without a shared database.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/clock.h"
#include "service/job.h"

namespace k2::service {

/// How a run attempt ended.
enum class RunStatus { kRunning, kSucceeded, kFailed, kTimedOut, kCancelled, kSkipped };
std::string_view RunStatusName(RunStatus status);
Result<RunStatus> ParseRunStatus(std::string_view name);

/// One attempt of one job, as recorded in the history.
struct JobRun {
  int64_t id = 0;  ///< assigned by the store on RecordStart
  std::string job;
  Trigger trigger = Trigger::kSchedule;
  int attempt = 1;
  TimePoint scheduled;  ///< the fire time this run is for
  TimePoint started;
  TimePoint finished;  ///< equals `started` while running
  RunStatus status = RunStatus::kRunning;
  std::optional<ErrorKind> error_kind;
  std::string error;  ///< the error message (empty on success)
  JobOutcome outcome;

  /// JSON for the API and `k2 jobs history --json`.
  nlohmann::json ToJson() const;
  double duration_seconds() const;
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  /// Records a run that starts now; returns its id. kIo/kRemote on store failure.
  virtual Result<int64_t> RecordStart(const JobRun& run) = 0;
  /// Records the end of run `run.id`: status, finished, error, outcome. kNotFound if unknown.
  virtual Status RecordFinish(const JobRun& run) = 0;
  /// Runs newest first (by start time, then id), all jobs when `job` is empty, at most `limit`.
  virtual Result<std::vector<JobRun>> History(const std::string& job, size_t limit) = 0;
  /// The latest scheduled fire time a run was recorded for (triggers schedule
  /// and catchup), or nullopt if none: what misfire detection starts from.
  virtual Result<std::optional<TimePoint>> LastScheduledFire(const std::string& job) = 0;

  /// Takes the lease on `job` for `owner` until now + ttl if it is free, expired
  /// or already `owner`'s. Returns false if another owner holds it.
  virtual Result<bool> TryAcquireLease(const std::string& job, const std::string& owner,
                                       TimePoint now, Duration ttl) = 0;
  /// Extends `owner`'s lease to now + ttl; false if it was lost (expired and taken).
  virtual Result<bool> RenewLease(const std::string& job, const std::string& owner, TimePoint now,
                                  Duration ttl) = 0;
  /// Releases `owner`'s lease (no-op if not held by `owner`).
  virtual Status ReleaseLease(const std::string& job, const std::string& owner) = 0;
  /// The owner of the unexpired lease on `job`, or nullopt if it is free.
  virtual Result<std::optional<std::string>> LeaseHolder(const std::string& job, TimePoint now) = 0;
};

/// Thread-safe in-memory store. Two schedulers sharing one instance behave like
/// two processes sharing the catalog database (history and leases). History
/// is bounded: the oldest runs beyond `max_runs` are dropped.
class InMemoryJobStore final : public JobStore {
 public:
  explicit InMemoryJobStore(size_t max_runs = 10000) : max_runs_(max_runs) {}
  Result<int64_t> RecordStart(const JobRun& run) override;
  Status RecordFinish(const JobRun& run) override;
  Result<std::vector<JobRun>> History(const std::string& job, size_t limit) override;
  Result<std::optional<TimePoint>> LastScheduledFire(const std::string& job) override;
  Result<bool> TryAcquireLease(const std::string& job, const std::string& owner, TimePoint now,
                               Duration ttl) override;
  Result<bool> RenewLease(const std::string& job, const std::string& owner, TimePoint now,
                          Duration ttl) override;
  Status ReleaseLease(const std::string& job, const std::string& owner) override;
  Result<std::optional<std::string>> LeaseHolder(const std::string& job, TimePoint now) override;

 private:
  struct Lease {
    std::string owner;
    TimePoint expires;
  };
  std::mutex mu_;
  size_t max_runs_;
  int64_t next_id_ = 1;
  std::map<int64_t, JobRun> runs_;
  std::map<std::string, TimePoint> last_fire_;
  std::map<std::string, Lease> leases_;
};

}  // namespace k2::service
