#pragma once
/// The scheduler: one thread that sleeps on a condition variable until the
/// next event (a cron fire time, a retry, a run's timeout, a lease renewal, a
/// ticker), starts runs on worker threads, and records them in the JobStore.
///
/// Guarantees:
///  - no overlapping runs of one job: in-process (a fire while the job runs is
///    recorded as skipped) and across processes (the JobStore lease; a run
///    whose lease another process holds is recorded as skipped);
///  - missed fire times (downtime, a long previous run) run once, or are
///    skipped, per the job's MisfirePolicy; on start, misfires are detected
///    from the last scheduled fire recorded in the JobStore;
///  - failed attempts with a retryable kind are retried with exponential
///    backoff and jitter, up to the policy's attempts;
///  - an attempt that outlives its timeout is cancelled cooperatively (its
///    CancellationToken); Stop() cancels running attempts (kShutdown), waits
///    up to a grace period and reports what is still running.
/// Everything waits through the Clock, so tests drive it with a ManualClock.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/cancellation.h"
#include "common/result.h"
#include "service/clock.h"
#include "service/cron.h"
#include "service/job.h"
#include "service/job_schedule.h"
#include "service/job_store.h"

namespace k2::service {

struct SchedulerOptions {
  /// Lease owner id (default "<hostname>:<pid>").
  std::string owner;
  /// Lease length; renewed every ttl/3 while a run goes on.
  Duration lease_ttl = std::chrono::minutes(5);
  /// A fire handled later than this after its time counts as a misfire.
  Duration misfire_grace = std::chrono::seconds(60);
  /// Seed for retry jitter (fixed in tests).
  uint64_t seed = 0x6b32;
};

/// A snapshot of one job's scheduling state.
struct JobState {
  std::string name;
  JobSchedule schedule;
  std::optional<TimePoint> next_fire;
  bool running = false;
  std::optional<TimePoint> running_since;
  int attempt = 0;  ///< current/last attempt number of the current run
  std::optional<TimePoint> retry_at;
  std::optional<JobRun> last_run;
  std::optional<TimePoint> last_success;

  nlohmann::json ToJson() const;
};

/// Whether lease holder `holder` ("host:pid") is a process of this host
/// (`self`'s host) that no longer exists, so its lease can be taken over.
bool IsDeadLocalOwner(const std::string& holder, const std::string& self);

class Scheduler {
 public:
  /// Called on the worker thread after each attempt is recorded, before the
  /// job counts as idle again. `will_retry` tells whether another attempt follows.
  using RunListener = std::function<void(const JobRun& run, bool will_retry)>;

  /// `clock` and `store` must outlive the scheduler.
  Scheduler(Clock& clock, JobStore& store, SchedulerOptions options = {});
  /// Stops (no grace) and joins every thread, waiting for running jobs to return.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Adds a job before Start(). kInvalidInput for a bad cron/time zone or a
  /// name mismatch; kAlreadyExists for a duplicate name.
  Status AddJob(std::unique_ptr<Job> job, JobSchedule schedule);
  /// Adds a listener before Start().
  void AddRunListener(RunListener listener);
  /// Calls `fn` on the scheduler thread every `interval` (first call one
  /// interval after Start). Add before Start().
  void AddTicker(Duration interval, std::function<void()> fn);

  /// Computes each job's next fire time (misfires from the store's last
  /// scheduled fire) and starts the scheduler thread. kRemote/kIo if the store fails.
  Status Start();
  /// Starts a run of `name` now (trigger kManual). kNotFound for an unknown
  /// job, kAlreadyExists if it is running, kCancelled once stopping.
  Status TriggerRun(const std::string& name);
  /// Stops scheduling, cancels running attempts (they abandon before
  /// committing, or finish a commit in progress) and waits up to `grace` on
  /// the clock. kTimeout names the jobs still running after the grace; their
  /// threads are then joined by the destructor.
  Status Stop(Duration grace);

  /// Snapshot of every job, in the order added.
  std::vector<JobState> Jobs() const;
  /// Snapshot of one job. kNotFound if unknown.
  Result<JobState> GetJob(const std::string& name) const;

  /// Test helper: blocks (condition variable, real-time bound) until no job
  /// runs, nothing is due at the clock's current time and the scheduler
  /// thread sleeps. Returns false if `timeout` passed first.
  bool WaitIdle(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Test helper: like WaitIdle, but jobs may still be running: the scheduler
  /// thread has handled everything due at the clock's current time and sleeps.
  bool WaitSettled(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  struct Entry;
  struct Ticker {
    Duration interval;
    std::function<void()> fn;
    TimePoint next;
  };

  void Loop();
  // All with mu_ held.
  void HandleFires(TimePoint now);
  void StartAttempt(Entry& e, Trigger trigger, int attempt, TimePoint scheduled);
  std::optional<TimePoint> EarliestEvent() const;
  bool IdleLocked() const;
  bool SettledLocked() const;
  JobState SnapshotLocked(const Entry& e) const;
  void RecordSkipped(Entry& e, Trigger trigger, TimePoint scheduled, std::string reason);
  // Worker thread body: one attempt, in phases (the functions below, in order).
  void RunAttempt(Entry* e, Trigger trigger, int attempt, TimePoint scheduled,
                  std::shared_ptr<CancellationToken> token);
  /// Takes the job's lease (over a dead local holder's); if it cannot, sets
  /// `run`'s status (failed or skipped) and error and returns false.
  bool TakeLease(JobRun& run);
  /// Runs the job under its lease, records the outcome in `run`, releases the lease.
  void RunLeased(Entry& e, JobRun& run, CancellationToken& token);
  /// Whether the ended `run` is retried and after what delay, and the
  /// listeners to tell (copied under mu_).
  struct RetryDecision {
    bool will_retry = false;
    Duration delay{};
    std::vector<RunListener> listeners;
  };
  RetryDecision DecideRetry(const Entry& e, const JobRun& run);
  /// Takes mu_: the job is idle again, with its last run and retry time; wakes the loop.
  void EndAttempt(Entry& e, const JobRun& run, bool will_retry, Duration delay);

  Clock& clock_;
  JobStore& store_;
  SchedulerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the scheduler thread (and Stop)
  std::condition_variable idle_cv_;  // wakes WaitIdle
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<RunListener> listeners_;
  std::vector<Ticker> tickers_;
  std::mt19937_64 rng_;
  bool started_ = false;
  bool stopping_ = false;
  bool sleeping_ = false;
  bool dirty_ = false;  // state changed since the loop last computed its deadline
  std::optional<TimePoint> sleep_until_;
  int running_ = 0;
  std::thread loop_;
};

}  // namespace k2::service
