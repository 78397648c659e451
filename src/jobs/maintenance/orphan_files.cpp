#include "jobs/maintenance/orphan_files.h"

#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "common/cancellation.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/maintenance/file_uri.h"

namespace k2::jobs {

nlohmann::json OrphanReport::ToJson() const {
  nlohmann::json j;
  j["operation"] = "orphans";
  j["table"] = table;
  j["location"] = location;
  j["dry_run"] = dry_run;
  j["files_listed"] = files_listed;
  j["files_referenced"] = files_referenced;
  j["orphans_found"] = orphans_found;
  j["orphan_bytes"] = orphan_bytes;
  j["too_new_skipped"] = too_new_skipped;
  j["files_deleted"] = files_deleted;
  j["bytes_deleted"] = bytes_deleted;
  j["orphans"] = orphans;
  j["failed_deletes"] = failed_deletes;
  j["uploads_found"] = uploads_found;
  j["uploads_aborted"] = uploads_aborted;
  return j;
}

Result<std::vector<std::string>> ReferencedFiles(FileIO& io, const std::string& metadata_location,
                                                 const iceberg::TableMetadata& metadata) {
  std::set<std::string> out;
  out.insert(metadata_location);
  out.insert(metadata.location + "/metadata/version-hint.text");
  for (const auto& e : metadata.metadata_log) out.insert(e.metadata_file);
  for (const nlohmann::json* stats : {&metadata.statistics, &metadata.partition_statistics}) {
    if (!stats->is_array()) continue;
    for (const auto& s : *stats) {
      if (s.is_object() && s.contains("statistics-path") && s["statistics-path"].is_string()) {
        out.insert(s["statistics-path"].get<std::string>());
      }
    }
  }
  std::set<std::string> seen_manifests;
  for (const iceberg::Snapshot& s : metadata.snapshots) {
    if (!s.manifest_list.empty()) out.insert(s.manifest_list);
    auto manifests = iceberg::SnapshotManifests(io, s);
    if (!manifests) {
      return std::unexpected(
          manifests.error().WithContext(fmt::format("manifests of snapshot {}", s.snapshot_id)));
    }
    for (const iceberg::ManifestFile& m : *manifests) {
      out.insert(m.manifest_path);
      if (!seen_manifests.insert(m.manifest_path).second) continue;
      K2_ASSIGN_OR_RETURN(std::vector<iceberg::ManifestEntry> entries,
                          iceberg::ReadManifest(io, m));
      for (const iceberg::ManifestEntry& e : entries) out.insert(e.file.file_path);
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::vector<FileInfo>> FindOrphans(const std::vector<FileInfo>& listed,
                                          const std::vector<std::string>& referenced,
                                          int64_t cutoff_ms, int64_t* too_new) {
  std::map<std::string, std::pair<NormalizedUri, std::string>> by_path;
  for (const std::string& r : referenced) {
    NormalizedUri n = NormalizeUri(r);
    std::string key = n.path;
    by_path.emplace(std::move(key), std::make_pair(std::move(n), r));
  }
  std::vector<FileInfo> orphans;
  int64_t young = 0;
  for (const FileInfo& f : listed) {
    const NormalizedUri n = NormalizeUri(f.path);
    if (auto it = by_path.find(n.path); it != by_path.end()) {
      const NormalizedUri& ref = it->second.first;
      if (ref.scheme != n.scheme || ref.authority != n.authority) {
        return MakeError(ErrorKind::kInvalidInput,
                         "prefix mismatch: listed file {} is referenced as {} (scheme or authority "
                         "differs); refusing to guess whether it is an orphan",
                         f.path, it->second.second);
      }
      continue;
    }
    if (f.modified_ms >= cutoff_ms) {
      ++young;
      continue;
    }
    orphans.push_back(f);
  }
  if (too_new != nullptr) *too_new = young;
  return orphans;
}

Result<OrphanReport> RemoveOrphanFiles(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                       const OrphanOptions& options,
                                       const CancellationToken* cancel) {
  if (options.older_than_s < kMinOrphanAgeSeconds) {
    return MakeError(ErrorKind::kInvalidInput,
                     "orphans of {}: older_than {} s is under the 24 h minimum (files that young "
                     "may belong to a commit in progress)",
                     id.ToString(), options.older_than_s);
  }
  K2_ASSIGN_OR_RETURN(iceberg::Table table, iceberg::Table::Load(catalog, io, id));
  const iceberg::TableMetadata& m = table.metadata();
  OrphanReport report;
  report.table = id.ToString();
  report.location = m.location;
  report.dry_run = options.dry_run;
  K2_ASSIGN_OR_RETURN(std::vector<std::string> referenced,
                      ReferencedFiles(io, table.metadata_location(), m));
  report.files_referenced = static_cast<int64_t>(referenced.size());

  // Every referenced file under the location must be spelled with the
  // location's scheme and authority, else the listing cannot be matched.
  const NormalizedUri loc = NormalizeUri(m.location);
  for (const std::string& r : referenced) {
    const NormalizedUri n = NormalizeUri(r);
    if (n.path.starts_with(loc.path + "/") &&
        (n.scheme != loc.scheme || n.authority != loc.authority)) {
      return MakeError(ErrorKind::kInvalidInput,
                       "prefix mismatch: {} references {} outside its location's scheme/authority "
                       "({}); refusing to guess",
                       report.table, r, m.location);
    }
  }

  K2_ASSIGN_OR_RETURN(std::vector<FileInfo> listed, io.List(m.location));
  report.files_listed = static_cast<int64_t>(listed.size());
  for (FileInfo& f : listed) {
    // Listings may come back as plain paths for a file:// location.
    NormalizedUri n = NormalizeUri(f.path);
    if (n.scheme != loc.scheme || n.authority != loc.authority) {
      if (n.scheme == "file" && loc.scheme == "file") continue;
      return MakeError(ErrorKind::kInvalidInput,
                       "prefix mismatch: listing {} returned {} (scheme/authority differs)",
                       m.location, f.path);
    }
  }
  const int64_t now = options.now_ms > 0 ? options.now_ms : iceberg::NowMillis();
  const int64_t cutoff = now - options.older_than_s * 1000;
  K2_ASSIGN_OR_RETURN(std::vector<FileInfo> orphans,
                      FindOrphans(listed, referenced, cutoff, &report.too_new_skipped));
  report.orphans_found = static_cast<int64_t>(orphans.size());
  for (const FileInfo& f : orphans) {
    report.orphan_bytes += static_cast<int64_t>(f.size);
    if (report.orphans.size() < 1000) report.orphans.push_back(f.path);
  }
  K2_ASSIGN_OR_RETURN(std::vector<PendingUpload> uploads, io.ListPendingUploads(m.location));
  std::erase_if(uploads, [&](const PendingUpload& u) { return u.initiated_ms >= cutoff; });
  report.uploads_found = static_cast<int64_t>(uploads.size());
  if (options.dry_run) return report;
  if (cancel != nullptr && cancel->IsCancelled()) {
    return MakeError(ErrorKind::kCancelled, "orphans of {}: cancelled before deleting",
                     report.table);
  }
  std::vector<std::string> paths;
  paths.reserve(orphans.size());
  for (const FileInfo& f : orphans) paths.push_back(f.path);
  std::set<std::string> failed;
  for (const DeleteFailure& f : io.DeleteFiles(paths)) {
    spdlog::warn("orphans of {}: {}", report.table, f.error.ToString());
    failed.insert(f.path);
    report.failed_deletes.push_back(f.path);
  }
  for (const FileInfo& f : orphans) {
    if (failed.count(f.path)) continue;
    ++report.files_deleted;
    report.bytes_deleted += static_cast<int64_t>(f.size);
  }
  for (const PendingUpload& u : uploads) {
    if (auto st = io.AbortPendingUpload(u); !st) {
      spdlog::warn("orphans of {}: {}", report.table, st.error().ToString());
      report.failed_deletes.push_back(u.path + " (upload " + u.upload_id + ")");
    } else {
      ++report.uploads_aborted;
    }
  }
  return report;
}

}  // namespace k2::jobs
