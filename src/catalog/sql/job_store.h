#pragma once
/// k2's own tables in the catalog database, for the `k2 serve` daemon:
///   k2_job_runs(run_id, job, target, run_trigger, scheduled_at_ms, started_at_ms,
///               ended_at_ms, status, attempt, "rows", bytes, error_kind, error, details)
///   k2_leases(name PRIMARY KEY, owner, expires_at_ms)
/// The daemon's run history lives in k2_job_runs (service/catalog_job_store.h
/// reads and writes its rows); LeaseStore keeps one job from running twice at
/// once across processes sharing the database. Tables are created if missing,
/// on SQLite or PostgreSQL (same URIs as OpenSqlCatalog).
/// Times are caller-supplied milliseconds since the epoch (the caller owns the
/// clock, so tests can use a manual one).
///
/// Thread safety: all methods may be called concurrently; many instances in
/// many processes may share one database.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "catalog/sql/catalog_store.h"
#include "common/result.h"

namespace k2 {

/// Creates k2_job_runs and k2_leases if missing (one transaction; on
/// PostgreSQL under an advisory lock, so concurrent openers do not race).
/// The run history's queries are service::CatalogJobStore's, which owns the
/// JobRun a row holds. kIo/kRemote from the store.
Status CreateJobTables(sql::CatalogStore& store);

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
