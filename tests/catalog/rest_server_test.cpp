// The REST catalog server's protocol, called directly (no HTTP) over a SQL
// catalog on SQLite and the local disk: namespaces, tables, commits with every
// requirement type, transactions, auth, idempotency and bad input.

#include "catalog/rest_server/rest_catalog_server.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog_factory.h"
#include "iceberg/table.h"
#include "support/support.h"

namespace k2::rest {
namespace {

using Json = nlohmann::json;

class RestServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }

  void Open(AuthOptions auth) {
    server_.reset();
    if (!catalog_) {
      auto c = OpenSqlCatalog(dir_ / "catalog.db", "k2");
      ASSERT_TRUE(c.has_value()) << c.error().ToString();
      catalog_ = std::move(*c);
      io_ = NewLocalFileIO();
    }
    RestServerOptions options;
    options.warehouse = dir_ / "warehouse";
    options.auth = std::move(auth);
    options.max_body_bytes = 1 << 20;
    options.vended_config = vended_;
    options.vend_to_read_only = vend_to_read_only_;
    server_ = std::make_unique<RestCatalogServer>(*catalog_, *io_, options);
  }

  RestResponse Call(const std::string& method, const std::string& path, const Json& body = {},
                    std::map<std::string, std::string> headers = {}) {
    RestRequest req;
    req.method = method;
    size_t q = path.find('?');
    req.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string query = path.substr(q + 1);
      size_t begin = 0;
      while (begin < query.size()) {
        size_t amp = query.find('&', begin);
        std::string pair = query.substr(begin, amp == std::string::npos ? amp : amp - begin);
        size_t eq = pair.find('=');
        req.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
        if (amp == std::string::npos) break;
        begin = amp + 1;
      }
    }
    req.headers = std::move(headers);
    if (!body.is_null()) req.body = body.dump();
    return server_->Handle(req);
  }

  static Json Body(const RestResponse& r) { return Json::parse(r.body, nullptr, false); }

  std::map<std::string, std::string> vended_;
  bool vend_to_read_only_ = false;

  static std::string ErrorType(const RestResponse& r) {
    Json j = Body(r);
    return j.is_object() && j.contains("error") ? j["error"].value("type", "") : "";
  }

  static Json Schema() {
    return {{"type", "struct"},
            {"schema-id", 0},
            {"fields",
             {{{"id", 1}, {"name", "id"}, {"type", "long"}, {"required", true}},
              {{"id", 2}, {"name", "ts"}, {"type", "timestamptz"}, {"required", false}},
              {{"id", 3}, {"name", "symbol"}, {"type", "string"}, {"required", false}}}}};
  }

  /// Creates market.trades, partitioned by day(ts); returns its LoadTableResult.
  Json CreateTrades() {
    EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"market"}}}).status, 200);
    Json create = {
        {"name", "trades"},
        {"schema", Schema()},
        {"partition-spec",
         {{"spec-id", 0},
          {"fields",
           {{{"source-id", 2}, {"field-id", 1000}, {"name", "ts_day"}, {"transform", "day"}}}}}},
        {"properties", {{"owner", "desk"}}}};
    RestResponse r = Call("POST", "/v1/namespaces/market/tables", create);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r);
  }

  static Json Snapshot(int64_t id, std::optional<int64_t> parent, int64_t seq) {
    Json s = {{"snapshot-id", id},
              {"sequence-number", seq},
              {"timestamp-ms", 1700000000000 + id},
              {"manifest-list", "/nowhere/snap-" + std::to_string(id) + ".avro"},
              {"summary", {{"operation", "append"}}},
              {"schema-id", 0}};
    if (parent) s["parent-snapshot-id"] = *parent;
    return s;
  }

  /// A commit appending snapshot `id` on main, asserting main is at `parent`.
  static Json Append(const std::string& uuid, int64_t id, std::optional<int64_t> parent,
                     int64_t seq) {
    Json assert_ref = {{"type", "assert-ref-snapshot-id"}, {"ref", "main"}};
    assert_ref["snapshot-id"] = parent ? Json(*parent) : Json();
    return {{"requirements", {{{"type", "assert-table-uuid"}, {"uuid", uuid}}, assert_ref}},
            {"updates",
             {{{"action", "add-snapshot"}, {"snapshot", Snapshot(id, parent, seq)}},
              {{"action", "set-snapshot-ref"},
               {"ref-name", "main"},
               {"type", "branch"},
               {"snapshot-id", id}}}}};
  }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
  std::unique_ptr<RestCatalogServer> server_;
};

TEST_F(RestServerTest, ConfigAdvertisesEndpointsAndIdempotencyLifetime) {
  RestResponse r = Call("GET", "/v1/config?warehouse=anything");
  ASSERT_EQ(r.status, 200);
  Json j = Body(r);
  EXPECT_EQ(j["idempotency-key-lifetime"], "PT1800S");
  EXPECT_TRUE(j["overrides"].is_object());
  bool commit = false;
  for (const Json& e : j["endpoints"]) {
    commit = commit || e == "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}";
  }
  EXPECT_TRUE(commit);
}

TEST_F(RestServerTest, Namespaces) {
  EXPECT_EQ(
      Call("POST", "/v1/namespaces", {{"namespace", {"a"}}, {"properties", {{"k", "v"}}}}).status,
      200);
  EXPECT_EQ(ErrorType(Call("POST", "/v1/namespaces", {{"namespace", {"a"}}})),
            "AlreadyExistsException");
  for (const char* n : {"b", "c", "d"}) {
    EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {n}}}).status, 200);
  }
  EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"a", "x"}}}).status, 200);

  // Pages of two, then the rest.
  RestResponse p1 = Call("GET", "/v1/namespaces?pageSize=2");
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(Body(p1)["namespaces"], Json({{"a"}, {"b"}}));
  std::string token = Body(p1)["next-page-token"];
  RestResponse p2 = Call("GET", "/v1/namespaces?pageSize=2&pageToken=" + token);
  EXPECT_EQ(Body(p2)["namespaces"], Json({{"c"}, {"d"}}));
  EXPECT_FALSE(Body(p2).contains("next-page-token"));
  EXPECT_EQ(Body(Call("GET", "/v1/namespaces?parent=a"))["namespaces"],
            Json::array({Json::array({"a", "x"})}));
  EXPECT_EQ(ErrorType(Call("GET", "/v1/namespaces?parent=zz")), "NoSuchNamespaceException");

  EXPECT_EQ(Body(Call("GET", "/v1/namespaces/a"))["properties"], Json({{"k", "v"}}));
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/a%1Fx").status, 204);
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/nope").status, 404);
  RestResponse props = Call("POST", "/v1/namespaces/a/properties",
                            {{"updates", {{"k2", "v2"}}}, {"removals", {"k", "gone"}}});
  ASSERT_EQ(props.status, 200) << props.body;
  EXPECT_EQ(Body(props)["missing"], Json({"gone"}));
  EXPECT_EQ(Body(Call("GET", "/v1/namespaces/a"))["properties"], Json({{"k2", "v2"}}));

  EXPECT_EQ(ErrorType(Call("DELETE", "/v1/namespaces/a")), "NamespaceNotEmptyException");
  EXPECT_EQ(Call("DELETE", "/v1/namespaces/a%1Fx").status, 204);
  EXPECT_EQ(Call("DELETE", "/v1/namespaces/a").status, 204);
  EXPECT_EQ(ErrorType(Call("GET", "/v1/namespaces/a")), "NoSuchNamespaceException");
}

TEST_F(RestServerTest, CreateLoadAndCommit) {
  Json created = CreateTrades();
  const std::string uuid = created["metadata"]["table-uuid"];
  const std::string v0 = created["metadata-location"];
  EXPECT_TRUE(std::filesystem::exists(v0));
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "trades"}).value(), v0);
  EXPECT_EQ(created["metadata"]["properties"]["owner"], "desk");
  EXPECT_EQ(created["metadata"]["location"], dir_ / "warehouse/market/trades");

  // k2's own table reader opens what the server wrote.
  K2_ASSERT_OK_AND_ASSIGN(auto table,
                          iceberg::Table::Load(*catalog_, *io_, {{"market"}, "trades"}));
  EXPECT_EQ(table.metadata().DefaultSpec().fields.size(), 1u);

  RestResponse loaded = Call("GET", "/v1/namespaces/market/tables/trades");
  ASSERT_EQ(loaded.status, 200);
  std::string etag;
  for (const auto& [k, v] : loaded.headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(
      Call("GET", "/v1/namespaces/market/tables/trades", {}, {{"if-none-match", etag}}).status,
      304);
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/market/tables/trades").status, 204);
  EXPECT_EQ(ErrorType(Call("GET", "/v1/namespaces/market/tables/nope")), "NoSuchTableException");

  RestResponse c1 = Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 11, {}, 1));
  ASSERT_EQ(c1.status, 200) << c1.body;
  const std::string v1 = Body(c1)["metadata-location"];
  EXPECT_NE(v1, v0);
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "trades"}).value(), v1);
  EXPECT_EQ(Body(c1)["metadata"]["current-snapshot-id"], 11);
  EXPECT_EQ(Body(c1)["metadata"]["metadata-log"][0]["metadata-file"], v0);
  // The ETag moved with the pointer.
  EXPECT_EQ(
      Call("GET", "/v1/namespaces/market/tables/trades", {}, {{"if-none-match", etag}}).status,
      200);

  // A second writer that also based its append on the empty table loses.
  RestResponse stale = Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 12, {}, 1));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(ErrorType(stale), "CommitFailedException");
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "trades"}).value(), v1);

  RestResponse c2 = Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 12, 11, 2));
  ASSERT_EQ(c2.status, 200) << c2.body;
  // A tag on the first snapshot; snapshots=refs then lists main's head and the tag's.
  RestResponse tag = Call("POST", "/v1/namespaces/market/tables/trades",
                          {{"requirements", Json::array()},
                           {"updates",
                            {{{"action", "set-snapshot-ref"},
                              {"ref-name", "first"},
                              {"type", "tag"},
                              {"snapshot-id", 11}}}}});
  ASSERT_EQ(tag.status, 200) << tag.body;
  EXPECT_EQ(
      Body(Call("GET",
                "/v1/namespaces/market/tables/trades?snapshots=refs"))["metadata"]["snapshots"]
          .size(),
      2u);
  ASSERT_EQ(Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 13, 12, 3)).status,
            200);
  EXPECT_EQ(
      Body(Call("GET",
                "/v1/namespaces/market/tables/trades?snapshots=refs"))["metadata"]["snapshots"]
          .size(),
      2u);
  EXPECT_EQ(
      Body(Call("GET", "/v1/namespaces/market/tables/trades"))["metadata"]["snapshots"].size(), 3u);
}

TEST_F(RestServerTest, EveryRequirementTypeIsChecked) {
  Json created = CreateTrades();
  const Json m = created["metadata"];
  struct Case {
    Json ok;
    Json wrong;
  };
  std::vector<Case> cases = {
      {{{"type", "assert-table-uuid"}, {"uuid", m["table-uuid"]}},
       {{"type", "assert-table-uuid"}, {"uuid", "00000000-0000-0000-0000-000000000000"}}},
      {{{"type", "assert-ref-snapshot-id"}, {"ref", "main"}, {"snapshot-id", nullptr}},
       {{"type", "assert-ref-snapshot-id"}, {"ref", "main"}, {"snapshot-id", 5}}},
      {{{"type", "assert-last-assigned-field-id"}, {"last-assigned-field-id", 3}},
       {{"type", "assert-last-assigned-field-id"}, {"last-assigned-field-id", 2}}},
      {{{"type", "assert-current-schema-id"}, {"current-schema-id", 0}},
       {{"type", "assert-current-schema-id"}, {"current-schema-id", 1}}},
      {{{"type", "assert-last-assigned-partition-id"}, {"last-assigned-partition-id", 1000}},
       {{"type", "assert-last-assigned-partition-id"}, {"last-assigned-partition-id", 999}}},
      {{{"type", "assert-default-spec-id"}, {"default-spec-id", 0}},
       {{"type", "assert-default-spec-id"}, {"default-spec-id", 1}}},
      {{{"type", "assert-default-sort-order-id"}, {"default-sort-order-id", 0}},
       {{"type", "assert-default-sort-order-id"}, {"default-sort-order-id", 1}}},
      {{{"type", "assert-ref-snapshot-id"}, {"ref", "dev"}, {"snapshot-id", nullptr}},
       {{"type", "assert-create"}}},
  };
  const std::string path = "/v1/namespaces/market/tables/trades";
  Json noop = {{{"action", "set-properties"}, {"updates", {{"touched", "yes"}}}}};
  for (const Case& c : cases) {
    RestResponse ok = Call("POST", path, {{"requirements", {c.ok}}, {"updates", noop}});
    EXPECT_EQ(ok.status, 200) << c.ok.dump() << ": " << ok.body;
    RestResponse wrong = Call("POST", path, {{"requirements", {c.wrong}}, {"updates", noop}});
    EXPECT_EQ(wrong.status, 409) << c.wrong.dump() << ": " << wrong.body;
    EXPECT_EQ(ErrorType(wrong), "CommitFailedException");
  }
  EXPECT_EQ(
      Call("POST", path, {{"requirements", {{{"type", "assert-everything"}}}}, {"updates", noop}})
          .status,
      400);
  EXPECT_EQ(Call("POST", path, {{"updates", {{{"action", "teleport"}}}}}).status, 400);
}

TEST_F(RestServerTest, SchemaSpecOrderPropertyAndStatisticsUpdates) {
  Json created = CreateTrades();
  Json schema1 = Schema();
  schema1["fields"].push_back(
      {{"id", 4}, {"name", "price"}, {"type", "double"}, {"required", false}});
  Json commit = {
      {"requirements",
       {{{"type", "assert-current-schema-id"}, {"current-schema-id", 0}},
        {{"type", "assert-last-assigned-field-id"}, {"last-assigned-field-id", 3}}}},
      {"updates",
       {{{"action", "add-schema"}, {"schema", schema1}, {"last-column-id", 4}},
        {{"action", "set-current-schema"}, {"schema-id", -1}},
        {{"action", "add-spec"},
         {"spec", {{"fields", {{{"source-id", 2}, {"name", "ts_hour"}, {"transform", "hour"}}}}}}},
        {{"action", "set-default-spec"}, {"spec-id", -1}},
        {{"action", "add-sort-order"},
         {"sort-order",
          {{"order-id", 1},
           {"fields",
            {{{"transform", "identity"},
              {"source-id", 3},
              {"direction", "asc"},
              {"null-order", "nulls-first"}}}}}}},
        {{"action", "set-default-sort-order"}, {"sort-order-id", -1}},
        {{"action", "set-properties"}, {"updates", {{"a", "1"}}}},
        {{"action", "remove-properties"}, {"removals", {"owner"}}},
        {{"action", "upgrade-format-version"}, {"format-version", 2}}}}};
  RestResponse r = Call("POST", "/v1/namespaces/market/tables/trades", commit);
  ASSERT_EQ(r.status, 200) << r.body;
  Json m = Body(r)["metadata"];
  EXPECT_EQ(m["current-schema-id"], 1);
  EXPECT_EQ(m["last-column-id"], 4);
  EXPECT_EQ(m["default-spec-id"], 1);
  EXPECT_EQ(m["last-partition-id"], 1001);
  EXPECT_EQ(m["default-sort-order-id"], 1);
  EXPECT_EQ(m["properties"]["a"], "1");
  EXPECT_FALSE(m["properties"].contains("owner"));

  const std::string uuid = m["table-uuid"];
  ASSERT_EQ(Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 21, {}, 1)).status,
            200);
  Json stats = {{"snapshot-id", 21},
                {"statistics-path", "/s/21.puffin"},
                {"file-size-in-bytes", 10},
                {"file-footer-size-in-bytes", 4},
                {"blob-metadata", Json::array()}};
  Json more = {
      {"updates",
       {{{"action", "set-statistics"}, {"snapshot-id", 21}, {"statistics", stats}},
        {{"action", "set-partition-statistics"},
         {"partition-statistics",
          {{"snapshot-id", 21}, {"statistics-path", "/p/21.parquet"}, {"file-size-in-bytes", 9}}}},
        {{"action", "remove-schemas"}, {"schema-ids", {0}}},
        {{"action", "remove-partition-specs"}, {"spec-ids", {0}}},
        {{"action", "set-location"}, {"location", dir_ / "warehouse/market/trades2"}}}}};
  r = Call("POST", "/v1/namespaces/market/tables/trades", more);
  ASSERT_EQ(r.status, 200) << r.body;
  m = Body(r)["metadata"];
  EXPECT_EQ(m["statistics"].size(), 1u);
  EXPECT_EQ(m["partition-statistics"].size(), 1u);
  EXPECT_EQ(m["schemas"].size(), 1u);
  EXPECT_EQ(m["partition-specs"].size(), 1u);
  r = Call("POST", "/v1/namespaces/market/tables/trades",
           {{"updates",
             {{{"action", "remove-statistics"}, {"snapshot-id", 21}},
              {{"action", "remove-partition-statistics"}, {"snapshot-id", 21}},
              {{"action", "remove-snapshot-ref"}, {"ref-name", "main"}},
              {{"action", "remove-snapshots"}, {"snapshot-ids", {21}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  m = Body(r)["metadata"];
  EXPECT_TRUE(m["statistics"].empty());
  EXPECT_TRUE(m["snapshots"].empty());
  EXPECT_EQ(m["current-snapshot-id"], -1);
  // Removing the current schema, or moving outside the warehouse, is refused.
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables/trades",
                 {{"updates", {{{"action", "remove-schemas"}, {"schema-ids", {1}}}}}})
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables/trades",
                 {{"updates", {{{"action", "set-location"}, {"location", "/etc"}}}}})
                .status,
            400);
}

TEST_F(RestServerTest, StagedCreateCommitsWithAssertCreate) {
  ASSERT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"s"}}}).status, 200);
  RestResponse staged = Call("POST", "/v1/namespaces/s/tables",
                             {{"name", "t"}, {"schema", Schema()}, {"stage-create", true}});
  ASSERT_EQ(staged.status, 200) << staged.body;
  EXPECT_FALSE(Body(staged).contains("metadata-location"));
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/s/tables/t").status, 404);
  Json m = Body(staged)["metadata"];
  Json commit = {{"requirements", {{{"type", "assert-create"}}}},
                 {"updates",
                  {{{"action", "assign-uuid"}, {"uuid", m["table-uuid"]}},
                   {{"action", "upgrade-format-version"}, {"format-version", 2}},
                   {{"action", "add-schema"}, {"schema", Schema()}},
                   {{"action", "set-current-schema"}, {"schema-id", -1}},
                   {{"action", "set-location"}, {"location", m["location"]}}}}};
  RestResponse r = Call("POST", "/v1/namespaces/s/tables/t", commit);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/s/tables/t").status, 204);
  EXPECT_EQ(Body(r)["metadata"]["table-uuid"], m["table-uuid"]);
  EXPECT_EQ(Call("POST", "/v1/namespaces/s/tables/t", commit).status, 409);
}

TEST_F(RestServerTest, TransactionIsAllOrNothing) {
  Json a = CreateTrades();
  Json create = {{"name", "quotes"}, {"schema", Schema()}};
  Json b = Body(Call("POST", "/v1/namespaces/market/tables", create));
  const std::string a0 = a["metadata-location"], b0 = b["metadata-location"];
  auto change = [](const std::string& name, const Json& commit) {
    Json c = commit;
    c["identifier"] = {{"namespace", {"market"}}, {"name", name}};
    return c;
  };
  Json bad = {{"table-changes",
               {change("trades", Append(a["metadata"]["table-uuid"], 1, {}, 1)),
                change("quotes", Append("wrong-uuid", 2, {}, 1))}}};
  EXPECT_EQ(Call("POST", "/v1/transactions/commit", bad).status, 409);
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "trades"}).value(), a0);
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "quotes"}).value(), b0);

  Json good = {{"table-changes",
                {change("trades", Append(a["metadata"]["table-uuid"], 1, {}, 1)),
                 change("quotes", Append(b["metadata"]["table-uuid"], 2, {}, 1))}}};
  RestResponse r = Call("POST", "/v1/transactions/commit", good);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_NE(catalog_->LoadTable({{"market"}, "trades"}).value(), a0);
  EXPECT_NE(catalog_->LoadTable({{"market"}, "quotes"}).value(), b0);
}

TEST_F(RestServerTest, DropPurgeRenameRegister) {
  Json created = CreateTrades();
  const std::string v0 = created["metadata-location"];
  EXPECT_EQ(Call("POST", "/v1/tables/rename",
                 {{"source", {{"namespace", {"market"}}, {"name", "trades"}}},
                  {"destination", {{"namespace", {"market"}}, {"name", "fills"}}}})
                .status,
            204);
  EXPECT_EQ(Call("HEAD", "/v1/namespaces/market/tables/fills").status, 204);
  EXPECT_EQ(Call("POST", "/v1/tables/rename",
                 {{"source", {{"namespace", {"market"}}, {"name", "trades"}}},
                  {"destination", {{"namespace", {"market"}}, {"name", "x"}}}})
                .status,
            404);
  RestResponse reg = Call("POST", "/v1/namespaces/market/register",
                          {{"name", "again"}, {"metadata-location", v0}});
  ASSERT_EQ(reg.status, 200) << reg.body;
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/register",
                 {{"name", "evil"}, {"metadata-location", "/etc/passwd"}})
                .status,
            400);
  EXPECT_EQ(Call("DELETE", "/v1/namespaces/market/tables/again").status, 204);
  EXPECT_TRUE(std::filesystem::exists(v0));
  EXPECT_EQ(Call("DELETE", "/v1/namespaces/market/tables/fills?purgeRequested=true").status, 204);
  EXPECT_FALSE(std::filesystem::exists(v0));
  EXPECT_EQ(Call("DELETE", "/v1/namespaces/market/tables/fills").status, 404);
  EXPECT_EQ(
      Call("POST", "/v1/namespaces/market/tables/fills/metrics", {{"report-type", "scan-report"}})
          .status,
      204);
}

TEST_F(RestServerTest, BadInputIsA4xx) {
  ASSERT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"market"}}}).status, 200);
  RestRequest req;
  req.method = "POST";
  req.path = "/v1/namespaces";
  for (std::string body : {"{", "[]", "null", "{\"namespace\": 5}", "{\"namespace\": [1]}",
                           "{\"namespace\": []}", "{\"namespace\": [\"a\"], \"properties\": 3}"}) {
    req.body = body;
    EXPECT_EQ(server_->Handle(req).status, 400) << body;
  }
  for (const char* level : {"..", ".", "a.b", "a/b", "a\\b", "", "tab\there"}) {
    EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {level}}}).status, 400) << level;
  }
  EXPECT_EQ(Call("GET", "/v1/namespaces/%2E%2E").status, 400);
  EXPECT_EQ(Call("GET", "/v1/namespaces/market/tables/a%2Fb").status, 400);
  EXPECT_EQ(Call("GET", "/v1/namespaces/market/tables/%ZZ").status, 400);
  for (const char* name : {"..", "a/b", "x.y"}) {
    EXPECT_EQ(
        Call("POST", "/v1/namespaces/market/tables", {{"name", name}, {"schema", Schema()}}).status,
        400)
        << name;
  }
  // Quotes are just characters.
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables",
                 {{"name", "it's \"quoted\""}, {"schema", Schema()}})
                .status,
            200);
  EXPECT_EQ(Call("GET", "/v1/namespaces/market/tables/it%27s%20%22quoted%22").status, 200);
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables", {{"name", "t"}, {"schema", 5}}).status,
            400);
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables",
                 {{"name", "t"}, {"schema", {{"type", "struct"}, {"fields", {{{"id", "x"}}}}}}})
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables/t", {{"updates", 7}}).status, 400);
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
  EXPECT_EQ(Call("GET", "/v2/config").status, 404);
  EXPECT_EQ(Call("PUT", "/v1/namespaces").status, 405);
  EXPECT_EQ(Call("GET", "/v1/namespaces?pageSize=abc").status, 400);
  EXPECT_EQ(Call("GET", "/v1/namespaces?pageToken=zz").status, 400);
  req.body = std::string(2 << 20, ' ');
  EXPECT_EQ(server_->Handle(req).status, 413);
}

TEST_F(RestServerTest, BearerTokensAndClientCredentials) {
  Open({{"rw-secret"}, {"ro-secret"}, {"spark:s3cret"}, 60});
  EXPECT_EQ(Call("GET", "/v1/config").status, 401);
  EXPECT_EQ(Call("GET", "/v1/config", {}, {{"authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(Call("GET", "/v1/config", {}, {{"authorization", "Bearer ro-secret"}}).status, 200);
  RestResponse denied = Call("POST", "/v1/namespaces", {{"namespace", {"x"}}},
                             {{"authorization", "Bearer ro-secret"}});
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorType(denied), "ForbiddenException");
  EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"x"}}},
                 {{"authorization", "Bearer rw-secret"}})
                .status,
            200);

  RestRequest token;
  token.method = "POST";
  token.path = "/v1/oauth/tokens";
  token.body = "grant_type=client_credentials&client_id=spark&client_secret=not-it-42";
  RestResponse bad = server_->Handle(token);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body.find("not-it-42"), std::string::npos);
  token.body = "grant_type=client_credentials&client_id=spark&client_secret=s3cret&scope=catalog";
  RestResponse issued = server_->Handle(token);
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string access = Body(issued)["access_token"];
  EXPECT_EQ(Body(issued)["token_type"], "bearer");
  EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"y"}}},
                 {{"authorization", "Bearer " + access}})
                .status,
            200);
}

TEST_F(RestServerTest, VendsCredentialsOnlyWhenAskedAndToTheConfiguredTokens) {
  vended_ = {{"s3.access-key-id", "AKIAVENDED"}, {"s3.secret-access-key", "vended-secret"}};
  Open({{"rw-secret"}, {"ro-secret"}, {}, 60});
  const std::map<std::string, std::string> rw = {{"authorization", "Bearer rw-secret"}};
  const std::map<std::string, std::string> ro = {{"authorization", "Bearer ro-secret"}};
  auto asking = [](std::map<std::string, std::string> h) {
    h["x-iceberg-access-delegation"] = "vended-credentials";
    return h;
  };
  auto vended = [](const RestResponse& r, const char* field) {
    Json j = Body(r);
    return j.contains(field) && j[field].is_object() && j[field].contains("s3.secret-access-key");
  };
  ASSERT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"market"}}}, rw).status, 200);
  RestResponse created = Call("POST", "/v1/namespaces/market/tables",
                              {{"name", "trades"}, {"schema", Schema()}}, asking(rw));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_TRUE(vended(created, "config")) << created.body;
  EXPECT_EQ(Body(created)["config"]["s3.access-key-id"], "AKIAVENDED");

  const std::string table = "/v1/namespaces/market/tables/trades";
  EXPECT_FALSE(vended(Call("GET", table, {}, rw), "config")) << "not asked";
  EXPECT_TRUE(vended(Call("GET", table, {}, asking(rw)), "config"));
  EXPECT_FALSE(vended(Call("GET", table, {}, asking(ro)), "config")) << "read-only token";
  EXPECT_TRUE(vended(Call("GET", "/v1/config", {}, asking(rw)), "overrides"));
  EXPECT_FALSE(vended(Call("GET", "/v1/config", {}, rw), "overrides"));
  EXPECT_FALSE(vended(Call("GET", "/v1/config", {}, asking(ro)), "overrides"));

  vend_to_read_only_ = true;
  Open({{"rw-secret"}, {"ro-secret"}, {}, 60});
  EXPECT_TRUE(vended(Call("GET", table, {}, asking(ro)), "config"));
}

TEST_F(RestServerTest, IdempotencyKeyReplaysTheFirstAnswer) {
  std::map<std::string, std::string> key = {{"idempotency-key", "0190-aaaa"}};
  RestResponse first = Call("POST", "/v1/namespaces", {{"namespace", {"once"}}}, key);
  ASSERT_EQ(first.status, 200);
  RestResponse again = Call("POST", "/v1/namespaces", {{"namespace", {"once"}}}, key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"once"}}}).status, 409);
  EXPECT_EQ(Call("POST", "/v1/namespaces", {{"namespace", {"other"}}}, key).status, 422);
}

TEST_F(RestServerTest, IdempotencyKeyReplaysACommitAfterTheTableMovedOn) {
  Json created = CreateTrades();
  const std::string uuid = created["metadata"]["table-uuid"];
  std::map<std::string, std::string> key = {{"idempotency-key", "0190-bbbb"}};
  RestResponse first =
      Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 11, {}, 1), key);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 12, 11, 2)).status,
            200);
  // The replay is the first answer (its metadata, not the table's current
  // one), and it commits nothing.
  RestResponse again =
      Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 11, {}, 1), key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Body(again), Body(first));
  EXPECT_EQ(Body(again)["metadata"]["current-snapshot-id"], 11);
  K2_ASSERT_OK_AND_ASSIGN(auto table,
                          iceberg::Table::Load(*catalog_, *io_, {{"market"}, "trades"}));
  EXPECT_EQ(table.metadata().snapshots.size(), 2u);
  EXPECT_EQ(table.metadata().current_snapshot_id, 12);
}

TEST_F(RestServerTest, AnotherWritersSwapIsNeverHiddenByTheMetadataCache) {
  Json created = CreateTrades();
  const std::string uuid = created["metadata"]["table-uuid"];
  RestResponse c1 = Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 11, {}, 1));
  ASSERT_EQ(c1.status, 200) << c1.body;
  // A writer beside the server (k2 on the SQL catalog directly) commits: the
  // server still holds the metadata it wrote, under the old location.
  K2_ASSERT_OK_AND_ASSIGN(auto direct,
                          iceberg::Table::Load(*catalog_, *io_, {{"market"}, "trades"}));
  auto props = direct.NewUpdateProperties();
  props.Set("written.by", "sql");
  K2_ASSERT_OK(direct.CommitUpdate(props));
  ASSERT_NE(direct.metadata_location(), Body(c1)["metadata-location"]);

  Json loaded = Body(Call("GET", "/v1/namespaces/market/tables/trades"));
  EXPECT_EQ(loaded["metadata-location"], direct.metadata_location());
  EXPECT_EQ(loaded["metadata"]["properties"]["written.by"], "sql");
  // A commit based on what the server wrote last still checks against the
  // pointer: main has not moved, so it applies, on top of the direct commit.
  RestResponse c2 = Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 12, 11, 2));
  ASSERT_EQ(c2.status, 200) << c2.body;
  EXPECT_EQ(Body(c2)["metadata"]["properties"]["written.by"], "sql");
  EXPECT_EQ(Body(c2)["metadata"]["metadata-log"].back()["metadata-file"],
            direct.metadata_location());
  // And one based on the old head of main is refused.
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/tables/trades", Append(uuid, 13, 11, 2)).status,
            409);
}

}  // namespace
}  // namespace k2::rest
