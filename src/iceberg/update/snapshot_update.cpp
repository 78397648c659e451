#include "iceberg/update/snapshot_update.h"

#include <random>

#include "iceberg/expression_eval.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/manifest/manifest_writer.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"

namespace k2::iceberg {

/// Totals and changes of a snapshot, named as in the spec's summary keys.
struct SnapshotUpdate::SummaryDelta {
  int64_t added_data_files = 0, added_records = 0, added_files_size = 0;
  int64_t added_delete_files = 0, added_position_deletes = 0, added_equality_deletes = 0;
  int64_t deleted_data_files = 0, deleted_records = 0, removed_files_size = 0;
  int64_t removed_delete_files = 0, removed_position_deletes = 0, removed_equality_deletes = 0;
  std::set<std::string> changed_partitions;

  void Add(const DataFile& f, int sign) {
    if (f.content == FileContent::kData) {
      (sign > 0 ? added_data_files : deleted_data_files) += 1;
      (sign > 0 ? added_records : deleted_records) += f.record_count;
    } else {
      (sign > 0 ? added_delete_files : removed_delete_files) += 1;
      if (f.content == FileContent::kPositionDeletes) {
        (sign > 0 ? added_position_deletes : removed_position_deletes) += f.record_count;
      } else {
        (sign > 0 ? added_equality_deletes : removed_equality_deletes) += f.record_count;
      }
    }
    (sign > 0 ? added_files_size : removed_files_size) += f.file_size_in_bytes;
    changed_partitions.insert(PartitionKey(f.spec_id, f.partition));
  }
};

namespace {

int64_t SummaryInt(const Snapshot* s, const char* key, int64_t dflt) {
  if (s == nullptr) return dflt;
  auto it = s->summary.find(key);
  if (it == s->summary.end()) return dflt;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return dflt;
  }
}

}  // namespace

SnapshotUpdate::SnapshotUpdate(Table* table, std::string operation)
    : table_(table), operation_(std::move(operation)), commit_uuid_(NewUuid()) {}

SnapshotUpdate::~SnapshotUpdate() = default;

void SnapshotUpdate::DoAddFile(DataFile file) {
  if (file.content == FileContent::kData) {
    added_data_.push_back(std::move(file));
  } else {
    added_deletes_.push_back(std::move(file));
  }
}

Result<int64_t> SnapshotUpdate::Commit() {
  K2_RETURN_IF_ERROR(table_->CommitUpdate(*this));
  return snapshot_id_;
}

std::string SnapshotUpdate::NewManifestPath() {
  return table_->MetadataPath(fmt::format("{}-m{}.avro", commit_uuid_, manifest_counter_++));
}

Result<ManifestFile> SnapshotUpdate::WriteManifest(const TableMetadata& base, int spec_id,
                                                   const std::vector<ManifestEntry>& entries,
                                                   ManifestContent content, bool per_attempt) {
  K2_ASSIGN_OR_RETURN(const PartitionSpec* spec, base.SpecById(spec_id));
  const std::string path = NewManifestPath();
  K2_ASSIGN_OR_RETURN(auto writer, ManifestWriter::Open(table_->io(), path, base.CurrentSchema(),
                                                        *spec, content, snapshot_id_));
  for (const ManifestEntry& e : entries) {
    auto st = writer->Add(e);
    if (!st) {
      writer->Abort();
      return std::unexpected(st.error());
    }
  }
  auto info = writer->Finish();
  if (!info) {
    writer->Abort();
    return std::unexpected(info.error());
  }
  (per_attempt ? attempt_files_ : cached_files_).push_back(path);
  return info;
}

Result<std::vector<ManifestFile>> SnapshotUpdate::ParentManifests(const Snapshot* parent) {
  if (parent == nullptr) return std::vector<ManifestFile>{};
  return SnapshotManifests(table_->io(), *parent);  // the scan's reading, v1 lists included
}

Status SnapshotUpdate::RunValidations(const TableMetadata& base) {
  for (const auto& v : validators_) K2_RETURN_IF_ERROR(v(base));
  return OkStatus();
}

Result<TableMetadata> SnapshotUpdate::Apply(const TableMetadata& latest) {
  // 1. The snapshot id first: the metadata change may record it (the offload
  // ledger names the snapshot that committed a window). The caller's checks
  // see the table as it is, before this commit's change.
  ChooseSnapshotId(latest);
  K2_RETURN_IF_ERROR(RunValidations(latest));
  std::optional<TableMetadata> changed;
  if (change_metadata_) {
    K2_ASSIGN_OR_RETURN(changed, change_metadata_(latest));
  }
  const TableMetadata& base = changed ? *changed : latest;
  K2_ASSIGN_OR_RETURN(const Snapshot* parent, BranchHead(base));
  const int64_t seq = base.last_sequence_number + 1;

  // 2. Added files: written once, reused by every attempt.
  K2_RETURN_IF_ERROR(WriteAddedManifests(base));
  SummaryDelta delta;
  for (const DataFile& f : added_data_) delta.Add(f, +1);
  for (const DataFile& f : added_deletes_) delta.Add(f, +1);
  std::vector<ManifestFile> manifests;
  for (ManifestFile m : added_manifests_) {
    m.sequence_number = seq;
    m.min_sequence_number = seq;
    m.added_snapshot_id = snapshot_id_;
    manifests.push_back(std::move(m));
  }

  // 3. The parent's manifests, rewritten where they lose files.
  K2_ASSIGN_OR_RETURN(std::vector<ManifestFile> parent_manifests, ParentManifests(parent));
  std::set<std::string> touched = delta.changed_partitions;
  K2_RETURN_IF_ERROR(CarryOverManifests(base, parent_manifests, seq, manifests, delta, touched));
  if (validate_from_snapshot_) {
    K2_RETURN_IF_ERROR(ValidateSinceWith(base, parent, touched));
  }

  // 4. The manifest list and the snapshot; 5. the branch.
  K2_ASSIGN_OR_RETURN(Snapshot snap, WriteSnapshot(base, parent, seq, manifests, delta));
  FillSummary(parent, parent_manifests, delta, snap.summary);
  return PointBranch(base, std::move(snap));
}

void SnapshotUpdate::ChooseSnapshotId(const TableMetadata& latest) {
  std::mt19937_64 rng(std::random_device{}());
  while (snapshot_id_ == 0 || latest.SnapshotById(snapshot_id_)) {
    snapshot_id_ = static_cast<int64_t>(rng() >> 1);
  }
}

Result<const Snapshot*> SnapshotUpdate::BranchHead(const TableMetadata& base) const {
  if (auto it = base.refs.find(branch_); it != base.refs.end()) {
    if (it->second.type != RefType::kBranch) {
      return MakeError(ErrorKind::kInvalidInput, "'{}' is a tag, not a branch", branch_);
    }
    return base.SnapshotById(it->second.snapshot_id);
  }
  return base.CurrentSnapshot();
}

Status SnapshotUpdate::WriteAddedManifests(const TableMetadata& base) {
  if (!added_manifests_.empty() || (added_data_.empty() && added_deletes_.empty())) {
    return OkStatus();
  }
  for (auto* group : {&added_data_, &added_deletes_}) {
    std::map<int, std::vector<ManifestEntry>> by_spec;
    for (const DataFile& f : *group) {
      K2_RETURN_IF_ERROR(base.SpecById(f.spec_id));
      if (f.content != FileContent::kData && base.format_version < 2) {
        return MakeError(ErrorKind::kInvalidInput, "delete file {} needs format v2", f.file_path);
      }
      ManifestEntry e;
      e.status = EntryStatus::kAdded;
      e.file = f;
      by_spec[f.spec_id].push_back(std::move(e));
    }
    for (const auto& [spec_id, entries] : by_spec) {
      K2_ASSIGN_OR_RETURN(
          ManifestFile mf,
          WriteManifest(base, spec_id, entries,
                        group == &added_data_ ? ManifestContent::kData : ManifestContent::kDeletes,
                        /*per_attempt=*/false));
      added_manifests_.push_back(std::move(mf));
    }
  }
  return OkStatus();
}

/// What step 3 removes from the parent's manifests, and what it found.
struct SnapshotUpdate::Removal {
  std::optional<Predicate> filter;     ///< delete_filter_, bound to the current schema
  std::set<std::string> replace_keys;  ///< partitions of the added data files
  std::set<std::string> found;         ///< delete_paths_ found live
};

Status SnapshotUpdate::CarryOverManifests(const TableMetadata& base,
                                          const std::vector<ManifestFile>& parent_manifests,
                                          int64_t seq, std::vector<ManifestFile>& manifests,
                                          SummaryDelta& delta, std::set<std::string>& touched) {
  const bool removes =
      !delete_paths_.empty() || delete_filter_.has_value() || replace_added_partitions_;
  Removal removal;
  for (const DataFile& f : added_data_) {
    removal.replace_keys.insert(PartitionKey(f.spec_id, f.partition));
  }
  removal.filter = delete_filter_;
  if (removal.filter) {
    auto st = removal.filter->Bind(base.CurrentSchema().schema);
    if (!st) return std::unexpected(st.error());
  }
  for (const ManifestFile& pm : parent_manifests) {
    if (!removes || (pm.content == ManifestContent::kDeletes && delete_paths_.empty())) {
      manifests.push_back(pm);
      continue;
    }
    K2_ASSIGN_OR_RETURN(std::optional<ManifestFile> kept,
                        RewriteManifest(base, pm, seq, removal, delta, touched));
    if (kept) manifests.push_back(std::move(*kept));
  }
  if (require_deletes_present_) {
    for (const std::string& p : delete_paths_) {
      if (!removal.found.count(p)) {
        return MakeError(ErrorKind::kCommitConflict,
                         "file {} is not live in the table any more (deleted concurrently?)", p);
      }
    }
  }
  return OkStatus();
}

Result<bool> SnapshotUpdate::Removes(const TableMetadata& base, const Removal& removal,
                                     const DataFile& f) const {
  if (delete_paths_.count(f.file_path) > 0) return true;
  if (f.content != FileContent::kData) return false;
  if (replace_added_partitions_ &&
      removal.replace_keys.count(PartitionKey(f.spec_id, f.partition))) {
    return true;
  }
  if (!removal.filter) return false;
  K2_ASSIGN_OR_RETURN(const PartitionSpec* spec, base.SpecById(f.spec_id));
  FileMatch match = EvaluateFile(*removal.filter, base.CurrentSchema().schema, *spec, f);
  if (match == FileMatch::kSome) {
    return MakeError(ErrorKind::kInvalidInput,
                     "data file {} only partly matches the filter; k2 deletes whole files",
                     f.file_path);
  }
  return match == FileMatch::kAll;
}

Result<std::optional<ManifestFile>> SnapshotUpdate::RewriteManifest(
    const TableMetadata& base, const ManifestFile& pm, int64_t seq, Removal& removal,
    SummaryDelta& delta, std::set<std::string>& touched) {
  K2_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries, ReadManifest(table_->io(), pm));
  std::vector<ManifestEntry> rewritten;
  bool changed = false;
  for (ManifestEntry& e : entries) {
    if (e.status == EntryStatus::kDeleted) {
      changed = true;  // drop history of earlier deletes
      continue;
    }
    K2_ASSIGN_OR_RETURN(bool remove, Removes(base, removal, e.file));
    if (remove) {
      removal.found.insert(e.file.file_path);
      delta.Add(e.file, -1);
      touched.insert(PartitionKey(e.file.spec_id, e.file.partition));
      e.status = EntryStatus::kDeleted;
      e.snapshot_id = snapshot_id_;
      changed = true;
    } else {
      e.status = EntryStatus::kExisting;
    }
    rewritten.push_back(std::move(e));
  }
  if (!changed) return pm;
  if (rewritten.empty()) return std::nullopt;
  int64_t min_seq = seq;
  for (const ManifestEntry& e : rewritten) {
    if (e.sequence_number) min_seq = std::min(min_seq, *e.sequence_number);
  }
  // A manifest with only DELETED entries is kept so readers see the removal;
  // it drops out of the next snapshot.
  K2_ASSIGN_OR_RETURN(ManifestFile mf, WriteManifest(base, pm.partition_spec_id, rewritten,
                                                     pm.content, /*per_attempt=*/true));
  mf.sequence_number = seq;
  mf.min_sequence_number = min_seq;
  mf.added_snapshot_id = snapshot_id_;
  return mf;
}

Result<Snapshot> SnapshotUpdate::WriteSnapshot(const TableMetadata& base, const Snapshot* parent,
                                               int64_t seq,
                                               const std::vector<ManifestFile>& manifests,
                                               const SummaryDelta& delta) {
  const std::string list_path = table_->MetadataPath(
      fmt::format("snap-{}-{}-{}.avro", snapshot_id_, attempt_++, commit_uuid_));
  K2_RETURN_IF_ERROR(WriteManifestList(
      table_->io(), list_path, snapshot_id_,
      parent ? std::optional<int64_t>(parent->snapshot_id) : std::nullopt, seq, manifests));
  attempt_files_.push_back(list_path);

  Snapshot snap;
  snap.snapshot_id = snapshot_id_;
  if (parent) snap.parent_snapshot_id = parent->snapshot_id;
  snap.sequence_number = seq;
  snap.timestamp_ms = std::max(NowMillis(), base.last_updated_ms + 1);
  snap.manifest_list = list_path;
  snap.operation = operation_;
  if (operation_ == "overwrite" && added_deletes_.empty() && delta.deleted_data_files == 0 &&
      !delete_filter_ && delete_paths_.empty() && !replace_added_partitions_) {
    snap.operation = "append";
  }
  snap.schema_id = base.CurrentSchema().schema_id;
  return snap;
}

void SnapshotUpdate::FillSummary(const Snapshot* parent,
                                 const std::vector<ManifestFile>& parent_manifests,
                                 const SummaryDelta& delta,
                                 std::map<std::string, std::string>& s) const {
  auto put = [&](const char* key, int64_t v) {
    if (v != 0) s[key] = std::to_string(v);
  };
  put("added-data-files", delta.added_data_files);
  put("added-records", delta.added_records);
  put("added-files-size", delta.added_files_size);
  put("added-delete-files", delta.added_delete_files);
  put("added-position-deletes", delta.added_position_deletes);
  put("added-equality-deletes", delta.added_equality_deletes);
  put("deleted-data-files", delta.deleted_data_files);
  put("deleted-records", delta.deleted_records);
  put("removed-files-size", delta.removed_files_size);
  put("removed-delete-files", delta.removed_delete_files);
  put("removed-position-deletes", delta.removed_position_deletes);
  put("removed-equality-deletes", delta.removed_equality_deletes);
  s["changed-partition-count"] = std::to_string(delta.changed_partitions.size());
  int64_t base_records = SummaryInt(parent, "total-records", -1);
  int64_t base_files = SummaryInt(parent, "total-data-files", -1);
  if (parent && (base_records < 0 || base_files < 0)) {
    base_records = 0;
    base_files = 0;
    for (const ManifestFile& pm : parent_manifests) {
      if (pm.content != ManifestContent::kData) continue;
      base_records += pm.added_rows_count + pm.existing_rows_count;
      base_files += pm.added_files_count + pm.existing_files_count;
    }
  }
  base_records = std::max<int64_t>(base_records, 0);
  base_files = std::max<int64_t>(base_files, 0);
  s["total-records"] = std::to_string(base_records + delta.added_records - delta.deleted_records);
  s["total-data-files"] =
      std::to_string(base_files + delta.added_data_files - delta.deleted_data_files);
  s["total-files-size"] =
      std::to_string(std::max<int64_t>(0, SummaryInt(parent, "total-files-size", 0)) +
                     delta.added_files_size - delta.removed_files_size);
  s["total-delete-files"] = std::to_string(SummaryInt(parent, "total-delete-files", 0) +
                                           delta.added_delete_files - delta.removed_delete_files);
  s["total-position-deletes"] =
      std::to_string(SummaryInt(parent, "total-position-deletes", 0) +
                     delta.added_position_deletes - delta.removed_position_deletes);
  s["total-equality-deletes"] =
      std::to_string(SummaryInt(parent, "total-equality-deletes", 0) +
                     delta.added_equality_deletes - delta.removed_equality_deletes);
  for (const auto& [k, v] : extra_summary_) s[k] = v;
}

TableMetadata SnapshotUpdate::PointBranch(const TableMetadata& base, Snapshot snap) const {
  TableMetadata next = base;
  const int64_t timestamp_ms = snap.timestamp_ms;
  next.last_sequence_number = snap.sequence_number;
  next.snapshots.push_back(std::move(snap));
  SnapshotRef ref;
  if (auto it = base.refs.find(branch_); it != base.refs.end()) ref = it->second;
  ref.snapshot_id = snapshot_id_;
  ref.type = RefType::kBranch;
  next.refs[branch_] = ref;
  if (branch_ == kMainBranch) {
    next.current_snapshot_id = snapshot_id_;
    next.snapshot_log.push_back({timestamp_ms, snapshot_id_});
  }
  return next;
}

Status SnapshotUpdate::ValidateSinceWith(const TableMetadata& base, const Snapshot* parent,
                                         const std::set<std::string>& touched) {
  const int64_t from = *validate_from_snapshot_;
  if (parent == nullptr) {
    return MakeError(ErrorKind::kCommitConflict,
                     "starting snapshot {} is gone: the branch is empty", from);
  }
  std::vector<const Snapshot*> newer;
  bool reached = false;
  for (const Snapshot* s : base.Ancestry(parent->snapshot_id)) {
    if (s->snapshot_id == from) {
      reached = true;
      break;
    }
    newer.push_back(s);
  }
  if (!reached) {
    return MakeError(ErrorKind::kCommitConflict,
                     "starting snapshot {} is not an ancestor of the branch head {}", from,
                     parent->snapshot_id);
  }
  for (const Snapshot* s : newer) {
    K2_ASSIGN_OR_RETURN(std::vector<ManifestFile> ms, ParentManifests(s));
    for (const ManifestFile& m : ms) {
      if (m.added_snapshot_id != s->snapshot_id) continue;
      K2_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries, ReadManifest(table_->io(), m));
      for (const ManifestEntry& e : entries) {
        if (e.snapshot_id != s->snapshot_id || e.status == EntryStatus::kExisting) continue;
        const bool in_touched = touched.count(PartitionKey(e.file.spec_id, e.file.partition)) > 0;
        if (e.status == EntryStatus::kDeleted && delete_paths_.count(e.file.file_path)) {
          return MakeError(ErrorKind::kCommitConflict,
                           "file {} was removed by snapshot {} ({}) after snapshot {}",
                           e.file.file_path, s->snapshot_id, s->operation, from);
        }
        if (!in_touched) continue;
        const bool is_delete_file = e.file.content != FileContent::kData;
        const bool data_changing_op = s->operation == "overwrite" || s->operation == "delete";
        if (is_delete_file || data_changing_op ||
            (fail_on_new_data_in_partitions_ && e.status == EntryStatus::kAdded)) {
          return MakeError(ErrorKind::kCommitConflict,
                           "snapshot {} ({}) changed partition of {} after snapshot {}",
                           s->snapshot_id, s->operation, e.file.file_path, from);
        }
      }
    }
  }
  return OkStatus();
}

void SnapshotUpdate::AttemptFailed(bool safe_to_delete) {
  if (safe_to_delete) {
    // Best-effort: the attempt's files are unreferenced; a leftover is an orphan.
    for (const std::string& p : attempt_files_) (void)table_->io().Delete(p);
  } else {
    any_unknown_ = true;
  }
  attempt_files_.clear();
}

void SnapshotUpdate::Finished(bool committed) {
  if (!committed && !any_unknown_) {
    for (const std::string& p : cached_files_) (void)table_->io().Delete(p);
    cached_files_.clear();
    added_manifests_.clear();
  }
}

}  // namespace k2::iceberg
