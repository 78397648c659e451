#pragma once
/// SqlCatalog: the Catalog on a SQL database, in the Iceberg JDBC catalog's
/// own tables so Java's JdbcCatalog and pyiceberg's SqlCatalog can open the
/// same database:
///   iceberg_tables(catalog_name, table_namespace, table_name,
///                  metadata_location, previous_metadata_location, iceberg_type)
///   iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)
/// Namespaces are stored dot-joined ("market.cold"); a namespace exists if it
/// has a property row (CreateNamespace writes `exists`=`true`, as JdbcCatalog
/// does), holds a table, or has a namespace under it. A commit is a
/// compare-and-swap UPDATE on metadata_location.
///
/// Thread safety: all methods may be called concurrently from any thread; many
/// SqlCatalogs (threads, processes, other engines) may share one database.

#include <memory>
#include <string>

#include "catalog/sql/catalog_store.h"
#include "iceberg/catalog.h"

namespace k2::sql {

/// iceberg_type value of table rows (JDBC schema v1; NULL rows are tables too).
inline constexpr std::string_view kIcebergTypeTable = "TABLE";
/// The property CreateNamespace writes so an empty namespace exists. Hidden
/// from LoadNamespaceProperties; UpdateNamespaceProperties leaves it alone.
inline constexpr std::string_view kNamespaceExistsProperty = "exists";

class SqlCatalog final : public Catalog {
 public:
  /// Wraps `store`, creating the two JDBC catalog tables if they are missing
  /// (and adding iceberg_type to a v0 iceberg_tables, as JdbcCatalog's v1
  /// migration does). kInvalidInput if `catalog_name` is empty; the store's
  /// error kinds otherwise.
  static Result<std::unique_ptr<SqlCatalog>> Open(std::unique_ptr<CatalogStore> store,
                                                  std::string catalog_name);

  const std::string& name() const override { return name_; }
  /// The database this catalog lives in (redacted URI or SQLite path).
  const std::string& database() const { return store_->display_name(); }

  Status CreateNamespace(const Namespace& ns,
                         const std::map<std::string, std::string>& properties) override;
  Result<std::vector<Namespace>> ListNamespaces(const Namespace& parent) override;
  Result<std::map<std::string, std::string>> LoadNamespaceProperties(const Namespace& ns) override;
  /// kNotFound if the namespace is absent; kInvalidInput if a key is both set
  /// and removed.
  Status UpdateNamespaceProperties(const Namespace& ns,
                                   const std::map<std::string, std::string>& set,
                                   const std::vector<std::string>& remove) override;
  /// kInvalidInput if the namespace still holds tables or child namespaces.
  Status DropNamespace(const Namespace& ns) override;

  /// kNotFound if the namespace is absent. Sorted by name.
  Result<std::vector<TableIdentifier>> ListTables(const Namespace& ns) override;
  Status CreateTable(const TableIdentifier& id, const std::string& metadata_location) override;
  Result<std::string> LoadTable(const TableIdentifier& id) override;
  /// kNotFound if the table is absent; kCommitConflict if its location is not
  /// `expected`; kCommitStateUnknown if the connection broke during the UPDATE.
  Status SwapTable(const TableIdentifier& id, const std::string& expected,
                   const std::string& next) override;
  /// In one database transaction.
  Status SwapTables(const std::vector<TableSwap>& swaps) override;
  /// kNotFound if `from` or the namespace of `to` is absent; kAlreadyExists if
  /// `to` is taken.
  Status RenameTable(const TableIdentifier& from, const TableIdentifier& to) override;
  /// Returns "" if the row had no metadata location.
  Result<std::string> DropTable(const TableIdentifier& id) override;

 private:
  SqlCatalog(std::unique_ptr<CatalogStore> store, std::string name)
      : store_(std::move(store)), name_(std::move(name)) {}

  Status InitSchema();
  /// Every namespace named by a table or property row of this catalog.
  Result<std::vector<std::string>> AllNamespaces();
  Result<bool> NamespaceExists(const std::string& ns);
  Error Context(Error error, std::string_view what) const;

  std::unique_ptr<CatalogStore> store_;
  std::string name_;
};

}  // namespace k2::sql
