#include "catalog/catalog_factory.h"

#include <spdlog/spdlog.h>

#include "catalog/rest/rest_catalog.h"
#include "catalog/sql/catalog_store.h"
#include "catalog/sql/sql_catalog.h"
#include "common/config.h"
#include "io/vended_file_io.h"

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

Result<std::unique_ptr<Catalog>> OpenCatalog(const Config& config) {
  const CatalogConfig& c = config.catalog;
  if (c.type == CatalogKind::kSql) return OpenSqlCatalog(c.uri, c.name);
  rest::RestCatalogOptions options;
  options.name = c.name;
  options.uri = c.uri;
  options.warehouse = c.warehouse;
  options.prefix = c.prefix;
  options.token = c.token;
  options.credential = c.credential;
  options.oauth2_server_uri = c.oauth2_server_uri;
  options.scope = c.scope;
  options.headers = c.headers;
  // Storage credentials the server vends are used for the files under the
  // prefix they were vended for (FileIOs from NewFileIOFor route by prefix).
  options.on_storage_config = [warehouse = config.warehouse](
                                  const std::string& prefix,
                                  const std::map<std::string, std::string>& storage) {
    if (Status st = VendedStorage::Global().Set(prefix, storage, warehouse); !st) {
      spdlog::warn("REST catalog: vended storage credentials not used: {}", st.error().message);
    }
  };
  K2_ASSIGN_OR_RETURN(auto catalog, rest::RestCatalog::Open(std::move(options)));
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace k2
