#include "catalog/catalog_factory.h"

#include "catalog/sql/catalog_store.h"
#include "catalog/sql/sql_catalog.h"

namespace k2 {

Result<std::unique_ptr<Catalog>> OpenSqlCatalog(const std::string& uri_or_path,
                                                const std::string& catalog_name) {
  if (catalog_name.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "empty catalog name for catalog database '{}'",
                     sql::RedactUri(uri_or_path));
  }
  K2_ASSIGN_OR_RETURN(auto store, sql::OpenCatalogStore(uri_or_path));
  K2_ASSIGN_OR_RETURN(auto catalog, sql::SqlCatalog::Open(std::move(store), catalog_name));
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace k2
