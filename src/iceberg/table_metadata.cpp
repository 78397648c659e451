#include "iceberg/table_metadata.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>

#include "common/json.h"

namespace k2::iceberg {

namespace {

using Json = nlohmann::json;

const std::vector<std::string> kKnownKeys = {"format-version",
                                             "table-uuid",
                                             "location",
                                             "last-sequence-number",
                                             "last-updated-ms",
                                             "last-column-id",
                                             "schema",
                                             "schemas",
                                             "current-schema-id",
                                             "partition-spec",
                                             "partition-specs",
                                             "default-spec-id",
                                             "last-partition-id",
                                             "properties",
                                             "current-snapshot-id",
                                             "snapshots",
                                             "snapshot-log",
                                             "metadata-log",
                                             "sort-orders",
                                             "default-sort-order-id",
                                             "refs",
                                             "statistics",
                                             "partition-statistics"};

Result<std::string> Gunzip(std::string_view bytes, const std::string& path) {
  // A few KB of gzip can claim gigabytes (a gzip bomb): stop at the limit.
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return MakeError(ErrorKind::kInternal, "inflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return MakeError(ErrorKind::kCorrupt, "{}: byte offset {}: bad gzip data", path, zs.total_in);
    }
    if (out.size() + (sizeof(buf) - zs.avail_out) > kMaxMetadataBytes) {
      inflateEnd(&zs);
      return MakeError(ErrorKind::kCorrupt, "{}: gzip data inflates past {} MiB", path,
                       kMaxMetadataBytes >> 20);
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return MakeError(ErrorKind::kCorrupt, "{}: truncated gzip data", path);
    }
  }
  inflateEnd(&zs);
  return out;
}

std::optional<int64_t> OptLong(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<int64_t>();
}

}  // namespace

Json Snapshot::ToJson() const {
  Json j;
  j["snapshot-id"] = snapshot_id;
  if (parent_snapshot_id) j["parent-snapshot-id"] = *parent_snapshot_id;
  j["sequence-number"] = sequence_number;
  j["timestamp-ms"] = timestamp_ms;
  if (!manifest_list.empty()) j["manifest-list"] = manifest_list;
  if (!v1_manifests.empty()) j["manifests"] = v1_manifests;
  Json s = Json::object();
  s["operation"] = operation.empty() ? "append" : operation;
  for (const auto& [k, v] : summary) s[k] = v;
  j["summary"] = std::move(s);
  if (schema_id) j["schema-id"] = *schema_id;
  return j;
}

Result<Snapshot> Snapshot::FromJson(const Json& j) {
  if (!j.is_object() || !j.contains("snapshot-id")) {
    return MakeError(ErrorKind::kCorrupt, "snapshot without snapshot-id");
  }
  Snapshot s;
  s.snapshot_id = j["snapshot-id"].get<int64_t>();
  s.parent_snapshot_id = OptLong(j, "parent-snapshot-id");
  s.sequence_number = j.value("sequence-number", int64_t{0});
  s.timestamp_ms = j.value("timestamp-ms", int64_t{0});
  if (j.contains("manifest-list") && j["manifest-list"].is_string()) {
    s.manifest_list = j["manifest-list"].get<std::string>();
  }
  if (j.contains("manifests") && j["manifests"].is_array()) {
    for (const Json& m : j["manifests"]) s.v1_manifests.push_back(m.get<std::string>());
  }
  if (s.manifest_list.empty() && s.v1_manifests.empty() && !j.contains("manifests")) {
    return MakeError(ErrorKind::kCorrupt, "snapshot {} has neither manifest-list nor manifests",
                     s.snapshot_id);
  }
  if (j.contains("summary") && j["summary"].is_object()) {
    for (const auto& [k, v] : j["summary"].items()) {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      if (k == "operation") {
        s.operation = text;
      } else {
        s.summary[k] = text;
      }
    }
  }
  if (j.contains("schema-id") && j["schema-id"].is_number_integer()) {
    s.schema_id = j["schema-id"].get<int>();
  }
  return s;
}

nlohmann::json RefToJson(const SnapshotRef& r) {
  nlohmann::json rj;
  rj["snapshot-id"] = r.snapshot_id;
  rj["type"] = r.type == RefType::kTag ? "tag" : "branch";
  if (r.min_snapshots_to_keep) rj["min-snapshots-to-keep"] = *r.min_snapshots_to_keep;
  if (r.max_snapshot_age_ms) rj["max-snapshot-age-ms"] = *r.max_snapshot_age_ms;
  if (r.max_ref_age_ms) rj["max-ref-age-ms"] = *r.max_ref_age_ms;
  return rj;
}

int ParseMetadataVersion(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.starts_with("v")) name.remove_prefix(1);
  int v = -1;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || p == name.data()) return -1;
  if (p < name.data() + name.size() && *p != '-' && *p != '.') return -1;
  return v;
}

Result<TableMetadata> TableMetadata::FromFileBytes(std::string_view bytes,
                                                   const std::string& path) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
      static_cast<uint8_t>(bytes[1]) == 0x8b) {
    K2_ASSIGN_OR_RETURN(std::string text, Gunzip(bytes, path));
    auto r = FromJson(text);
    if (!r) return std::unexpected(r.error().WithContext(path));
    return r;
  }
  auto r = FromJson(bytes);
  if (!r) return std::unexpected(r.error().WithContext(path));
  return r;
}

Result<TableMetadata> TableMetadata::FromJson(std::string_view text) {
  auto parsed = ParseUntrustedJson(text, "table metadata");
  if (!parsed) return std::unexpected(parsed.error());
  return FromJsonObject(*parsed);
}

namespace {

// The parts of TableMetadata::FromJsonObject, in the order it reads them. They
// may throw nlohmann::json exceptions, which FromJsonObject reports as kCorrupt.
/// format-version, location, table-uuid, sequence number, timestamps, last column id.
Status ReadHeader(const Json& j, TableMetadata& m) {
  if (!j.contains("format-version")) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: missing format-version");
  }
  m.format_version = j["format-version"].get<int>();
  if (m.format_version < 1 || m.format_version > 3) {
    return MakeError(ErrorKind::kUnsupported, "table metadata: format-version {}",
                     m.format_version);
  }
  if (!j.contains("location") || !j["location"].is_string()) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: missing location");
  }
  m.location = j["location"].get<std::string>();
  m.table_uuid = j.value("table-uuid", "");
  if (m.format_version >= 2 && m.table_uuid.empty()) {
    return MakeError(ErrorKind::kCorrupt, "table metadata v{}: missing table-uuid",
                     m.format_version);
  }
  m.last_sequence_number = j.value("last-sequence-number", int64_t{0});
  if (!j.contains("last-updated-ms")) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: missing last-updated-ms");
  }
  m.last_updated_ms = j["last-updated-ms"].get<int64_t>();
  m.last_column_id = j.value("last-column-id", 0);
  return OkStatus();
}

/// schemas (v2) or schema (v1), and current-schema-id.
Status ReadSchemas(const Json& j, TableMetadata& m) {
  if (j.contains("schemas") && j["schemas"].is_array()) {
    for (const Json& s : j["schemas"]) {
      auto parsed = TableSchema::FromJson(s);
      if (!parsed) return MakeError(ErrorKind::kCorrupt, "{}", parsed.error().message);
      m.schemas.push_back(std::move(*parsed));
    }
    m.current_schema_id = j.value("current-schema-id", 0);
  } else if (j.contains("schema")) {
    auto parsed = TableSchema::FromJson(j["schema"]);
    if (!parsed) return MakeError(ErrorKind::kCorrupt, "{}", parsed.error().message);
    m.current_schema_id = parsed->schema_id;
    m.schemas.push_back(std::move(*parsed));
  }
  if (m.schemas.empty()) return MakeError(ErrorKind::kCorrupt, "table metadata: no schemas");
  if (!m.SchemaById(m.current_schema_id)) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: current-schema-id {} not in schemas",
                     m.current_schema_id);
  }
  return OkStatus();
}

/// partition-specs (v2) or partition-spec (v1), default-spec-id, last-partition-id.
Status ReadSpecs(const Json& j, TableMetadata& m) {
  if (j.contains("partition-specs") && j["partition-specs"].is_array()) {
    for (const Json& s : j["partition-specs"]) {
      auto parsed = PartitionSpec::FromJson(s);
      if (!parsed) return MakeError(ErrorKind::kCorrupt, "{}", parsed.error().message);
      m.specs.push_back(std::move(*parsed));
    }
    m.default_spec_id = j.value("default-spec-id", 0);
  } else if (j.contains("partition-spec")) {
    auto parsed = PartitionSpec::FromJson(j["partition-spec"]);
    if (!parsed) return MakeError(ErrorKind::kCorrupt, "{}", parsed.error().message);
    m.specs.push_back(std::move(*parsed));
  }
  if (m.specs.empty()) m.specs.push_back(PartitionSpec::Unpartitioned());
  if (!m.SpecById(m.default_spec_id)) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: default-spec-id {} not in specs",
                     m.default_spec_id);
  }
  int max_pid = kFirstPartitionFieldId - 1;
  for (const auto& s : m.specs) {
    for (const auto& f : s.fields) max_pid = std::max(max_pid, f.field_id);
  }
  m.last_partition_id = j.value("last-partition-id", max_pid);
  return OkStatus();
}

/// current-snapshot-id, snapshots, snapshot-log and metadata-log.
Status ReadSnapshots(const Json& j, TableMetadata& m) {
  if (auto id = OptLong(j, "current-snapshot-id"); id && *id != -1) m.current_snapshot_id = id;
  if (j.contains("snapshots") && j["snapshots"].is_array()) {
    for (const Json& s : j["snapshots"]) {
      K2_ASSIGN_OR_RETURN(Snapshot snap, Snapshot::FromJson(s));
      m.snapshots.push_back(std::move(snap));
    }
  }
  if (m.current_snapshot_id && !m.SnapshotById(*m.current_snapshot_id)) {
    return MakeError(ErrorKind::kCorrupt,
                     "table metadata: current-snapshot-id {} is not in snapshots",
                     *m.current_snapshot_id);
  }
  for (const Json& e : j.value("snapshot-log", Json::array())) {
    m.snapshot_log.push_back(
        {e.at("timestamp-ms").get<int64_t>(), e.at("snapshot-id").get<int64_t>()});
  }
  for (const Json& e : j.value("metadata-log", Json::array())) {
    m.metadata_log.push_back(
        {e.at("timestamp-ms").get<int64_t>(), e.at("metadata-file").get<std::string>()});
  }
  return OkStatus();
}

/// sort-orders (the unsorted order when absent).
Status ReadSortOrders(const Json& j, TableMetadata& m) {
  if (j.contains("sort-orders") && j["sort-orders"].is_array()) {
    for (const Json& o : j["sort-orders"]) {
      auto parsed = SortOrder::FromJson(o);
      if (!parsed) return MakeError(ErrorKind::kCorrupt, "{}", parsed.error().message);
      m.sort_orders.push_back(std::move(*parsed));
    }
  }
  if (m.sort_orders.empty()) m.sort_orders.push_back(SortOrder::Unsorted());
  m.default_sort_order_id = j.value("default-sort-order-id", 0);
  return OkStatus();
}

/// refs (main added for a current snapshot without one).
void ReadRefs(const Json& j, TableMetadata& m) {
  if (j.contains("refs") && j["refs"].is_object()) {
    for (const auto& [name, r] : j["refs"].items()) {
      SnapshotRef ref;
      ref.snapshot_id = r.at("snapshot-id").get<int64_t>();
      ref.type = r.value("type", "branch") == "tag" ? RefType::kTag : RefType::kBranch;
      if (r.contains("min-snapshots-to-keep")) {
        ref.min_snapshots_to_keep = r["min-snapshots-to-keep"].get<int>();
      }
      ref.max_snapshot_age_ms = OptLong(r, "max-snapshot-age-ms");
      ref.max_ref_age_ms = OptLong(r, "max-ref-age-ms");
      m.refs[name] = ref;
    }
  }
  if (m.current_snapshot_id && m.refs.count(kMainBranch) == 0) {
    m.refs[kMainBranch] = SnapshotRef{*m.current_snapshot_id, RefType::kBranch, {}, {}, {}};
  }
}

}  // namespace

Result<TableMetadata> TableMetadata::FromJsonObject(const Json& j) {
  if (!j.is_object()) return MakeError(ErrorKind::kCorrupt, "table metadata is not a JSON object");
  TableMetadata m;
  try {
    K2_RETURN_IF_ERROR(ReadHeader(j, m));
    K2_RETURN_IF_ERROR(ReadSchemas(j, m));
    K2_RETURN_IF_ERROR(ReadSpecs(j, m));
    if (j.contains("properties") && j["properties"].is_object()) {
      for (const auto& [k, v] : j["properties"].items()) {
        m.properties[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    K2_RETURN_IF_ERROR(ReadSnapshots(j, m));
    K2_RETURN_IF_ERROR(ReadSortOrders(j, m));
    ReadRefs(j, m);
    if (j.contains("statistics") && j["statistics"].is_array()) m.statistics = j["statistics"];
    if (j.contains("partition-statistics") && j["partition-statistics"].is_array()) {
      m.partition_statistics = j["partition-statistics"];
    }
    for (const auto& [k, v] : j.items()) {
      if (std::find(kKnownKeys.begin(), kKnownKeys.end(), k) == kKnownKeys.end()) m.extra[k] = v;
    }
    int highest = 0;
    for (const auto& s : m.schemas) highest = std::max(highest, s.highest_field_id);
    m.last_column_id = std::max(m.last_column_id, highest);
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorKind::kCorrupt, "table metadata: {}", e.what());
  }
  return m;
}

std::string TableMetadata::ToJson() const {
  return ToJsonObject()
      .dump();  // compact, as Iceberg's own writers do: a third smaller, faster to write and read
}

Json TableMetadata::ToJsonObject() const {
  Json j = extra.is_object() ? extra : Json::object();
  j["format-version"] = std::max(format_version, 2);
  j["table-uuid"] = table_uuid;
  j["location"] = location;
  j["last-sequence-number"] = last_sequence_number;
  j["last-updated-ms"] = last_updated_ms;
  j["last-column-id"] = last_column_id;
  Json schemas_json = Json::array();
  for (const auto& s : schemas) {
    Json sj = s.ToJson();
    sj["schema-id"] = s.schema_id;
    schemas_json.push_back(std::move(sj));
  }
  j["schemas"] = std::move(schemas_json);
  j["current-schema-id"] = current_schema_id;
  Json specs_json = Json::array();
  for (const auto& s : specs) specs_json.push_back(s.ToJson());
  j["partition-specs"] = std::move(specs_json);
  j["default-spec-id"] = default_spec_id;
  j["last-partition-id"] = last_partition_id;
  Json props = Json::object();
  for (const auto& [k, v] : properties) props[k] = v;
  j["properties"] = std::move(props);
  if (current_snapshot_id) {
    j["current-snapshot-id"] = *current_snapshot_id;
  } else {
    j["current-snapshot-id"] = -1;
  }
  Json snaps = Json::array();
  for (const auto& s : snapshots) snaps.push_back(s.ToJson());
  j["snapshots"] = std::move(snaps);
  Json slog = Json::array();
  for (const auto& e : snapshot_log) {
    slog.push_back({{"timestamp-ms", e.timestamp_ms}, {"snapshot-id", e.snapshot_id}});
  }
  j["snapshot-log"] = std::move(slog);
  Json mlog = Json::array();
  for (const auto& e : metadata_log) {
    mlog.push_back({{"timestamp-ms", e.timestamp_ms}, {"metadata-file", e.metadata_file}});
  }
  j["metadata-log"] = std::move(mlog);
  Json orders = Json::array();
  for (const auto& o : sort_orders) orders.push_back(o.ToJson());
  j["sort-orders"] = std::move(orders);
  j["default-sort-order-id"] = default_sort_order_id;
  Json refs_json = Json::object();
  for (const auto& [name, r] : refs) refs_json[name] = RefToJson(r);
  j["refs"] = std::move(refs_json);
  j["statistics"] = statistics;
  j["partition-statistics"] = partition_statistics;
  return j;
}

const TableSchema& TableMetadata::CurrentSchema() const {
  for (const auto& s : schemas) {
    if (s.schema_id == current_schema_id) return s;
  }
  return schemas.back();
}

Result<const TableSchema*> TableMetadata::SchemaById(int id) const {
  for (const auto& s : schemas) {
    if (s.schema_id == id) return &s;
  }
  return MakeError(ErrorKind::kNotFound, "schema id {} not found", id);
}

const PartitionSpec& TableMetadata::DefaultSpec() const {
  for (const auto& s : specs) {
    if (s.spec_id == default_spec_id) return s;
  }
  return specs.back();
}

Result<const PartitionSpec*> TableMetadata::SpecById(int id) const {
  for (const auto& s : specs) {
    if (s.spec_id == id) return &s;
  }
  return MakeError(ErrorKind::kNotFound, "partition spec id {} not found", id);
}

const SortOrder& TableMetadata::DefaultSortOrder() const {
  for (const auto& o : sort_orders) {
    if (o.order_id == default_sort_order_id) return o;
  }
  return sort_orders.back();
}

const Snapshot* TableMetadata::CurrentSnapshot() const {
  if (!current_snapshot_id) return nullptr;
  auto s = SnapshotById(*current_snapshot_id);
  return s ? *s : nullptr;
}

Result<const Snapshot*> TableMetadata::SnapshotById(int64_t id) const {
  for (const auto& s : snapshots) {
    if (s.snapshot_id == id) return &s;
  }
  return MakeError(ErrorKind::kNotFound, "snapshot {} not found in table {}", id, location);
}

Result<const Snapshot*> TableMetadata::SnapshotForRef(const std::string& ref) const {
  auto it = refs.find(ref);
  if (it != refs.end()) return SnapshotById(it->second.snapshot_id);
  if (ref == kMainBranch && current_snapshot_id) return SnapshotById(*current_snapshot_id);
  return MakeError(ErrorKind::kNotFound, "ref '{}' not found in table {}", ref, location);
}

Result<const Snapshot*> TableMetadata::SnapshotAsOf(int64_t timestamp_ms) const {
  std::optional<int64_t> found;
  for (const auto& e : snapshot_log) {
    if (e.timestamp_ms <= timestamp_ms) found = e.snapshot_id;
  }
  if (!found) {
    // No log (or trimmed): fall back to main's ancestry by commit time.
    for (const Snapshot* s : MainAncestry()) {
      if (s->timestamp_ms <= timestamp_ms) {
        found = s->snapshot_id;
        break;
      }
    }
  }
  if (!found) {
    return MakeError(ErrorKind::kNotFound, "table {} has no snapshot as of {} ms", location,
                     timestamp_ms);
  }
  return SnapshotById(*found);
}

std::vector<const Snapshot*> TableMetadata::Ancestry(int64_t snapshot_id) const {
  std::vector<const Snapshot*> out;
  std::optional<int64_t> id = snapshot_id;
  while (id && out.size() <= snapshots.size()) {
    auto s = SnapshotById(*id);
    if (!s) break;
    out.push_back(*s);
    id = (*s)->parent_snapshot_id;
  }
  return out;
}

std::vector<const Snapshot*> TableMetadata::MainAncestry() const {
  auto head = SnapshotForRef(kMainBranch);
  if (!head) return {};
  return Ancestry((*head)->snapshot_id);
}

int64_t TableMetadata::PropertyAsInt(const std::string& key, int64_t default_value) const {
  auto it = properties.find(key);
  if (it == properties.end()) return default_value;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size()) return default_value;
  return v;
}

}  // namespace k2::iceberg
