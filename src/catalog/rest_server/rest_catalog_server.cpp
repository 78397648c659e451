// The REST catalog server: request dispatch (auth, Idempotency-Key answers,
// routing), /v1/config and /v1/oauth/tokens. The other route groups live
// in rest_namespaces.cpp, rest_tables.cpp and rest_commits.cpp (one file per
// group, as the header's route list groups them); their shared wire shapes
// in rest_server_protocol.h.
#include "catalog/rest_server/rest_catalog_server.h"

#include <set>

#include "catalog/rest_server/rest_server_protocol.h"

namespace k2::rest {

namespace {

constexpr size_t kMaxStoredAnswers = 10000;

const std::vector<std::string> kEndpoints = {
    "GET /v1/{prefix}/namespaces",
    "POST /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "DELETE /v1/{prefix}/namespaces/{namespace}",
    "POST /v1/{prefix}/namespaces/{namespace}/properties",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/tables",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/register",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
    "POST /v1/{prefix}/tables/rename",
    "POST /v1/{prefix}/transactions/commit",
};

}  // namespace

RestCatalogServer::RestCatalogServer(Catalog& catalog, FileIO& io, RestServerOptions options)
    : catalog_(catalog), io_(io), options_(std::move(options)), auth_(options_.auth) {
  while (options_.warehouse.size() > 1 && options_.warehouse.back() == '/') {
    options_.warehouse.pop_back();
  }
}

RestResponse RestCatalogServer::Handle(const RestRequest& req) {
  if (req.body.size() > options_.max_body_bytes) {
    return ErrorResponse(413, "BadRequestException", "request body too large");
  }
  const bool token_request = req.path == "/v1/oauth/tokens";
  Access access = Access::kReadWrite;
  if (!token_request) {
    access = auth_.Check(req.Header("authorization"));
    if (access == Access::kNone) {
      RestResponse r =
          ErrorResponse(401, "NotAuthorizedException", "missing, unknown or expired bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  const bool mutation = req.method == "POST" || req.method == "DELETE";
  const bool metrics = req.path.ends_with("/metrics");
  if (mutation && !token_request && !metrics && access != Access::kReadWrite) {
    return ErrorResponse(403, "ForbiddenException", "this token may only read");
  }
  std::string key = mutation ? req.Header("idempotency-key") : std::string();
  const std::string fingerprint =
      key.empty() ? std::string() : req.method + " " + req.path + " " + req.body;
  if (!key.empty()) {
    std::unique_lock lock(idempotency_mu_);
    auto now = std::chrono::steady_clock::now();
    while (!answer_order_.empty() && answer_order_.front().first <= now) {
      auto it = answers_.find(answer_order_.front().second);
      if (it != answers_.end() && it->second.expires <= now) answers_.erase(it);
      answer_order_.pop_front();
    }
    if (auto it = answers_.find(key); it != answers_.end()) {
      if (it->second.fingerprint != fingerprint) {
        return ErrorResponse(422, "UnprocessableEntityException",
                             "Idempotency-Key was used for a different request");
      }
      if (it->second.commit_location.empty()) return it->second.response;
      std::string location = it->second.commit_location;
      lock.unlock();
      auto file = ReadMetadata(location);
      if (!file) return FromError(file.error());
      return CommitAnswer(location, *file);
    }
  }
  RestResponse response;
  try {
    response = Dispatch(req, access);
  } catch (const Json::exception& e) {
    response = BadRequest(fmt::format("malformed request: {}", e.what()));
  }
  // Only final answers are stored: successes and terminal client errors.
  static const std::set<int> kRetryable = {401, 403, 408, 409, 425, 429};
  if (!key.empty() && response.status < 500 && !kRetryable.count(response.status)) {
    std::lock_guard lock(idempotency_mu_);
    if (answers_.size() < kMaxStoredAnswers) {
      auto expires =
          std::chrono::steady_clock::now() + std::chrono::seconds(options_.idempotency_lifetime_s);
      StoredAnswer stored{fingerprint, {}, response.commit_location, expires};
      stored.response.status = response.status;
      stored.response.headers = response.headers;
      stored.response.content_type = response.content_type;
      if (stored.commit_location.empty()) stored.response.body = response.body;
      answers_[key] = std::move(stored);
      answer_order_.emplace_back(expires, key);
    }
  }
  return response;
}

RestResponse RestCatalogServer::Dispatch(const RestRequest& req, Access access) {
  if (!req.path.starts_with("/v1/")) return ErrorResponse(404, "NotFoundException", "no route");
  std::vector<std::string_view> seg;
  std::string_view rest = std::string_view(req.path).substr(4);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    seg.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  auto not_allowed = [] {
    return ErrorResponse(405, "BadRequestException", "method not allowed on this path");
  };
  if (seg.size() == 1 && seg[0] == "config") return get ? Config(req) : not_allowed();
  if (seg.size() == 2 && seg[0] == "oauth" && seg[1] == "tokens") {
    return m == "POST" ? Tokens(req) : not_allowed();
  }
  if (seg.size() == 2 && seg[0] == "tables" && seg[1] == "rename") {
    return m == "POST" ? RenameTable(req) : not_allowed();
  }
  if (seg.size() == 2 && seg[0] == "transactions" && seg[1] == "commit") {
    return m == "POST" ? CommitTransaction(req) : not_allowed();
  }
  if (seg.empty() || seg[0] != "namespaces") {
    return ErrorResponse(404, "NotFoundException", "no route");
  }
  if (seg.size() == 1) {
    if (get) return ListNamespaces(req);
    return m == "POST" ? CreateNamespace(req) : not_allowed();
  }
  auto ns = ParseNamespaceParam(seg[1]);
  if (!ns) return FromError(ns.error());
  if (seg.size() == 2) {
    if (get) return LoadNamespace(*ns, m == "HEAD");
    return m == "DELETE" ? DropNamespace(*ns) : not_allowed();
  }
  if (seg.size() == 3 && seg[2] == "properties") {
    return m == "POST" ? UpdateNamespaceProperties(*ns, req) : not_allowed();
  }
  if (seg.size() == 3 && seg[2] == "register") {
    return m == "POST" ? RegisterTable(*ns, req) : not_allowed();
  }
  if (seg.size() < 3 || seg[2] != "tables" || seg.size() > 5) {
    return ErrorResponse(404, "NotFoundException", "no route");
  }
  if (seg.size() == 3) {
    if (get) return ListTables(*ns, req);
    return m == "POST" ? CreateTable(*ns, req) : not_allowed();
  }
  TableIdentifier id{*ns, ""};
  if (!PercentDecode(seg[3], id.name)) return BadRequest("malformed percent-encoding in table");
  if (auto st = ValidName(id.name, "table"); !st) return FromError(st.error());
  if (seg.size() == 5) {
    if (seg[4] != "metrics") return ErrorResponse(404, "NotFoundException", "no route");
    if (m != "POST") return not_allowed();
    auto body = ParseBody(req);
    if (!body) return FromError(body.error());
    return NoContent();
  }
  if (get) return LoadTable(id, req, m == "HEAD");
  if (m == "POST") return CommitTable(id, req);
  if (m == "DELETE") return DropTable(id, req);
  return not_allowed();
}

RestResponse RestCatalogServer::Config(const RestRequest& req) {
  Json defaults = Json::object();
  if (!options_.warehouse.empty()) defaults["warehouse"] = options_.warehouse;
  Json overrides = Json::object();
  if (Vends(req)) {
    for (const auto& [k, v] : options_.vended_config) overrides[k] = v;
  }
  Json body = {{"defaults", defaults},
               {"overrides", overrides},
               {"endpoints", kEndpoints},
               {"idempotency-key-lifetime", fmt::format("PT{}S", options_.idempotency_lifetime_s)}};
  return JsonResponse(200, body);
}

bool RestCatalogServer::Vends(const RestRequest& req) {
  if (options_.vended_config.empty()) return false;
  if (req.Header("x-iceberg-access-delegation").find("vended-credentials") == std::string::npos) {
    return false;
  }
  Access access = auth_.Check(req.Header("authorization"));
  return access == Access::kReadWrite ||
         (access == Access::kReadOnly && options_.vend_to_read_only);
}

Json RestCatalogServer::TableConfig(const RestRequest& req) {
  Json config = options_.table_config;
  if (Vends(req)) {
    for (const auto& [k, v] : options_.vended_config) config[k] = v;
  }
  return config;
}

RestResponse RestCatalogServer::Tokens(const RestRequest& req) {
  auto form = ParseForm(req.body);
  auto oauth_error = [](int status, std::string_view error, std::string_view description) {
    return JsonResponse(status, {{"error", error}, {"error_description", description}});
  };
  if (form["grant_type"] != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported");
  }
  std::string id = form["client_id"], secret = form["client_secret"];
  // RFC 6749 2.3.1: credentials may come as HTTP Basic auth instead.
  std::string basic = req.Header("authorization");
  if (id.empty() && basic.starts_with("Basic ")) {
    std::string decoded;
    static const std::string kB64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int val = 0, bits = -8;
    for (char c : basic.substr(6)) {
      size_t pos = kB64.find(c);
      if (pos == std::string::npos) break;
      val = (val << 6) + static_cast<int>(pos);
      bits += 6;
      if (bits >= 0) {
        decoded.push_back(static_cast<char>((val >> bits) & 0xFF));
        bits -= 8;
      }
    }
    size_t colon = decoded.find(':');
    if (colon != std::string::npos) {
      PercentDecode(decoded.substr(0, colon), id);
      PercentDecode(decoded.substr(colon + 1), secret);
    }
  }
  auto token = auth_.Issue(id, secret, form["scope"]);
  if (!token) return oauth_error(401, "invalid_client", token.error().message);
  return JsonResponse(200,
                      {{"access_token", token->access_token},
                       {"token_type", "bearer"},
                       {"expires_in", token->expires_in_s},
                       {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"}});
}

}  // namespace k2::rest
