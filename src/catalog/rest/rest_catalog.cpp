#include "catalog/rest/rest_catalog.h"

#include <httplib.h>

#include <spdlog/spdlog.h>

#include <thread>

#include "catalog/rest_server/rest_message.h"
#include "common/json.h"
#include "iceberg/table.h"
#include "iceberg/update/metadata_diff.h"

namespace k2::rest {

using Json = nlohmann::json;

namespace {

/// The header that asks for vended credentials (Iceberg REST spec).
constexpr const char* kDelegationHeader = "X-Iceberg-Access-Delegation";

/// Idle connections kept per server.
constexpr size_t kMaxIdleConnections = 8;
/// Tables whose last LoadTableResult is kept (for If-None-Match).
constexpr size_t kMaxCachedTables = 256;

/// Splits "http://host:port/base" into "http://host:port" and "/base".
std::pair<std::string, std::string> SplitUri(const std::string& uri) {
  size_t scheme = uri.find("://");
  size_t slash = uri.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return {uri, ""};
  std::string path = uri.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return {uri.substr(0, slash), path};
}

std::string FormEncode(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

std::string MessageOf(const RestReply& reply) {
  if (reply.body.is_object() && reply.body.contains("error")) {
    const Json& e = reply.body["error"];
    if (e.is_object()) {
      return fmt::format("{}: {}", e.value("type", "error"), e.value("message", ""));
    }
    if (e.is_string()) {
      return fmt::format("{}: {}", e.get<std::string>(), reply.body.value("error_description", ""));
    }
  }
  return reply.text.substr(0, 200);
}

Result<std::map<std::string, std::string>> StringMap(const Json& j, std::string_view what) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;
  if (!j.is_object())
    return MakeError(ErrorKind::kRemote, "REST catalog: {} is not an object", what);
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace

Result<std::unique_ptr<RestCatalog>> RestCatalog::Open(RestCatalogOptions options) {
  if (!options.uri.starts_with("http://") && !options.uri.starts_with("https://")) {
    return MakeError(ErrorKind::kInvalidInput,
                     "catalog.uri '{}': a REST catalog URI starts with http:// or https://",
                     options.uri);
  }
  while (!options.uri.empty() && options.uri.back() == '/') options.uri.pop_back();
  if (options.uri.ends_with("/v1")) options.uri.resize(options.uri.size() - 3);
  if (!options.credential.empty() && options.credential.find(':') == std::string::npos) {
    return MakeError(ErrorKind::kInvalidInput,
                     "catalog.credential: expected client_id:client_secret");
  }
  if (options.oauth2_server_uri.empty())
    options.oauth2_server_uri = options.uri + "/v1/oauth/tokens";
  auto catalog = std::unique_ptr<RestCatalog>(new RestCatalog(std::move(options)));
  K2_RETURN_IF_ERROR(catalog->LoadConfig());
  return catalog;
}

RestCatalog::RestCatalog(RestCatalogOptions options) : options_(std::move(options)) {}

RestCatalog::~RestCatalog() = default;

std::unique_ptr<httplib::Client> RestCatalog::TakeConnection(const std::string& origin) {
  {
    std::lock_guard lock(pool_mu_);
    auto it = idle_.find(origin);
    if (it != idle_.end() && !it->second.empty()) {
      auto client = std::move(it->second.back());
      it->second.pop_back();
      return client;
    }
  }
  auto client = std::make_unique<httplib::Client>(origin);
  client->set_keep_alive(true);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle
  // holds the body back until the server's delayed ACK (40 ms).
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(options_.connect_timeout_s, 0);
  client->set_read_timeout(options_.request_timeout_s, 0);
  client->set_write_timeout(options_.request_timeout_s, 0);
  return client;
}

void RestCatalog::ReturnConnection(const std::string& origin,
                                   std::unique_ptr<httplib::Client> client) {
  std::lock_guard lock(pool_mu_);
  auto& idle = idle_[origin];
  if (idle.size() < kMaxIdleConnections) idle.push_back(std::move(client));
}

Result<RestReply> RestCatalog::Send(const std::string& method, const std::string& url,
                                    const std::string& body, const std::string& content_type,
                                    const std::map<std::string, std::string>& headers) {
  auto [origin, path] = SplitUri(url);
  // A kept connection the server has closed meanwhile is reopened by
  // cpp-httplib before sending (it checks the socket first).
  std::unique_ptr<httplib::Client> client = TakeConnection(origin);
  httplib::Headers h;
  for (const auto& [k, v] : options_.headers) h.emplace(k, v);
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::Result res = method == "GET"      ? client->Get(path, h)
                        : method == "HEAD"   ? client->Head(path, h)
                        : method == "DELETE" ? client->Delete(path, h, body, content_type)
                                             : client->Post(path, h, body, content_type);
  if (!res) {
    // Refused connections never reached the server; anything later might have.
    ErrorKind kind =
        res.error() == httplib::Error::Connection ? ErrorKind::kIo : ErrorKind::kCommitStateUnknown;
    return MakeError(kind, "REST catalog {}: {} {}: {}", origin, method, path,
                     httplib::to_string(res.error()));
  }
  RestReply reply;
  reply.status = res->status;
  reply.etag = res->get_header_value("ETag");
  // Not JSON, or nested too deep to copy safely: a reply without a body.
  auto parsed = ParseUntrustedJson(res->body, "REST catalog reply");
  reply.body = parsed ? std::move(*parsed) : Json();
  reply.text = std::move(res->body);
  ReturnConnection(origin, std::move(client));
  return reply;
}

Result<std::string> RestCatalog::Authorization(bool force_refresh) {
  if (!options_.token.empty() && options_.credential.empty()) return "Bearer " + options_.token;
  if (options_.credential.empty()) return std::string();
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!force_refresh && !access_token_.empty() && now < token_expires_) {
    return "Bearer " + access_token_;
  }
  size_t colon = options_.credential.find(':');
  std::map<std::string, std::string> form = {
      {"grant_type", "client_credentials"},
      {"client_id", options_.credential.substr(0, colon)},
      {"client_secret", options_.credential.substr(colon + 1)},
      {"scope", options_.scope}};
  K2_ASSIGN_OR_RETURN(RestReply reply, Send("POST", options_.oauth2_server_uri, FormEncode(form),
                                            "application/x-www-form-urlencoded", {}));
  if (reply.status != 200 || !reply.body.is_object() || !reply.body.contains("access_token")) {
    return MakeError(ErrorKind::kRemote, "REST catalog token endpoint {}: HTTP {}: {}",
                     options_.oauth2_server_uri, reply.status, MessageOf(reply));
  }
  access_token_ = reply.body["access_token"].get<std::string>();
  int64_t expires_in = reply.body.value("expires_in", int64_t{3600});
  // Refresh when 90% of the lifetime has passed.
  token_expires_ = now + std::chrono::milliseconds(expires_in * 900);
  return "Bearer " + access_token_;
}

Status RestCatalog::LoadConfig() {
  std::string url = options_.uri + "/v1/config";
  if (!options_.warehouse.empty()) url += "?warehouse=" + PercentEncode(options_.warehouse);
  K2_ASSIGN_OR_RETURN(std::string auth, Authorization(false));
  std::map<std::string, std::string> headers;
  if (!auth.empty()) headers["Authorization"] = auth;
  if (options_.on_storage_config) headers[kDelegationHeader] = "vended-credentials";
  K2_ASSIGN_OR_RETURN(RestReply reply, Send("GET", url, "", "", headers));
  if (reply.status != 200 || !reply.body.is_object()) {
    return MakeError(
        reply.status == 401 || reply.status == 403 ? ErrorKind::kInvalidInput : ErrorKind::kRemote,
        "REST catalog {}: GET /v1/config: HTTP {}: {}", options_.uri, reply.status,
        MessageOf(reply));
  }
  K2_ASSIGN_OR_RETURN(auto defaults, StringMap(reply.body.value("defaults", Json()), "defaults"));
  K2_ASSIGN_OR_RETURN(auto overrides,
                      StringMap(reply.body.value("overrides", Json()), "overrides"));
  properties_ = defaults;
  if (!options_.prefix.empty()) properties_["prefix"] = options_.prefix;
  if (!options_.warehouse.empty()) properties_["warehouse"] = options_.warehouse;
  for (const auto& [k, v] : overrides) properties_[k] = v;
  prefix_path_ = "/v1";
  if (auto it = properties_.find("prefix"); it != properties_.end() && !it->second.empty()) {
    prefix_path_ += "/" + it->second;
  }
  idempotency_ = reply.body.contains("idempotency-key-lifetime");
  if (options_.on_storage_config) options_.on_storage_config("", overrides);
  return OkStatus();
}

Result<RestReply> RestCatalog::Call(const std::string& method, const std::string& path,
                                    const Json* body, bool idempotent,
                                    std::map<std::string, std::string> headers) {
  const std::string url = options_.uri + prefix_path_ + path;
  const bool mutation = method == "POST" || method == "DELETE";
  if (mutation && idempotency_) headers["Idempotency-Key"] = iceberg::NewUuid();
  const std::string text = body ? body->dump() : std::string();
  const int attempts = 1 + ((idempotent || (mutation && idempotency_)) ? options_.retries : 0);
  bool refreshed = false;
  // Once an attempt may have reached the server (no answer, or a 5xx), the
  // request's outcome stays unknown, whatever later attempts meet (a server
  // that died refuses the retries' connections).
  bool maybe_applied = false;
  Result<RestReply> last = MakeError(ErrorKind::kInternal, "no request sent");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
    auto auth = Authorization(false);
    if (!auth) {
      last = std::unexpected(auth.error());
      break;
    }
    if (!auth->empty()) headers["Authorization"] = *auth;
    last = Send(method, url, text, "application/json", headers);
    if (last && (last->status == 401 || last->status == 419) && !options_.credential.empty() &&
        !refreshed) {
      refreshed = true;
      K2_ASSIGN_OR_RETURN(*auth, Authorization(true));
      headers["Authorization"] = *auth;
      last = Send(method, url, text, "application/json", headers);
    }
    bool transient = !last ? last.error().kind != ErrorKind::kInvalidInput : last->status >= 500;
    if (!transient) return last;
    maybe_applied = maybe_applied || (last ? last->status >= 500
                                           : last.error().kind == ErrorKind::kCommitStateUnknown);
  }
  if (!last && maybe_applied && last.error().kind != ErrorKind::kCommitStateUnknown) {
    return MakeError(ErrorKind::kCommitStateUnknown,
                     "{} (an earlier attempt may have been applied)", last.error().message);
  }
  return last;
}

Error RestCatalog::ReplyError(const RestReply& reply, const std::string& what,
                              ErrorKind conflict_kind) const {
  ErrorKind kind = ErrorKind::kRemote;
  switch (reply.status) {
    case 400:
    case 401:
    case 403:
    case 422:
      kind = ErrorKind::kInvalidInput;
      break;
    case 404:
      kind = ErrorKind::kNotFound;
      break;
    case 406:
      kind = ErrorKind::kUnsupported;
      break;
    case 409:
      kind = conflict_kind;
      break;
    default:
      break;
  }
  return Error{kind, fmt::format("REST catalog {}: {}: HTTP {}: {}", options_.uri, what,
                                 reply.status, MessageOf(reply))};
}

std::string RestCatalog::NamespacePath(const Namespace& ns) const {
  return "/namespaces/" + NamespaceParam(ns);
}

std::string RestCatalog::TablePath(const TableIdentifier& id) const {
  return NamespacePath(id.ns) + "/tables/" + PercentEncode(id.name);
}

Status RestCatalog::CreateNamespace(const Namespace& ns,
                                    const std::map<std::string, std::string>& properties) {
  Json body = {{"namespace", ns}, {"properties", properties}};
  K2_ASSIGN_OR_RETURN(RestReply r, Call("POST", "/namespaces", &body, false));
  if (r.status != 200) {
    return std::unexpected(
        ReplyError(r, "create namespace " + NamespaceToString(ns), ErrorKind::kAlreadyExists));
  }
  return OkStatus();
}

Result<std::vector<Namespace>> RestCatalog::ListNamespaces(const Namespace& parent) {
  std::vector<Namespace> out;
  std::string token;
  do {
    std::string path = "/namespaces?pageSize=1000";
    if (!parent.empty()) path += "&parent=" + NamespaceParam(parent);
    if (!token.empty()) path += "&pageToken=" + PercentEncode(token);
    K2_ASSIGN_OR_RETURN(RestReply r, Call("GET", path, nullptr, true));
    if (r.status != 200) {
      return std::unexpected(ReplyError(r, "list namespaces", ErrorKind::kRemote));
    }
    for (const Json& ns : r.body.value("namespaces", Json::array())) {
      out.push_back(ns.get<Namespace>());
    }
    token = r.body.value("next-page-token", Json()).is_string()
                ? r.body["next-page-token"].get<std::string>()
                : std::string();
  } while (!token.empty());
  return out;
}

Result<std::map<std::string, std::string>> RestCatalog::LoadNamespaceProperties(
    const Namespace& ns) {
  K2_ASSIGN_OR_RETURN(RestReply r, Call("GET", NamespacePath(ns), nullptr, true));
  if (r.status != 200) {
    return std::unexpected(
        ReplyError(r, "load namespace " + NamespaceToString(ns), ErrorKind::kRemote));
  }
  return StringMap(r.body.value("properties", Json()), "namespace properties");
}

Status RestCatalog::UpdateNamespaceProperties(const Namespace& ns,
                                              const std::map<std::string, std::string>& set,
                                              const std::vector<std::string>& remove) {
  Json body = {{"updates", set}, {"removals", remove}};
  K2_ASSIGN_OR_RETURN(RestReply r, Call("POST", NamespacePath(ns) + "/properties", &body, false));
  if (r.status != 200) {
    return std::unexpected(
        ReplyError(r, "update namespace " + NamespaceToString(ns), ErrorKind::kRemote));
  }
  return OkStatus();
}

Status RestCatalog::DropNamespace(const Namespace& ns) {
  K2_ASSIGN_OR_RETURN(RestReply r, Call("DELETE", NamespacePath(ns), nullptr, false));
  if (r.status != 204 && r.status != 200) {
    return std::unexpected(
        ReplyError(r, "drop namespace " + NamespaceToString(ns), ErrorKind::kInvalidInput));
  }
  return OkStatus();
}

Result<std::vector<TableIdentifier>> RestCatalog::ListTables(const Namespace& ns) {
  std::vector<TableIdentifier> out;
  std::string token;
  do {
    std::string path = NamespacePath(ns) + "/tables?pageSize=1000";
    if (!token.empty()) path += "&pageToken=" + PercentEncode(token);
    K2_ASSIGN_OR_RETURN(RestReply r, Call("GET", path, nullptr, true));
    if (r.status != 200) {
      return std::unexpected(
          ReplyError(r, "list tables of " + NamespaceToString(ns), ErrorKind::kRemote));
    }
    for (const Json& id : r.body.value("identifiers", Json::array())) {
      out.push_back({id.at("namespace").get<Namespace>(), id.at("name").get<std::string>()});
    }
    token = r.body.value("next-page-token", Json()).is_string()
                ? r.body["next-page-token"].get<std::string>()
                : std::string();
  } while (!token.empty());
  return out;
}

Status RestCatalog::CreateTable(const TableIdentifier& id, const std::string& metadata_location) {
  Json body = {{"name", id.name}, {"metadata-location", metadata_location}};
  std::map<std::string, std::string> headers;
  if (options_.on_storage_config) headers[kDelegationHeader] = "vended-credentials";
  K2_ASSIGN_OR_RETURN(RestReply r,
                      Call("POST", NamespacePath(id.ns) + "/register", &body, false, headers));
  if (r.status != 200) {
    return std::unexpected(
        ReplyError(r, "register table " + id.ToString(), ErrorKind::kAlreadyExists));
  }
  if (auto table = ParseLoadResult(r, "register table " + id.ToString())) VendStorage(*table);
  return OkStatus();
}

Result<std::string> RestCatalog::LoadTable(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(LoadedMetadata loaded, LoadTableMetadata(id));
  return std::move(loaded.location);
}

Result<LoadedMetadata> RestCatalog::LoadTableMetadata(const TableIdentifier& id) {
  const std::string what = "load table " + id.ToString();
  for (int attempt = 0;; ++attempt) {
    std::map<std::string, std::string> headers;
    if (options_.on_storage_config) headers[kDelegationHeader] = "vended-credentials";
    if (attempt == 0) {
      std::lock_guard lock(mu_);
      if (auto it = tables_.find(id); it != tables_.end())
        headers["If-None-Match"] = it->second.etag;
    }
    K2_ASSIGN_OR_RETURN(RestReply r,
                        Call("GET", TablePath(id) + "?snapshots=all", nullptr, true, headers));
    if (r.status == 304 && attempt == 0) {
      std::lock_guard lock(mu_);
      // Evicted meanwhile: ask again without the ETag.
      if (auto it = tables_.find(id); it != tables_.end()) return it->second.loaded;
      continue;
    }
    if (r.status != 200) return std::unexpected(ReplyError(r, what, ErrorKind::kRemote));
    K2_ASSIGN_OR_RETURN(CachedTable table, ParseLoadResult(r, what));
    VendStorage(table);
    table.etag = std::move(r.etag);
    LoadedMetadata loaded = table.loaded;
    std::lock_guard lock(mu_);
    if (table.etag.empty()) {
      tables_.erase(id);
    } else {
      if (tables_.size() >= kMaxCachedTables && !tables_.count(id)) tables_.erase(tables_.begin());
      tables_[id] = std::move(table);
    }
    return loaded;
  }
}

Result<RestCatalog::CachedTable> RestCatalog::ParseLoadResult(const RestReply& r,
                                                              const std::string& what) const {
  if (!r.body.is_object() || !r.body.contains("metadata-location") ||
      !r.body["metadata-location"].is_string() || !r.body.contains("metadata")) {
    return MakeError(ErrorKind::kRemote,
                     "REST catalog {}: {}: answer without metadata-location or metadata",
                     options_.uri, what);
  }
  CachedTable table;
  table.loaded.location = r.body["metadata-location"].get<std::string>();
  auto m = iceberg::TableMetadata::FromJsonObject(r.body["metadata"]);
  if (!m) {
    return MakeError(ErrorKind::kRemote, "REST catalog {}: {}: metadata of {}: {}", options_.uri,
                     what, table.loaded.location, m.error().message);
  }
  table.loaded.metadata = std::make_shared<const iceberg::TableMetadata>(std::move(*m));
  K2_ASSIGN_OR_RETURN(table.config, StringMap(r.body.value("config", Json()), "table config"));
  if (const Json& creds = r.body.value("storage-credentials", Json()); creds.is_array()) {
    for (const Json& c : creds) {
      if (!c.is_object() || !c.contains("prefix") || !c["prefix"].is_string()) continue;
      K2_ASSIGN_OR_RETURN(auto config, StringMap(c.value("config", Json()), "storage credential"));
      table.credentials.emplace_back(c["prefix"].get<std::string>(), std::move(config));
    }
  }
  return table;
}

void RestCatalog::VendStorage(const CachedTable& table) const {
  if (!options_.on_storage_config) return;
  if (!table.config.empty()) {
    options_.on_storage_config(table.loaded.metadata->location, table.config);
  }
  for (const auto& [prefix, config] : table.credentials) options_.on_storage_config(prefix, config);
}

std::map<std::string, std::string> RestCatalog::TableConfig(const TableIdentifier& id) const {
  std::lock_guard lock(mu_);
  auto it = tables_.find(id);
  return it == tables_.end() ? std::map<std::string, std::string>() : it->second.config;
}

Status RestCatalog::SwapTable(const TableIdentifier& id, const std::string&, const std::string&) {
  return MakeError(ErrorKind::kUnsupported,
                   "REST catalog: table {} is committed with requirements and updates, not by "
                   "swapping metadata files",
                   id.ToString());
}

Result<LoadedMetadata> RestCatalog::CommitMetadata(const TableIdentifier& id,
                                                   const iceberg::TableMetadata& base,
                                                   const std::string& base_location,
                                                   const iceberg::TableMetadata& next) {
  iceberg::TableCommit commit = iceberg::DiffMetadata(base, next);
  Json body = {{"identifier", {{"namespace", id.ns}, {"name", id.name}}},
               {"requirements", commit.requirements},
               {"updates", commit.updates}};
  auto r = Call("POST", TablePath(id), &body, false);
  if (!r) {
    // A refused connection never reached the server; anything else may have.
    if (r.error().kind == ErrorKind::kIo) return std::unexpected(r.error());
    return MakeError(ErrorKind::kCommitStateUnknown, "commit {}: {}", id.ToString(),
                     r.error().message);
  }
  if (r->status >= 500) {
    Error e = ReplyError(*r, "commit " + id.ToString(), ErrorKind::kCommitConflict);
    e.kind = ErrorKind::kCommitStateUnknown;
    return std::unexpected(e);
  }
  if (r->status != 200) {
    return std::unexpected(ReplyError(*r, "commit " + id.ToString(), ErrorKind::kCommitConflict));
  }
  (void)base_location;
  auto committed = ParseLoadResult(*r, "commit " + id.ToString());
  if (!committed) {
    // Applied, but the answer does not say as what: read the table back.
    return MakeError(ErrorKind::kCommitStateUnknown, "{}", committed.error().message);
  }
  return std::move(committed->loaded);
}

Status RestCatalog::RenameTable(const TableIdentifier& from, const TableIdentifier& to) {
  Json body = {{"source", {{"namespace", from.ns}, {"name", from.name}}},
               {"destination", {{"namespace", to.ns}, {"name", to.name}}}};
  K2_ASSIGN_OR_RETURN(RestReply r, Call("POST", "/tables/rename", &body, false));
  if (r.status != 204 && r.status != 200) {
    return std::unexpected(ReplyError(r, "rename table " + from.ToString() + " to " + to.ToString(),
                                      ErrorKind::kAlreadyExists));
  }
  return OkStatus();
}

Result<std::string> RestCatalog::DropTable(const TableIdentifier& id) {
  K2_ASSIGN_OR_RETURN(std::string location, LoadTable(id));
  K2_ASSIGN_OR_RETURN(RestReply r,
                      Call("DELETE", TablePath(id) + "?purgeRequested=false", nullptr, false));
  if (r.status != 204 && r.status != 200) {
    return std::unexpected(ReplyError(r, "drop table " + id.ToString(), ErrorKind::kRemote));
  }
  return location;
}

}  // namespace k2::rest
