#pragma once
/// The Iceberg REST catalog protocol served over any k2 Catalog (in `k2 serve`:
/// the SQL catalog), so Spark, Trino, ClickHouse, pyiceberg and iceberg-js
/// reach k2's tables through one endpoint:
///
///   GET  /v1/config                              defaults, overrides, endpoints
///   POST /v1/oauth/tokens                        client credentials -> bearer token
///   GET|POST /v1/namespaces                      list (parent, pageToken, pageSize) | create
///   GET|HEAD|DELETE /v1/namespaces/{ns}          load | exists | drop (409 if not empty)
///   POST /v1/namespaces/{ns}/properties          set and remove properties
///   GET|POST /v1/namespaces/{ns}/tables          list (paged) | create (stage-create too)
///   POST /v1/namespaces/{ns}/register            register a metadata file
///   GET|HEAD|POST|DELETE /v1/namespaces/{ns}/tables/{t}
///                                                load (snapshots=refs, ETag/304) | exists |
///                                                commit | drop (purgeRequested)
///   POST /v1/namespaces/{ns}/tables/{t}/metrics  accepted (204)
///   POST /v1/tables/rename                       rename
///   POST /v1/transactions/commit                 several tables, atomically
///
/// A commit checks the requirements against the current metadata, applies the
/// updates (iceberg/table_update.h), writes the next metadata file through
/// FileIO and swaps the catalog pointer (compare-and-swap); losing the swap to
/// another writer re-runs the check on the new metadata. Errors are the spec's
/// ErrorModel: {"error": {"message", "type", "code"}}. Requests carrying an
/// Idempotency-Key get the stored answer of their first execution.
///
/// Namespace levels and table names are 1..255 bytes without '.', '/', '\',
/// control characters, and are not "." or ".."; table locations must lie under
/// the warehouse. Thread-safe: the HTTP server calls Handle from many threads.

#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "catalog/rest_server/rest_message.h"
#include "catalog/rest_server/token_authority.h"
#include "iceberg/catalog.h"
#include "iceberg/table_metadata.h"
#include "io/file_io.h"

namespace k2::rest {

struct RestServerOptions {
  /// Base location of new tables: <warehouse>/<namespace>/<table>.
  std::string warehouse;
  AuthOptions auth;
  /// Larger request bodies get 413.
  size_t max_body_bytes = 16u << 20;
  /// How long Idempotency-Key answers are kept (advertised in /v1/config).
  int64_t idempotency_lifetime_s = 1800;
  /// Table config sent with every LoadTableResult (e.g. vended credentials).
  std::map<std::string, std::string> table_config;
  /// Vended credentials (s3.access-key-id, s3.secret-access-key, ...): added
  /// to table loads, creates and registrations and to /v1/config overrides
  /// when the request asks (X-Iceberg-Access-Delegation: vended-credentials)
  /// and its token is read-write, or any token with vend_to_read_only.
  std::map<std::string, std::string> vended_config;
  bool vend_to_read_only = false;
  /// Fault injection for crash tests (`k2 serve` reads K2_TEST_REST_CRASH:
  /// "after-write" or "after-swap", optionally ":N" for the N-th commit): the
  /// process ends at once (std::_Exit(86)) at that point of a table commit,
  /// after its metadata file is written and before the pointer swap, or after
  /// the swap and before the answer. Empty: never.
  std::string crash_point;
  int crash_on_commit = 1;
};

class RestCatalogServer {
 public:
  /// `catalog` and `io` must outlive the server.
  RestCatalogServer(Catalog& catalog, FileIO& io, RestServerOptions options);

  /// Answers one request. Never throws for bad input: malformed JSON, wrong
  /// types and bad names are 400s.
  RestResponse Handle(const RestRequest& request);

  const RestServerOptions& options() const { return options_; }

 private:
  struct PreparedCommit;

  RestResponse Dispatch(const RestRequest& req, Access access);
  RestResponse Config(const RestRequest& req);
  RestResponse Tokens(const RestRequest& req);
  RestResponse ListNamespaces(const RestRequest& req);
  RestResponse CreateNamespace(const RestRequest& req);
  RestResponse LoadNamespace(const Namespace& ns, bool head);
  RestResponse DropNamespace(const Namespace& ns);
  RestResponse UpdateNamespaceProperties(const Namespace& ns, const RestRequest& req);
  RestResponse ListTables(const Namespace& ns, const RestRequest& req);
  RestResponse CreateTable(const Namespace& ns, const RestRequest& req);
  RestResponse RegisterTable(const Namespace& ns, const RestRequest& req);
  RestResponse LoadTable(const TableIdentifier& id, const RestRequest& req, bool head);
  RestResponse CommitTable(const TableIdentifier& id, const RestRequest& req);
  RestResponse DropTable(const TableIdentifier& id, const RestRequest& req);
  RestResponse RenameTable(const RestRequest& req);
  RestResponse CommitTransaction(const RestRequest& req);

  /// A metadata file, parsed, and its JSON text (what answers embed).
  struct MetadataFile {
    std::shared_ptr<const iceberg::TableMetadata> metadata;
    std::shared_ptr<const std::string> json;
  };

  /// Loads, checks, applies and writes one table's commit (no swap yet).
  Result<PreparedCommit> Prepare(const TableIdentifier& id, const nlohmann::json& change);
  /// Ends the process if options_.crash_point is `point` and this is the
  /// commit it names.
  void MaybeCrash(std::string_view point) const;
  /// Prepare + swap, retrying a lost swap; returns the committed metadata.
  Result<PreparedCommit> CommitOne(const TableIdentifier& id, const nlohmann::json& change);
  /// A metadata file, cached by its location: files are written once and never
  /// change, and every request reads the table's pointer from the catalog
  /// first, so another writer's swap is never missed. The files this server
  /// writes enter the cache as written (no re-read, no re-parse).
  Result<MetadataFile> ReadMetadata(const std::string& location);
  void CacheMetadata(const std::string& location, MetadataFile file);
  /// The answer to a commit (CommitTableResponse), built around the file's text.
  RestResponse CommitAnswer(const std::string& location, const MetadataFile& file) const;
  Status CheckLocation(const std::string& location) const;
  /// The `config` of a LoadTableResult answering `req`: table_config, plus
  /// vended_config when the request asks for it and may have it.
  nlohmann::json TableConfig(const RestRequest& req);
  bool Vends(const RestRequest& req);
  Status PurgeTable(const iceberg::TableMetadata& m);

  Catalog& catalog_;
  FileIO& io_;
  RestServerOptions options_;
  TokenAuthority auth_;
  /// Serializes this server's commits (the catalog's compare-and-swap still
  /// guards against other writers).
  std::mutex commit_mu_;
  int commits_prepared_ = 0;  ///< under commit_mu_ (crash_on_commit)

  std::mutex cache_mu_;
  std::map<std::string, MetadataFile> metadata_cache_;
  std::list<std::string> cache_order_;

  /// A stored answer to an Idempotency-Key. A commit's answer is kept as its
  /// metadata location (empty body) and rebuilt from the file when replayed:
  /// the body is the whole table metadata.
  struct StoredAnswer {
    std::string fingerprint;
    RestResponse response;
    std::string commit_location;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex idempotency_mu_;
  std::map<std::string, StoredAnswer> answers_;
  /// Keys in the order they expire (one lifetime for all).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> answer_order_;
};

}  // namespace k2::rest
