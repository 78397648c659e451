#pragma once
/// Scan planning: snapshot (current, by id, as of a time, or a ref) ->
/// manifest list -> manifests (pruned by partition summaries) -> data files
/// (pruned by partition tuple and column bounds), each with the delete files
/// that apply to it (spec "Scan Planning").

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/predicate.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"
#include "iceberg/table_metadata.h"

namespace k2::iceberg {

class Table;

/// One data file to read and the delete files to apply to it.
struct FileScanTask {
  DataFile file;
  int64_t data_sequence_number = 0;
  std::vector<DataFile> deletes;  ///< position and equality delete files
};

/// A configured scan. Cheap to copy; the Table (and its FileIO) must outlive it.
class TableScan {
 public:
  explicit TableScan(const Table& table);

  /// Columns to return, by name in the current schema (all when empty).
  TableScan& Select(std::vector<std::string> columns);
  /// Rows must satisfy `filter` (unbound; bound to the current schema by PlanFiles).
  TableScan& Filter(Predicate filter);
  TableScan& UseSnapshot(int64_t snapshot_id);
  /// The main-branch snapshot current at `timestamp_ms`.
  TableScan& AsOf(int64_t timestamp_ms);
  /// The head of branch or tag `name`.
  TableScan& UseRef(std::string name);

  /// The snapshot this scan reads; nullptr for an empty table.
  /// kNotFound for an unknown id, time or ref.
  Result<const Snapshot*> ResolveSnapshot() const;
  /// The schema rows are read in: the selected snapshot's schema when a
  /// snapshot, time or ref was chosen (like Spark and DuckDB time travel),
  /// else the current schema.
  Result<const TableSchema*> ScanSchema() const;
  /// The output schema: the scan schema's selected fields, in selection order.
  /// kInvalidInput names an unknown column.
  Result<Schema> ProjectedSchema() const;
  /// Data files to read with their deletes. kInvalidInput for a bad filter;
  /// kCorrupt/kIo for unreadable manifests.
  Result<std::vector<FileScanTask>> PlanFiles() const;
  /// Reads the rows (filter applied exactly, deletes applied) as batches of
  /// ProjectedSchema(). Columns missing from a file (added later) read as null;
  /// columns are matched by field id, or by schema.name-mapping.default for
  /// files without ids.
  Result<std::unique_ptr<BatchReader>> ToBatchReader() const;
  /// Like ToBatchReader() over `tasks` (a subset of what PlanFiles() returned)
  /// instead of planning: compaction reads one group's files with their deletes.
  Result<std::unique_ptr<BatchReader>> ToBatchReader(std::vector<FileScanTask> tasks) const;

 private:
  const Table* table_;
  std::shared_ptr<const TableMetadata> metadata_;
  std::vector<std::string> columns_;
  std::optional<Predicate> filter_;
  std::optional<int64_t> snapshot_id_;
  std::optional<int64_t> as_of_ms_;
  std::optional<std::string> ref_;
};

/// Field ids named by a schema.name-mapping.default JSON value (top level).
std::set<int> MappedFieldIds(const std::string& name_mapping_json);

/// Manifests of a snapshot (v1 snapshots without a manifest list included).
Result<std::vector<ManifestFile>> SnapshotManifests(FileIO& io, const Snapshot& snapshot);

}  // namespace k2::iceberg
