#include "iceberg/update/update_schema.h"

#include <algorithm>

#include "iceberg/table.h"

namespace k2::iceberg {

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

}  // namespace k2::iceberg
