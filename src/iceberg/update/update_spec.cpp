#include "iceberg/update/update_spec.h"

#include <algorithm>

#include "iceberg/table.h"

namespace k2::iceberg {

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

}  // namespace k2::iceberg
