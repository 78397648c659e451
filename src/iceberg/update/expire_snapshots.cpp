#include "iceberg/update/expire_snapshots.h"

#include <algorithm>
#include <limits>
#include <map>

#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"

namespace k2::iceberg {

namespace {

constexpr int64_t kDefaultMaxSnapshotAgeMs = 5LL * 24 * 3600 * 1000;

bool GcEnabled(const TableMetadata& m) {
  auto it = m.properties.find("gc.enabled");
  if (it == m.properties.end()) return true;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v != "false";
}

}  // namespace

Result<RetentionPlan> PlanRetention(const TableMetadata& base, const ExpirePolicy& policy,
                                    int64_t now_ms) {
  if (!GcEnabled(base)) {
    return MakeError(ErrorKind::kInvalidInput,
                     "table at {} has gc.enabled=false: snapshots are not expired", base.location);
  }
  const int64_t default_older_than = policy.older_than_ms.value_or(
      now_ms - base.PropertyAsInt("history.expire.max-snapshot-age-ms", kDefaultMaxSnapshotAgeMs));
  const int default_min = std::max(
      1, policy.retain_last.value_or(
             static_cast<int>(base.PropertyAsInt("history.expire.min-snapshots-to-keep", 1))));
  const int64_t default_max_ref_age =
      base.PropertyAsInt("history.expire.max-ref-age-ms", std::numeric_limits<int64_t>::max());

  RetentionPlan plan;
  std::map<std::string, SnapshotRef> refs = base.refs;
  if (!refs.count(kMainBranch) && base.current_snapshot_id) {
    SnapshotRef main;
    main.snapshot_id = *base.current_snapshot_id;
    refs[kMainBranch] = main;
  }
  std::set<int64_t> heads;
  std::set<int64_t> referenced;
  for (const auto& [name, ref] : refs) {
    auto head = base.SnapshotById(ref.snapshot_id);
    if (!head) continue;  // a dangling ref keeps nothing
    if (name != kMainBranch) {
      const int64_t max_age = ref.max_ref_age_ms.value_or(default_max_ref_age);
      if (now_ms - (*head)->timestamp_ms > max_age) {
        plan.removed_refs.push_back(name);
        continue;
      }
    }
    heads.insert(ref.snapshot_id);
    if (ref.type == RefType::kTag) {
      plan.retained.insert(ref.snapshot_id);
      referenced.insert(ref.snapshot_id);
      continue;
    }
    const int min_keep = std::max(1, ref.min_snapshots_to_keep.value_or(default_min));
    const int64_t older_than =
        ref.max_snapshot_age_ms ? now_ms - *ref.max_snapshot_age_ms : default_older_than;
    int kept = 0;
    bool keeping = true;
    for (const Snapshot* s : base.Ancestry(ref.snapshot_id)) {
      referenced.insert(s->snapshot_id);
      if (keeping && (kept < min_keep || s->timestamp_ms >= older_than)) {
        plan.retained.insert(s->snapshot_id);
        ++kept;
      } else {
        keeping = false;
      }
    }
  }
  for (const Snapshot& s : base.snapshots) {
    if (!referenced.count(s.snapshot_id) && s.timestamp_ms >= default_older_than) {
      plan.retained.insert(s.snapshot_id);
    }
  }
  for (int64_t id : policy.snapshot_ids) {
    if (heads.count(id)) {
      return MakeError(
          ErrorKind::kInvalidInput,
          "snapshot {} of table at {} is the head of a branch or tag: it cannot expire", id,
          base.location);
    }
    if (!base.SnapshotById(id)) {
      return MakeError(ErrorKind::kNotFound, "snapshot {} does not exist in table at {}", id,
                       base.location);
    }
    plan.retained.erase(id);
  }
  for (const Snapshot& s : base.snapshots) {
    if (!plan.retained.count(s.snapshot_id)) plan.expired.insert(s.snapshot_id);
  }
  return plan;
}

Result<ExpiredFiles> FindExpiredFiles(FileIO& io, const TableMetadata& before,
                                      const TableMetadata& after) {
  std::set<int64_t> retained_ids;
  for (const Snapshot& s : after.snapshots) retained_ids.insert(s.snapshot_id);

  // Manifests of the retained snapshots.
  std::set<std::string> retained_lists;
  std::map<std::string, ManifestFile> retained_manifests;
  for (const Snapshot& s : after.snapshots) {
    if (!s.manifest_list.empty()) retained_lists.insert(s.manifest_list);
    K2_ASSIGN_OR_RETURN(std::vector<ManifestFile> ms, SnapshotManifests(io, s));
    for (ManifestFile& m : ms) retained_manifests.emplace(m.manifest_path, std::move(m));
  }

  ExpiredFiles out;
  std::map<std::string, ManifestFile> candidate_manifests;
  std::set<std::string> expired_lists;
  for (const Snapshot& s : before.snapshots) {
    if (retained_ids.count(s.snapshot_id)) continue;
    if (!s.manifest_list.empty() && !retained_lists.count(s.manifest_list)) {
      expired_lists.insert(s.manifest_list);
    }
    auto ms = SnapshotManifests(io, s);
    if (!ms) {
      // The snapshot's manifest list is already gone (an earlier expiry or a
      // writer's leftover): nothing of it can be found to delete.
      if (ms.error().kind == ErrorKind::kNotFound) continue;
      return std::unexpected(
          ms.error().WithContext(fmt::format("manifests of expired snapshot {}", s.snapshot_id)));
    }
    for (ManifestFile& m : *ms) {
      if (!retained_manifests.count(m.manifest_path)) {
        candidate_manifests.emplace(m.manifest_path, std::move(m));
      }
    }
  }
  out.manifest_lists.assign(expired_lists.begin(), expired_lists.end());

  struct Candidate {
    FileContent content;
    int64_t size;
  };
  std::map<std::string, Candidate> candidates;
  for (const auto& [path, m] : candidate_manifests) {
    out.manifests.push_back(path);
    auto entries = ReadManifest(io, m);
    if (!entries) {
      if (entries.error().kind == ErrorKind::kNotFound) continue;
      return std::unexpected(entries.error());
    }
    for (const ManifestEntry& e : *entries) {
      if (e.status == EntryStatus::kDeleted) continue;
      candidates.emplace(e.file.file_path, Candidate{e.file.content, e.file.file_size_in_bytes});
    }
  }
  if (!candidates.empty()) {
    for (const auto& [path, m] : retained_manifests) {
      K2_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries, ReadManifest(io, m));
      for (const ManifestEntry& e : entries) {
        if (e.status != EntryStatus::kDeleted) candidates.erase(e.file.file_path);
      }
      if (candidates.empty()) break;
    }
  }
  for (const auto& [path, c] : candidates) {
    (c.content == FileContent::kData ? out.data_files : out.delete_files).push_back(path);
    out.content_bytes += c.size;
  }
  return out;
}

Result<TableMetadata> ExpireSnapshots::Apply(const TableMetadata& base) {
  K2_ASSIGN_OR_RETURN(RetentionPlan plan, PlanRetention(base, policy_, now_ms_));
  TableMetadata next = base;
  std::erase_if(next.snapshots,
                [&](const Snapshot& s) { return plan.expired.count(s.snapshot_id) > 0; });
  std::erase_if(next.snapshot_log,
                [&](const SnapshotLogEntry& e) { return plan.expired.count(e.snapshot_id) > 0; });
  for (const std::string& name : plan.removed_refs) next.refs.erase(name);
  if (next.statistics.is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& st : next.statistics) {
      if (st.is_object() && st.contains("snapshot-id") && st["snapshot-id"].is_number_integer() &&
          plan.expired.count(st["snapshot-id"].get<int64_t>())) {
        continue;
      }
      kept.push_back(st);
    }
    next.statistics = std::move(kept);
  }
  last_base_ = base;
  last_plan_ = std::move(plan);
  return next;
}

Result<ExpireResult> ExpireSnapshots::Commit() {
  now_ms_ = NowMillis();
  ExpireResult result;
  K2_ASSIGN_OR_RETURN(RetentionPlan probe, PlanRetention(table_->metadata(), policy_, now_ms_));
  if (probe.expired.empty() && probe.removed_refs.empty()) return result;
  if (dry_run_) {
    K2_ASSIGN_OR_RETURN(TableMetadata next, Apply(table_->metadata()));
    result.expired_snapshot_ids.assign(last_plan_.expired.begin(), last_plan_.expired.end());
    result.removed_refs = last_plan_.removed_refs;
    K2_ASSIGN_OR_RETURN(result.files, FindExpiredFiles(table_->io(), table_->metadata(), next));
    return result;
  }
  K2_RETURN_IF_ERROR(table_->CommitUpdate(*this));
  result.committed = true;
  result.expired_snapshot_ids.assign(last_plan_.expired.begin(), last_plan_.expired.end());
  result.removed_refs = last_plan_.removed_refs;
  if (!clean_files_ || !last_base_) return result;
  auto files = FindExpiredFiles(table_->io(), *last_base_, table_->metadata());
  if (!files) {
    result.cleanup_error = files.error().ToString();
    return result;
  }
  result.files = std::move(*files);
  auto remove = [&](const std::vector<std::string>& paths) {
    for (const DeleteFailure& f : table_->io().DeleteFiles(paths)) {
      result.failed_deletes.push_back(f.path);
    }
  };
  remove(result.files.data_files);
  remove(result.files.delete_files);
  remove(result.files.manifests);
  remove(result.files.manifest_lists);
  return result;
}

}  // namespace k2::iceberg
