#pragma once
/// The production JobStore: run history in the catalog database's k2_job_runs
/// table and leases in k2_leases (catalog/sql/job_store.h), so every k2
/// process sharing the catalog sees one history and one lease per job.

#include <memory>
#include <string>

#include "catalog/sql/job_store.h"
#include "service/job_store.h"

namespace k2::service {

class CatalogJobStore final : public JobStore {
 public:
  /// Opens both tables in the catalog database `uri_or_path` (SQLite path or
  /// postgresql:// URI, as for OpenSqlCatalog). kInvalidInput/kIo as JobHistory::Open.
  static Result<std::unique_ptr<CatalogJobStore>> Open(const std::string& uri_or_path);
  CatalogJobStore(std::unique_ptr<JobHistory> history, std::unique_ptr<LeaseStore> leases)
      : history_(std::move(history)), leases_(std::move(leases)) {}

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
  std::unique_ptr<JobHistory> history_;
  std::unique_ptr<LeaseStore> leases_;
};

}  // namespace k2::service
