#pragma once
/// Catalog: where k2 meets the table registry. A catalog maps a table
/// identifier to its current metadata file location and swaps that pointer
/// atomically (compare-and-swap); everything else about a table lives in its
/// metadata files. The interface lives here, beside the table operations that
/// commit through it (iceberg/table.h); the implementations live in catalog/
/// (k2_catalog, which depends on k2_iceberg, never the other way): sql/
/// (SQLite, PostgreSQL, the JDBC catalog's tables), an in-memory fake for unit
/// tests, and rest/ (a REST catalog server's client).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace k2 {

namespace iceberg {
class TableMetadata;
}

/// A namespace is a list of levels ("market", "cold").
using Namespace = std::vector<std::string>;

struct TableIdentifier {
  Namespace ns;
  std::string name;

  /// "a.b.table"
  std::string ToString() const;
  /// Parses "a.b.table" (last dot separates the name). kInvalidInput if empty.
  static Result<TableIdentifier> Parse(std::string_view text);
  bool operator==(const TableIdentifier&) const = default;
  auto operator<=>(const TableIdentifier&) const = default;
};

/// Joins namespace levels with '.'.
std::string NamespaceToString(const Namespace& ns);

/// A table's current metadata as a catalog hands it out: the file's location,
/// and the parsed metadata when the catalog had it at hand (a REST catalog's
/// answers carry it), else null: read it from `location`.
struct LoadedMetadata {
  std::string location;
  std::shared_ptr<const iceberg::TableMetadata> metadata;
};

/// One table's pointer swap in a multi-table commit.
struct TableSwap {
  TableIdentifier id;
  std::string expected;
  std::string next;
};

class Catalog {
 public:
  virtual ~Catalog() = default;
  /// Name of this catalog (the JDBC catalog's catalog_name column).
  virtual const std::string& name() const = 0;

  /// kAlreadyExists if present.
  virtual Status CreateNamespace(const Namespace& ns,
                                 const std::map<std::string, std::string>& properties) = 0;
  /// Namespaces directly under `parent` (all top-level ones when empty).
  virtual Result<std::vector<Namespace>> ListNamespaces(const Namespace& parent) = 0;
  /// kNotFound if absent.
  virtual Result<std::map<std::string, std::string>> LoadNamespaceProperties(
      const Namespace& ns) = 0;
  virtual Status UpdateNamespaceProperties(const Namespace& ns,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& remove) = 0;
  /// kNotFound if absent; kInvalidInput if it still holds tables.
  virtual Status DropNamespace(const Namespace& ns) = 0;

  virtual Result<std::vector<TableIdentifier>> ListTables(const Namespace& ns) = 0;
  /// Registers a table whose first metadata file is already written.
  /// kAlreadyExists if the identifier is taken; kNotFound if the namespace is missing.
  virtual Status CreateTable(const TableIdentifier& id, const std::string& metadata_location) = 0;
  /// Current metadata location. kNotFound if the table does not exist.
  virtual Result<std::string> LoadTable(const TableIdentifier& id) = 0;
  /// The current metadata location, with the parsed metadata when the catalog
  /// has it (the default: LoadTable, metadata null). Errors as LoadTable.
  virtual Result<LoadedMetadata> LoadTableMetadata(const TableIdentifier& id);
  /// Atomically replaces `expected` by `next` as the table's metadata location.
  /// kCommitConflict if the current location is not `expected`;
  /// kCommitStateUnknown if the outcome cannot be known (connection lost).
  virtual Status SwapTable(const TableIdentifier& id, const std::string& expected,
                           const std::string& next) = 0;
  /// Swaps several tables' metadata locations atomically: all or none.
  /// kCommitConflict if any table's location is not its `expected` (or the
  /// table is gone); kUnsupported if the catalog cannot (the default).
  virtual Status SwapTables(const std::vector<TableSwap>& swaps);
  /// True for catalogs that write metadata files themselves (REST: the server
  /// does): commits then go through CommitMetadata instead of writing a file
  /// and calling SwapTable.
  virtual bool WritesMetadata() const { return false; }
  /// Commits `next` as the successor of `base` (read from `base_location`) and
  /// returns the new metadata location, with the metadata as committed when the
  /// catalog's answer carried it. kCommitConflict if the table moved on
  /// (refresh and retry); kCommitStateUnknown if the outcome cannot be known;
  /// kUnsupported for catalogs that do not write metadata (the default).
  virtual Result<LoadedMetadata> CommitMetadata(const TableIdentifier& id,
                                                const iceberg::TableMetadata& base,
                                                const std::string& base_location,
                                                const iceberg::TableMetadata& next);
  virtual Status RenameTable(const TableIdentifier& from, const TableIdentifier& to) = 0;
  /// Unregisters a table and returns its last metadata location (so the caller
  /// can purge its files). kNotFound if absent.
  virtual Result<std::string> DropTable(const TableIdentifier& id) = 0;
};

}  // namespace k2
