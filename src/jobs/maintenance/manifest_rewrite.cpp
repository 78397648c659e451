#include "jobs/maintenance/manifest_rewrite.h"

#include "common/cancellation.h"
#include "iceberg/table.h"
#include "iceberg/update/rewrite_manifests.h"

namespace k2::jobs {

nlohmann::json ManifestRewriteReport::ToJson() const {
  nlohmann::json j;
  j["operation"] = "manifests";
  j["table"] = table;
  j["dry_run"] = dry_run;
  j["snapshot_id"] = snapshot_id;
  j["manifests_before"] = manifests_before;
  j["manifests_after"] = manifests_after;
  j["manifests_replaced"] = manifests_replaced;
  j["manifests_created"] = manifests_created;
  j["bytes_before"] = bytes_before;
  j["bytes_after"] = bytes_after;
  j["entries_rewritten"] = entries_rewritten;
  return j;
}

Result<ManifestRewriteReport> RewriteManifests(Catalog& catalog, FileIO& io,
                                               const TableIdentifier& id,
                                               const ManifestRewriteOptions& options,
                                               const CancellationToken* cancel) {
  K2_ASSIGN_OR_RETURN(iceberg::Table table, iceberg::Table::Load(catalog, io, id));
  iceberg::RewriteManifests rewrite(&table);
  if (options.target_size_bytes > 0) rewrite.TargetSizeBytes(options.target_size_bytes);
  rewrite.MinInputManifests(options.min_input_manifests).DryRun(options.dry_run);
  if (cancel != nullptr && cancel->IsCancelled()) {
    return MakeError(ErrorKind::kCancelled, "rewrite manifests of {}: cancelled before commit",
                     id.ToString());
  }
  K2_ASSIGN_OR_RETURN(iceberg::RewriteManifestsResult r, rewrite.Commit());
  ManifestRewriteReport report;
  report.table = id.ToString();
  report.dry_run = options.dry_run;
  report.snapshot_id = r.snapshot_id;
  report.manifests_before = r.manifests_before;
  report.manifests_after = r.manifests_after;
  report.manifests_replaced = r.manifests_replaced;
  report.manifests_created = r.manifests_created;
  report.bytes_before = r.bytes_replaced;
  report.bytes_after = r.bytes_created;
  report.entries_rewritten = r.entries_rewritten;
  return report;
}

}  // namespace k2::jobs
