#pragma once
/// Tests that run on both kinds of catalog: the SQL catalog directly, or k2's
/// REST catalog server on loopback (over a SQL catalog in the same database)
/// reached through k2's REST client. Header-only: it needs the catalog stage,
/// which the support library does not link.

#include <memory>
#include <string>

#include "catalog/catalog_factory.h"
#include "catalog/rest/rest_catalog.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "catalog/rest_server/rest_http_listener.h"
#include "io/file_io.h"

namespace k2::testing {

/// The parameter values of catalog-kind tests.
inline const std::vector<std::string>& CatalogKinds() {
  static const std::vector<std::string> kinds = {"sql", "rest"};
  return kinds;
}

/// A catalog for a test, and for "rest" the server behind it (stopped on destruction).
class TestCatalog {
 public:
  /// `kind` is "sql" or "rest"; `database` the SQL catalog's database (the
  /// server's for "rest"); `warehouse` the base of table locations.
  static Result<std::unique_ptr<TestCatalog>> Open(const std::string& kind,
                                                   const std::string& database,
                                                   const std::string& warehouse) {
    auto t = std::unique_ptr<TestCatalog>(new TestCatalog());
    K2_ASSIGN_OR_RETURN(t->backing_, OpenSqlCatalog(database, "k2"));
    if (kind == "sql") return t;
    t->io_ = NewLocalFileIO();
    rest::RestServerOptions options;
    options.warehouse = warehouse;
    t->server_ = std::make_unique<rest::RestCatalogServer>(*t->backing_, *t->io_, options);
    rest::RestCatalogServer* server = t->server_.get();
    t->listener_ = std::make_unique<rest::RestCatalogListener>(
        [server](const rest::RestRequest& r) { return server->Handle(r); }, 64u << 20);
    K2_RETURN_IF_ERROR(t->listener_->Start("127.0.0.1", 0));
    rest::RestCatalogOptions client;
    client.uri = "http://127.0.0.1:" + std::to_string(t->listener_->port()) + "/iceberg";
    t->rest_uri_ = client.uri;
    K2_ASSIGN_OR_RETURN(t->client_, rest::RestCatalog::Open(client));
    return t;
  }

  ~TestCatalog() {
    client_.reset();
    if (listener_) listener_->Stop();
  }

  /// The catalog the code under test uses.
  Catalog& catalog() { return client_ ? *client_ : *backing_; }
  /// The SQL catalog underneath (the same as catalog() for "sql").
  Catalog& backing() { return *backing_; }
  /// For "rest": the server's base URI, before /v1 (empty for "sql").
  const std::string& rest_uri() const { return rest_uri_; }

 private:
  TestCatalog() = default;
  std::unique_ptr<Catalog> backing_;
  std::unique_ptr<FileIO> io_;
  std::unique_ptr<rest::RestCatalogServer> server_;
  std::unique_ptr<rest::RestCatalogListener> listener_;
  std::unique_ptr<Catalog> client_;
  std::string rest_uri_;
};

}  // namespace k2::testing
