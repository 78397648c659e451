#pragma once
/// ManageSnapshots: branches and tags for write-audit-publish: create a
/// branch or tag at a snapshot, fast-forward a branch to another ref's head,
/// roll main back to an ancestor, remove refs.

#include <optional>
#include <string>
#include <vector>

#include "iceberg/update/pending_update.h"

namespace k2::iceberg {

class Table;

class ManageSnapshots : public PendingUpdate {
 public:
  /// `table` must outlive this object.
  explicit ManageSnapshots(Table* table) : table_(table) {}
  /// Creates branch `name` at `snapshot_id` (main's head when nullopt).
  ManageSnapshots& CreateBranch(std::string name, std::optional<int64_t> snapshot_id = {});
  ManageSnapshots& CreateTag(std::string name, int64_t snapshot_id);
  /// Moves `branch` to the head of `to`; kCommitConflict at commit unless
  /// `branch`'s head is an ancestor of it.
  ManageSnapshots& FastForward(std::string branch, std::string to);
  /// Sets main to `snapshot_id`, which must be an ancestor of main's head.
  ManageSnapshots& RollbackTo(int64_t snapshot_id);
  ManageSnapshots& RemoveRef(std::string name);
  /// kAlreadyExists / kNotFound / kCommitConflict name the ref.
  Status Commit();

  Result<TableMetadata> Apply(const TableMetadata& base) override;

 private:
  enum class OpKind { kBranch, kTag, kFastForward, kRollback, kRemove };
  struct Op {
    OpKind kind;
    std::string name;
    std::string to;
    std::optional<int64_t> snapshot_id;
  };
  Table* table_;
  std::vector<Op> ops_;
};

}  // namespace k2::iceberg
