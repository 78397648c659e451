#include "jobs/maintenance/expire_job.h"

#include "common/cancellation.h"
#include "iceberg/table.h"
#include "iceberg/update/expire_snapshots.h"
#include "jobs/offload_ledger.h"

namespace k2::jobs {

nlohmann::json ExpireReport::ToJson() const {
  nlohmann::json j;
  j["operation"] = "expire";
  j["table"] = table;
  j["dry_run"] = dry_run;
  j["committed"] = committed;
  j["snapshots_before"] = snapshots_before;
  j["snapshots_after"] = snapshots_after;
  j["expired_snapshot_ids"] = expired_snapshot_ids;
  j["removed_refs"] = removed_refs;
  j["manifest_lists_deleted"] = manifest_lists_deleted;
  j["manifests_deleted"] = manifests_deleted;
  j["data_files_deleted"] = data_files_deleted;
  j["delete_files_deleted"] = delete_files_deleted;
  j["bytes_deleted"] = bytes_deleted;
  j["failed_deletes"] = failed_deletes;
  if (!cleanup_error.empty()) j["cleanup_error"] = cleanup_error;
  return j;
}

Result<ExpireReport> ExpireSnapshots(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                     const ExpireOptions& options,
                                     const CancellationToken* cancel) {
  K2_ASSIGN_OR_RETURN(iceberg::Table table, iceberg::Table::Load(catalog, io, id));
  if (!options.dry_run && LedgerNeedsCarryOver(table.metadata())) {
    // Windows only snapshot summaries record (a table from before the
    // ledger property) move into the property before their snapshots go.
    LedgerUpdate carry({});
    K2_RETURN_IF_ERROR(table.CommitUpdate(carry));
  }
  const iceberg::TableMetadata& m = table.metadata();
  const int64_t now = options.now_ms > 0 ? options.now_ms : iceberg::NowMillis();
  ExpireReport report;
  report.table = id.ToString();
  report.dry_run = options.dry_run;
  report.snapshots_before = static_cast<int>(m.snapshots.size());

  iceberg::ExpireSnapshots expire(&table);
  if (!m.properties.count("history.expire.max-snapshot-age-ms")) {
    expire.ExpireOlderThan(now - options.older_than_s * 1000);
  } else {
    expire.ExpireOlderThan(now - m.PropertyAsInt("history.expire.max-snapshot-age-ms", 0));
  }
  if (!m.properties.count("history.expire.min-snapshots-to-keep")) {
    expire.RetainLast(options.retain_last);
  }
  expire.DryRun(options.dry_run);
  if (cancel != nullptr && cancel->IsCancelled()) {
    return MakeError(ErrorKind::kCancelled, "expire {}: cancelled before commit", report.table);
  }
  K2_ASSIGN_OR_RETURN(iceberg::ExpireResult r, expire.Commit());
  report.committed = r.committed;
  report.snapshots_after =
      r.committed ? static_cast<int>(table.metadata().snapshots.size())
                  : report.snapshots_before - static_cast<int>(r.expired_snapshot_ids.size());
  report.expired_snapshot_ids = r.expired_snapshot_ids;
  report.removed_refs = r.removed_refs;
  report.manifest_lists_deleted = static_cast<int64_t>(r.files.manifest_lists.size());
  report.manifests_deleted = static_cast<int64_t>(r.files.manifests.size());
  report.data_files_deleted = static_cast<int64_t>(r.files.data_files.size());
  report.delete_files_deleted = static_cast<int64_t>(r.files.delete_files.size());
  report.bytes_deleted = r.files.content_bytes;
  report.failed_deletes = r.failed_deletes;
  report.cleanup_error = r.cleanup_error;
  return report;
}

}  // namespace k2::jobs
