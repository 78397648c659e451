#include "iceberg/table_update.h"

#include <algorithm>
#include <set>

#include "iceberg/table.h"

namespace k2::iceberg {

using Json = nlohmann::json;

namespace {

/// The field `key` of `j`, or kInvalidInput naming the update or requirement.
Result<const Json*> Field(const Json& j, const char* key, std::string_view what) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: missing '{}'", what, key);
  }
  return &j[key];
}

Result<int64_t> IntField(const Json& j, const char* key, std::string_view what) {
  K2_ASSIGN_OR_RETURN(const Json* v, Field(j, key, what));
  if (!v->is_number_integer()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: '{}' must be an integer", what, key);
  }
  return v->get<int64_t>();
}

Result<std::string> StringField(const Json& j, const char* key, std::string_view what) {
  K2_ASSIGN_OR_RETURN(const Json* v, Field(j, key, what));
  if (!v->is_string()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: '{}' must be a string", what, key);
  }
  return v->get<std::string>();
}

Status Conflict(std::string_view type, const std::string& expected, const std::string& actual) {
  return MakeError(ErrorKind::kCommitConflict, "requirement {} failed: expected {}, found {}", type,
                   expected, actual);
}

std::string OptText(std::optional<int64_t> v) {
  return v ? std::to_string(*v) : "none";
}

/// Replaces (or adds) the entry of a statistics array for `snapshot_id`.
void UpsertBySnapshot(Json& array, const Json& entry) {
  if (!array.is_array()) array = Json::array();
  int64_t id = entry.value("snapshot-id", int64_t{-1});
  for (Json& e : array) {
    if (e.is_object() && e.value("snapshot-id", int64_t{-2}) == id) {
      e = entry;
      return;
    }
  }
  array.push_back(entry);
}

void EraseBySnapshot(Json& array, int64_t snapshot_id) {
  if (!array.is_array()) return;
  Json kept = Json::array();
  for (const Json& e : array) {
    if (!e.is_object() || e.value("snapshot-id", int64_t{-2}) != snapshot_id) kept.push_back(e);
  }
  array = std::move(kept);
}

/// Schemas compare by their fields, not their ids (an add-schema of an existing
/// schema reuses it, as Java's TableMetadata.Builder does).
Json SchemaFields(const TableSchema& s) {
  Json j = s.ToJson();
  return j.is_object() && j.contains("fields") ? j["fields"] : Json();
}

}  // namespace

Status CheckRequirement(const Json& req, const TableMetadata* m) {
  K2_ASSIGN_OR_RETURN(std::string type, StringField(req, "type", "requirement"));
  if (type == "assert-create") {
    if (m != nullptr) return MakeError(ErrorKind::kCommitConflict, "table already exists");
    return OkStatus();
  }
  if (m == nullptr) {
    return MakeError(ErrorKind::kCommitConflict, "requirement {}: the table does not exist", type);
  }
  if (type == "assert-table-uuid") {
    K2_ASSIGN_OR_RETURN(std::string uuid, StringField(req, "uuid", type));
    if (uuid != m->table_uuid) return Conflict(type, uuid, m->table_uuid);
    return OkStatus();
  }
  if (type == "assert-ref-snapshot-id") {
    K2_ASSIGN_OR_RETURN(std::string ref, StringField(req, "ref", type));
    std::optional<int64_t> expected;
    if (req.contains("snapshot-id") && !req["snapshot-id"].is_null()) {
      K2_ASSIGN_OR_RETURN(expected, IntField(req, "snapshot-id", type));
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
    K2_ASSIGN_OR_RETURN(int64_t expected, IntField(req, a.key, type));
    if (expected != a.actual) {
      return Conflict(type, std::to_string(expected), std::to_string(a.actual));
    }
    return OkStatus();
  }
  return MakeError(ErrorKind::kInvalidInput, "unknown requirement type '{}'", type);
}

MetadataBuilder MetadataBuilder::ForCreate() {
  MetadataBuilder b;
  b.m_.format_version = 2;
  b.m_.schemas.clear();
  b.m_.specs.clear();
  b.m_.sort_orders.clear();
  b.m_.last_column_id = 0;
  b.m_.current_schema_id = -1;
  b.m_.default_spec_id = -1;
  b.m_.default_sort_order_id = -1;
  return b;
}

Status MetadataBuilder::AddSchema(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* sj, Field(u, "schema", "add-schema"));
  auto parsed = TableSchema::FromJson(*sj);
  if (!parsed) return std::unexpected(parsed.error().WithContext("add-schema"));
  TableSchema s = std::move(*parsed);
  Json fields = SchemaFields(s);
  for (const TableSchema& existing : m_.schemas) {
    if (SchemaFields(existing) == fields &&
        existing.identifier_field_ids == s.identifier_field_ids) {
      last_schema_id_ = existing.schema_id;
      return OkStatus();
    }
  }
  int next_id = 0;
  for (const TableSchema& existing : m_.schemas)
    next_id = std::max(next_id, existing.schema_id + 1);
  s.schema_id = next_id;
  if (s.json.is_object()) s.json["schema-id"] = next_id;
  int last_column_id = m_.last_column_id;
  if (u.contains("last-column-id") && u["last-column-id"].is_number_integer()) {
    last_column_id = std::max(last_column_id, u["last-column-id"].get<int>());
  }
  m_.last_column_id = std::max(last_column_id, s.highest_field_id);
  m_.schemas.push_back(std::move(s));
  last_schema_id_ = next_id;
  return OkStatus();
}

Status MetadataBuilder::AddSpec(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* sj, Field(u, "spec", "add-spec"));
  Json spec_json = *sj;
  // Fields without ids get fresh ones after the table's last assigned id.
  int next_pid = std::max(m_.last_partition_id, kFirstPartitionFieldId - 1) + 1;
  if (spec_json.is_object() && spec_json.contains("fields") && spec_json["fields"].is_array()) {
    for (Json& f : spec_json["fields"]) {
      if (f.is_object() && !f.contains("field-id")) f["field-id"] = next_pid++;
    }
  }
  auto parsed = PartitionSpec::FromJson(spec_json);
  if (!parsed) return std::unexpected(parsed.error().WithContext("add-spec"));
  PartitionSpec spec = std::move(*parsed);
  for (const PartitionSpec& existing : m_.specs) {
    if (existing.CompatibleWith(spec)) {
      last_spec_id_ = existing.spec_id;
      return OkStatus();
    }
  }
  int next_id = 0;
  for (const PartitionSpec& existing : m_.specs) next_id = std::max(next_id, existing.spec_id + 1);
  spec.spec_id = next_id;
  for (const PartitionField& f : spec.fields) {
    m_.last_partition_id = std::max(m_.last_partition_id, f.field_id);
  }
  m_.specs.push_back(std::move(spec));
  last_spec_id_ = next_id;
  return OkStatus();
}

Status MetadataBuilder::AddSortOrder(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* oj, Field(u, "sort-order", "add-sort-order"));
  auto parsed = SortOrder::FromJson(*oj);
  if (!parsed) return std::unexpected(parsed.error().WithContext("add-sort-order"));
  SortOrder order = std::move(*parsed);
  for (const SortOrder& existing : m_.sort_orders) {
    if (existing.fields == order.fields) {
      last_order_id_ = existing.order_id;
      return OkStatus();
    }
  }
  int next_id = order.fields.empty() ? 0 : 1;
  for (const SortOrder& existing : m_.sort_orders) {
    next_id = std::max(next_id, existing.order_id + 1);
  }
  if (order.fields.empty()) next_id = 0;  // the unsorted order is always id 0
  order.order_id = next_id;
  m_.sort_orders.push_back(std::move(order));
  last_order_id_ = next_id;
  return OkStatus();
}

Status MetadataBuilder::AddSnapshot(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* sj, Field(u, "snapshot", "add-snapshot"));
  Result<Snapshot> parsed = MakeError(ErrorKind::kInvalidInput, "add-snapshot: malformed");
  try {
    parsed = Snapshot::FromJson(*sj);
  } catch (const Json::exception& e) {
    return MakeError(ErrorKind::kInvalidInput, "add-snapshot: {}", e.what());
  }
  if (!parsed) {
    return MakeError(ErrorKind::kInvalidInput, "add-snapshot: {}", parsed.error().message);
  }
  Snapshot s = std::move(*parsed);
  if (m_.SnapshotById(s.snapshot_id)) {
    return MakeError(ErrorKind::kInvalidInput, "add-snapshot: snapshot {} already exists",
                     s.snapshot_id);
  }
  if (m_.format_version >= 2 && s.sequence_number <= m_.last_sequence_number &&
      s.parent_snapshot_id.has_value()) {
    return MakeError(ErrorKind::kCommitConflict,
                     "add-snapshot: sequence number {} is not after the table's last {}",
                     s.sequence_number, m_.last_sequence_number);
  }
  m_.last_sequence_number = std::max(m_.last_sequence_number, s.sequence_number);
  m_.snapshots.push_back(std::move(s));
  return OkStatus();
}

Status MetadataBuilder::SetSnapshotRef(const Json& u) {
  constexpr std::string_view kWhat = "set-snapshot-ref";
  K2_ASSIGN_OR_RETURN(std::string name, StringField(u, "ref-name", kWhat));
  K2_ASSIGN_OR_RETURN(int64_t id, IntField(u, "snapshot-id", kWhat));
  K2_ASSIGN_OR_RETURN(std::string type, StringField(u, "type", kWhat));
  if (type != "branch" && type != "tag") {
    return MakeError(ErrorKind::kInvalidInput, "set-snapshot-ref: type '{}'", type);
  }
  auto snap = m_.SnapshotById(id);
  if (!snap) {
    return MakeError(ErrorKind::kInvalidInput, "set-snapshot-ref {}: unknown snapshot {}", name,
                     id);
  }
  if (name == kMainBranch && type != "branch") {
    return MakeError(ErrorKind::kInvalidInput, "set-snapshot-ref: main must be a branch");
  }
  SnapshotRef ref;
  ref.snapshot_id = id;
  ref.type = type == "tag" ? RefType::kTag : RefType::kBranch;
  if (u.contains("min-snapshots-to-keep") && u["min-snapshots-to-keep"].is_number_integer()) {
    ref.min_snapshots_to_keep = u["min-snapshots-to-keep"].get<int>();
  }
  if (u.contains("max-snapshot-age-ms") && u["max-snapshot-age-ms"].is_number_integer()) {
    ref.max_snapshot_age_ms = u["max-snapshot-age-ms"].get<int64_t>();
  }
  if (u.contains("max-ref-age-ms") && u["max-ref-age-ms"].is_number_integer()) {
    ref.max_ref_age_ms = u["max-ref-age-ms"].get<int64_t>();
  }
  m_.refs[name] = ref;
  if (name == kMainBranch && m_.current_snapshot_id != id) {
    m_.current_snapshot_id = id;
    m_.snapshot_log.push_back({(*snap)->timestamp_ms, id});
  }
  return OkStatus();
}

void MetadataBuilder::RemoveRef(const std::string& name) {
  m_.refs.erase(name);
  if (name == kMainBranch) m_.current_snapshot_id.reset();
}

Status MetadataBuilder::RemoveSnapshots(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* ids, Field(u, "snapshot-ids", "remove-snapshots"));
  if (!ids->is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "remove-snapshots: snapshot-ids must be a list");
  }
  std::set<int64_t> remove;
  for (const Json& id : *ids) {
    if (!id.is_number_integer()) {
      return MakeError(ErrorKind::kInvalidInput, "remove-snapshots: ids must be integers");
    }
    remove.insert(id.get<int64_t>());
  }
  std::erase_if(m_.snapshots, [&](const Snapshot& s) { return remove.count(s.snapshot_id) > 0; });
  std::vector<std::string> dangling;
  for (const auto& [name, ref] : m_.refs) {
    if (remove.count(ref.snapshot_id)) dangling.push_back(name);
  }
  for (const auto& name : dangling) RemoveRef(name);
  if (m_.current_snapshot_id && remove.count(*m_.current_snapshot_id)) {
    m_.current_snapshot_id.reset();
  }
  for (int64_t id : remove) {
    EraseBySnapshot(m_.statistics, id);
    EraseBySnapshot(m_.partition_statistics, id);
  }
  return OkStatus();
}

Status MetadataBuilder::Apply(const Json& u) {
  K2_ASSIGN_OR_RETURN(std::string type, StringField(u, "action", "update"));
  if (type == "assign-uuid") {
    K2_ASSIGN_OR_RETURN(m_.table_uuid, StringField(u, "uuid", type));
  } else if (type == "upgrade-format-version") {
    K2_ASSIGN_OR_RETURN(int64_t v, IntField(u, "format-version", type));
    if (v < m_.format_version) {
      return MakeError(ErrorKind::kInvalidInput, "cannot downgrade format version {} to {}",
                       m_.format_version, v);
    }
    if (v > 2) {
      return MakeError(ErrorKind::kUnsupported, "format version {}: k2 writes v1 and v2 tables", v);
    }
    m_.format_version = static_cast<int>(v);
  } else if (type == "add-schema") {
    K2_RETURN_IF_ERROR(AddSchema(u));
  } else if (type == "set-current-schema") {
    K2_ASSIGN_OR_RETURN(int64_t id, IntField(u, "schema-id", type));
    if (id == -1) {
      if (!last_schema_id_) {
        return MakeError(ErrorKind::kInvalidInput, "set-current-schema -1: no schema added");
      }
      id = *last_schema_id_;
    }
    if (!m_.SchemaById(static_cast<int>(id))) {
      return MakeError(ErrorKind::kInvalidInput, "set-current-schema: unknown schema {}", id);
    }
    m_.current_schema_id = static_cast<int>(id);
  } else if (type == "add-spec") {
    K2_RETURN_IF_ERROR(AddSpec(u));
  } else if (type == "set-default-spec") {
    K2_ASSIGN_OR_RETURN(int64_t id, IntField(u, "spec-id", type));
    if (id == -1) {
      if (!last_spec_id_) {
        return MakeError(ErrorKind::kInvalidInput, "set-default-spec -1: no spec added");
      }
      id = *last_spec_id_;
    }
    if (!m_.SpecById(static_cast<int>(id))) {
      return MakeError(ErrorKind::kInvalidInput, "set-default-spec: unknown spec {}", id);
    }
    m_.default_spec_id = static_cast<int>(id);
  } else if (type == "add-sort-order") {
    K2_RETURN_IF_ERROR(AddSortOrder(u));
  } else if (type == "set-default-sort-order") {
    K2_ASSIGN_OR_RETURN(int64_t id, IntField(u, "sort-order-id", type));
    if (id == -1) {
      if (!last_order_id_) {
        return MakeError(ErrorKind::kInvalidInput, "set-default-sort-order -1: no order added");
      }
      id = *last_order_id_;
    }
    bool known = std::any_of(m_.sort_orders.begin(), m_.sort_orders.end(),
                             [&](const SortOrder& o) { return o.order_id == id; });
    if (!known) {
      return MakeError(ErrorKind::kInvalidInput, "set-default-sort-order: unknown order {}", id);
    }
    m_.default_sort_order_id = static_cast<int>(id);
  } else if (type == "add-snapshot") {
    K2_RETURN_IF_ERROR(AddSnapshot(u));
  } else if (type == "set-snapshot-ref") {
    K2_RETURN_IF_ERROR(SetSnapshotRef(u));
  } else if (type == "remove-snapshots") {
    K2_RETURN_IF_ERROR(RemoveSnapshots(u));
  } else if (type == "remove-snapshot-ref") {
    K2_ASSIGN_OR_RETURN(std::string name, StringField(u, "ref-name", type));
    RemoveRef(name);
  } else if (type == "set-location") {
    K2_ASSIGN_OR_RETURN(std::string location, StringField(u, "location", type));
    if (location.empty()) return MakeError(ErrorKind::kInvalidInput, "set-location: empty");
    while (location.size() > 1 && location.back() == '/') location.pop_back();
    m_.location = location;
  } else if (type == "set-properties") {
    K2_ASSIGN_OR_RETURN(const Json* updates, Field(u, "updates", type));
    if (!updates->is_object()) {
      return MakeError(ErrorKind::kInvalidInput, "set-properties: updates must be an object");
    }
    for (const auto& [k, v] : updates->items()) {
      if (!v.is_string()) {
        return MakeError(ErrorKind::kInvalidInput, "set-properties: '{}' must be a string", k);
      }
      m_.properties[k] = v.get<std::string>();
    }
  } else if (type == "remove-properties") {
    K2_ASSIGN_OR_RETURN(const Json* removals, Field(u, "removals", type));
    if (!removals->is_array()) {
      return MakeError(ErrorKind::kInvalidInput, "remove-properties: removals must be a list");
    }
    for (const Json& k : *removals) {
      if (k.is_string()) m_.properties.erase(k.get<std::string>());
    }
  } else if (type == "set-statistics" || type == "set-partition-statistics") {
    const bool partition = type == "set-partition-statistics";
    K2_ASSIGN_OR_RETURN(const Json* stats,
                        Field(u, partition ? "partition-statistics" : "statistics", type));
    if (!stats->is_object() || !stats->contains("snapshot-id") ||
        !(*stats)["snapshot-id"].is_number_integer()) {
      return MakeError(ErrorKind::kInvalidInput, "{}: statistics need a snapshot-id", type);
    }
    UpsertBySnapshot(partition ? m_.partition_statistics : m_.statistics, *stats);
  } else if (type == "remove-statistics" || type == "remove-partition-statistics") {
    K2_ASSIGN_OR_RETURN(int64_t id, IntField(u, "snapshot-id", type));
    EraseBySnapshot(type == "remove-statistics" ? m_.statistics : m_.partition_statistics, id);
  } else if (type == "remove-partition-specs") {
    K2_ASSIGN_OR_RETURN(const Json* ids, Field(u, "spec-ids", type));
    if (!ids->is_array()) return MakeError(ErrorKind::kInvalidInput, "{}: expected a list", type);
    for (const Json& id : *ids) {
      if (!id.is_number_integer()) {
        return MakeError(ErrorKind::kInvalidInput, "{}: ids must be integers", type);
      }
      if (id.get<int>() == m_.default_spec_id) {
        return MakeError(ErrorKind::kInvalidInput, "{}: cannot remove the default spec {}", type,
                         m_.default_spec_id);
      }
      std::erase_if(m_.specs, [&](const PartitionSpec& s) { return s.spec_id == id.get<int>(); });
    }
  } else if (type == "remove-schemas") {
    K2_ASSIGN_OR_RETURN(const Json* ids, Field(u, "schema-ids", type));
    if (!ids->is_array()) return MakeError(ErrorKind::kInvalidInput, "{}: expected a list", type);
    for (const Json& id : *ids) {
      if (!id.is_number_integer()) {
        return MakeError(ErrorKind::kInvalidInput, "{}: ids must be integers", type);
      }
      if (id.get<int>() == m_.current_schema_id) {
        return MakeError(ErrorKind::kInvalidInput, "{}: cannot remove the current schema {}", type,
                         m_.current_schema_id);
      }
      std::erase_if(m_.schemas, [&](const TableSchema& s) { return s.schema_id == id.get<int>(); });
    }
  } else {
    return MakeError(ErrorKind::kInvalidInput, "unknown update action '{}'", type);
  }
  return OkStatus();
}

Result<BuiltMetadata> MetadataBuilder::Build(
    const std::function<Status(TableMetadata&)>& finish) && {
  TableMetadata m = std::move(m_);
  if (m.table_uuid.empty()) m.table_uuid = NewUuid();
  if (m.specs.empty()) {
    m.specs.push_back(PartitionSpec::Unpartitioned());
    m.default_spec_id = 0;
  }
  if (m.sort_orders.empty()) {
    m.sort_orders.push_back(SortOrder::Unsorted());
    m.default_sort_order_id = 0;
  }
  if (m.location.empty()) return MakeError(ErrorKind::kInvalidInput, "table has no location");
  if (finish) K2_RETURN_IF_ERROR(finish(m));
  // The metadata k2 writes must read back: this catches every dangling id.
  nlohmann::json j = m.ToJsonObject();
  auto reread = TableMetadata::FromJsonObject(j);
  if (!reread) {
    return MakeError(ErrorKind::kInvalidInput, "resulting metadata is invalid: {}",
                     reread.error().message);
  }
  std::string text = j.dump(2);
  return BuiltMetadata{std::move(m), std::move(text)};
}

namespace {

void DiffSchemas(const TableMetadata& base, const TableMetadata& next, TableCommit& c) {
  bool changed = false;
  for (const TableSchema& s : next.schemas) {
    if (base.SchemaById(s.schema_id)) continue;
    Json u = {{"action", "add-schema"}, {"schema", s.ToJson()}};
    u["schema"]["schema-id"] = s.schema_id;
    u["last-column-id"] = next.last_column_id;
    c.updates.push_back(std::move(u));
    changed = true;
  }
  if (next.current_schema_id != base.current_schema_id) {
    bool added = !base.SchemaById(next.current_schema_id);
    c.updates.push_back(
        {{"action", "set-current-schema"}, {"schema-id", added ? -1 : next.current_schema_id}});
    changed = true;
  }
  std::vector<int> removed;
  for (const TableSchema& s : base.schemas) {
    if (!next.SchemaById(s.schema_id)) removed.push_back(s.schema_id);
  }
  if (!removed.empty()) {
    c.updates.push_back({{"action", "remove-schemas"}, {"schema-ids", removed}});
    changed = true;
  }
  if (changed) {
    c.requirements.push_back(
        {{"type", "assert-current-schema-id"}, {"current-schema-id", base.current_schema_id}});
    c.requirements.push_back({{"type", "assert-last-assigned-field-id"},
                              {"last-assigned-field-id", base.last_column_id}});
  }
}

void DiffSpecsAndOrders(const TableMetadata& base, const TableMetadata& next, TableCommit& c) {
  bool specs_changed = false;
  for (const PartitionSpec& s : next.specs) {
    if (base.SpecById(s.spec_id)) continue;
    c.updates.push_back({{"action", "add-spec"}, {"spec", s.ToJson()}});
    specs_changed = true;
  }
  if (next.default_spec_id != base.default_spec_id) {
    bool added = !base.SpecById(next.default_spec_id);
    c.updates.push_back(
        {{"action", "set-default-spec"}, {"spec-id", added ? -1 : next.default_spec_id}});
    specs_changed = true;
  }
  std::vector<int> removed;
  for (const PartitionSpec& s : base.specs) {
    if (!next.SpecById(s.spec_id)) removed.push_back(s.spec_id);
  }
  if (!removed.empty()) {
    c.updates.push_back({{"action", "remove-partition-specs"}, {"spec-ids", removed}});
    specs_changed = true;
  }
  if (specs_changed) {
    c.requirements.push_back({{"type", "assert-last-assigned-partition-id"},
                              {"last-assigned-partition-id", base.last_partition_id}});
    c.requirements.push_back(
        {{"type", "assert-default-spec-id"}, {"default-spec-id", base.default_spec_id}});
  }
  auto has_order = [](const TableMetadata& m, int id) {
    return std::any_of(m.sort_orders.begin(), m.sort_orders.end(),
                       [&](const SortOrder& o) { return o.order_id == id; });
  };
  bool orders_changed = false;
  for (const SortOrder& o : next.sort_orders) {
    if (has_order(base, o.order_id)) continue;
    c.updates.push_back({{"action", "add-sort-order"}, {"sort-order", o.ToJson()}});
    orders_changed = true;
  }
  if (next.default_sort_order_id != base.default_sort_order_id) {
    bool added = !has_order(base, next.default_sort_order_id);
    c.updates.push_back({{"action", "set-default-sort-order"},
                         {"sort-order-id", added ? -1 : next.default_sort_order_id}});
    orders_changed = true;
  }
  if (orders_changed) {
    c.requirements.push_back({{"type", "assert-default-sort-order-id"},
                              {"default-sort-order-id", base.default_sort_order_id}});
  }
}

void DiffSnapshots(const TableMetadata& base, const TableMetadata& next, TableCommit& c) {
  for (const Snapshot& s : next.snapshots) {
    if (!base.SnapshotById(s.snapshot_id)) {
      c.updates.push_back({{"action", "add-snapshot"}, {"snapshot", s.ToJson()}});
    }
  }
  std::vector<int64_t> removed;
  for (const Snapshot& s : base.snapshots) {
    if (!next.SnapshotById(s.snapshot_id)) removed.push_back(s.snapshot_id);
  }
  auto ref_of = [](const TableMetadata& m, const std::string& name) -> std::optional<SnapshotRef> {
    if (auto it = m.refs.find(name); it != m.refs.end()) return it->second;
    if (name == kMainBranch && m.current_snapshot_id) {
      return SnapshotRef{*m.current_snapshot_id, RefType::kBranch, {}, {}, {}};
    }
    return std::nullopt;
  };
  std::set<std::string> names;
  for (const auto& [name, ref] : base.refs) names.insert(name);
  for (const auto& [name, ref] : next.refs) names.insert(name);
  if (base.current_snapshot_id || next.current_snapshot_id) names.insert(kMainBranch);
  for (const std::string& name : names) {
    std::optional<SnapshotRef> before = ref_of(base, name);
    std::optional<SnapshotRef> after = ref_of(next, name);
    bool same = before.has_value() == after.has_value() &&
                (!before || RefToJson(*before) == RefToJson(*after));
    if (same) continue;
    Json req = {{"type", "assert-ref-snapshot-id"}, {"ref", name}};
    req["snapshot-id"] = before ? Json(before->snapshot_id) : Json();
    c.requirements.push_back(std::move(req));
    if (after) {
      Json u = RefToJson(*after);
      u["action"] = "set-snapshot-ref";
      u["ref-name"] = name;
      c.updates.push_back(std::move(u));
    } else {
      c.updates.push_back({{"action", "remove-snapshot-ref"}, {"ref-name", name}});
    }
  }
  // Snapshots go after the refs that stop pointing at them.
  if (!removed.empty()) {
    c.updates.push_back({{"action", "remove-snapshots"}, {"snapshot-ids", removed}});
  }
}

void DiffStatistics(const Json& base, const Json& next, bool partition, TableCommit& c) {
  if (base == next) return;
  auto by_id = [](const Json& array) {
    std::map<int64_t, Json> out;
    if (!array.is_array()) return out;
    for (const Json& e : array) {
      if (e.is_object()) out[e.value("snapshot-id", int64_t{-1})] = e;
    }
    return out;
  };
  auto before = by_id(base);
  auto after = by_id(next);
  for (const auto& [id, e] : after) {
    auto it = before.find(id);
    if (it != before.end() && it->second == e) continue;
    Json u = {{"action", partition ? "set-partition-statistics" : "set-statistics"}};
    u[partition ? "partition-statistics" : "statistics"] = e;
    if (!partition) u["snapshot-id"] = id;
    c.updates.push_back(std::move(u));
  }
  for (const auto& [id, e] : before) {
    if (after.count(id)) continue;
    c.updates.push_back(
        {{"action", partition ? "remove-partition-statistics" : "remove-statistics"},
         {"snapshot-id", id}});
  }
}

}  // namespace

TableCommit DiffMetadata(const TableMetadata& base, const TableMetadata& next) {
  TableCommit c;
  c.requirements.push_back({{"type", "assert-table-uuid"}, {"uuid", base.table_uuid}});
  if (next.format_version > base.format_version) {
    c.updates.push_back(
        {{"action", "upgrade-format-version"}, {"format-version", next.format_version}});
  }
  DiffSchemas(base, next, c);
  DiffSpecsAndOrders(base, next, c);
  DiffSnapshots(base, next, c);
  Json set = Json::object();
  std::vector<std::string> removed;
  for (const auto& [k, v] : next.properties) {
    auto it = base.properties.find(k);
    if (it == base.properties.end() || it->second != v) set[k] = v;
  }
  for (const auto& [k, v] : base.properties) {
    if (!next.properties.count(k)) removed.push_back(k);
  }
  if (!set.empty()) c.updates.push_back({{"action", "set-properties"}, {"updates", set}});
  if (!removed.empty()) {
    c.updates.push_back({{"action", "remove-properties"}, {"removals", removed}});
  }
  if (next.location != base.location) {
    c.updates.push_back({{"action", "set-location"}, {"location", next.location}});
  }
  DiffStatistics(base.statistics, next.statistics, false, c);
  DiffStatistics(base.partition_statistics, next.partition_statistics, true, c);
  return c;
}

int HighestMetadataVersion(FileIO& io, const std::string& location) {
  auto files = io.List(location + "/metadata/");
  if (!files) return -1;
  int highest = -1;
  for (const auto& f : *files) {
    if (f.path.ends_with(".metadata.json"))
      highest = std::max(highest, ParseMetadataVersion(f.path));
  }
  return highest;
}

std::string PrepareNextVersion(const TableMetadata& base, const std::string& base_location,
                               TableMetadata& next, int highest_existing) {
  // k2 writes v2 (TableMetadata::ToJson), which requires a uuid that a v1
  // table may lack: the metadata committed is the metadata written.
  next.format_version = std::max(next.format_version, 2);
  if (next.table_uuid.empty()) next.table_uuid = NewUuid();
  next.last_updated_ms = std::max(NowMillis(), base.last_updated_ms + 1);
  if (!base_location.empty()) next.metadata_log.push_back({base.last_updated_ms, base_location});
  const int64_t keep =
      std::max<int64_t>(1, base.PropertyAsInt("write.metadata.previous-versions-max", 100));
  if (static_cast<int64_t>(next.metadata_log.size()) > keep) {
    next.metadata_log.erase(next.metadata_log.begin(), next.metadata_log.end() - keep);
  }
  int version = base_location.empty() ? -1 : ParseMetadataVersion(base_location);
  version = version < 0 ? (base_location.empty() ? 0 : 1) : version + 1;
  return next.location + "/metadata/" +
         fmt::format("{:05d}-{}.metadata.json", std::max(version, highest_existing + 1), NewUuid());
}

}  // namespace k2::iceberg
