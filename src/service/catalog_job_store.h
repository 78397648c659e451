#pragma once
/// The production JobStore: run history in the catalog database's k2_job_runs
/// table (one JobRun a row) and leases in k2_leases (catalog/sql/job_store.h
/// creates both), so every k2 process sharing the catalog sees one history and
/// one lease per job.

#include <memory>
#include <string>

#include "catalog/sql/catalog_store.h"
#include "catalog/sql/job_store.h"
#include "service/job_store.h"

namespace k2::service {

class CatalogJobStore final : public JobStore {
 public:
  /// Opens both tables in the catalog database `uri_or_path` (SQLite path or
  /// postgresql:// URI, as for OpenSqlCatalog), creating them if missing.
  /// kInvalidInput for a bad URI; kIo if unreachable.
  static Result<std::unique_ptr<CatalogJobStore>> Open(const std::string& uri_or_path);

  /// kInvalidInput if `run.job` is empty.
  Result<int64_t> RecordStart(const JobRun& run) override;
  /// kInvalidInput if `run` is still running (it has no end time).
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
  CatalogJobStore(std::unique_ptr<sql::CatalogStore> runs, std::unique_ptr<LeaseStore> leases)
      : runs_(std::move(runs)), leases_(std::move(leases)) {}
  Error Context(Error error, std::string_view what) const;

  std::unique_ptr<sql::CatalogStore> runs_;  ///< k2_job_runs
  std::unique_ptr<LeaseStore> leases_;
};

}  // namespace k2::service
