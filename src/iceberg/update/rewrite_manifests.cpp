#include "iceberg/update/rewrite_manifests.h"

#include <algorithm>
#include <map>
#include <random>

#include "iceberg/expression_eval.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/manifest/manifest_writer.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"

namespace k2::iceberg {

namespace {

int64_t SummaryInt(const Snapshot& s, const char* key) {
  auto it = s.summary.find(key);
  if (it == s.summary.end()) return -1;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

RewriteManifests::~RewriteManifests() = default;

int64_t RewriteManifests::TargetSize(const TableMetadata& base) const {
  if (target_size_) return *target_size_;
  return base.PropertyAsInt("commit.manifest.target-size-bytes", 8LL << 20);
}

Result<RewriteManifests::Plan> RewriteManifests::MakePlan(const TableMetadata& base,
                                                          const Snapshot& head) const {
  K2_ASSIGN_OR_RETURN(std::vector<ManifestFile> manifests, SnapshotManifests(table_->io(), head));
  const int64_t target = TargetSize(base);
  Plan plan;
  plan.manifests_before = static_cast<int>(manifests.size());
  std::map<int, std::vector<ManifestFile>> small_by_spec;
  for (ManifestFile& m : manifests) {
    if (m.content == ManifestContent::kData && !m.v1 && m.manifest_length < target) {
      small_by_spec[m.partition_spec_id].push_back(std::move(m));
    } else {
      plan.kept.push_back(std::move(m));
    }
  }
  for (auto& [spec_id, group] : small_by_spec) {
    // Oldest first, so merged manifests keep the commit order's locality.
    std::stable_sort(group.begin(), group.end(), [](const ManifestFile& a, const ManifestFile& b) {
      return a.sequence_number < b.sequence_number;
    });
    std::vector<ManifestFile> bin;
    int64_t bin_bytes = 0;
    auto close_bin = [&] {
      if (static_cast<int>(bin.size()) >= std::max(2, min_inputs_)) {
        plan.bins.push_back(std::move(bin));
      } else {
        for (ManifestFile& m : bin) plan.kept.push_back(std::move(m));
      }
      bin.clear();
      bin_bytes = 0;
    };
    for (ManifestFile& m : group) {
      if (!bin.empty() && bin_bytes + m.manifest_length > target) close_bin();
      bin_bytes += m.manifest_length;
      bin.push_back(std::move(m));
    }
    close_bin();
  }
  return plan;
}

Result<TableMetadata> RewriteManifests::Apply(const TableMetadata& base) {
  const Snapshot* head = base.CurrentSnapshot();
  if (head == nullptr) {
    return MakeError(ErrorKind::kInvalidInput,
                     "table at {} has no snapshot: no manifests to rewrite", base.location);
  }
  K2_ASSIGN_OR_RETURN(Plan plan, MakePlan(base, *head));
  std::mt19937_64 rng(std::random_device{}());
  while (snapshot_id_ == 0 || base.SnapshotById(snapshot_id_)) {
    snapshot_id_ = static_cast<int64_t>(rng() >> 1);
  }
  const int64_t seq = base.last_sequence_number + 1;
  const std::string uuid = NewUuid();

  RewriteManifestsResult r;
  r.manifests_before = plan.manifests_before;
  std::vector<ManifestFile> out = plan.kept;
  for (const auto& bin : plan.bins) {
    std::vector<ManifestEntry> entries;
    for (const ManifestFile& m : bin) {
      r.bytes_replaced += m.manifest_length;
      K2_ASSIGN_OR_RETURN(std::vector<ManifestEntry> es, ReadManifest(table_->io(), m));
      for (ManifestEntry& e : es) {
        if (e.status == EntryStatus::kDeleted) continue;
        e.status = EntryStatus::kExisting;
        entries.push_back(std::move(e));
      }
    }
    r.manifests_replaced += static_cast<int>(bin.size());
    r.entries_rewritten += static_cast<int64_t>(entries.size());
    if (entries.empty()) continue;  // only deleted entries: the manifest just goes
    std::stable_sort(entries.begin(), entries.end(),
                     [](const ManifestEntry& a, const ManifestEntry& b) {
                       return PartitionKey(a.file.spec_id, a.file.partition) <
                              PartitionKey(b.file.spec_id, b.file.partition);
                     });
    const int spec_id = bin.front().partition_spec_id;
    K2_ASSIGN_OR_RETURN(const PartitionSpec* spec, base.SpecById(spec_id));
    const std::string path = table_->MetadataPath(
        fmt::format("{}-rewrite-{}-m{}.avro", uuid, attempt_, r.manifests_created));
    K2_ASSIGN_OR_RETURN(auto writer,
                        ManifestWriter::Open(table_->io(), path, base.CurrentSchema(), *spec,
                                             ManifestContent::kData, snapshot_id_));
    attempt_files_.push_back(path);
    int64_t min_seq = seq;
    for (const ManifestEntry& e : entries) {
      if (e.sequence_number) min_seq = std::min(min_seq, *e.sequence_number);
      auto st = writer->Add(e);
      if (!st) {
        writer->Abort();
        return std::unexpected(st.error().WithContext("rewriting manifest " + path));
      }
    }
    auto info = writer->Finish();
    if (!info) {
      writer->Abort();
      return std::unexpected(info.error());
    }
    info->sequence_number = seq;
    info->min_sequence_number = min_seq;
    info->added_snapshot_id = snapshot_id_;
    info->partition_spec_id = spec_id;
    r.bytes_created += info->manifest_length;
    ++r.manifests_created;
    out.push_back(std::move(*info));
  }
  r.manifests_after = static_cast<int>(out.size());

  const std::string list_path =
      table_->MetadataPath(fmt::format("snap-{}-{}-{}.avro", snapshot_id_, attempt_++, uuid));
  K2_RETURN_IF_ERROR(
      WriteManifestList(table_->io(), list_path, snapshot_id_, head->snapshot_id, seq, out));
  attempt_files_.push_back(list_path);

  Snapshot snap;
  snap.snapshot_id = snapshot_id_;
  snap.parent_snapshot_id = head->snapshot_id;
  snap.sequence_number = seq;
  snap.timestamp_ms = std::max(NowMillis(), base.last_updated_ms + 1);
  snap.manifest_list = list_path;
  snap.operation = "replace";
  snap.schema_id = base.CurrentSchema().schema_id;
  for (const char* key :
       {"total-records", "total-data-files", "total-files-size", "total-delete-files",
        "total-position-deletes", "total-equality-deletes"}) {
    if (int64_t v = SummaryInt(*head, key); v >= 0) snap.summary[key] = std::to_string(v);
  }
  snap.summary["manifests-created"] = std::to_string(r.manifests_created);
  snap.summary["manifests-replaced"] = std::to_string(r.manifests_replaced);
  snap.summary["manifests-kept"] = std::to_string(plan.kept.size());
  snap.summary["entries-processed"] = std::to_string(r.entries_rewritten);
  snap.summary["k2.maintenance"] = "rewrite-manifests";

  TableMetadata next = base;
  next.snapshots.push_back(snap);
  next.last_sequence_number = seq;
  SnapshotRef ref;
  if (auto it = base.refs.find(kMainBranch); it != base.refs.end()) ref = it->second;
  ref.snapshot_id = snapshot_id_;
  ref.type = RefType::kBranch;
  next.refs[kMainBranch] = ref;
  next.current_snapshot_id = snapshot_id_;
  next.snapshot_log.push_back({snap.timestamp_ms, snapshot_id_});
  r.snapshot_id = snapshot_id_;
  result_ = r;
  return next;
}

void RewriteManifests::AttemptFailed(bool safe_to_delete) {
  if (safe_to_delete) {
    // Best-effort: the attempt's files are unreferenced; a leftover is an orphan.
    for (const std::string& p : attempt_files_) (void)table_->io().Delete(p);
  } else {
    any_unknown_ = true;
  }
  attempt_files_.clear();
}

void RewriteManifests::Finished(bool committed) {
  if (!committed && !any_unknown_) {
    for (const std::string& p : attempt_files_) (void)table_->io().Delete(p);
  }
  attempt_files_.clear();
}

Result<RewriteManifestsResult> RewriteManifests::Commit() {
  const Snapshot* head = table_->metadata().CurrentSnapshot();
  RewriteManifestsResult none;
  if (head == nullptr) return none;
  K2_ASSIGN_OR_RETURN(Plan plan, MakePlan(table_->metadata(), *head));
  none.manifests_before = plan.manifests_before;
  none.manifests_after = plan.manifests_before;
  if (plan.bins.empty()) return none;
  if (dry_run_) {
    RewriteManifestsResult r = none;
    for (const auto& bin : plan.bins) {
      r.manifests_replaced += static_cast<int>(bin.size());
      ++r.manifests_created;
      for (const ManifestFile& m : bin) r.bytes_replaced += m.manifest_length;
    }
    r.manifests_after = static_cast<int>(plan.kept.size()) + r.manifests_created;
    return r;
  }
  K2_RETURN_IF_ERROR(table_->CommitUpdate(*this));
  return result_;
}

}  // namespace k2::iceberg
