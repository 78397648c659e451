#include "jobs/maintenance/maintenance.h"

#include <spdlog/spdlog.h>

#include "jobs/maintenance/compaction.h"
#include "jobs/maintenance/expire_job.h"
#include "jobs/maintenance/manifest_rewrite.h"
#include "jobs/maintenance/orphan_files.h"

namespace k2::jobs {

Result<std::vector<TableIdentifier>> MaintainedTables(const Config& config, Catalog& catalog,
                                                      const std::string& only) {
  std::vector<TableIdentifier> out;
  if (!only.empty()) {
    if (auto tc = config.FindTable(only)) {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse((*tc)->target));
      out.push_back(std::move(id));
    } else {
      K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(only));
      if (id.ns.empty()) id.ns = {config.offload.ns};
      out.push_back(std::move(id));
    }
    return out;
  }
  for (const TableConfig& tc : config.tables) {
    K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(tc.target));
    auto loc = catalog.LoadTable(id);
    if (!loc) {
      if (loc.error().kind == ErrorKind::kNotFound) continue;  // not offloaded yet
      return std::unexpected(loc.error());
    }
    out.push_back(std::move(id));
  }
  return out;
}

MaintenanceRun RunMaintenance(const std::string& op, const Config& config, Catalog& catalog,
                              FileIO& io, const std::vector<TableIdentifier>& tables, bool dry_run,
                              const CancellationToken* cancel) {
  MaintenanceRun run;
  const MaintenancePolicy& p = config.maintenance;
  auto record = [&](const std::string& what, const TableIdentifier& id, auto result) {
    if (!result) {
      ++run.failed;
      if (!run.first_error)
        run.first_error = result.error().WithContext(what + " " + id.ToString());
      spdlog::error("maintain {} {}: {}", what, id.ToString(), result.error().ToString());
      run.reports.push_back(
          {{"operation", what}, {"table", id.ToString()}, {"error", result.error().ToString()}});
      return;
    }
    run.reports.push_back(result->ToJson());
  };
  for (const TableIdentifier& id : tables) {
    if (op == "compact" || op == "all") {
      CompactionOptions o;
      o.target_file_size_bytes = p.compaction_target_file_size_bytes;
      o.min_file_size_bytes = p.compaction_min_file_size_bytes;
      o.min_input_files = p.compaction_min_input_files;
      o.sort_memory_bytes = p.compaction_sort_memory_bytes;
      o.sort_spill_dir = p.compaction_sort_spill_dir;
      o.dry_run = dry_run;
      record("compact", id, CompactTable(catalog, io, id, o, cancel));
    }
    if (op == "manifests" || op == "all") {
      ManifestRewriteOptions o;
      o.dry_run = dry_run;
      record("manifests", id, RewriteManifests(catalog, io, id, o, cancel));
    }
    if (op == "expire" || op == "all") {
      ExpireOptions o;
      o.older_than_s = p.expire_older_than_s;
      o.retain_last = p.expire_retain_last;
      o.dry_run = dry_run;
      record("expire", id, ExpireSnapshots(catalog, io, id, o, cancel));
    }
    if (op == "orphans" || op == "all") {
      OrphanOptions o;
      o.older_than_s = p.orphans_older_than_s;
      o.dry_run = dry_run;
      record("orphans", id, RemoveOrphanFiles(catalog, io, id, o, cancel));
    }
  }
  return run;
}

}  // namespace k2::jobs
