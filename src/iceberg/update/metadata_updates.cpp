// Metadata-only updates: schema, partition spec, properties, refs.
#include <algorithm>

#include "iceberg/table.h"

namespace k2::iceberg {

namespace {

void SetMainHead(TableMetadata& m, int64_t snapshot_id) {
  m.current_snapshot_id = snapshot_id;
  m.snapshot_log.push_back({std::max(NowMillis(), m.last_updated_ms + 1), snapshot_id});
}

}  // namespace

bool IsAllowedPromotion(const DataType& from, const DataType& to) {
  if (from == to) return true;
  if (from.id == TypeId::kInt32 && to.id == TypeId::kInt64) return true;
  if (from.id == TypeId::kFloat && to.id == TypeId::kDouble) return true;
  if (from.id == TypeId::kDecimal && to.id == TypeId::kDecimal) {
    return from.scale == to.scale && to.precision >= from.precision;
  }
  return false;
}

UpdateSchema& UpdateSchema::AddColumn(std::string name, DataType type, std::string doc) {
  ops_.push_back({OpKind::kAdd, std::move(name), type, std::move(doc)});
  return *this;
}
UpdateSchema& UpdateSchema::UpdateColumnType(std::string name, DataType type) {
  ops_.push_back({OpKind::kType, std::move(name), type, ""});
  return *this;
}
UpdateSchema& UpdateSchema::MakeOptional(std::string name) {
  ops_.push_back({OpKind::kOptional, std::move(name), {}, ""});
  return *this;
}
UpdateSchema& UpdateSchema::RenameColumn(std::string name, std::string new_name) {
  ops_.push_back({OpKind::kRename, std::move(name), {}, std::move(new_name)});
  return *this;
}
Status UpdateSchema::Commit() {
  return table_->CommitUpdate(*this);
}

Result<TableMetadata> UpdateSchema::Apply(const TableMetadata& base) {
  const TableSchema& current = base.CurrentSchema();
  if (current.json.is_object()) {
    for (const auto& f : current.json.value("fields", nlohmann::json::array())) {
      if (f.contains("type") && !f["type"].is_string()) {
        return MakeError(ErrorKind::kUnsupported,
                         "schema {} has nested field '{}': k2 evolves flat schemas only",
                         current.schema_id, f.value("name", ""));
      }
    }
  }
  TableSchema next;
  next.schema = current.schema;
  next.identifier_field_ids = current.identifier_field_ids;
  int last_id = base.last_column_id;
  for (const Op& op : ops_) {
    auto idx = next.schema.IndexOf(op.name);
    if (op.kind == OpKind::kAdd) {
      if (idx) {
        return MakeError(ErrorKind::kInvalidInput, "add column '{}': it already exists", op.name);
      }
      next.schema.fields.push_back(Field{++last_id, op.name, op.type, true, op.text});
      continue;
    }
    if (!idx) return MakeError(ErrorKind::kInvalidInput, "column '{}' not found", op.name);
    Field& f = next.schema.fields[*idx];
    switch (op.kind) {
      case OpKind::kType:
        if (!IsAllowedPromotion(f.type, op.type)) {
          return MakeError(ErrorKind::kInvalidInput, "column '{}': cannot change {} to {}", op.name,
                           f.type.ToString(), op.type.ToString());
        }
        f.type = op.type;
        break;
      case OpKind::kOptional:
        if (std::find(next.identifier_field_ids.begin(), next.identifier_field_ids.end(), f.id) !=
            next.identifier_field_ids.end()) {
          return MakeError(ErrorKind::kInvalidInput,
                           "column '{}' is an identifier field and must stay required", op.name);
        }
        f.nullable = true;
        break;
      case OpKind::kRename:
        if (next.schema.IndexOf(op.text)) {
          return MakeError(ErrorKind::kInvalidInput, "rename '{}' to '{}': name taken", op.name,
                           op.text);
        }
        f.name = op.text;
        break;
      case OpKind::kAdd:
        break;
    }
  }
  int max_schema_id = 0;
  for (const auto& s : base.schemas) max_schema_id = std::max(max_schema_id, s.schema_id);
  next.schema_id = max_schema_id + 1;
  next.highest_field_id = std::max(current.highest_field_id, last_id);
  TableMetadata m = base;
  m.schemas.push_back(next);
  m.current_schema_id = next.schema_id;
  m.last_column_id = std::max(base.last_column_id, last_id);
  return m;
}

UpdateSpec& UpdateSpec::AddField(std::string column, std::string transform) {
  adds_.emplace_back(std::move(column), std::move(transform));
  return *this;
}
Status UpdateSpec::Commit() {
  return table_->CommitUpdate(*this);
}

Result<TableMetadata> UpdateSpec::Apply(const TableMetadata& base) {
  const Schema& schema = base.CurrentSchema().schema;
  PartitionSpec next = base.DefaultSpec();
  for (const std::string& name : removes_) {
    auto it = std::find_if(next.fields.begin(), next.fields.end(),
                           [&](const PartitionField& f) { return f.name == name; });
    if (it == next.fields.end()) {
      return MakeError(ErrorKind::kInvalidInput, "partition field '{}' not found", name);
    }
    next.fields.erase(it);
  }
  int next_id = base.last_partition_id + 1;
  K2_ASSIGN_OR_RETURN(PartitionSpec added, PartitionSpec::Make(schema, adds_, 0, next_id));
  for (PartitionField& f : added.fields) {
    // Reuse the id of an identical field from an earlier spec (spec rule for v2).
    for (const auto& s : base.specs) {
      for (const auto& old : s.fields) {
        if (old.source_id == f.source_id && old.transform == f.transform) f.field_id = old.field_id;
      }
    }
    for (const auto& existing : next.fields) {
      if (existing.name == f.name) {
        return MakeError(ErrorKind::kInvalidInput, "partition field '{}' already exists", f.name);
      }
    }
    next.fields.push_back(f);
  }
  TableMetadata m = base;
  for (const auto& s : base.specs) {
    if (s.fields == next.fields) {
      m.default_spec_id = s.spec_id;
      return m;
    }
  }
  int max_id = 0;
  for (const auto& s : base.specs) max_id = std::max(max_id, s.spec_id);
  next.spec_id = max_id + 1;
  for (const auto& f : next.fields) m.last_partition_id = std::max(m.last_partition_id, f.field_id);
  m.specs.push_back(next);
  m.default_spec_id = next.spec_id;
  return m;
}

UpdateProperties& UpdateProperties::Set(std::string key, std::string value) {
  remove_.erase(key);
  set_[std::move(key)] = std::move(value);
  return *this;
}
UpdateProperties& UpdateProperties::Remove(std::string key) {
  set_.erase(key);
  remove_.insert(std::move(key));
  return *this;
}
Status UpdateProperties::Commit() {
  return table_->CommitUpdate(*this);
}
Result<TableMetadata> UpdateProperties::Apply(const TableMetadata& base) {
  TableMetadata m = base;
  for (const auto& k : remove_) m.properties.erase(k);
  for (const auto& [k, v] : set_) m.properties[k] = v;
  return m;
}

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
