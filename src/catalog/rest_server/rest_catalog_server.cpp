#include "catalog/rest_server/rest_catalog_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <set>

#include "common/json.h"
#include "iceberg/metadata_version.h"
#include "iceberg/table.h"
#include "iceberg/update/metadata_builder.h"
#include "iceberg/update/table_requirement.h"

namespace k2::rest {

using Json = nlohmann::json;
using iceberg::TableMetadata;

namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPageSize = 1000;
constexpr size_t kMetadataCacheEntries = 64;
constexpr size_t kMaxStoredAnswers = 10000;
constexpr int kCommitAttempts = 4;
constexpr char kNamespaceSeparator = '\x1f';

/// What a 404 is about: the spec names the missing thing in the error type.
enum class Subject { kNamespace, kTable, kOther };

RestResponse JsonResponse(int status, const Json& body) {
  RestResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

RestResponse NoContent() {
  RestResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

RestResponse ErrorResponse(int code, std::string_view type, std::string_view message) {
  return JsonResponse(code, {{"error", {{"message", message}, {"type", type}, {"code", code}}}});
}

RestResponse FromError(const Error& e, Subject subject = Subject::kOther) {
  switch (e.kind) {
    case ErrorKind::kInvalidInput:
      return ErrorResponse(400, "BadRequestException", e.message);
    case ErrorKind::kNotFound:
      return ErrorResponse(404,
                           subject == Subject::kNamespace ? "NoSuchNamespaceException"
                           : subject == Subject::kTable   ? "NoSuchTableException"
                                                          : "NotFoundException",
                           e.message);
    case ErrorKind::kAlreadyExists:
      return ErrorResponse(409, "AlreadyExistsException", e.message);
    case ErrorKind::kCommitConflict:
      return ErrorResponse(409, "CommitFailedException", e.message);
    case ErrorKind::kUnsupported:
      return ErrorResponse(406, "UnsupportedOperationException", e.message);
    case ErrorKind::kCommitStateUnknown:
      return ErrorResponse(500, "CommitStateUnknownException", e.message);
    case ErrorKind::kIo:
    case ErrorKind::kRemote:
    case ErrorKind::kTimeout:
    case ErrorKind::kCancelled:
      return ErrorResponse(503, "ServiceUnavailableException", e.message);
    default:
      return ErrorResponse(500, "InternalServerError", e.message);
  }
}

RestResponse BadRequest(std::string_view message) {
  return ErrorResponse(400, "BadRequestException", message);
}

Status ValidName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= kMaxNameBytes && name != "." && name != "..";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    ok = ok && u >= 0x20 && u != 0x7f && c != '.' && c != '/' && c != '\\';
  }
  if (!ok) {
    return MakeError(ErrorKind::kInvalidInput,
                     "{} name is empty, longer than {} bytes, or contains '.', '/', '\\' or a "
                     "control character",
                     what, kMaxNameBytes);
  }
  return OkStatus();
}

Result<Namespace> ParseNamespaceJson(const Json& j) {
  if (!j.is_array() || j.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "namespace must be a non-empty list of strings");
  }
  Namespace ns;
  for (const Json& level : j) {
    if (!level.is_string()) {
      return MakeError(ErrorKind::kInvalidInput, "namespace levels must be strings");
    }
    K2_RETURN_IF_ERROR(ValidName(level.get<std::string>(), "namespace level"));
    ns.push_back(level.get<std::string>());
  }
  return ns;
}

/// A namespace path parameter: levels joined by 0x1F, percent-encoded.
Result<Namespace> ParseNamespaceParam(std::string_view encoded) {
  std::string text;
  if (!PercentDecode(encoded, text)) {
    return MakeError(ErrorKind::kInvalidInput, "malformed percent-encoding in namespace");
  }
  Namespace ns;
  size_t begin = 0;
  for (;;) {
    size_t sep = text.find(kNamespaceSeparator, begin);
    std::string level = text.substr(begin, sep == std::string::npos ? sep : sep - begin);
    K2_RETURN_IF_ERROR(ValidName(level, "namespace level"));
    ns.push_back(std::move(level));
    if (sep == std::string::npos) break;
    begin = sep + 1;
  }
  return ns;
}

Result<TableIdentifier> ParseIdentifierJson(const Json& j) {
  if (!j.is_object() || !j.contains("namespace") || !j.contains("name") || !j["name"].is_string()) {
    return MakeError(ErrorKind::kInvalidInput, "table identifier needs namespace and name");
  }
  TableIdentifier id;
  K2_ASSIGN_OR_RETURN(id.ns, ParseNamespaceJson(j["namespace"]));
  id.name = j["name"].get<std::string>();
  K2_RETURN_IF_ERROR(ValidName(id.name, "table"));
  return id;
}

Json IdentifierJson(const TableIdentifier& id) {
  return {{"namespace", id.ns}, {"name", id.name}};
}

/// The body as a JSON object, nesting-limited: copying and dumping a value
/// recurse once per level, so a body of a million '[' would overflow the stack.
Result<Json> ParseBody(const RestRequest& req) {
  auto j = ParseUntrustedJson(req.body, "request body");
  if (!j) return MakeError(ErrorKind::kInvalidInput, "{}", j.error().message);
  if (!j->is_object()) {
    return MakeError(ErrorKind::kInvalidInput, "request body is not a JSON object");
  }
  return j;
}

/// Opaque page tokens: the hex of the last name returned.
std::string HexEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

Result<std::string> HexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return MakeError(ErrorKind::kInvalidInput, "malformed pageToken");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return MakeError(ErrorKind::kInvalidInput, "malformed pageToken");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

/// Pages `keys` (sorted) by the request's pageToken/pageSize. Without pageSize
/// everything after the token is returned.
Result<std::pair<size_t, size_t>> Page(const RestRequest& req, const std::vector<std::string>& keys,
                                       std::string& next_token) {
  size_t begin = 0;
  std::string token = req.Query("pageToken");
  if (!token.empty()) {
    K2_ASSIGN_OR_RETURN(std::string after, HexDecode(token));
    begin = std::upper_bound(keys.begin(), keys.end(), after) - keys.begin();
  }
  size_t size = keys.size();
  std::string size_text = req.Query("pageSize");
  if (!size_text.empty()) {
    size_t parsed = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), parsed);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || parsed == 0) {
      return MakeError(ErrorKind::kInvalidInput, "pageSize must be a positive integer");
    }
    size = std::min(parsed, kMaxPageSize);
  }
  size_t end = std::min(keys.size(), begin + size);
  next_token = end < keys.size() && end > begin ? HexEncode(keys[end - 1]) : std::string();
  return std::make_pair(begin, end);
}

std::string EtagOf(std::string_view location, std::string_view snapshots) {
  size_t h =
      std::hash<std::string_view>{}(location) ^ (std::hash<std::string_view>{}(snapshots) << 1);
  return fmt::format("\"{:016x}\"", h);
}

/// The metadata JSON of a LoadTableResult; with snapshots=refs only the
/// snapshots that refs point to.
Json MetadataJson(const TableMetadata& m, bool refs_only) {
  Json j = m.ToJsonObject();
  if (refs_only) {
    std::set<int64_t> keep;
    for (const auto& [name, ref] : m.refs) keep.insert(ref.snapshot_id);
    if (m.current_snapshot_id) keep.insert(*m.current_snapshot_id);
    Json snaps = Json::array();
    for (const Json& s : j["snapshots"]) {
      if (keep.count(s.value("snapshot-id", int64_t{0}))) snaps.push_back(s);
    }
    j["snapshots"] = std::move(snaps);
  }
  return j;
}

/// A LoadTableResult (or, without `config`, a CommitTableResponse) around
/// the metadata file's JSON text, which is embedded as it is: the metadata is
/// neither parsed nor serialized again.
RestResponse LoadAnswer(const std::string& location, const std::string& metadata_json,
                        const Json& config) {
  RestResponse r;
  r.body.reserve(metadata_json.size() + location.size() + 64);
  r.body += R"({"metadata-location":)";
  r.body += Json(location).dump();
  r.body += R"(,"metadata":)";
  r.body += metadata_json;
  if (!config.is_null()) {
    r.body += R"(,"config":)";
    r.body += config.dump();
  }
  r.body += '}';
  return r;
}

std::string JoinNamespace(const Namespace& ns) {
  return NamespaceToString(ns);
}

/// Splits "k=v&k2=v2" (application/x-www-form-urlencoded, '+' is a space).
std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t begin = 0;
  while (begin <= body.size()) {
    size_t amp = body.find('&', begin);
    std::string_view pair = body.substr(begin, amp == std::string_view::npos ? amp : amp - begin);
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    std::replace(key.begin(), key.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    std::string k, v;
    if (PercentDecode(key, k) && PercentDecode(value, v) && !k.empty()) out[k] = v;
    if (amp == std::string_view::npos) break;
    begin = amp + 1;
  }
  return out;
}

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

struct RestCatalogServer::PreparedCommit {
  TableIdentifier id;
  std::string base_location;  ///< "" for a table being created
  std::string new_location;
  MetadataFile file;  ///< as written to new_location
};

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

RestResponse RestCatalogServer::ListNamespaces(const RestRequest& req) {
  Namespace parent;
  if (std::string p = req.Query("parent"); !p.empty()) {
    auto parsed = ParseNamespaceParam(PercentEncode(p));
    if (!parsed) return FromError(parsed.error());
    parent = std::move(*parsed);
    auto props = catalog_.LoadNamespaceProperties(parent);
    if (!props) return FromError(props.error(), Subject::kNamespace);
  }
  auto list = catalog_.ListNamespaces(parent);
  if (!list) return FromError(list.error(), Subject::kNamespace);
  std::sort(list->begin(), list->end());
  std::vector<std::string> keys;
  for (const Namespace& ns : *list) keys.push_back(JoinNamespace(ns));
  std::string next;
  auto page = Page(req, keys, next);
  if (!page) return FromError(page.error());
  Json out = Json::array();
  for (size_t i = page->first; i < page->second; ++i) out.push_back((*list)[i]);
  Json body = {{"namespaces", out}};
  if (!next.empty()) body["next-page-token"] = next;
  return JsonResponse(200, body);
}

RestResponse RestCatalogServer::CreateNamespace(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("namespace")) return BadRequest("missing 'namespace'");
  auto ns = ParseNamespaceJson((*body)["namespace"]);
  if (!ns) return FromError(ns.error());
  std::map<std::string, std::string> props;
  if (body->contains("properties") && !(*body)["properties"].is_null()) {
    if (!(*body)["properties"].is_object()) return BadRequest("properties must be an object");
    for (const auto& [k, v] : (*body)["properties"].items()) {
      if (!v.is_string()) return BadRequest("property values must be strings");
      props[k] = v.get<std::string>();
    }
  }
  if (auto st = catalog_.CreateNamespace(*ns, props); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  return JsonResponse(200, {{"namespace", *ns}, {"properties", props}});
}

RestResponse RestCatalogServer::LoadNamespace(const Namespace& ns, bool head) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  if (head) return NoContent();
  return JsonResponse(200, {{"namespace", ns}, {"properties", *props}});
}

RestResponse RestCatalogServer::DropNamespace(const Namespace& ns) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  auto tables = catalog_.ListTables(ns);
  if (!tables) return FromError(tables.error(), Subject::kNamespace);
  auto children = catalog_.ListNamespaces(ns);
  if (!children) return FromError(children.error(), Subject::kNamespace);
  if (!tables->empty() || !children->empty()) {
    return ErrorResponse(409, "NamespaceNotEmptyException",
                         fmt::format("namespace '{}' is not empty", JoinNamespace(ns)));
  }
  if (auto st = catalog_.DropNamespace(ns); !st) return FromError(st.error(), Subject::kNamespace);
  return NoContent();
}

RestResponse RestCatalogServer::UpdateNamespaceProperties(const Namespace& ns,
                                                          const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
  if (body->contains("updates") && !(*body)["updates"].is_null()) {
    if (!(*body)["updates"].is_object()) return BadRequest("updates must be an object");
    for (const auto& [k, v] : (*body)["updates"].items()) {
      if (!v.is_string()) return BadRequest("property values must be strings");
      set[k] = v.get<std::string>();
    }
  }
  if (body->contains("removals") && !(*body)["removals"].is_null()) {
    if (!(*body)["removals"].is_array()) return BadRequest("removals must be a list");
    for (const Json& k : (*body)["removals"]) {
      if (!k.is_string()) return BadRequest("removals must be strings");
      if (set.count(k.get<std::string>())) {
        return ErrorResponse(422, "UnprocessableEntityException",
                             fmt::format("key '{}' is both set and removed", k.get<std::string>()));
      }
      remove.push_back(k.get<std::string>());
    }
  }
  auto before = catalog_.LoadNamespaceProperties(ns);
  if (!before) return FromError(before.error(), Subject::kNamespace);
  if (auto st = catalog_.UpdateNamespaceProperties(ns, set, remove); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  Json updated = Json::array(), removed = Json::array(), missing = Json::array();
  for (const auto& [k, v] : set) updated.push_back(k);
  for (const auto& k : remove) (before->count(k) ? removed : missing).push_back(k);
  Json out = {{"updated", updated}, {"removed", removed}};
  if (!missing.empty()) out["missing"] = missing;
  return JsonResponse(200, out);
}

RestResponse RestCatalogServer::ListTables(const Namespace& ns, const RestRequest& req) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  auto tables = catalog_.ListTables(ns);
  if (!tables) return FromError(tables.error(), Subject::kNamespace);
  std::sort(tables->begin(), tables->end());
  std::vector<std::string> keys;
  for (const auto& id : *tables) keys.push_back(id.name);
  std::string next;
  auto page = Page(req, keys, next);
  if (!page) return FromError(page.error());
  Json ids = Json::array();
  for (size_t i = page->first; i < page->second; ++i) ids.push_back(IdentifierJson((*tables)[i]));
  Json body = {{"identifiers", ids}};
  if (!next.empty()) body["next-page-token"] = next;
  return JsonResponse(200, body);
}

Status RestCatalogServer::CheckLocation(const std::string& location) const {
  if (options_.warehouse.empty()) return OkStatus();
  std::string_view loc = location;
  bool under = loc.starts_with(options_.warehouse) &&
               (loc.size() == options_.warehouse.size() || loc[options_.warehouse.size()] == '/');
  bool dots = loc.find("/../") != std::string_view::npos || loc.ends_with("/..") ||
              loc.find("/./") != std::string_view::npos;
  if (!under || dots) {
    return MakeError(ErrorKind::kInvalidInput, "location '{}' is not under the warehouse '{}'",
                     location, options_.warehouse);
  }
  return OkStatus();
}

RestResponse RestCatalogServer::CreateTable(const Namespace& ns, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  const Json& b = *body;
  if (!b.contains("name") || !b["name"].is_string()) return BadRequest("missing table 'name'");
  if (!b.contains("schema") || !b["schema"].is_object()) return BadRequest("missing 'schema'");
  TableIdentifier id{ns, b["name"].get<std::string>()};
  if (auto st = ValidName(id.name, "table"); !st) return FromError(st.error());
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  if (catalog_.LoadTable(id)) {
    return ErrorResponse(409, "AlreadyExistsException",
                         fmt::format("table '{}' already exists", id.ToString()));
  }
  std::string location = b.value("location", "");
  if (location.empty()) {
    location = fmt::format("{}/{}/{}", options_.warehouse, JoinNamespace(ns), id.name);
  }
  while (location.size() > 1 && location.back() == '/') location.pop_back();
  if (auto st = CheckLocation(location); !st) return FromError(st.error());

  Json properties = Json::object();
  if (b.contains("properties") && !b["properties"].is_null()) properties = b["properties"];
  int64_t format_version = 2;
  if (properties.is_object() && properties.contains("format-version")) {
    const Json& v = properties["format-version"];
    format_version = v.is_string() ? std::atoi(v.get<std::string>().c_str()) : 2;
    properties.erase("format-version");
  }
  if (!properties.is_object() || !properties.contains("write.format.default")) {
    properties["write.format.default"] = "parquet";
  }
  Json spec = b.contains("partition-spec") && !b["partition-spec"].is_null()
                  ? b["partition-spec"]
                  : Json{{"spec-id", 0}, {"fields", Json::array()}};
  Json order = b.contains("write-order") && !b["write-order"].is_null()
                   ? b["write-order"]
                   : Json{{"order-id", 0}, {"fields", Json::array()}};
  std::vector<Json> updates = {
      {{"action", "assign-uuid"}, {"uuid", iceberg::NewUuid()}},
      {{"action", "upgrade-format-version"}, {"format-version", format_version}},
      {{"action", "add-schema"}, {"schema", b["schema"]}},
      {{"action", "set-current-schema"}, {"schema-id", -1}},
      {{"action", "add-spec"}, {"spec", spec}},
      {{"action", "set-default-spec"}, {"spec-id", -1}},
      {{"action", "add-sort-order"}, {"sort-order", order}},
      {{"action", "set-default-sort-order"}, {"sort-order-id", -1}},
      {{"action", "set-location"}, {"location", location}},
      {{"action", "set-properties"}, {"updates", properties}},
  };
  auto builder = iceberg::MetadataBuilder::ForCreate();
  for (const Json& u : updates) {
    if (auto st = builder.Apply(u); !st) return FromError(st.error());
  }
  const bool staged = b.value("stage-create", false);
  std::string file;
  auto built = std::move(builder).Build([&](TableMetadata& m) {
    m.last_updated_ms = iceberg::NowMillis();
    if (!staged) file = iceberg::PrepareNextVersion(m, "", m);
    return OkStatus();
  });
  if (!built) return FromError(built.error());
  if (staged) {
    return JsonResponse(
        200, {{"metadata", built->metadata.ToJsonObject()}, {"config", TableConfig(req)}});
  }
  if (auto st = io_.WriteAll(file, built->json, /*exclusive=*/true); !st) {
    return FromError(st.error());
  }
  if (auto st = catalog_.CreateTable(id, file); !st) {
    (void)io_.Delete(file);  // never registered
    return FromError(st.error(), Subject::kNamespace);
  }
  spdlog::info("REST catalog: created table {}", id.ToString());
  MetadataFile written{std::make_shared<const TableMetadata>(std::move(built->metadata)),
                       std::make_shared<const std::string>(std::move(built->json))};
  CacheMetadata(file, written);
  return LoadAnswer(file, *written.json, TableConfig(req));
}

RestResponse RestCatalogServer::RegisterTable(const Namespace& ns, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  const Json& b = *body;
  if (!b.contains("name") || !b["name"].is_string()) return BadRequest("missing table 'name'");
  if (!b.contains("metadata-location") || !b["metadata-location"].is_string()) {
    return BadRequest("missing 'metadata-location'");
  }
  TableIdentifier id{ns, b["name"].get<std::string>()};
  if (auto st = ValidName(id.name, "table"); !st) return FromError(st.error());
  std::string location = b["metadata-location"].get<std::string>();
  if (auto st = CheckLocation(location); !st) return FromError(st.error());
  auto m = ReadMetadata(location);
  if (!m) return FromError(m.error());
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  Status st = catalog_.CreateTable(id, location);
  if (!st && st.error().kind == ErrorKind::kAlreadyExists && b.value("overwrite", false)) {
    auto current = catalog_.LoadTable(id);
    st = current ? catalog_.SwapTable(id, *current, location)
                 : Status(std::unexpected(current.error()));
  }
  if (!st) return FromError(st.error(), Subject::kTable);
  return LoadAnswer(location, *m->json, TableConfig(req));
}

Result<RestCatalogServer::MetadataFile> RestCatalogServer::ReadMetadata(
    const std::string& location) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = metadata_cache_.find(location); it != metadata_cache_.end()) return it->second;
  }
  K2_ASSIGN_OR_RETURN(std::string bytes, io_.ReadAll(location));
  K2_ASSIGN_OR_RETURN(TableMetadata m, TableMetadata::FromFileBytes(bytes, location));
  MetadataFile file;
  file.metadata = std::make_shared<const TableMetadata>(std::move(m));
  // Answers embed the file's text as it is, unless it is gzipped or starts
  // with a byte order mark (JSON inside JSON cannot).
  const bool gzipped = bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
                       static_cast<uint8_t>(bytes[1]) == 0x8b;
  file.json = std::make_shared<const std::string>(
      gzipped || bytes.starts_with("\xEF\xBB\xBF") ? file.metadata->ToJson() : std::move(bytes));
  CacheMetadata(location, file);
  return file;
}

void RestCatalogServer::CacheMetadata(const std::string& location, MetadataFile file) {
  std::lock_guard lock(cache_mu_);
  if (!metadata_cache_.emplace(location, std::move(file)).second) return;
  cache_order_.push_back(location);
  while (cache_order_.size() > kMetadataCacheEntries) {
    metadata_cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
}

RestResponse RestCatalogServer::LoadTable(const TableIdentifier& id, const RestRequest& req,
                                          bool head) {
  auto location = catalog_.LoadTable(id);
  if (!location) return FromError(location.error(), Subject::kTable);
  if (head) return NoContent();
  std::string snapshots = req.Query("snapshots");
  if (!snapshots.empty() && snapshots != "all" && snapshots != "refs") {
    return BadRequest("snapshots must be 'all' or 'refs'");
  }
  std::string etag = EtagOf(*location, snapshots);
  if (req.Header("if-none-match") == etag) {
    RestResponse r;
    r.status = 304;
    r.content_type.clear();
    r.headers.emplace_back("ETag", etag);
    return r;
  }
  auto m = ReadMetadata(*location);
  if (!m) return FromError(m.error());
  RestResponse r = snapshots == "refs"
                       ? JsonResponse(200, {{"metadata-location", *location},
                                            {"metadata", MetadataJson(*m->metadata, true)},
                                            {"config", TableConfig(req)}})
                       : LoadAnswer(*location, *m->json, TableConfig(req));
  r.headers.emplace_back("ETag", etag);
  return r;
}

Result<RestCatalogServer::PreparedCommit> RestCatalogServer::Prepare(const TableIdentifier& id,
                                                                     const Json& change) {
  const Json requirements = change.value("requirements", Json::array());
  const Json updates = change.value("updates", Json::array());
  if (!requirements.is_array() || !updates.is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "requirements and updates must be lists");
  }
  PreparedCommit p;
  p.id = id;
  std::shared_ptr<const TableMetadata> base;
  auto location = catalog_.LoadTable(id);
  if (location) {
    p.base_location = *location;
    K2_ASSIGN_OR_RETURN(MetadataFile file, ReadMetadata(*location));
    base = file.metadata;
  } else if (location.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(location.error());
  }
  bool create = false;
  for (const Json& r : requirements) {
    if (r.is_object() && r.value("type", "") == "assert-create") create = true;
  }
  if (!base && !create) {
    return MakeError(ErrorKind::kNotFound, "table '{}' does not exist", id.ToString());
  }
  for (const Json& r : requirements) K2_RETURN_IF_ERROR(CheckRequirement(r, base.get()));
  auto builder = base ? iceberg::MetadataBuilder(*base) : iceberg::MetadataBuilder::ForCreate();
  for (const Json& u : updates) K2_RETURN_IF_ERROR(builder.Apply(u));
  K2_ASSIGN_OR_RETURN(
      iceberg::BuiltMetadata built, std::move(builder).Build([&](TableMetadata& next) -> Status {
        K2_RETURN_IF_ERROR(CheckLocation(next.location));
        p.new_location =
            iceberg::PrepareNextVersion(base ? *base : next, p.base_location, next,
                                        iceberg::HighestMetadataVersion(io_, next.location));
        if (!base) next.metadata_log.clear();
        return OkStatus();
      }));
  K2_RETURN_IF_ERROR(io_.WriteAll(p.new_location, built.json, /*exclusive=*/true));
  p.file.metadata = std::make_shared<const TableMetadata>(std::move(built.metadata));
  p.file.json = std::make_shared<const std::string>(std::move(built.json));
  return p;
}

void RestCatalogServer::MaybeCrash(std::string_view point) const {
  if (options_.crash_point == point && commits_prepared_ == options_.crash_on_commit) {
    spdlog::critical("REST catalog: crash point {} of commit {} reached (K2_TEST_REST_CRASH)",
                     point, commits_prepared_);
    std::_Exit(86);
  }
}

Result<RestCatalogServer::PreparedCommit> RestCatalogServer::CommitOne(const TableIdentifier& id,
                                                                       const Json& change) {
  std::lock_guard lock(commit_mu_);
  for (int attempt = 1;; ++attempt) {
    K2_ASSIGN_OR_RETURN(PreparedCommit p, Prepare(id, change));
    ++commits_prepared_;
    MaybeCrash("after-write");
    Status st = p.base_location.empty() ? catalog_.CreateTable(id, p.new_location)
                                        : catalog_.SwapTable(id, p.base_location, p.new_location);
    if (st) {
      MaybeCrash("after-swap");
      CacheMetadata(p.new_location, p.file);
      return p;
    }
    if (st.error().kind == ErrorKind::kCommitStateUnknown) {
      // Read back: the swap may have happened before the connection broke.
      auto current = catalog_.LoadTable(id);
      if (current && *current == p.new_location) return p;
      if (!current) return std::unexpected(st.error());
      // Not ours: the file was never referenced, but leave it (it may be).
      return std::unexpected(st.error());
    }
    (void)io_.Delete(p.new_location);  // never referenced
    bool lost_race = st.error().kind == ErrorKind::kCommitConflict ||
                     (p.base_location.empty() && st.error().kind == ErrorKind::kAlreadyExists);
    if (!lost_race || attempt >= kCommitAttempts) return std::unexpected(st.error());
  }
}

RestResponse RestCatalogServer::CommitTable(const TableIdentifier& id, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (body->contains("identifier") && !(*body)["identifier"].is_null()) {
    auto named = ParseIdentifierJson((*body)["identifier"]);
    if (!named) return FromError(named.error());
    if (!(*named == id)) return BadRequest("identifier in the body differs from the path");
  }
  auto committed = CommitOne(id, *body);
  if (!committed) return FromError(committed.error(), Subject::kTable);
  return CommitAnswer(committed->new_location, committed->file);
}

RestResponse RestCatalogServer::CommitAnswer(const std::string& location,
                                             const MetadataFile& file) const {
  RestResponse r = LoadAnswer(location, *file.json, nullptr);
  r.commit_location = location;
  return r;
}

RestResponse RestCatalogServer::CommitTransaction(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("table-changes") || !(*body)["table-changes"].is_array()) {
    return BadRequest("missing 'table-changes' list");
  }
  std::vector<std::pair<TableIdentifier, Json>> changes;
  std::set<TableIdentifier> seen;
  for (const Json& c : (*body)["table-changes"]) {
    if (!c.is_object() || !c.contains("identifier")) {
      return BadRequest("every table change needs an identifier");
    }
    auto id = ParseIdentifierJson(c["identifier"]);
    if (!id) return FromError(id.error());
    if (!seen.insert(*id).second) return BadRequest("a table appears twice in the transaction");
    changes.emplace_back(*id, c);
  }
  std::lock_guard lock(commit_mu_);
  std::vector<PreparedCommit> prepared;
  auto discard = [&] {
    for (const auto& p : prepared) (void)io_.Delete(p.new_location);
  };
  for (const auto& [id, change] : changes) {
    auto p = Prepare(id, change);
    if (!p) {
      discard();
      return FromError(p.error(), Subject::kTable);
    }
    if (p->base_location.empty()) {
      prepared.push_back(std::move(*p));
      discard();
      return ErrorResponse(406, "UnsupportedOperationException",
                           "creating tables inside a multi-table transaction is not supported");
    }
    prepared.push_back(std::move(*p));
  }
  std::vector<TableSwap> swaps;
  for (const auto& p : prepared) swaps.push_back({p.id, p.base_location, p.new_location});
  Status st = catalog_.SwapTables(swaps);
  if (!st) {
    if (st.error().kind != ErrorKind::kCommitStateUnknown) discard();
    return FromError(st.error(), Subject::kTable);
  }
  return NoContent();
}

Status RestCatalogServer::PurgeTable(const TableMetadata& m) {
  K2_RETURN_IF_ERROR(CheckLocation(m.location));
  K2_ASSIGN_OR_RETURN(auto files, io_.List(m.location + "/"));
  for (const FileInfo& f : files) K2_RETURN_IF_ERROR(io_.Delete(f.path));
  return OkStatus();
}

RestResponse RestCatalogServer::DropTable(const TableIdentifier& id, const RestRequest& req) {
  const bool purge = req.Query("purgeRequested") == "true";
  std::shared_ptr<const TableMetadata> m;
  if (purge) {
    auto location = catalog_.LoadTable(id);
    if (!location) return FromError(location.error(), Subject::kTable);
    auto read = ReadMetadata(*location);
    if (!read) return FromError(read.error());
    m = read->metadata;
  }
  auto dropped = catalog_.DropTable(id);
  if (!dropped) return FromError(dropped.error(), Subject::kTable);
  if (m) {
    if (auto st = PurgeTable(*m); !st) {
      spdlog::warn("REST catalog: dropped {} but purging its files failed: {}", id.ToString(),
                   st.error().ToString());
    }
  }
  return NoContent();
}

RestResponse RestCatalogServer::RenameTable(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("source") || !body->contains("destination")) {
    return BadRequest("rename needs source and destination");
  }
  auto from = ParseIdentifierJson((*body)["source"]);
  if (!from) return FromError(from.error());
  auto to = ParseIdentifierJson((*body)["destination"]);
  if (!to) return FromError(to.error());
  if (auto st = catalog_.LoadTable(*from); !st) return FromError(st.error(), Subject::kTable);
  if (auto st = catalog_.LoadNamespaceProperties(to->ns); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  if (auto st = catalog_.RenameTable(*from, *to); !st) {
    return FromError(st.error(), Subject::kTable);
  }
  return NoContent();
}

}  // namespace k2::rest
