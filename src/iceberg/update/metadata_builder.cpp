#include "iceberg/update/metadata_builder.h"

#include <algorithm>
#include <set>

#include "iceberg/table.h"
#include "iceberg/update/json_fields.h"

namespace k2::iceberg {

using Json = nlohmann::json;

namespace {

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

/// The id an update names in `key`, where -1 means the one this commit added
/// last (`last_added`; what "set-current-schema -1" after an add-schema means
/// in the REST protocol). kInvalidInput when the key is missing, or for -1
/// when nothing of the kind (`what`) was added.
Result<int64_t> IdOrLastAdded(const Json& u, const char* key, const char* update,
                              std::optional<int> last_added, std::string_view what) {
  K2_ASSIGN_OR_RETURN(int64_t id, RequiredInt(u, key, update));
  if (id != -1) return id;
  if (!last_added) return MakeError(ErrorKind::kInvalidInput, "{} -1: no {} added", update, what);
  return *last_added;
}

}  // namespace

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
  K2_ASSIGN_OR_RETURN(const Json* sj, RequiredField(u, "schema", "add-schema"));
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
  K2_ASSIGN_OR_RETURN(const Json* sj, RequiredField(u, "spec", "add-spec"));
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
  K2_ASSIGN_OR_RETURN(const Json* oj, RequiredField(u, "sort-order", "add-sort-order"));
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
  K2_ASSIGN_OR_RETURN(const Json* sj, RequiredField(u, "snapshot", "add-snapshot"));
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
  K2_ASSIGN_OR_RETURN(std::string name, RequiredString(u, "ref-name", kWhat));
  K2_ASSIGN_OR_RETURN(int64_t id, RequiredInt(u, "snapshot-id", kWhat));
  K2_ASSIGN_OR_RETURN(std::string type, RequiredString(u, "type", kWhat));
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
  K2_ASSIGN_OR_RETURN(const Json* ids, RequiredField(u, "snapshot-ids", "remove-snapshots"));
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
  K2_ASSIGN_OR_RETURN(std::string type, RequiredString(u, "action", "update"));
  if (type == "assign-uuid") {
    K2_ASSIGN_OR_RETURN(m_.table_uuid, RequiredString(u, "uuid", type));
    return OkStatus();
  }
  if (type == "upgrade-format-version") return UpgradeFormatVersion(u);
  if (type == "add-schema") return AddSchema(u);
  if (type == "set-current-schema") return SetCurrentSchema(u);
  if (type == "add-spec") return AddSpec(u);
  if (type == "set-default-spec") return SetDefaultSpec(u);
  if (type == "add-sort-order") return AddSortOrder(u);
  if (type == "set-default-sort-order") return SetDefaultSortOrder(u);
  if (type == "add-snapshot") return AddSnapshot(u);
  if (type == "set-snapshot-ref") return SetSnapshotRef(u);
  if (type == "remove-snapshots") return RemoveSnapshots(u);
  if (type == "remove-snapshot-ref") {
    K2_ASSIGN_OR_RETURN(std::string name, RequiredString(u, "ref-name", type));
    RemoveRef(name);
    return OkStatus();
  }
  if (type == "set-location") return SetLocation(u);
  if (type == "set-properties") return SetProperties(u);
  if (type == "remove-properties") return RemoveProperties(u);
  if (type == "set-statistics" || type == "set-partition-statistics") {
    return SetStatistics(u, type);
  }
  if (type == "remove-statistics" || type == "remove-partition-statistics") {
    K2_ASSIGN_OR_RETURN(int64_t id, RequiredInt(u, "snapshot-id", type));
    EraseBySnapshot(type == "remove-statistics" ? m_.statistics : m_.partition_statistics, id);
    return OkStatus();
  }
  if (type == "remove-partition-specs") return RemovePartitionSpecs(u);
  if (type == "remove-schemas") return RemoveSchemas(u);
  return MakeError(ErrorKind::kInvalidInput, "unknown update action '{}'", type);
}

Status MetadataBuilder::UpgradeFormatVersion(const Json& u) {
  K2_ASSIGN_OR_RETURN(int64_t v, RequiredInt(u, "format-version", "upgrade-format-version"));
  if (v < m_.format_version) {
    return MakeError(ErrorKind::kInvalidInput, "cannot downgrade format version {} to {}",
                     m_.format_version, v);
  }
  if (v > 2) {
    return MakeError(ErrorKind::kUnsupported, "format version {}: k2 writes v1 and v2 tables", v);
  }
  m_.format_version = static_cast<int>(v);
  return OkStatus();
}

Status MetadataBuilder::SetCurrentSchema(const Json& u) {
  K2_ASSIGN_OR_RETURN(
      int64_t id, IdOrLastAdded(u, "schema-id", "set-current-schema", last_schema_id_, "schema"));
  if (!m_.SchemaById(static_cast<int>(id))) {
    return MakeError(ErrorKind::kInvalidInput, "set-current-schema: unknown schema {}", id);
  }
  m_.current_schema_id = static_cast<int>(id);
  return OkStatus();
}

Status MetadataBuilder::SetDefaultSpec(const Json& u) {
  K2_ASSIGN_OR_RETURN(int64_t id,
                      IdOrLastAdded(u, "spec-id", "set-default-spec", last_spec_id_, "spec"));
  if (!m_.SpecById(static_cast<int>(id))) {
    return MakeError(ErrorKind::kInvalidInput, "set-default-spec: unknown spec {}", id);
  }
  m_.default_spec_id = static_cast<int>(id);
  return OkStatus();
}

Status MetadataBuilder::SetDefaultSortOrder(const Json& u) {
  K2_ASSIGN_OR_RETURN(int64_t id, IdOrLastAdded(u, "sort-order-id", "set-default-sort-order",
                                                last_order_id_, "order"));
  bool known = std::any_of(m_.sort_orders.begin(), m_.sort_orders.end(),
                           [&](const SortOrder& o) { return o.order_id == id; });
  if (!known) {
    return MakeError(ErrorKind::kInvalidInput, "set-default-sort-order: unknown order {}", id);
  }
  m_.default_sort_order_id = static_cast<int>(id);
  return OkStatus();
}

Status MetadataBuilder::SetLocation(const Json& u) {
  K2_ASSIGN_OR_RETURN(std::string location, RequiredString(u, "location", "set-location"));
  if (location.empty()) return MakeError(ErrorKind::kInvalidInput, "set-location: empty");
  while (location.size() > 1 && location.back() == '/') location.pop_back();
  m_.location = location;
  return OkStatus();
}

Status MetadataBuilder::SetProperties(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* updates, RequiredField(u, "updates", "set-properties"));
  if (!updates->is_object()) {
    return MakeError(ErrorKind::kInvalidInput, "set-properties: updates must be an object");
  }
  for (const auto& [k, v] : updates->items()) {
    if (!v.is_string()) {
      return MakeError(ErrorKind::kInvalidInput, "set-properties: '{}' must be a string", k);
    }
    m_.properties[k] = v.get<std::string>();
  }
  return OkStatus();
}

Status MetadataBuilder::RemoveProperties(const Json& u) {
  K2_ASSIGN_OR_RETURN(const Json* removals, RequiredField(u, "removals", "remove-properties"));
  if (!removals->is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "remove-properties: removals must be a list");
  }
  for (const Json& k : *removals) {
    if (k.is_string()) m_.properties.erase(k.get<std::string>());
  }
  return OkStatus();
}

Status MetadataBuilder::SetStatistics(const Json& u, const std::string& type) {
  const bool partition = type == "set-partition-statistics";
  K2_ASSIGN_OR_RETURN(const Json* stats,
                      RequiredField(u, partition ? "partition-statistics" : "statistics", type));
  if (!stats->is_object() || !stats->contains("snapshot-id") ||
      !(*stats)["snapshot-id"].is_number_integer()) {
    return MakeError(ErrorKind::kInvalidInput, "{}: statistics need a snapshot-id", type);
  }
  UpsertBySnapshot(partition ? m_.partition_statistics : m_.statistics, *stats);
  return OkStatus();
}

Status MetadataBuilder::RemovePartitionSpecs(const Json& u) {
  constexpr std::string_view type = "remove-partition-specs";
  K2_ASSIGN_OR_RETURN(const Json* ids, RequiredField(u, "spec-ids", type));
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
  return OkStatus();
}

Status MetadataBuilder::RemoveSchemas(const Json& u) {
  constexpr std::string_view type = "remove-schemas";
  K2_ASSIGN_OR_RETURN(const Json* ids, RequiredField(u, "schema-ids", type));
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
  std::string text = j.dump();  // compact, as TableMetadata::ToJson
  return BuiltMetadata{std::move(m), std::move(text)};
}

}  // namespace k2::iceberg
