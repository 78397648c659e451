#include "iceberg/update/metadata_diff.h"

#include <set>

#include "iceberg/table.h"

namespace k2::iceberg {

using Json = nlohmann::json;

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

}  // namespace k2::iceberg
