#pragma once
/// SnapshotUpdate: the shared engine of every operation that produces a
/// snapshot (fast append, overwrite, replace partitions, delete, rewrite).
/// Per attempt, against the latest metadata:
///   1. choose the snapshot id, run the caller's Validate callbacks (on the
///      latest metadata), apply its ChangeMetadata function, then the
///      operation's conflict checks;
///   2. write the manifest of added files (once, reused across retries);
///   3. carry the parent's manifests over, rewriting those that lose files;
///   4. write the manifest list and the snapshot (summary with totals);
///   5. point the branch (main by default) at it.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "columnar/predicate.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"
#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

class SnapshotUpdate : public PendingUpdate {
 public:
  ~SnapshotUpdate() override;

  /// Commits with the table's retry policy and returns the new snapshot id.
  /// kCommitConflict when validation fails or retries run out;
  /// kCommitStateUnknown when the outcome could not be determined.
  Result<int64_t> Commit();

  Result<TableMetadata> Apply(const TableMetadata& latest) override;
  /// The id of the snapshot the current attempt adds: set by Apply before
  /// the ChangeMetadata function runs, so that function may record it.
  int64_t snapshot_id() const { return snapshot_id_; }
  void AttemptFailed(bool safe_to_delete) override;
  void Finished(bool committed) override;

 protected:
  SnapshotUpdate(Table* table, std::string operation);

  void DoSet(std::string key, std::string value) {
    extra_summary_[std::move(key)] = std::move(value);
  }
  void DoValidate(std::function<Status(const TableMetadata&)> fn) {
    validators_.push_back(std::move(fn));
  }
  void DoToBranch(std::string branch) { branch_ = std::move(branch); }
  void DoChangeMetadata(std::function<Result<TableMetadata>(const TableMetadata&)> fn) {
    change_metadata_ = std::move(fn);
  }
  void DoAddFile(DataFile file);
  void DoDeleteFile(std::string path) { delete_paths_.insert(std::move(path)); }

  Table* table_;
  std::string operation_;
  std::string branch_ = "main";
  std::map<std::string, std::string> extra_summary_;
  std::vector<std::function<Status(const TableMetadata&)>> validators_;
  /// A metadata change (schema evolution) made in the same commit, before the snapshot.
  std::function<Result<TableMetadata>(const TableMetadata&)> change_metadata_;
  std::vector<DataFile> added_data_;
  std::vector<DataFile> added_deletes_;
  std::set<std::string> delete_paths_;
  /// Delete every live data file whose rows all match (bound to the current schema).
  std::optional<Predicate> delete_filter_;
  /// Delete live data files in the partitions of the added data files.
  bool replace_added_partitions_ = false;
  /// Every path in delete_paths_ must still be live (rewrite, delete files).
  bool require_deletes_present_ = true;
  /// Rewrite conflict detection: changes since this snapshot in touched partitions.
  std::optional<int64_t> validate_from_snapshot_;
  bool fail_on_new_data_in_partitions_ = false;

 private:
  struct SummaryDelta;
  struct Removal;

  // The steps of Apply, in order (see the top of this file).
  /// 1. A fresh snapshot id, unused in `latest`.
  void ChooseSnapshotId(const TableMetadata& latest);
  /// 1. The head of branch_ (the current snapshot when the branch does not
  /// exist yet; nullptr for an empty table). kInvalidInput for a tag.
  Result<const Snapshot*> BranchHead(const TableMetadata& base) const;
  /// 2. Writes the manifests of the added files (grouped by spec) unless an
  /// earlier attempt did.
  Status WriteAddedManifests(const TableMetadata& base);
  /// 3. Appends the parent's manifests to `manifests`, rewriting those that
  /// lose files (adding the removals to `delta` and their partitions to
  /// `touched`). kCommitConflict when a file to delete is no longer live.
  Status CarryOverManifests(const TableMetadata& base,
                            const std::vector<ManifestFile>& parent_manifests, int64_t seq,
                            std::vector<ManifestFile>& manifests, SummaryDelta& delta,
                            std::set<std::string>& touched);
  /// 3. One parent manifest with this commit's removals marked DELETED:
  /// itself when nothing changes, nullopt when nothing is left.
  Result<std::optional<ManifestFile>> RewriteManifest(const TableMetadata& base,
                                                      const ManifestFile& pm, int64_t seq,
                                                      Removal& removal, SummaryDelta& delta,
                                                      std::set<std::string>& touched);
  /// 3. Whether this commit removes live file `f`; kInvalidInput when the
  /// delete filter matches only some of its rows.
  Result<bool> Removes(const TableMetadata& base, const Removal& removal, const DataFile& f) const;
  /// 4. Writes the manifest list and returns the snapshot (without summary).
  Result<Snapshot> WriteSnapshot(const TableMetadata& base, const Snapshot* parent, int64_t seq,
                                 const std::vector<ManifestFile>& manifests,
                                 const SummaryDelta& delta);
  /// 4. The snapshot summary: this commit's changes and the table's totals.
  void FillSummary(const Snapshot* parent, const std::vector<ManifestFile>& parent_manifests,
                   const SummaryDelta& delta, std::map<std::string, std::string>& summary) const;
  /// 5. `base` with `snap` added and branch_ pointing at it.
  TableMetadata PointBranch(const TableMetadata& base, Snapshot snap) const;

  Status RunValidations(const TableMetadata& base);
  Status ValidateSinceWith(const TableMetadata& base, const Snapshot* parent,
                           const std::set<std::string>& touched);
  Result<std::vector<ManifestFile>> ParentManifests(const Snapshot* parent);
  Result<ManifestFile> WriteManifest(const TableMetadata& base, int spec_id,
                                     const std::vector<ManifestEntry>& entries,
                                     ManifestContent content, bool per_attempt);
  std::string NewManifestPath();

  int64_t snapshot_id_ = 0;
  int manifest_counter_ = 0;
  int attempt_ = 0;
  std::string commit_uuid_;
  /// Manifests of added files, written on the first attempt and reused.
  std::vector<ManifestFile> added_manifests_;
  std::vector<std::string> cached_files_;
  std::vector<std::string> attempt_files_;
  bool any_unknown_ = false;
};

/// Builder methods shared by every operation, returning the concrete type.
template <typename Derived>
class SnapshotUpdateBuilder : public SnapshotUpdate {
 public:
  /// Adds a snapshot summary property (the offload records its window here).
  Derived& Set(std::string key, std::string value) {
    DoSet(std::move(key), std::move(value));
    return self();
  }
  /// A check re-run against the latest metadata on every attempt; its error
  /// aborts the commit.
  Derived& Validate(std::function<Status(const TableMetadata& latest)> fn) {
    DoValidate(std::move(fn));
    return self();
  }
  /// Changes the metadata in the same commit, before the snapshot is added:
  /// `fn` maps the latest metadata to the evolved one on every attempt (e.g.
  /// UpdateSchema::Apply), and the snapshot records the evolved current
  /// schema. Data and the schema it needs land together or not at all.
  Derived& ChangeMetadata(std::function<Result<TableMetadata>(const TableMetadata& latest)> fn) {
    DoChangeMetadata(std::move(fn));
    return self();
  }
  /// Commits to branch `branch` instead of main (write-audit-publish).
  Derived& ToBranch(std::string branch) {
    DoToBranch(std::move(branch));
    return self();
  }

 protected:
  using SnapshotUpdate::SnapshotUpdate;
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace k2::iceberg
