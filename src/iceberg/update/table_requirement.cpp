#include "iceberg/update/table_requirement.h"

#include "iceberg/table.h"
#include "iceberg/update/json_fields.h"

namespace k2::iceberg {

using Json = nlohmann::json;

namespace {

Status Conflict(std::string_view type, const std::string& expected, const std::string& actual) {
  return MakeError(ErrorKind::kCommitConflict, "requirement {} failed: expected {}, found {}", type,
                   expected, actual);
}

std::string OptText(std::optional<int64_t> v) {
  return v ? std::to_string(*v) : "none";
}

}  // namespace

Status CheckRequirement(const Json& req, const TableMetadata* m) {
  K2_ASSIGN_OR_RETURN(std::string type, RequiredString(req, "type", "requirement"));
  if (type == "assert-create") {
    if (m != nullptr) return MakeError(ErrorKind::kCommitConflict, "table already exists");
    return OkStatus();
  }
  if (m == nullptr) {
    return MakeError(ErrorKind::kCommitConflict, "requirement {}: the table does not exist", type);
  }
  if (type == "assert-table-uuid") {
    K2_ASSIGN_OR_RETURN(std::string uuid, RequiredString(req, "uuid", type));
    if (uuid != m->table_uuid) return Conflict(type, uuid, m->table_uuid);
    return OkStatus();
  }
  if (type == "assert-ref-snapshot-id") {
    K2_ASSIGN_OR_RETURN(std::string ref, RequiredString(req, "ref", type));
    std::optional<int64_t> expected;
    if (req.contains("snapshot-id") && !req["snapshot-id"].is_null()) {
      K2_ASSIGN_OR_RETURN(expected, RequiredInt(req, "snapshot-id", type));
    }
    std::optional<int64_t> actual;
    if (auto it = m->refs.find(ref); it != m->refs.end()) {
      actual = it->second.snapshot_id;
    } else if (ref == kMainBranch) {
      actual = m->current_snapshot_id;
    }
    if (expected != actual) {
      return Conflict(type + " " + ref, OptText(expected), OptText(actual));
    }
    return OkStatus();
  }
  struct IntAssert {
    const char* type;
    const char* key;
    int64_t actual;
  };
  const IntAssert asserts[] = {
      {"assert-last-assigned-field-id", "last-assigned-field-id", m->last_column_id},
      {"assert-current-schema-id", "current-schema-id", m->current_schema_id},
      {"assert-last-assigned-partition-id", "last-assigned-partition-id", m->last_partition_id},
      {"assert-default-spec-id", "default-spec-id", m->default_spec_id},
      {"assert-default-sort-order-id", "default-sort-order-id", m->default_sort_order_id},
  };
  for (const IntAssert& a : asserts) {
    if (type != a.type) continue;
    K2_ASSIGN_OR_RETURN(int64_t expected, RequiredInt(req, a.key, type));
    if (expected != a.actual) {
      return Conflict(type, std::to_string(expected), std::to_string(a.actual));
    }
    return OkStatus();
  }
  return MakeError(ErrorKind::kInvalidInput, "unknown requirement type '{}'", type);
}

}  // namespace k2::iceberg
