#pragma once
/// RestCatalog: the Catalog on an Iceberg REST catalog server (k2's own
/// `k2 serve`, Polaris, Lakekeeper, Gravitino, Nessie, ...).
///
/// Open() reads GET /v1/config?warehouse=W and merges its properties:
/// server defaults, then the client's, then server overrides (the server's
/// `prefix` wins; `endpoints` and `idempotency-key-lifetime` are kept).
/// Authentication: a static bearer token, or OAuth2 client credentials
/// ("id:secret") exchanged at the token endpoint and refreshed before expiry
/// and after a 401/419. Secrets never appear in logs or error messages.
///
/// A table's metadata comes with the server's answer (LoadTableMetadata):
/// parsed once, kept per table with the answer's ETag, and sent back as
/// If-None-Match, so loading a table that has not moved costs a 304 and no
/// parsing. Commits go to the server as requirements + updates
/// (CommitMetadata, computed by iceberg::DiffMetadata); the server writes the
/// metadata file and answers with it (no re-read): 409 is
/// kCommitConflict (the table's commit loop refreshes and retries); 5xx,
/// timeouts and dropped connections are kCommitStateUnknown after the same
/// request (same Idempotency-Key, when the server advertises keys) was retried.
/// Table::Create's first metadata file is registered (POST .../register).
///
/// Thread-safe: calls may come from many threads. Connections are kept alive
/// and reused: a request takes an idle one to its server (or opens one) and
/// gives it back after a complete answer.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "iceberg/catalog.h"

namespace httplib {
class Client;
}

namespace k2::rest {

struct RestCatalogOptions {
  std::string name = "k2";  ///< the catalog's name in k2 (not sent)
  /// Base URI before /v1, e.g. http://127.0.0.1:9464/iceberg.
  std::string uri;
  std::string warehouse;          ///< sent as ?warehouse= to /v1/config
  std::string prefix;             ///< path prefix; the server's config may override it
  std::string token;              ///< static bearer token (secret)
  std::string credential;         ///< OAuth2 client_id:client_secret (secret)
  std::string oauth2_server_uri;  ///< token endpoint; default <uri>/v1/oauth/tokens
  std::string scope = "catalog";
  std::map<std::string, std::string> headers;  ///< extra headers on every request
  int connect_timeout_s = 10;
  int request_timeout_s = 60;
  /// Retries of a request that got no answer or a 5xx (same Idempotency-Key).
  int retries = 2;
  /// Receives storage settings the server vends (asked for with
  /// X-Iceberg-Access-Delegation: vended-credentials): a table's location and
  /// its LoadTableResult `config`, each `storage-credentials` entry's prefix
  /// and config, and "" with /v1/config's overrides when they carry S3 keys.
  /// Called on every load that returns them (refresh). Null: not asked for.
  std::function<void(const std::string& prefix, const std::map<std::string, std::string>& config)>
      on_storage_config;
};

/// One HTTP exchange's outcome.
struct RestReply {
  int status = 0;
  nlohmann::json body;  ///< parsed JSON (null when empty or not JSON)
  std::string text;
  std::string etag;  ///< the ETag header, if any
};

class RestCatalog final : public Catalog {
 public:
  /// Connects: authenticates when configured and reads /v1/config.
  /// kInvalidInput for a bad URI or credential format; kRemote/kIo when the
  /// server cannot be reached or refuses.
  static Result<std::unique_ptr<RestCatalog>> Open(RestCatalogOptions options);
  ~RestCatalog() override;

  const std::string& name() const override { return options_.name; }

  Status CreateNamespace(const Namespace& ns,
                         const std::map<std::string, std::string>& properties) override;
  Result<std::vector<Namespace>> ListNamespaces(const Namespace& parent) override;
  Result<std::map<std::string, std::string>> LoadNamespaceProperties(const Namespace& ns) override;
  Status UpdateNamespaceProperties(const Namespace& ns,
                                   const std::map<std::string, std::string>& set,
                                   const std::vector<std::string>& remove) override;
  Status DropNamespace(const Namespace& ns) override;
  Result<std::vector<TableIdentifier>> ListTables(const Namespace& ns) override;
  /// Registers the metadata file (POST /namespaces/{ns}/register).
  Status CreateTable(const TableIdentifier& id, const std::string& metadata_location) override;
  Result<std::string> LoadTable(const TableIdentifier& id) override;
  /// The LoadTableResult's location and metadata (snapshots=all); a 304 to
  /// the ETag of the table's last answer returns that answer's metadata.
  /// kNotFound for a missing table; kRemote for an answer without metadata
  /// or with metadata k2 cannot read.
  Result<LoadedMetadata> LoadTableMetadata(const TableIdentifier& id) override;
  /// kUnsupported: commits go through CommitMetadata.
  Status SwapTable(const TableIdentifier& id, const std::string& expected,
                   const std::string& next) override;
  bool WritesMetadata() const override { return true; }
  Result<LoadedMetadata> CommitMetadata(const TableIdentifier& id,
                                        const iceberg::TableMetadata& base,
                                        const std::string& base_location,
                                        const iceberg::TableMetadata& next) override;
  Status RenameTable(const TableIdentifier& from, const TableIdentifier& to) override;
  Result<std::string> DropTable(const TableIdentifier& id) override;

  /// The merged catalog properties (defaults < client < overrides).
  const std::map<std::string, std::string>& properties() const { return properties_; }
  /// The "config" of the table's last LoadTableResult (vended storage
  /// credentials for FileIO); empty if none.
  std::map<std::string, std::string> TableConfig(const TableIdentifier& id) const;

 private:
  explicit RestCatalog(RestCatalogOptions options);

  Status LoadConfig();
  /// The Authorization header value, fetching or refreshing a token if needed.
  Result<std::string> Authorization(bool force_refresh);
  /// Sends a request under /v1/{prefix}; retries a 401/419 once with a fresh
  /// token, and no-answer/5xx up to `retries` times when `idempotent`.
  Result<RestReply> Call(const std::string& method, const std::string& path,
                         const nlohmann::json* body, bool idempotent,
                         std::map<std::string, std::string> headers = {});
  /// One exchange on a kept-alive connection to the URL's origin.
  Result<RestReply> Send(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type,
                         const std::map<std::string, std::string>& headers);
  /// An idle connection to `origin`, or a new one.
  std::unique_ptr<httplib::Client> TakeConnection(const std::string& origin);
  /// Keeps `client` for the next request to `origin`.
  void ReturnConnection(const std::string& origin, std::unique_ptr<httplib::Client> client);
  std::string TablePath(const TableIdentifier& id) const;
  struct CachedTable;
  /// The location, metadata and config of a LoadTableResult (or of a
  /// CommitTableResponse, without config). kRemote names what is missing.
  Result<CachedTable> ParseLoadResult(const RestReply& reply, const std::string& what) const;
  std::string NamespacePath(const Namespace& ns) const;
  Error ReplyError(const RestReply& reply, const std::string& what, ErrorKind conflict_kind) const;

  RestCatalogOptions options_;
  std::map<std::string, std::string> properties_;
  std::string prefix_path_;  ///< "/v1" or "/v1/<prefix>"
  bool idempotency_ = false;

  /// A table's last LoadTableResult.
  struct CachedTable {
    std::string etag;
    LoadedMetadata loaded;
    std::map<std::string, std::string> config;
    /// `storage-credentials`: prefix -> config.
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> credentials;
  };
  /// Hands a load's vended storage settings to options_.on_storage_config.
  void VendStorage(const CachedTable& table) const;

  mutable std::mutex mu_;
  std::string access_token_;
  std::chrono::steady_clock::time_point token_expires_;
  std::map<TableIdentifier, CachedTable> tables_;

  std::mutex pool_mu_;
  std::map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_;
};

}  // namespace k2::rest
