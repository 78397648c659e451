#pragma once
/// Table: a catalog entry plus its current metadata, and the commit protocol.
///
/// Commit protocol (Table::CommitUpdate):
///   1. Apply the update to the latest metadata (validations re-run each time);
///   2. write `<location>/metadata/NNNNN-<uuid>.metadata.json` (never overwrites);
///   3. Catalog::SwapTable(expected = the base's location, next = the new file);
///   4. kCommitConflict: delete what the attempt wrote, wait (exponential
///      backoff within commit.retry.min-wait-ms..max-wait-ms), refresh, retry up
///      to commit.retry.num-retries times and commit.retry.total-timeout-ms;
///   5. kCommitStateUnknown: reload and look for the new file as the current
///      location or in the current metadata-log; committed -> success, not
///      found -> retry keeping the files, cannot tell -> kCommitStateUnknown.
///      Files that may have been committed are never deleted.
///   Catalogs that write metadata themselves (REST) replace steps 2-3 by
///   Catalog::CommitMetadata (requirements + updates); an unknown outcome is
///   resolved by looking for the snapshots the attempt added.

#include <memory>
#include <string>

#include "iceberg/catalog.h"
#include "iceberg/table_metadata.h"
#include "iceberg/update/delete_files.h"
#include "iceberg/update/fast_append.h"
#include "iceberg/update/manage_snapshots.h"
#include "iceberg/update/overwrite_files.h"
#include "iceberg/update/replace_partitions.h"
#include "iceberg/update/rewrite_files.h"
#include "iceberg/update/row_delta.h"
#include "iceberg/update/update_properties.h"
#include "iceberg/update/update_schema.h"
#include "iceberg/update/update_spec.h"
#include "io/file_io.h"

namespace k2::iceberg {

class TableScan;

/// Options of Table::Create beyond schema and spec.
struct CreateOptions {
  SortOrder sort_order = SortOrder::Unsorted();
  std::map<std::string, std::string> properties;
  /// Table root; required (e.g. "<warehouse>/<ns>/<name>").
  std::string location;
};

/// A loaded table. Copyable handle; the catalog and FileIO must outlive it.
/// Not thread-safe: use one Table per thread (they may share catalog and io).
class Table {
 public:
  /// Loads the table's current metadata. kNotFound if the catalog lacks it;
  /// kCorrupt/kIo for an unreadable metadata file.
  static Result<Table> Load(Catalog& catalog, FileIO& io, const TableIdentifier& id);
  /// Creates a table: assigns field ids where 0 (1..n in schema order),
  /// partition field ids where 0 (from 1000), writes metadata version 0 and
  /// registers it. kAlreadyExists if the identifier is taken.
  static Result<Table> Create(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                              const Schema& schema, const PartitionSpec& spec,
                              const CreateOptions& options);
  /// Opens a metadata file directly (read-only: commits fail with kUnsupported).
  static Result<Table> LoadMetadataFile(FileIO& io, const std::string& metadata_location);

  /// Re-reads the catalog's current metadata.
  Status Refresh();

  const TableMetadata& metadata() const { return *metadata_; }
  std::shared_ptr<const TableMetadata> metadata_ptr() const { return metadata_; }
  const std::string& metadata_location() const { return metadata_location_; }
  const TableIdentifier& identifier() const { return id_; }
  FileIO& io() const { return *io_; }
  /// Current schema of the table as a k2 Schema with field ids.
  const Schema& schema() const { return metadata_->CurrentSchema().schema; }

  /// A fresh data file path: `<location>/data/<partition_path>/<uuid>.<ext>`.
  std::string NewDataFilePath(const std::string& partition_path,
                              const std::string& extension = "parquet") const;
  /// A path under `<location>/metadata/`.
  std::string MetadataPath(const std::string& file_name) const;

  FastAppend NewFastAppend() { return FastAppend(this); }
  OverwriteFiles NewOverwrite() { return OverwriteFiles(this); }
  ReplacePartitions NewReplacePartitions() { return ReplacePartitions(this); }
  DeleteFiles NewDelete() { return DeleteFiles(this); }
  RewriteFiles NewRewrite() { return RewriteFiles(this); }
  RowDelta NewRowDelta() { return RowDelta(this); }
  UpdateSchema NewUpdateSchema() { return UpdateSchema(this); }
  UpdateSpec NewUpdateSpec() { return UpdateSpec(this); }
  UpdateProperties NewUpdateProperties() { return UpdateProperties(this); }
  ManageSnapshots NewManageSnapshots() { return ManageSnapshots(this); }
  /// A scan of the current snapshot (see iceberg/scan.h).
  TableScan NewScan() const;

  /// Runs the commit protocol above for `update`. On success the table holds
  /// the new metadata.
  Status CommitUpdate(PendingUpdate& update);

 private:
  Table() = default;
  Result<bool> CheckCommitted(const std::string& new_location);
  /// A commit through a catalog that writes metadata (REST): true when
  /// committed; kCommitConflict when not applied (retry); kCommitStateUnknown
  /// when reading back cannot tell.
  Result<bool> CommitThroughCatalog(const TableMetadata& base, const std::string& base_location,
                                    const TableMetadata& next);
  Status SetFromLocation(const std::string& location);
  /// Takes the catalog's parsed metadata, or reads `loaded.location` without it.
  Status SetFrom(LoadedMetadata loaded);

  Catalog* catalog_ = nullptr;
  FileIO* io_ = nullptr;
  TableIdentifier id_;
  std::shared_ptr<const TableMetadata> metadata_;
  std::string metadata_location_;
};

/// Reads and parses a metadata file (plain or gzip).
Result<TableMetadata> ReadTableMetadata(FileIO& io, const std::string& location);
/// A random RFC 4122 version 4 UUID in lower-case text form.
std::string NewUuid();
/// Milliseconds since the Unix epoch (wall clock).
int64_t NowMillis();

}  // namespace k2::iceberg

#include "iceberg/scan.h"
