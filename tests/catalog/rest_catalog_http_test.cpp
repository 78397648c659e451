// k2's REST catalog on a real loopback listener, used by engines k2 did not
// write: iceberg-js (namespaces, tables, commits with requirements, a 409) and
// ClickHouse (chDB's DataLakeCatalog database engine lists and reads a table
// k2 wrote).

#include "catalog/rest_server/rest_http_listener.h"

#include <gtest/gtest.h>

#include <mutex>

#include <atomic>
#include <thread>

#include "catalog/catalog_factory.h"
#include "catalog/rest/rest_catalog.h"
#include "catalog/rest_server/rest_catalog_server.h"
#include "iceberg/test_tables.h"
#include "support/support.h"

namespace k2::rest {
namespace {

using Json = nlohmann::json;

class RestCatalogHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = OpenSqlCatalog(dir_ / "catalog.db", "k2");
    ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    io_ = NewLocalFileIO();
    rest::RestServerOptions options;
    // Engines such as ClickHouse want a scheme on every location.
    options.warehouse = "file://" + (dir_ / "warehouse");
    server_ = std::make_unique<rest::RestCatalogServer>(*catalog_, *io_, options);
    listener_ = std::make_unique<rest::RestCatalogListener>(
        [this](const rest::RestRequest& r) {
          rest::RestResponse response = server_->Handle(r);
          // Fault: the commit happened, but its answer is lost (server died).
          if (r.method == "POST" && r.path.find("/tables/") != std::string::npos &&
              lose_commit_answers_ > 0) {
            --lose_commit_answers_;
            return rest::RestResponse{502, "text/plain", "bad gateway", {}};
          }
          if (response.status == 304) ++not_modified_;
          return response;
        },
        1 << 20);
    auto started = listener_->Start("127.0.0.1", 0);
    ASSERT_TRUE(started.has_value()) << started.error().ToString();
    base_ = "http://127.0.0.1:" + std::to_string(listener_->port());
  }

  void TearDown() override {
    if (listener_) listener_->Stop();
  }

  /// An unpartitioned trades table market.`name` under the warehouse.
  Result<iceberg::Table> CreateTable(Catalog& catalog, const std::string& name) {
    iceberg::CreateOptions create;
    create.location = "file://" + (dir_ / ("warehouse/market/" + name));
    return iceberg::Table::Create(catalog, *io_, {{"market"}, name},
                                  iceberg::testing::TradesSchema(),
                                  iceberg::PartitionSpec::Unpartitioned(), create);
  }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FileIO> io_;
  std::unique_ptr<rest::RestCatalogServer> server_;
  std::unique_ptr<rest::RestCatalogListener> listener_;
  std::string base_;
  std::atomic<int> lose_commit_answers_{0};
  std::atomic<int> not_modified_{0};
};

/// Appends one fake data file to `table` (metadata only).
Status AppendOne(iceberg::Table& table, const std::string& name) {
  auto append = table.NewFastAppend();
  append.AppendFile(iceberg::testing::FakeFile(table.metadata().location + "/data/" + name, 5));
  return table.CommitUpdate(append);
}

TEST_F(RestCatalogHttpTest, K2ClientCommitsThroughK2Server) {
  rest::RestCatalogOptions options;
  options.uri = base_ + "/iceberg";
  options.warehouse = "k2";
  K2_ASSERT_OK_AND_ASSIGN(auto client, rest::RestCatalog::Open(options));
  EXPECT_TRUE(client->WritesMetadata());
  K2_ASSERT_OK(client->CreateNamespace({"market"}, {{"owner", "k2"}}));
  K2_ASSERT_ERROR_KIND(client->CreateNamespace({"market"}, {}), ErrorKind::kAlreadyExists);
  EXPECT_EQ(client->ListNamespaces({}).value(), std::vector<Namespace>{{"market"}});
  EXPECT_EQ(client->LoadNamespaceProperties({"market"}).value().at("owner"), "k2");

  K2_ASSERT_OK_AND_ASSIGN(auto table, CreateTable(*client, "trades"));
  EXPECT_EQ(client->ListTables({"market"}).value().size(), 1u);
  K2_ASSERT_OK(AppendOne(table, "a.parquet"));
  EXPECT_EQ(table.metadata().snapshots.size(), 1u);
  // The server wrote the file the SQL catalog points to.
  EXPECT_EQ(catalog_->LoadTable({{"market"}, "trades"}).value(), table.metadata_location());

  // Two writers from the same version: the second gets 409, refreshes, retries.
  K2_ASSERT_OK_AND_ASSIGN(auto other, iceberg::Table::Load(*client, *io_, {{"market"}, "trades"}));
  K2_ASSERT_OK(AppendOne(table, "b.parquet"));
  K2_ASSERT_OK(AppendOne(other, "c.parquet"));
  EXPECT_EQ(other.metadata().snapshots.size(), 3u);

  // Schema change: assert-current-schema-id and assert-last-assigned-field-id.
  auto evolve = other.NewUpdateSchema();
  evolve.AddColumn("venue", DataType::String());
  K2_ASSERT_OK(other.CommitUpdate(evolve));
  EXPECT_EQ(other.metadata().current_schema_id, 1);
  EXPECT_EQ(other.metadata().last_column_id, 5);

  // Answers lost after the commit happened: the retry with the same
  // Idempotency-Key is answered from the server's record; no duplicate.
  lose_commit_answers_ = 1;
  K2_ASSERT_OK(AppendOne(other, "d.parquet"));
  EXPECT_EQ(other.metadata().snapshots.size(), 4u);
  // Every retry's answer lost too: the client reads the table back and finds
  // its snapshot (committed once, reported once).
  lose_commit_answers_ = 10;
  K2_ASSERT_OK(AppendOne(other, "e.parquet"));
  lose_commit_answers_ = 0;
  K2_ASSERT_OK_AND_ASSIGN(auto reread,
                          iceberg::Table::Load(*catalog_, *io_, {{"market"}, "trades"}));
  EXPECT_EQ(reread.metadata().snapshots.size(), 5u);

  K2_ASSERT_OK(client->RenameTable({{"market"}, "trades"}, {{"market"}, "fills"}));
  K2_ASSERT_OK_AND_ASSIGN(std::string last, client->DropTable({{"market"}, "fills"}));
  EXPECT_FALSE(last.empty());
  K2_ASSERT_ERROR_KIND(client->LoadTable({{"market"}, "fills"}), ErrorKind::kNotFound);
  K2_ASSERT_OK(client->DropNamespace({"market"}));
}

TEST_F(RestCatalogHttpTest, K2ClientKeepsLoadedMetadataButNeverServesItStale) {
  rest::RestCatalogOptions options;
  options.uri = base_ + "/iceberg";
  K2_ASSERT_OK_AND_ASSIGN(auto client, rest::RestCatalog::Open(options));
  K2_ASSERT_OK(client->CreateNamespace({"market"}, {}));
  K2_ASSERT_OK_AND_ASSIGN(auto table, CreateTable(*client, "trades"));
  K2_ASSERT_OK(AppendOne(table, "a.parquet"));
  K2_ASSERT_OK_AND_ASSIGN(auto first, iceberg::Table::Load(*client, *io_, {{"market"}, "trades"}));
  K2_ASSERT_OK_AND_ASSIGN(auto second, iceberg::Table::Load(*client, *io_, {{"market"}, "trades"}));
  EXPECT_EQ(not_modified_.load(), 1) << "the second load is a 304 to the first's ETag";
  EXPECT_EQ(second.metadata_location(), first.metadata_location());
  EXPECT_EQ(second.metadata().snapshots.size(), 1u);

  // Another writer commits on the SQL catalog beside the server: the client's
  // next load gets the new metadata, not its kept copy.
  K2_ASSERT_OK_AND_ASSIGN(auto direct,
                          iceberg::Table::Load(*catalog_, *io_, {{"market"}, "trades"}));
  K2_ASSERT_OK(AppendOne(direct, "b.parquet"));
  K2_ASSERT_OK(first.Refresh());
  EXPECT_EQ(first.metadata_location(), direct.metadata_location());
  EXPECT_EQ(first.metadata().snapshots.size(), 2u);
  EXPECT_EQ(not_modified_.load(), 1);
  // What the client parsed from the server's answers equals the file.
  K2_ASSERT_OK_AND_ASSIGN(auto file, iceberg::ReadTableMetadata(*io_, first.metadata_location()));
  EXPECT_EQ(first.metadata().ToJson(), file.ToJson());

  // One client, many threads, each committing to its own table: the kept
  // connections are never shared by two requests at once.
  constexpr int kThreads = 4, kCommits = 10;
  std::vector<iceberg::Table> tables;
  for (int t = 0; t < kThreads; ++t) {
    K2_ASSERT_OK_AND_ASSIGN(auto created, CreateTable(*client, "t" + std::to_string(t)));
    tables.push_back(std::move(created));
  }
  std::vector<Status> results(kThreads, OkStatus());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits && results[t]; ++i) {
        results[t] = AppendOne(tables[t], "f" + std::to_string(i) + ".parquet");
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    K2_ASSERT_OK(results[t]);
    K2_ASSERT_OK_AND_ASSIGN(
        auto reread, iceberg::Table::Load(*catalog_, *io_, {{"market"}, "t" + std::to_string(t)}));
    EXPECT_EQ(reread.metadata().snapshots.size(), static_cast<size_t>(kCommits));
  }
}

TEST_F(RestCatalogHttpTest, K2ClientAuthenticatesWithClientCredentials) {
  rest::RestServerOptions options;
  options.warehouse = "file://" + (dir_ / "warehouse");
  options.auth.clients = {"k2:s3cret"};
  server_ = std::make_unique<rest::RestCatalogServer>(*catalog_, *io_, options);
  rest::RestCatalogOptions client_options;
  client_options.uri = base_ + "/iceberg";
  client_options.credential = "k2:wrong-secret";
  auto refused = rest::RestCatalog::Open(client_options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message.find("wrong-secret"), std::string::npos)
      << refused.error().message;
  client_options.credential = "k2:s3cret";
  K2_ASSERT_OK_AND_ASSIGN(auto client, rest::RestCatalog::Open(client_options));
  K2_ASSERT_OK(client->CreateNamespace({"authed"}, {}));
  client_options.credential.clear();
  client_options.token = "not-a-token";
  K2_ASSERT_ERROR_KIND(rest::RestCatalog::Open(client_options), ErrorKind::kInvalidInput);
}

TEST_F(RestCatalogHttpTest, K2ClientAsksForVendedCredentialsAndHandsThemOnPerLocation) {
  auto serve = [&](const std::string& secret) {
    rest::RestServerOptions options;
    options.warehouse = "file://" + (dir_ / "warehouse");
    options.vended_config = {{"s3.access-key-id", "AKIAVENDED"},
                             {"s3.secret-access-key", secret},
                             {"s3.endpoint", "http://127.0.0.1:1"}};
    server_ = std::make_unique<rest::RestCatalogServer>(*catalog_, *io_, options);
  };
  serve("secret-1");
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> seen;
  std::mutex mu;
  rest::RestCatalogOptions options;
  options.uri = base_ + "/iceberg";
  options.on_storage_config = [&](const std::string& prefix,
                                  const std::map<std::string, std::string>& config) {
    std::lock_guard lock(mu);
    seen.emplace_back(prefix, config);
  };
  K2_ASSERT_OK_AND_ASSIGN(auto client, rest::RestCatalog::Open(options));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, "") << "/v1/config overrides cover every path";
  EXPECT_EQ(seen[0].second.at("s3.secret-access-key"), "secret-1");

  K2_ASSERT_OK(client->CreateNamespace({"market"}, {}));
  K2_ASSERT_OK_AND_ASSIGN(auto table, CreateTable(*client, "trades"));
  const std::string location = table.metadata().location;
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.back().first, location) << "the registration's answer, for the table's files";
  EXPECT_EQ(seen.back().second.at("s3.access-key-id"), "AKIAVENDED");

  // New credentials on the server: the next load with a new answer hands them on.
  serve("secret-2");
  K2_ASSERT_OK(AppendOne(table, "a.parquet"));
  K2_ASSERT_OK(client->LoadTableMetadata({{"market"}, "trades"}));
  EXPECT_EQ(seen.back().first, location);
  EXPECT_EQ(seen.back().second.at("s3.secret-access-key"), "secret-2");
  EXPECT_EQ(client->TableConfig({{"market"}, "trades"}).at("s3.secret-access-key"), "secret-2");

  // A client that does not ask gets none.
  rest::RestCatalogOptions plain;
  plain.uri = base_ + "/iceberg";
  K2_ASSERT_OK_AND_ASSIGN(auto other, rest::RestCatalog::Open(plain));
  K2_ASSERT_OK(other->LoadTableMetadata({{"market"}, "trades"}));
  EXPECT_EQ(other->TableConfig({{"market"}, "trades"}).count("s3.secret-access-key"), 0u);
}

TEST_F(RestCatalogHttpTest, IcebergJsClient) {
  // Through the /iceberg mount, as on the daemon's listener.
  testing::ProcessResult r = testing::RunProcess(
      {"node", testing::SourceDir() + "/tools/oracle/rest_client.mjs", base_ + "/iceberg"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json out = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["namespaces"], Json({{"js"}}));
  EXPECT_EQ(out["namespaceProperties"]["owner"], "iceberg-js");
  EXPECT_TRUE(out["namespaceExists"].get<bool>());
  EXPECT_FALSE(out["missingNamespaceExists"].get<bool>());
  EXPECT_EQ(out["tables"], Json({"events"}));
  EXPECT_TRUE(out["tableExists"].get<bool>());
  EXPECT_EQ(out["loadedUuid"], out["created"]["uuid"]);
  EXPECT_EQ(out["commit"]["currentSnapshotId"], 101);
  EXPECT_EQ(out["commit"]["property"], "iceberg-js");
  EXPECT_EQ(out["conflict"]["status"], 409);
  EXPECT_EQ(out["conflict"]["type"], "CommitFailedException");
  EXPECT_EQ(out["afterConflict"], 101);
  EXPECT_EQ(out["missingTable"]["status"], 404);
  EXPECT_EQ(out["missingTable"]["type"], "NoSuchTableException");
  EXPECT_EQ(out["tablesAfterDrop"], Json({"events"}));
  // The catalog database holds what the client committed.
  K2_ASSERT_OK_AND_ASSIGN(std::string location, catalog_->LoadTable({{"js"}, "events"}));
  EXPECT_EQ(location, out["commit"]["metadataLocation"]);
}

TEST_F(RestCatalogHttpTest, ClickHouseReadsK2TablesThroughTheCatalog) {
  K2_ASSERT_OK(catalog_->CreateNamespace({"market"}, {}));
  iceberg::CreateOptions options;
  options.location = "file://" + (dir_ / "warehouse/market/trades");
  K2_ASSERT_OK_AND_ASSIGN(
      auto spec, iceberg::PartitionSpec::Make(iceberg::testing::TradesSchema(), {{"ts", "day"}}));
  K2_ASSERT_OK_AND_ASSIGN(auto table,
                          iceberg::Table::Create(*catalog_, *io_, {{"market"}, "trades"},
                                                 iceberg::testing::TradesSchema(), spec, options));
  K2_ASSERT_OK_AND_ASSIGN(auto file, iceberg::testing::WriteTrades(
                                         table, {{"2026-11-24T10:00:00", "BTCUSDT", 95000.5, 3},
                                                 {"2026-11-24T10:00:01", "ETHUSDT", 3400.25, 7}}));
  auto append = table.NewFastAppend();
  append.AppendFile(file);
  K2_ASSERT_OK(table.CommitUpdate(append));

  auto rows = testing::QueryOracle(
      "chdb", {"SET allow_experimental_database_iceberg = 1",
               "CREATE DATABASE k2rest ENGINE = DataLakeCatalog('" + base_ +
                   "/iceberg/v1') SETTINGS catalog_type = 'rest', warehouse = 'k2', "
                   "vended_credentials = false",
               "SHOW TABLES FROM k2rest",
               "SELECT count() AS n, sum(qty) AS q FROM k2rest.`market.trades`"});
  ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
  EXPECT_EQ((*rows)[2], Json({{{"name", "market.trades"}}})) << rows->dump();
  EXPECT_EQ((*rows)[3], Json({{{"n", "2"}, {"q", "10"}}})) << rows->dump();
}

}  // namespace
}  // namespace k2::rest
