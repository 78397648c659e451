#include "iceberg/update/manage_snapshots.h"

#include <algorithm>

#include "iceberg/table.h"

namespace k2::iceberg {

namespace {

void SetMainHead(TableMetadata& m, int64_t snapshot_id) {
  m.current_snapshot_id = snapshot_id;
  m.snapshot_log.push_back({std::max(NowMillis(), m.last_updated_ms + 1), snapshot_id});
}

}  // namespace

ManageSnapshots& ManageSnapshots::CreateBranch(std::string name,
                                               std::optional<int64_t> snapshot_id) {
  ops_.push_back({OpKind::kBranch, std::move(name), "", snapshot_id});
  return *this;
}
ManageSnapshots& ManageSnapshots::CreateTag(std::string name, int64_t snapshot_id) {
  ops_.push_back({OpKind::kTag, std::move(name), "", snapshot_id});
  return *this;
}
ManageSnapshots& ManageSnapshots::FastForward(std::string branch, std::string to) {
  ops_.push_back({OpKind::kFastForward, std::move(branch), std::move(to), std::nullopt});
  return *this;
}
ManageSnapshots& ManageSnapshots::RollbackTo(int64_t snapshot_id) {
  ops_.push_back({OpKind::kRollback, kMainBranch, "", snapshot_id});
  return *this;
}
ManageSnapshots& ManageSnapshots::RemoveRef(std::string name) {
  ops_.push_back({OpKind::kRemove, std::move(name), "", std::nullopt});
  return *this;
}
Status ManageSnapshots::Commit() {
  return table_->CommitUpdate(*this);
}

Result<TableMetadata> ManageSnapshots::Apply(const TableMetadata& base) {
  TableMetadata m = base;
  for (const Op& op : ops_) {
    switch (op.kind) {
      case OpKind::kBranch:
      case OpKind::kTag: {
        if (m.refs.count(op.name)) {
          return MakeError(ErrorKind::kAlreadyExists, "ref '{}' already exists", op.name);
        }
        int64_t id = 0;
        if (op.snapshot_id) {
          id = *op.snapshot_id;
        } else if (m.current_snapshot_id) {
          id = *m.current_snapshot_id;
        } else {
          return MakeError(ErrorKind::kInvalidInput, "create '{}': the table has no snapshot",
                           op.name);
        }
        K2_RETURN_IF_ERROR(m.SnapshotById(id));
        m.refs[op.name] =
            SnapshotRef{id, op.kind == OpKind::kTag ? RefType::kTag : RefType::kBranch, {}, {}, {}};
        break;
      }
      case OpKind::kFastForward: {
        K2_ASSIGN_OR_RETURN(const Snapshot* target, m.SnapshotForRef(op.to));
        auto it = m.refs.find(op.name);
        if (it == m.refs.end() && op.name != kMainBranch) {
          return MakeError(ErrorKind::kNotFound, "branch '{}' not found", op.name);
        }
        if (it != m.refs.end() && it->second.type != RefType::kBranch) {
          return MakeError(ErrorKind::kInvalidInput, "'{}' is a tag", op.name);
        }
        if (it != m.refs.end()) {
          const int64_t head = it->second.snapshot_id;
          bool ancestor = false;
          for (const Snapshot* s : m.Ancestry(target->snapshot_id)) {
            if (s->snapshot_id == head) ancestor = true;
          }
          if (!ancestor) {
            return MakeError(
                ErrorKind::kCommitConflict,
                "cannot fast-forward '{}': its head {} is not an ancestor of '{}' ({})", op.name,
                head, op.to, target->snapshot_id);
          }
        }
        m.refs[op.name] = SnapshotRef{target->snapshot_id, RefType::kBranch, {}, {}, {}};
        if (it != m.refs.end()) {
          // keep retention settings
          m.refs[op.name].min_snapshots_to_keep = it->second.min_snapshots_to_keep;
        }
        if (op.name == kMainBranch) SetMainHead(m, target->snapshot_id);
        break;
      }
      case OpKind::kRollback: {
        bool ancestor = false;
        for (const Snapshot* s : m.MainAncestry()) {
          if (s->snapshot_id == *op.snapshot_id) ancestor = true;
        }
        if (!ancestor) {
          return MakeError(ErrorKind::kInvalidInput,
                           "snapshot {} is not an ancestor of main's head", *op.snapshot_id);
        }
        m.refs[kMainBranch].snapshot_id = *op.snapshot_id;
        m.refs[kMainBranch].type = RefType::kBranch;
        SetMainHead(m, *op.snapshot_id);
        break;
      }
      case OpKind::kRemove:
        if (op.name == kMainBranch) {
          return MakeError(ErrorKind::kInvalidInput, "the main branch cannot be removed");
        }
        if (m.refs.erase(op.name) == 0) {
          return MakeError(ErrorKind::kNotFound, "ref '{}' not found", op.name);
        }
        break;
    }
  }
  return m;
}

}  // namespace k2::iceberg
