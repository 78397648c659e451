#pragma once
/// k2's own tables in the catalog database, for the `k2 serve` daemon:
///   k2_job_runs(run_id, job, target, run_trigger, scheduled_at_ms, started_at_ms,
///               ended_at_ms, status, attempt, "rows", bytes, error_kind, error, details)
///   k2_leases(name PRIMARY KEY, owner, expires_at_ms)
/// JobHistory records run attempts; LeaseStore keeps one job from running
/// twice at once across processes sharing the database. Both create their
/// tables if missing, on SQLite or PostgreSQL (same URIs as OpenSqlCatalog).
/// Times are caller-supplied milliseconds since the epoch (the caller owns the
/// clock, so tests can use a manual one).
///
/// Thread safety: all methods may be called concurrently; many instances in
/// many processes may share one database.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sql/catalog_store.h"
#include "common/result.h"

namespace k2 {

/// Status of a run that has started and not ended.
inline constexpr std::string_view kJobStatusRunning = "running";
/// Status LastSuccess looks for.
inline constexpr std::string_view kJobStatusSucceeded = "succeeded";

/// One row of k2_job_runs.
struct JobRun {
  int64_t run_id = 0;  ///< Assigned by JobHistory::Start.
  std::string job;
  std::string target;   ///< What the run works on (a table), "" if nothing in particular.
  std::string trigger;  ///< Why it started ("schedule", "manual", ...), free-form.
  std::optional<int64_t> scheduled_at_ms;  ///< The fire time this run is for.
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;  ///< nullopt while running.
  std::string status{kJobStatusRunning};
  int attempt = 1;
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string error_kind;  ///< ErrorKindName of the failure, "" on success.
  std::string error;       ///< The error message, "" on success.
  std::string details;     ///< Free-form (e.g. the outcome as JSON), "" if none.

  bool operator==(const JobRun&) const = default;
};

/// Run history in k2_job_runs.
class JobHistory {
 public:
  /// Opens the database (see OpenSqlCatalog for `uri_or_path`) and creates the
  /// table if missing. kInvalidInput for a bad URI; kIo if unreachable.
  static Result<std::unique_ptr<JobHistory>> Open(const std::string& uri_or_path);
  /// Same on an already opened store.
  static Result<std::unique_ptr<JobHistory>> Open(std::unique_ptr<sql::CatalogStore> store);

  /// Records a run start (status "running"); returns its run id.
  /// kInvalidInput if `job` is empty.
  Result<int64_t> Start(const std::string& job, const std::string& target, int attempt,
                        int64_t started_ms);
  /// Records a run start from job, target, trigger, scheduled_at_ms,
  /// started_at_ms and attempt of `run`; returns its run id.
  Result<int64_t> Start(const JobRun& run);

  /// Records the end of run `run_id`. kNotFound if there is no such run.
  Status End(int64_t run_id, const std::string& status, int64_t ended_ms, int64_t rows,
             int64_t bytes, const std::string& error);
  /// Records the end of run `run.run_id` from status, ended_at_ms (required),
  /// rows, bytes, error_kind, error and details. kNotFound if there is no such
  /// run; kInvalidInput without ended_at_ms.
  Status End(const JobRun& run);

  /// Runs of `job` (every job when empty), newest first (start time, then run
  /// id), at most `limit`.
  Result<std::vector<JobRun>> List(const std::string& job, size_t limit);
  /// The latest run of `job` on `target` with status "succeeded", if any.
  Result<std::optional<JobRun>> LastSuccess(const std::string& job, const std::string& target);
  /// The latest scheduled_at_ms of `job`'s runs whose trigger is one of
  /// `triggers` (any trigger when empty), if any.
  Result<std::optional<int64_t>> LastScheduledAt(const std::string& job,
                                                 const std::vector<std::string>& triggers);
  /// Deletes runs that ended before `ended_before_ms` (running ones stay);
  /// returns how many. Bounds the history.
  Result<int64_t> Prune(int64_t ended_before_ms);

 private:
  explicit JobHistory(std::unique_ptr<sql::CatalogStore> store) : store_(std::move(store)) {}
  Error Context(Error error, std::string_view what) const;

  std::unique_ptr<sql::CatalogStore> store_;
};

/// A lease row.
struct Lease {
  std::string name;
  std::string owner;
  int64_t expires_at_ms = 0;
};

/// Named leases in k2_leases: at most one owner holds a lease until it
/// expires. Every change is one atomic statement, so two processes racing for
/// a lease never both win.
class LeaseStore {
 public:
  /// Opens the database (see OpenSqlCatalog) and creates the table if missing.
  static Result<std::unique_ptr<LeaseStore>> Open(const std::string& uri_or_path);
  static Result<std::unique_ptr<LeaseStore>> Open(std::unique_ptr<sql::CatalogStore> store);

  /// Takes lease `name` for `owner` until now_ms + ttl_ms if it is free,
  /// expired (expires_at_ms <= now_ms) or already `owner`'s (which extends it).
  /// Returns false if another owner holds it. kInvalidInput if name or owner
  /// is empty or ttl_ms <= 0.
  Result<bool> TryAcquire(const std::string& name, const std::string& owner, int64_t now_ms,
                          int64_t ttl_ms);
  /// Extends `owner`'s lease to now_ms + ttl_ms. Returns false if `owner` no
  /// longer holds it (released, or expired and taken by another owner).
  Result<bool> Renew(const std::string& name, const std::string& owner, int64_t now_ms,
                     int64_t ttl_ms);
  /// Releases `owner`'s lease; a no-op if `owner` does not hold it.
  Status Release(const std::string& name, const std::string& owner);
  /// The lease row (possibly expired), or nullopt if nobody holds it.
  Result<std::optional<Lease>> Get(const std::string& name);

 private:
  explicit LeaseStore(std::unique_ptr<sql::CatalogStore> store) : store_(std::move(store)) {}
  Error Context(Error error, std::string_view what) const;

  std::unique_ptr<sql::CatalogStore> store_;
};

}  // namespace k2
