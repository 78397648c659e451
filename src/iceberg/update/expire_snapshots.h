#pragma once
/// ExpireSnapshots: removes old snapshots from table metadata, then deletes
/// the files only they reached (Iceberg's expire_snapshots procedure).
///
/// Phases, in order:
///   1. Retention (pure, re-run against the latest metadata on every commit
///      attempt): every branch keeps its head, its newest `min-snapshots-to-keep`
///      ancestors and the ancestors younger than its max snapshot age; every
///      tag keeps its head; snapshots no ref reaches are kept while younger
///      than the cut-off; refs older than their max ref age (never main) go.
///   2. Commit of the metadata without the expired snapshots (catalog CAS).
///   3. Only after the commit succeeded: the manifest lists, manifests and
///      data/delete files reachable from an expired snapshot and from no
///      retained one are deleted. A file that is live in any retained
///      snapshot's manifests is never deleted.
/// Table properties honoured: history.expire.max-snapshot-age-ms,
/// history.expire.min-snapshots-to-keep, history.expire.max-ref-age-ms,
/// gc.enabled (false refuses with kInvalidInput).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "iceberg/update/pending_update.h"
#include "io/file_io.h"

namespace k2::iceberg {

class Table;

/// Which snapshots to expire; unset fields come from the table properties.
struct ExpirePolicy {
  /// Snapshots older than this (ms since epoch) may expire. Default: now minus
  /// history.expire.max-snapshot-age-ms (5 days when the property is absent).
  std::optional<int64_t> older_than_ms;
  /// Ancestors of every branch head always kept (head included). Default:
  /// history.expire.min-snapshots-to-keep, else 1.
  std::optional<int> retain_last;
  /// Snapshots to expire regardless of age (never a ref's head).
  std::set<int64_t> snapshot_ids;
};

/// The snapshot ids `base` keeps under `policy` at time `now_ms`, and the refs
/// it drops for age. kInvalidInput when an explicit id is a ref's head or
/// gc.enabled=false.
struct RetentionPlan {
  std::set<int64_t> retained;
  std::set<int64_t> expired;
  std::vector<std::string> removed_refs;
};
Result<RetentionPlan> PlanRetention(const TableMetadata& base, const ExpirePolicy& policy,
                                    int64_t now_ms);

/// Files reached by a set of snapshots.
struct ReachableFiles {
  std::set<std::string> manifest_lists;
  std::set<std::string> manifests;
  /// Data and delete files live (ADDED or EXISTING) in those manifests.
  std::set<std::string> content_files;
};

/// Files reachable from an expired snapshot and from no retained one.
struct ExpiredFiles {
  std::vector<std::string> manifest_lists;
  std::vector<std::string> manifests;
  std::vector<std::string> data_files;
  std::vector<std::string> delete_files;
  int64_t content_bytes = 0;  ///< sizes of the data and delete files (from manifests)
};

/// Computes what expiring snapshots `before` has and `after` lacks frees. Only
/// manifests unique to expired snapshots are read for candidates; every
/// retained manifest is read to protect its live files. kCorrupt/kIo for
/// unreadable manifest lists or manifests (nothing is deleted then).
Result<ExpiredFiles> FindExpiredFiles(FileIO& io, const TableMetadata& before,
                                      const TableMetadata& after);

/// What an expiry did.
struct ExpireResult {
  std::vector<int64_t> expired_snapshot_ids;
  std::vector<std::string> removed_refs;
  ExpiredFiles files;
  /// Deletions that failed (the file stays behind as an orphan).
  std::vector<std::string> failed_deletes;
  /// Set when the commit succeeded but finding the freed files failed: the
  /// metadata no longer lists the snapshots and their files stay as orphans.
  std::string cleanup_error;
  bool committed = false;
};

class ExpireSnapshots : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit ExpireSnapshots(Table* table) : table_(table) {}
  ExpireSnapshots& ExpireOlderThan(int64_t timestamp_ms) {
    policy_.older_than_ms = timestamp_ms;
    return *this;
  }
  ExpireSnapshots& RetainLast(int n) {
    policy_.retain_last = n;
    return *this;
  }
  ExpireSnapshots& ExpireSnapshotId(int64_t id) {
    policy_.snapshot_ids.insert(id);
    return *this;
  }
  /// Whether to delete the freed files after the commit (default true).
  ExpireSnapshots& CleanExpiredFiles(bool clean) {
    clean_files_ = clean;
    return *this;
  }
  /// Plans against the current metadata and reports, committing and deleting nothing.
  ExpireSnapshots& DryRun(bool dry_run) {
    dry_run_ = dry_run;
    return *this;
  }

  /// Commits (unless nothing expires or dry run), then deletes the freed files.
  /// kInvalidInput for gc.enabled=false or a ref head in ExpireSnapshotId;
  /// commit errors as Table::CommitUpdate.
  Result<ExpireResult> Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;

 private:
  Table* table_;
  ExpirePolicy policy_;
  bool clean_files_ = true;
  bool dry_run_ = false;
  int64_t now_ms_ = 0;
  std::optional<TableMetadata> last_base_;
  RetentionPlan last_plan_;
};

}  // namespace k2::iceberg
