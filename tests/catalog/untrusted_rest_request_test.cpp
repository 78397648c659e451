// Requests to the REST catalog server from clients k2 does not control: bodies
// nested a million levels deep on every route that reads JSON are a 400 in
// bounded stack (fuzz/rest_request_fuzz.cpp explores the rest; what it found
// is kept here).
#include <gtest/gtest.h>

#include <string>

#include "catalog/memory_catalog.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "io/memory_file_io.h"
#include "support/support.h"

namespace k2::rest {
namespace {

using Json = nlohmann::json;

class UntrustedRestRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RestServerOptions options;
    options.warehouse = "mem://warehouse";
    server_ = std::make_unique<RestCatalogServer>(*catalog_, *io_, options);
    ASSERT_EQ(Call("POST", "/v1/namespaces", R"({"namespace": ["market"]})").status, 200);
    Json create = {
        {"name", "trades"},
        {"schema",
         {{"type", "struct"},
          {"schema-id", 0},
          {"fields", {{{"id", 1}, {"name", "id"}, {"type", "long"}, {"required", true}}}}}}};
    RestResponse r = Call("POST", "/v1/namespaces/market/tables", create.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  RestResponse Call(const std::string& method, const std::string& path, std::string body) {
    RestRequest req;
    req.method = method;
    req.path = path;
    req.body = std::move(body);
    return server_->Handle(req);
  }

  static std::string ErrorType(const RestResponse& r) {
    Json j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("type", "") : "";
  }

  std::unique_ptr<Catalog> catalog_ = NewMemoryCatalog("test");
  std::unique_ptr<FileIO> io_ = NewMemoryFileIO();
  std::unique_ptr<RestCatalogServer> server_;
};

// Copying a parsed value recursed once per level: a 2 MB body (under the
// 16 MiB limit) crashed the server while the create copied its schema.
TEST_F(UntrustedRestRequestTest, BodiesNestedAMillionDeepAreA400) {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  const std::pair<const char*, std::string> calls[] = {
      {"/v1/namespaces", R"({"namespace": )" + deep + "}"},
      {"/v1/namespaces/market/properties", R"({"updates": {"a": )" + deep + "}}"},
      {"/v1/namespaces/market/tables", R"({"name": "deep", "schema": {"fields": )" + deep + "}}"},
      {"/v1/namespaces/market/register", R"({"name": "r", "metadata-location": )" + deep + "}"},
      {"/v1/namespaces/market/tables/trades",
       R"({"updates": [{"action": "set-properties", "updates": {"a": )" + deep + "}}]}"},
      {"/v1/namespaces/market/tables/trades/metrics", R"({"report": )" + deep + "}"},
      {"/v1/tables/rename", R"({"source": )" + deep + "}"},
      {"/v1/transactions/commit", R"({"table-changes": [{"identifier": )" + deep + "}]}"},
  };
  for (const auto& [path, body] : calls) {
    RestResponse r = Call("POST", path, body);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(ErrorType(r), "BadRequestException") << path;
  }
  // Nesting that real requests use still works.
  EXPECT_EQ(Call("POST", "/v1/namespaces/market/properties",
                 R"({"updates": {"a": "1"}, "removals": ["b"]})")
                .status,
            200);
}

}  // namespace
}  // namespace k2::rest
