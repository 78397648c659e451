// libFuzzer target: requests to k2's REST catalog server (catalog/rest_server),
// handed to RestCatalogServer::Handle in-process, as the HTTP listener does.
// An input is up to 8 requests separated by 0x1E; each request is
//   [route][flags][line '\n'][body]
// where route picks one of the server's routes (method and path, on the
// namespace `market` holding the table `trades`, and the empty namespace
// `empty`) or, for the last route, takes "METHOD /path?query" from the line;
// otherwise the line is the query string. Flags pick the Authorization header
// (read-write token, read-only token, none, or Basic credentials from the
// line), an Idempotency-Key, and If-None-Match with the last ETag answered.
//
// Each input runs against a fresh in-memory catalog and FileIO holding the
// same table (its files built once per process and copied in), so state never
// grows across inputs and every finding reproduces from its input alone.
//
// Contract: every answer is a success (2xx with a JSON body, or 204/304 with
// none) or an error: 4xx/5xx with the spec's ErrorModel {"error": {"message",
// "type", "code"}} (OAuth errors on /v1/oauth/tokens: {"error": "<code>"}).
// Never a crash, an abort, a leak or a huge allocation; and every table the
// catalog holds afterwards points at metadata k2 can read.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "catalog/memory_catalog.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "iceberg/table.h"
#include "io/memory_file_io.h"

using k2::rest::RestRequest;
using k2::rest::RestResponse;
using Json = nlohmann::json;

namespace {

constexpr char kWarehouse[] = "mem://warehouse";
constexpr size_t kMaxRequests = 8;
/// market.trades' uuid (fuzz/seed_gen.cpp's REST seeds assert it).
constexpr char kTradesUuid[] = "9c12d441-03fe-4693-9a96-a0705ddf69c1";

struct Route {
  const char* method;
  const char* path;
};

/// Every route of the server (rest_catalog_server.h), on existing names.
constexpr Route kRoutes[] = {
    {"GET", "/v1/config"},
    {"POST", "/v1/oauth/tokens"},
    {"GET", "/v1/namespaces"},
    {"POST", "/v1/namespaces"},
    {"GET", "/v1/namespaces/market"},
    {"HEAD", "/v1/namespaces/market"},
    {"DELETE", "/v1/namespaces/empty"},
    {"POST", "/v1/namespaces/market/properties"},
    {"GET", "/v1/namespaces/market/tables"},
    {"POST", "/v1/namespaces/market/tables"},
    {"POST", "/v1/namespaces/market/register"},
    {"GET", "/v1/namespaces/market/tables/trades"},
    {"HEAD", "/v1/namespaces/market/tables/trades"},
    {"POST", "/v1/namespaces/market/tables/trades"},
    {"DELETE", "/v1/namespaces/market/tables/trades"},
    {"POST", "/v1/namespaces/market/tables/trades/metrics"},
    {"POST", "/v1/tables/rename"},
    {"POST", "/v1/transactions/commit"},
    {nullptr, nullptr},  // method and path from the line
};
constexpr size_t kRouteCount = sizeof(kRoutes) / sizeof(kRoutes[0]);

[[noreturn]] void Fail(const RestRequest& req, const RestResponse& r, const char* what) {
  std::fprintf(stderr, "%s: %s %s -> %d %s\n", what, req.method.c_str(), req.path.c_str(), r.status,
               r.body.substr(0, 2000).c_str());
  std::abort();
}

k2::rest::RestServerOptions Options() {
  k2::rest::RestServerOptions o;
  o.warehouse = kWarehouse;
  o.auth.read_write_tokens = {"rw-token"};
  o.auth.read_only_tokens = {"ro-token"};
  o.auth.clients = {"k2-client:k2-secret"};
  o.max_body_bytes = 1 << 20;
  return o;
}

/// A catalog, its FileIO and a server over them.
struct World {
  std::unique_ptr<k2::Catalog> catalog = k2::NewMemoryCatalog("fuzz");
  std::unique_ptr<k2::FileIO> io = k2::NewMemoryFileIO();
  std::unique_ptr<k2::rest::RestCatalogServer> server =
      std::make_unique<k2::rest::RestCatalogServer>(*catalog, *io, Options());
};

/// The table every input starts from: market.trades (partitioned, one
/// snapshot on main) and the empty namespace `empty`, written once through
/// the server itself.
struct Template {
  std::vector<std::pair<std::string, std::string>> files;  ///< path, bytes
  std::string trades_location;
};

RestResponse Call(World& w, const char* method, const char* path, const Json& body) {
  RestRequest req;
  req.method = method;
  req.path = path;
  req.headers["authorization"] = "Bearer rw-token";
  req.body = body.dump();
  return w.server->Handle(req);
}

Template BuildTemplate() {
  World w;
  Json schema = {{"type", "struct"},
                 {"schema-id", 0},
                 {"fields",
                  {{{"id", 1}, {"name", "id"}, {"type", "long"}, {"required", true}},
                   {{"id", 2}, {"name", "ts"}, {"type", "timestamptz"}, {"required", false}},
                   {{"id", 3}, {"name", "symbol"}, {"type", "string"}, {"required", false}}}}};
  Json spec = {
      {"spec-id", 0},
      {"fields",
       {{{"source-id", 2}, {"field-id", 1000}, {"name", "ts_day"}, {"transform", "day"}}}}};
  Json snapshot = {{"snapshot-id", 1},
                   {"sequence-number", 1},
                   {"timestamp-ms", 1700000000001},
                   {"manifest-list", "mem://warehouse/market/trades/metadata/snap-1.avro"},
                   {"summary", {{"operation", "append"}}},
                   {"schema-id", 0}};
  // Created as a staged create commits (assert-create), so the uuid is fixed
  // and seeds can assert it.
  Json create = {{"requirements", {{{"type", "assert-create"}}}},
                 {"updates",
                  {{{"action", "assign-uuid"}, {"uuid", kTradesUuid}},
                   {{"action", "upgrade-format-version"}, {"format-version", 2}},
                   {{"action", "add-schema"}, {"schema", schema}},
                   {{"action", "set-current-schema"}, {"schema-id", -1}},
                   {{"action", "add-spec"}, {"spec", spec}},
                   {{"action", "set-default-spec"}, {"spec-id", -1}},
                   {{"action", "set-location"}, {"location", "mem://warehouse/market/trades"}},
                   {{"action", "set-properties"}, {"updates", {{"owner", "desk"}}}}}}};
  Json append = {
      {"requirements",
       {{{"type", "assert-table-uuid"}, {"uuid", kTradesUuid}},
        {{"type", "assert-ref-snapshot-id"}, {"ref", "main"}, {"snapshot-id", nullptr}}}},
      {"updates",
       {{{"action", "add-snapshot"}, {"snapshot", snapshot}},
        {{"action", "set-snapshot-ref"},
         {"ref-name", "main"},
         {"type", "branch"},
         {"snapshot-id", 1}}}}};
  const std::pair<const char*, Json> steps[] = {
      {"/v1/namespaces", {{"namespace", {"market"}}, {"properties", {{"owner", "desk"}}}}},
      {"/v1/namespaces", {{"namespace", {"empty"}}}},
      {"/v1/namespaces/market/tables/trades", create},
      {"/v1/namespaces/market/tables/trades", append},
  };
  for (const auto& [path, body] : steps) {
    RestResponse r = Call(w, "POST", path, body);
    if (r.status != 200) {
      std::fprintf(stderr, "rest_request_fuzz: setup %s: %d %s\n", path, r.status, r.body.c_str());
      std::abort();
    }
  }
  Template t;
  t.trades_location = *w.catalog->LoadTable({{"market"}, "trades"});
  auto files = w.io->List(kWarehouse);
  for (const k2::FileInfo& f : *files) {
    t.files.emplace_back(f.path, *w.io->ReadAll(f.path));
  }
  return t;
}

std::unique_ptr<World> FreshWorld(const Template& t) {
  auto w = std::make_unique<World>();
  for (const auto& [path, bytes] : t.files) (void)w->io->WriteAll(path, bytes);
  (void)w->catalog->CreateNamespace({"market"}, {{"owner", "desk"}});
  (void)w->catalog->CreateNamespace({"empty"}, {});
  (void)w->catalog->CreateTable({{"market"}, "trades"}, t.trades_location);
  return w;
}

/// "k=v&k2" into decoded pairs, as the HTTP listener hands them over.
void ParseQuery(std::string_view q, RestRequest& req) {
  size_t begin = 0;
  while (begin < q.size()) {
    size_t amp = q.find('&', begin);
    std::string_view pair = q.substr(begin, amp == std::string_view::npos ? amp : amp - begin);
    size_t eq = pair.find('=');
    std::string key, value;
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (!k2::rest::PercentDecode(pair.substr(0, eq), key)) key = pair.substr(0, eq);
    if (!k2::rest::PercentDecode(raw_value, value)) value = raw_value;
    req.query[key] = value;
    if (amp == std::string_view::npos) break;
    begin = amp + 1;
  }
}

RestRequest MakeRequest(std::string_view chunk, const std::string& last_etag) {
  RestRequest req;
  uint8_t route = chunk.empty() ? 0 : static_cast<uint8_t>(chunk[0]);
  uint8_t flags = chunk.size() < 2 ? 0 : static_cast<uint8_t>(chunk[1]);
  chunk.remove_prefix(std::min<size_t>(2, chunk.size()));
  size_t nl = chunk.find('\n');
  std::string_view line = chunk.substr(0, nl);
  req.body = nl == std::string_view::npos ? "" : chunk.substr(nl + 1);
  const Route& r = kRoutes[route % kRouteCount];
  std::string_view query;
  if (r.method != nullptr) {
    req.method = r.method;
    req.path = r.path;
    query = line;
  } else {
    size_t sp = line.find(' ');
    req.method = line.substr(0, sp);
    std::string_view target = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    size_t qm = target.find('?');
    req.path = target.substr(0, qm);
    if (qm != std::string_view::npos) query = target.substr(qm + 1);
  }
  // Flags 3: HTTP Basic credentials (the OAuth client's way) taken from the
  // line, which is then no query string.
  if ((flags & 3) != 3) ParseQuery(query, req);
  switch (flags & 3) {
    case 0:
      req.headers["authorization"] = "Bearer rw-token";
      break;
    case 1:
      req.headers["authorization"] = "Bearer ro-token";
      break;
    case 2:
      break;
    case 3:
      req.headers["authorization"] = "Basic " + std::string(line);
      break;
  }
  if (flags & 4) req.headers["idempotency-key"] = (flags & 8) ? "key-b" : "key-a";
  if (flags & 16) req.headers["if-none-match"] = last_etag;
  return req;
}

void CheckResponse(const RestRequest& req, const RestResponse& r) {
  if (r.status < 200 || r.status > 599) Fail(req, r, "status out of range");
  if (r.status == 204 || r.status == 304) {
    if (!r.body.empty()) Fail(req, r, "body on a 204/304");
    return;
  }
  Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) Fail(req, r, "answer is not a JSON object");
  if (r.status < 300) return;
  if (r.status < 400) Fail(req, r, "unexpected 3xx");
  if (!body.contains("error")) Fail(req, r, "error without 'error'");
  const Json& e = body["error"];
  if (req.path == "/v1/oauth/tokens" && e.is_string()) return;  // RFC 6749 5.2
  if (!e.is_object() || !e.contains("message") || !e["message"].is_string() ||
      !e.contains("type") || !e["type"].is_string() || !e.contains("code") ||
      e["code"] != r.status) {
    Fail(req, r, "error is not an ErrorModel");
  }
}

/// Every table left in the catalog must point at metadata k2 can read.
void CheckTables(World& w) {
  std::vector<k2::Namespace> pending = {{}};
  for (size_t i = 0; i < pending.size() && i < 64; ++i) {
    auto children = w.catalog->ListNamespaces(pending[i]);
    if (!children) continue;
    for (const k2::Namespace& ns : *children) {
      pending.push_back(ns);
      auto tables = w.catalog->ListTables(ns);
      if (!tables) continue;
      for (const k2::TableIdentifier& id : *tables) {
        auto location = w.catalog->LoadTable(id);
        if (!location) continue;
        auto m = k2::iceberg::ReadTableMetadata(*w.io, *location);
        if (!m) {
          std::fprintf(stderr, "table %s points at unreadable metadata %s: %s\n",
                       id.ToString().c_str(), location->c_str(), m.error().ToString().c_str());
          std::abort();
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // "created table ..." per input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Template kTemplate = BuildTemplate();
  auto world = FreshWorld(kTemplate);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string last_etag;
  for (size_t n = 0; n < kMaxRequests; ++n) {
    size_t sep = input.find('\x1e');
    RestRequest req = MakeRequest(input.substr(0, sep), last_etag);
    RestResponse r = world->server->Handle(req);
    CheckResponse(req, r);
    for (const auto& [name, value] : r.headers) {
      if (name == "ETag") last_etag = value;
    }
    if (sep == std::string_view::npos) break;
    input.remove_prefix(sep + 1);
  }
  CheckTables(*world);
  return 0;
}
