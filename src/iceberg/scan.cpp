#include "iceberg/scan.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/json.h"
#include "iceberg/expression_eval.h"
#include "iceberg/manifest/manifest_reader.h"
#include "iceberg/table.h"

namespace k2::iceberg {

Result<std::vector<ManifestFile>> SnapshotManifests(FileIO& io, const Snapshot& snapshot) {
  if (!snapshot.manifest_list.empty()) return ReadManifestList(io, snapshot.manifest_list);
  std::vector<ManifestFile> out;
  for (const std::string& path : snapshot.v1_manifests) {
    ManifestFile m;
    m.manifest_path = path;
    m.added_snapshot_id = snapshot.snapshot_id;
    m.v1 = true;
    K2_ASSIGN_OR_RETURN(auto meta, ReadManifestMetadata(io, path));
    if (auto it = meta.find("partition-spec-id"); it != meta.end()) {
      const std::string& v = it->second;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), m.partition_spec_id);
      if (ec != std::errc() || end != v.data() + v.size()) {
        return MakeError(ErrorKind::kCorrupt, "{}: bad partition-spec-id '{}'", path, v);
      }
    }
    if (meta["content"] == "deletes") m.content = ManifestContent::kDeletes;
    out.push_back(std::move(m));
  }
  return out;
}

std::set<int> MappedFieldIds(const std::string& name_mapping_json) {
  std::set<int> out;
  auto parsed = ParseUntrustedJson(name_mapping_json, "schema.name-mapping.default");
  if (!parsed || !parsed->is_array()) return out;
  const nlohmann::json& j = *parsed;
  for (const auto& e : j) {
    if (e.is_object() && e.contains("field-id") && e["field-id"].is_number_integer()) {
      out.insert(e["field-id"].get<int>());
    }
  }
  return out;
}

TableScan::TableScan(const Table& table) : table_(&table), metadata_(table.metadata_ptr()) {}

TableScan& TableScan::Select(std::vector<std::string> columns) {
  columns_ = std::move(columns);
  return *this;
}
TableScan& TableScan::Filter(Predicate filter) {
  filter_ = std::move(filter);
  return *this;
}
TableScan& TableScan::UseSnapshot(int64_t snapshot_id) {
  snapshot_id_ = snapshot_id;
  return *this;
}
TableScan& TableScan::AsOf(int64_t timestamp_ms) {
  as_of_ms_ = timestamp_ms;
  return *this;
}
TableScan& TableScan::UseRef(std::string name) {
  ref_ = std::move(name);
  return *this;
}

Result<const Snapshot*> TableScan::ResolveSnapshot() const {
  const TableMetadata& m = *metadata_;
  if (snapshot_id_) return m.SnapshotById(*snapshot_id_);
  if (as_of_ms_) return m.SnapshotAsOf(*as_of_ms_);
  if (ref_) return m.SnapshotForRef(*ref_);
  return m.CurrentSnapshot();
}

Result<const TableSchema*> TableScan::ScanSchema() const {
  if (snapshot_id_ || as_of_ms_ || ref_) {
    K2_ASSIGN_OR_RETURN(const Snapshot* snap, ResolveSnapshot());
    if (snap != nullptr && snap->schema_id) {
      if (auto s = metadata_->SchemaById(*snap->schema_id)) return *s;
    }
  }
  return &metadata_->CurrentSchema();
}

Result<Schema> TableScan::ProjectedSchema() const {
  K2_ASSIGN_OR_RETURN(const TableSchema* scan_schema, ScanSchema());
  const Schema& schema = scan_schema->schema;
  if (columns_.empty()) return schema;
  Schema out;
  for (const std::string& c : columns_) {
    auto idx = schema.IndexOf(c);
    if (!idx) {
      return MakeError(ErrorKind::kInvalidInput, "table {}: unknown column '{}'",
                       metadata_->location, c);
    }
    out.fields.push_back(schema.fields[*idx]);
  }
  return out;
}

Result<std::vector<FileScanTask>> TableScan::PlanFiles() const {
  const TableMetadata& m = *metadata_;
  K2_ASSIGN_OR_RETURN(const Snapshot* snap, ResolveSnapshot());
  if (snap == nullptr) return std::vector<FileScanTask>{};
  K2_ASSIGN_OR_RETURN(const TableSchema* scan_schema, ScanSchema());
  const Schema& schema = scan_schema->schema;
  std::optional<Predicate> filter = filter_;
  if (filter) {
    K2_RETURN_IF_ERROR(filter->Bind(schema));
    // Metrics are keyed by field id; with a name mapping, files without ids
    // only have the mapped fields, so terms on unmapped fields cannot prune.
    if (auto it = m.properties.find("schema.name-mapping.default"); it != m.properties.end()) {
      std::set<int> mapped = MappedFieldIds(it->second);
      std::erase_if(filter->terms,
                    [&](const PredicateTerm& t) { return mapped.count(t.field_id) == 0; });
    }
  }
  FileIO& io = table_->io();
  K2_ASSIGN_OR_RETURN(std::vector<ManifestFile> manifests, SnapshotManifests(io, *snap));

  std::vector<FileScanTask> tasks;
  struct DeleteEntry {
    DataFile file;
    int64_t seq;
    std::string key;
    bool global;
  };
  std::vector<DeleteEntry> deletes;
  for (const ManifestFile& mf : manifests) {
    auto spec = m.SpecById(mf.partition_spec_id);
    if (filter && spec && !ManifestMightMatch(*filter, schema, **spec, mf)) continue;
    K2_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries, ReadManifest(io, mf));
    for (ManifestEntry& e : entries) {
      if (e.status == EntryStatus::kDeleted) continue;
      auto fspec = m.SpecById(e.file.spec_id);
      const int64_t seq = e.sequence_number.value_or(0);
      if (e.file.content != FileContent::kData) {
        const bool global = !fspec || (*fspec)->IsUnpartitioned();
        std::string key = PartitionKey(e.file.spec_id, e.file.partition);
        deletes.push_back({std::move(e.file), seq, std::move(key), global});
        continue;
      }
      if (filter && fspec && EvaluateFile(*filter, schema, **fspec, e.file) == FileMatch::kNone) {
        continue;
      }
      FileScanTask t;
      t.data_sequence_number = seq;
      t.file = std::move(e.file);
      tasks.push_back(std::move(t));
    }
  }
  if (!deletes.empty()) {
    for (FileScanTask& t : tasks) {
      const std::string key = PartitionKey(t.file.spec_id, t.file.partition);
      for (const DeleteEntry& d : deletes) {
        if (d.file.content == FileContent::kPositionDeletes) {
          // Applies when the delete is at least as new and in the same partition
          // (or names this file).
          if (d.seq < t.data_sequence_number) continue;
          if (d.file.referenced_data_file && *d.file.referenced_data_file != t.file.file_path) {
            continue;
          }
          if (!d.global && d.key != key) continue;
          // The file_path column's bounds (field id 2147483546) narrow it further.
          constexpr int kFilePathId = 2147483546;
          auto lo = d.file.lower_bounds.find(kFilePathId);
          auto hi = d.file.upper_bounds.find(kFilePathId);
          if (lo != d.file.lower_bounds.end() && t.file.file_path < lo->second) continue;
          if (hi != d.file.upper_bounds.end() && t.file.file_path > hi->second &&
              !t.file.file_path.starts_with(hi->second)) {
            continue;
          }
        } else {
          // Equality deletes apply to strictly older data.
          if (d.seq <= t.data_sequence_number) continue;
          if (!d.global && d.key != key) continue;
        }
        t.deletes.push_back(d.file);
      }
    }
  }
  return tasks;
}

}  // namespace k2::iceberg
