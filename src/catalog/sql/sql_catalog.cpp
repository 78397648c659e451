#include "catalog/sql/sql_catalog.h"

#include <algorithm>
#include <set>

namespace k2::sql {

namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxLocationBytes = 1000;
constexpr std::string_view kTableFilter = "(iceberg_type = 'TABLE' OR iceberg_type IS NULL)";
/// Arbitrary key of the PostgreSQL advisory lock that serializes schema creation.
constexpr int64_t kSchemaLockKey = 0x6b32'6361'7461'6c67;

Namespace SplitNamespace(std::string_view text) {
  Namespace ns;
  if (text.empty()) return ns;
  size_t begin = 0;
  for (;;) {
    size_t dot = text.find('.', begin);
    ns.emplace_back(text.substr(begin, dot - begin));
    if (dot == std::string_view::npos) break;
    begin = dot + 1;
  }
  return ns;
}

std::string Qualified(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "." + name;
}

Result<std::string> ValidNamespace(const Namespace& ns) {
  if (ns.empty()) return MakeError(ErrorKind::kInvalidInput, "empty namespace");
  for (const auto& level : ns) {
    if (level.empty() || level.find('.') != std::string::npos) {
      return MakeError(ErrorKind::kInvalidInput,
                       "namespace level '{}' of '{}' is empty or contains '.'", level,
                       NamespaceToString(ns));
    }
  }
  std::string joined = NamespaceToString(ns);
  if (joined.size() > kMaxNameBytes) {
    return MakeError(ErrorKind::kInvalidInput, "namespace '{}' is longer than {} bytes", joined,
                     kMaxNameBytes);
  }
  return joined;
}

Result<std::string> ValidTable(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(std::string ns, ValidNamespace(id.ns));
  if (id.name.empty() || id.name.size() > kMaxNameBytes) {
    return MakeError(ErrorKind::kInvalidInput,
                     "table name '{}' in '{}' is empty or longer than {} bytes", id.name, ns,
                     kMaxNameBytes);
  }
  return ns;
}

Status ValidLocation(const std::string& location, std::string_view table) {
  if (location.empty() || location.size() > kMaxLocationBytes) {
    return MakeError(ErrorKind::kInvalidInput,
                     "metadata location for table '{}' is empty or longer than {} bytes", table,
                     kMaxLocationBytes);
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<SqlCatalog>> SqlCatalog::Open(std::unique_ptr<CatalogStore> store,
                                                     std::string catalog_name) {
  if (catalog_name.empty() || catalog_name.size() > kMaxNameBytes) {
    return MakeError(ErrorKind::kInvalidInput,
                     "catalog name '{}' for {} is empty or longer than {} bytes", catalog_name,
                     store->display_name(), kMaxNameBytes);
  }
  std::unique_ptr<SqlCatalog> catalog(new SqlCatalog(std::move(store), std::move(catalog_name)));
  K2_RETURN_IF_ERROR(catalog->InitSchema());
  return catalog;
}

Error SqlCatalog::Context(Error error, std::string_view what) const {
  return error.WithContext(fmt::format("catalog '{}' ({}): {}", name_, database(), what));
}

Status SqlCatalog::InitSchema() {
  const bool postgres = store_->dialect() == SqlDialect::kPostgres;
  Status status = store_->InTransaction([&]() -> Status {
    if (postgres) {
      K2_RETURN_IF_ERROR(store_->Query("SELECT pg_advisory_xact_lock(?)", {kSchemaLockKey}));
    }
    K2_RETURN_IF_ERROR(
        store_->Execute("CREATE TABLE IF NOT EXISTS iceberg_tables ("
                        "catalog_name VARCHAR(255) NOT NULL, "
                        "table_namespace VARCHAR(255) NOT NULL, "
                        "table_name VARCHAR(255) NOT NULL, "
                        "metadata_location VARCHAR(1000), "
                        "previous_metadata_location VARCHAR(1000), "
                        "iceberg_type VARCHAR(5), "
                        "PRIMARY KEY (catalog_name, table_namespace, table_name))",
                        {}));
    K2_RETURN_IF_ERROR(
        store_->Execute("CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
                        "catalog_name VARCHAR(255) NOT NULL, "
                        "namespace VARCHAR(255) NOT NULL, "
                        "property_key VARCHAR(255), "
                        "property_value VARCHAR(1000), "
                        "PRIMARY KEY (catalog_name, namespace, property_key))",
                        {}));
    // A database first created by a v0 JDBC catalog or pyiceberg lacks iceberg_type.
    std::string has_type_sql =
        postgres ? "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                   "current_schema() AND table_name = 'iceberg_tables' AND column_name = "
                   "'iceberg_type'"
                 : "SELECT count(*) FROM pragma_table_info('iceberg_tables') WHERE name = "
                   "'iceberg_type'";
    K2_ASSIGN_OR_RETURN(auto rows, store_->Query(has_type_sql, {}));
    K2_ASSIGN_OR_RETURN(int64_t has_type, ParseInt64Cell(rows.at(0).at(0), "column count"));
    if (has_type == 0) {
      K2_RETURN_IF_ERROR(
          store_->Execute("ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)", {}));
    }
    return OkStatus();
  });
  if (!status) return std::unexpected(Context(status.error(), "creating catalog tables"));
  return OkStatus();
}

Result<std::vector<std::string>> SqlCatalog::AllNamespaces() {
  K2_ASSIGN_OR_RETURN(auto rows,
                      store_->Query("SELECT table_namespace FROM iceberg_tables WHERE "
                                    "catalog_name = ? UNION SELECT namespace FROM "
                                    "iceberg_namespace_properties WHERE catalog_name = ?",
                                    {name_, name_}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    if (row.at(0)) out.push_back(std::move(*row[0]));
  }
  return out;
}

Result<bool> SqlCatalog::NamespaceExists(const std::string& ns) {
  K2_ASSIGN_OR_RETURN(auto rows,
                      store_->Query("SELECT 1 FROM iceberg_namespace_properties WHERE "
                                    "catalog_name = ? AND namespace = ? UNION ALL SELECT 1 FROM "
                                    "iceberg_tables WHERE catalog_name = ? AND "
                                    "table_namespace = ? LIMIT 1",
                                    {name_, ns, name_, ns}));
  if (!rows.empty()) return true;
  K2_ASSIGN_OR_RETURN(auto all, AllNamespaces());
  std::string prefix = ns + ".";
  return std::any_of(all.begin(), all.end(),
                     [&](const std::string& s) { return s.starts_with(prefix); });
}

Status SqlCatalog::CreateNamespace(const Namespace& ns,
                                   const std::map<std::string, std::string>& properties) {
  K2_ASSIGN_OR_RETURN(std::string key, ValidNamespace(ns));
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(key));
    if (exists) {
      return MakeError(ErrorKind::kAlreadyExists, "namespace '{}' already exists", key);
    }
    std::map<std::string, std::string> rows = properties;
    rows[std::string(kNamespaceExistsProperty)] = "true";
    for (const auto& [k, v] : rows) {
      K2_RETURN_IF_ERROR(
          store_->Execute("INSERT INTO iceberg_namespace_properties (catalog_name, namespace, "
                          "property_key, property_value) VALUES (?, ?, ?, ?)",
                          {name_, key, k, v}));
    }
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(Context(status.error(), fmt::format("create namespace '{}'", key)));
  }
  return OkStatus();
}

Result<std::vector<Namespace>> SqlCatalog::ListNamespaces(const Namespace& parent) {
  std::string parent_key;
  if (!parent.empty()) {
    K2_ASSIGN_OR_RETURN(parent_key, ValidNamespace(parent));
  }
  auto list = [&]() -> Result<std::vector<Namespace>> {
    K2_ASSIGN_OR_RETURN(auto all, AllNamespaces());
    std::set<Namespace> children;
    bool parent_exists = parent.empty();
    for (const auto& s : all) {
      Namespace levels = SplitNamespace(s);
      if (levels.size() < parent.size() ||
          !std::equal(parent.begin(), parent.end(), levels.begin())) {
        continue;
      }
      parent_exists = true;
      if (levels.size() > parent.size()) {
        levels.resize(parent.size() + 1);
        children.insert(std::move(levels));
      }
    }
    if (!parent_exists) {
      return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", parent_key);
    }
    return std::vector<Namespace>(children.begin(), children.end());
  };
  auto result = list();
  if (!result) {
    return std::unexpected(
        Context(result.error(), fmt::format("list namespaces under '{}'", parent_key)));
  }
  return result;
}

Result<std::map<std::string, std::string>> SqlCatalog::LoadNamespaceProperties(
    const Namespace& ns) {
  K2_ASSIGN_OR_RETURN(std::string key, ValidNamespace(ns));
  auto load = [&]() -> Result<std::map<std::string, std::string>> {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(key));
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", key);
    K2_ASSIGN_OR_RETURN(auto rows, store_->Query("SELECT property_key, property_value FROM "
                                                 "iceberg_namespace_properties WHERE "
                                                 "catalog_name = ? AND namespace = ?",
                                                 {name_, key}));
    std::map<std::string, std::string> props;
    for (auto& row : rows) {
      if (!row.at(0) || *row[0] == kNamespaceExistsProperty) continue;
      props[*row[0]] = row.at(1).value_or("");
    }
    return props;
  };
  auto result = load();
  if (!result) {
    return std::unexpected(
        Context(result.error(), fmt::format("load namespace properties of '{}'", key)));
  }
  return result;
}

Status SqlCatalog::UpdateNamespaceProperties(const Namespace& ns,
                                             const std::map<std::string, std::string>& set,
                                             const std::vector<std::string>& remove) {
  K2_ASSIGN_OR_RETURN(std::string key, ValidNamespace(ns));
  for (const auto& k : remove) {
    if (set.contains(k)) {
      return MakeError(ErrorKind::kInvalidInput,
                       "catalog '{}': namespace '{}': property '{}' is both set and removed", name_,
                       key, k);
    }
  }
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(key));
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", key);
    for (const auto& [k, v] : set) {
      if (k == kNamespaceExistsProperty) continue;
      K2_RETURN_IF_ERROR(store_->Execute(
          "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, "
          "property_value) VALUES (?, ?, ?, ?) ON CONFLICT (catalog_name, namespace, "
          "property_key) DO UPDATE SET property_value = excluded.property_value",
          {name_, key, k, v}));
    }
    for (const auto& k : remove) {
      if (k == kNamespaceExistsProperty) continue;
      K2_RETURN_IF_ERROR(
          store_->Execute("DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND "
                          "namespace = ? AND property_key = ?",
                          {name_, key, k}));
    }
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(
        Context(status.error(), fmt::format("update namespace properties of '{}'", key)));
  }
  return OkStatus();
}

Status SqlCatalog::DropNamespace(const Namespace& ns) {
  K2_ASSIGN_OR_RETURN(std::string key, ValidNamespace(ns));
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(auto all, AllNamespaces());
    std::string prefix = key + ".";
    bool exists = false;
    for (const auto& s : all) {
      if (s.starts_with(prefix)) {
        return MakeError(ErrorKind::kInvalidInput,
                         "namespace '{}' is not empty: it contains namespace '{}'", key, s);
      }
      exists = exists || s == key;
    }
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", key);
    K2_ASSIGN_OR_RETURN(auto rows,
                        store_->Query("SELECT count(*) FROM iceberg_tables WHERE catalog_name = "
                                      "? AND table_namespace = ?",
                                      {name_, key}));
    K2_ASSIGN_OR_RETURN(int64_t tables, ParseInt64Cell(rows.at(0).at(0), "table count"));
    if (tables > 0) {
      return MakeError(ErrorKind::kInvalidInput,
                       "namespace '{}' is not empty: it holds {} table(s)", key, tables);
    }
    K2_RETURN_IF_ERROR(store_->Execute(
        "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
        {name_, key}));
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(Context(status.error(), fmt::format("drop namespace '{}'", key)));
  }
  return OkStatus();
}

Result<std::vector<TableIdentifier>> SqlCatalog::ListTables(const Namespace& ns) {
  K2_ASSIGN_OR_RETURN(std::string key, ValidNamespace(ns));
  auto list = [&]() -> Result<std::vector<TableIdentifier>> {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(key));
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", key);
    K2_ASSIGN_OR_RETURN(auto rows, store_->Query(fmt::format("SELECT table_name FROM "
                                                             "iceberg_tables WHERE catalog_name "
                                                             "= ? AND table_namespace = ? AND {}",
                                                             kTableFilter),
                                                 {name_, key}));
    std::vector<TableIdentifier> out;
    for (auto& row : rows) {
      if (row.at(0)) out.push_back(TableIdentifier{ns, std::move(*row[0])});
    }
    std::sort(out.begin(), out.end(),
              [](const TableIdentifier& a, const TableIdentifier& b) { return a.name < b.name; });
    return out;
  };
  auto result = list();
  if (!result) {
    return std::unexpected(Context(result.error(), fmt::format("list tables in '{}'", key)));
  }
  return result;
}

Status SqlCatalog::CreateTable(const TableIdentifier& id, const std::string& metadata_location) {
  K2_ASSIGN_OR_RETURN(std::string ns, ValidTable(id));
  const std::string qualified = Qualified(ns, id.name);
  K2_RETURN_IF_ERROR(ValidLocation(metadata_location, qualified));
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(ns));
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", ns);
    auto inserted = store_->Execute(
        "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
        "metadata_location, previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, "
        "?)",
        {name_, ns, id.name, metadata_location, std::string(kIcebergTypeTable)});
    if (!inserted && inserted.error().kind == ErrorKind::kAlreadyExists) {
      return MakeError(ErrorKind::kAlreadyExists, "table '{}' already exists", qualified);
    }
    K2_RETURN_IF_ERROR(inserted);
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(Context(status.error(), fmt::format("create table '{}'", qualified)));
  }
  return OkStatus();
}

Result<std::string> SqlCatalog::LoadTable(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(std::string ns, ValidTable(id));
  const std::string qualified = Qualified(ns, id.name);
  auto rows = store_->Query(fmt::format("SELECT metadata_location FROM iceberg_tables WHERE "
                                        "catalog_name = ? AND table_namespace = ? AND "
                                        "table_name = ? AND {}",
                                        kTableFilter),
                            {name_, ns, id.name});
  if (!rows) {
    return std::unexpected(Context(rows.error(), fmt::format("load table '{}'", qualified)));
  }
  if (rows->empty()) {
    return MakeError(ErrorKind::kNotFound, "catalog '{}' ({}): table '{}' does not exist", name_,
                     database(), qualified);
  }
  if (!rows->at(0).at(0)) {
    return MakeError(ErrorKind::kCorrupt,
                     "catalog '{}' ({}): table '{}' has a NULL metadata_location", name_,
                     database(), qualified);
  }
  return std::move(*rows->at(0)[0]);
}

Status SqlCatalog::SwapTable(const TableIdentifier& id, const std::string& expected,
                             const std::string& next) {
  K2_ASSIGN_OR_RETURN(std::string ns, ValidTable(id));
  const std::string qualified = Qualified(ns, id.name);
  K2_RETURN_IF_ERROR(ValidLocation(next, qualified));
  auto changed = store_->Execute(
      fmt::format("UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = "
                  "? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND "
                  "metadata_location = ? AND {}",
                  kTableFilter),
      {next, expected, name_, ns, id.name, expected});
  if (!changed) {
    return std::unexpected(Context(changed.error(), fmt::format("commit table '{}'", qualified)));
  }
  if (*changed == 1) return OkStatus();
  // Nothing changed: tell a vanished table from a lost race.
  auto current = LoadTable(id);
  if (!current) return std::unexpected(current.error());
  return MakeError(ErrorKind::kCommitConflict,
                   "catalog '{}' ({}): commit table '{}': metadata location is '{}', expected "
                   "'{}'",
                   name_, database(), qualified, *current, expected);
}

Status SqlCatalog::SwapTables(const std::vector<TableSwap>& swaps) {
  for (const TableSwap& swap : swaps) {
    K2_ASSIGN_OR_RETURN(std::string ns, ValidTable(swap.id));
    K2_RETURN_IF_ERROR(ValidLocation(swap.next, Qualified(ns, swap.id.name)));
  }
  return store_->InTransaction([&]() -> Status {
    for (const TableSwap& swap : swaps) {
      std::string ns = NamespaceToString(swap.id.ns);
      const std::string qualified = Qualified(ns, swap.id.name);
      auto changed = store_->Execute(
          fmt::format(
              "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = "
              "? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND "
              "metadata_location = ? AND {}",
              kTableFilter),
          {swap.next, swap.expected, name_, ns, swap.id.name, swap.expected});
      if (!changed) {
        return std::unexpected(
            Context(changed.error(), fmt::format("commit table '{}'", qualified)));
      }
      if (*changed != 1) {
        return MakeError(ErrorKind::kCommitConflict,
                         "catalog '{}': commit table '{}': metadata location is not '{}'", name_,
                         qualified, swap.expected);
      }
    }
    return OkStatus();
  });
}

Status SqlCatalog::RenameTable(const TableIdentifier& from, const TableIdentifier& to) {
  K2_ASSIGN_OR_RETURN(std::string from_ns, ValidTable(from));
  K2_ASSIGN_OR_RETURN(std::string to_ns, ValidTable(to));
  const std::string from_name = Qualified(from_ns, from.name);
  const std::string to_name = Qualified(to_ns, to.name);
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(bool exists, NamespaceExists(to_ns));
    if (!exists) return MakeError(ErrorKind::kNotFound, "namespace '{}' does not exist", to_ns);
    auto changed = store_->Execute(
        fmt::format("UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE "
                    "catalog_name = ? AND table_namespace = ? AND table_name = ? AND {}",
                    kTableFilter),
        {to_ns, to.name, name_, from_ns, from.name});
    if (!changed && changed.error().kind == ErrorKind::kAlreadyExists) {
      return MakeError(ErrorKind::kAlreadyExists, "table '{}' already exists", to_name);
    }
    K2_RETURN_IF_ERROR(changed);
    if (*changed == 0) {
      return MakeError(ErrorKind::kNotFound, "table '{}' does not exist", from_name);
    }
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(
        Context(status.error(), fmt::format("rename table '{}' to '{}'", from_name, to_name)));
  }
  return OkStatus();
}

Result<std::string> SqlCatalog::DropTable(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(std::string ns, ValidTable(id));
  const std::string qualified = Qualified(ns, id.name);
  std::string location;
  Status status = store_->InTransaction([&]() -> Status {
    K2_ASSIGN_OR_RETURN(auto rows, store_->Query(fmt::format("SELECT metadata_location FROM "
                                                             "iceberg_tables WHERE catalog_name "
                                                             "= ? AND table_namespace = ? AND "
                                                             "table_name = ? AND {}",
                                                             kTableFilter),
                                                 {name_, ns, id.name}));
    if (rows.empty()) {
      return MakeError(ErrorKind::kNotFound, "table '{}' does not exist", qualified);
    }
    location = rows[0].at(0).value_or("");
    K2_RETURN_IF_ERROR(store_->Execute(fmt::format("DELETE FROM iceberg_tables WHERE "
                                                   "catalog_name = ? AND table_namespace = ? AND "
                                                   "table_name = ? AND {}",
                                                   kTableFilter),
                                       {name_, ns, id.name}));
    return OkStatus();
  });
  if (!status) {
    return std::unexpected(Context(status.error(), fmt::format("drop table '{}'", qualified)));
  }
  return location;
}

}  // namespace k2::sql
