// OpenSqlCatalog: URI forms, bad input, the JDBC/pyiceberg table layout as other
// clients see it, and commits whose outcome is unknown.

#include "catalog/catalog_factory.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "catalog/backends.h"
#include "catalog/sql/job_store.h"
#include "support/postgres_server.h"

namespace k2 {
namespace {

namespace fs = std::filesystem;
using ::k2::testing::TempDir;

/// Runs `sql` on the SQLite file with the plain C API; returns rows of text
/// ("NULL" for NULL), as another client (pyiceberg, sqlite3 CLI) would see them.
std::vector<std::vector<std::string>> SqliteRows(const std::string& path, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CatalogFactoryTest, SqliteUriFormsOpenTheSameFile) {
  TempDir dir;
  const std::string path = dir / "nested/dirs/catalog.db";
  K2_ASSERT_OK_AND_ASSIGN(auto first, OpenSqlCatalog("sqlite://" + path, "k2"));
  EXPECT_TRUE(fs::exists(path));
  K2_ASSERT_OK(first->CreateNamespace({"ns"}, {}));
  K2_ASSERT_OK(first->CreateTable({{"ns"}, "t"}, "loc-1"));
  for (const std::string& uri : {"sqlite:" + path, path, "jdbc:sqlite:" + path}) {
    K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(uri, "k2"));
    K2_ASSERT_OK_AND_ASSIGN(auto location, catalog->LoadTable({{"ns"}, "t"}));
    EXPECT_EQ(location, "loc-1") << uri;
  }
  EXPECT_EQ(SqliteRows(path, "PRAGMA journal_mode"), (Rows{{"wal"}}));
}

TEST(CatalogFactoryTest, SqliteFileHasTheJdbcCatalogLayout) {
  TempDir dir;
  const std::string path = dir / "catalog.db";
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(path, "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"market", "raw"}, {{"owner", "desk"}}));
  K2_ASSERT_OK(catalog->CreateTable({{"market", "raw"}, "trades"}, "s3://w/v1.metadata.json"));
  K2_ASSERT_OK(catalog->SwapTable({{"market", "raw"}, "trades"}, "s3://w/v1.metadata.json",
                                  "s3://w/v2.metadata.json"));

  // Column names, order and primary keys as JdbcCatalog (schema v1) creates them.
  EXPECT_EQ(SqliteRows(path,
                       "SELECT name, upper(type), \"notnull\", pk FROM "
                       "pragma_table_info('iceberg_tables') ORDER BY cid"),
            (Rows{{"catalog_name", "VARCHAR(255)", "1", "1"},
                  {"table_namespace", "VARCHAR(255)", "1", "2"},
                  {"table_name", "VARCHAR(255)", "1", "3"},
                  {"metadata_location", "VARCHAR(1000)", "0", "0"},
                  {"previous_metadata_location", "VARCHAR(1000)", "0", "0"},
                  {"iceberg_type", "VARCHAR(5)", "0", "0"}}));
  EXPECT_EQ(SqliteRows(path,
                       "SELECT name, pk FROM pragma_table_info("
                       "'iceberg_namespace_properties') ORDER BY cid"),
            (Rows{{"catalog_name", "1"},
                  {"namespace", "2"},
                  {"property_key", "3"},
                  {"property_value", "0"}}));
  EXPECT_EQ(SqliteRows(path, "SELECT * FROM iceberg_tables"),
            (Rows{{"k2", "market.raw", "trades", "s3://w/v2.metadata.json",
                   "s3://w/v1.metadata.json", "TABLE"}}));
  EXPECT_EQ(SqliteRows(path, "SELECT * FROM iceberg_namespace_properties ORDER BY property_key"),
            (Rows{{"k2", "market.raw", "exists", "true"}, {"k2", "market.raw", "owner", "desk"}}));

  // Rows written by another client (pyiceberg writes no iceberg_type) are k2 tables too.
  SqliteRows(path,
             "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
             "metadata_location) VALUES ('k2', 'market.raw', 'quotes', '/w/q.json'), ('k2', "
             "'other', 'x', '/w/x.json')");
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog->LoadTable({{"market", "raw"}, "quotes"}));
  EXPECT_EQ(location, "/w/q.json");
  K2_ASSERT_OK_AND_ASSIGN(auto tables, catalog->ListTables({"market", "raw"}));
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "quotes");
  K2_ASSERT_OK_AND_ASSIGN(auto top, catalog->ListNamespaces({}));
  EXPECT_EQ(top, (std::vector<Namespace>{{"market"}, {"other"}}));
  // Views (iceberg_type VIEW) are not tables.
  SqliteRows(path,
             "INSERT INTO iceberg_tables VALUES ('k2', 'market.raw', 'v', '/w/v.json', NULL, "
             "'VIEW')");
  K2_ASSERT_ERROR_KIND(catalog->LoadTable({{"market", "raw"}, "v"}), ErrorKind::kNotFound);
}

TEST(CatalogFactoryTest, UpgradesAV0CatalogWithoutIcebergType) {
  TempDir dir;
  const std::string path = dir / "v0.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
                         "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT "
                         "NULL, metadata_location VARCHAR(1000), previous_metadata_location "
                         "VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, "
                         "table_name));"
                         "INSERT INTO iceberg_tables VALUES ('py', 'db', 'events', '/w/e1.json', "
                         "NULL);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(path, "py"));
  K2_ASSERT_OK(catalog->SwapTable({{"db"}, "events"}, "/w/e1.json", "/w/e2.json"));
  EXPECT_EQ(SqliteRows(path, "SELECT * FROM iceberg_tables"),
            (Rows{{"py", "db", "events", "/w/e2.json", "/w/e1.json", "NULL"}}));
}

TEST(CatalogFactoryTest, BadUrisAreInvalidInput) {
  for (const std::string uri : {"", "mysql://k2:hunter2@127.0.0.1/db", "sqlite:", "sqlite://",
                                "postgresql://k2:hunter2@[::1/db",
                                "postgresql://k2:hunter2@127.0.0.1:5432/db?bogus_option=1",
                                "postgresql://k2:hunter2@127.0.0.1:notaport/db"}) {
    auto catalog = OpenSqlCatalog(uri, "k2");
    ASSERT_FALSE(catalog.has_value()) << uri;
    EXPECT_EQ(catalog.error().kind, ErrorKind::kInvalidInput) << catalog.error().ToString();
    EXPECT_EQ(catalog.error().message.find("hunter2"), std::string::npos)
        << catalog.error().message;
  }
  TempDir dir;
  K2_ASSERT_ERROR_KIND(OpenSqlCatalog(dir / "c.db", ""), ErrorKind::kInvalidInput);
}

TEST(CatalogFactoryTest, UnreachablePostgresNamesTheServerNotThePassword) {
  int port = ::k2::testing::FreeLoopbackPort();
  std::string uri = fmt::format("postgresql://k2:hunter2@127.0.0.1:{}/catalog", port);
  auto catalog = OpenSqlCatalog(uri, "k2");
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().kind, ErrorKind::kIo) << catalog.error().ToString();
  const std::string& message = catalog.error().message;
  EXPECT_NE(message.find(fmt::format("postgresql://k2:***@127.0.0.1:{}/catalog", port)),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  K2_ASSERT_ERROR_KIND(LeaseStore::Open(uri), ErrorKind::kIo);
}

TEST(CatalogFactoryTest, UnwritableOrForeignSqliteFilesAreErrors) {
  TempDir dir;
  {
    std::ofstream(dir / "plain-file") << "not a directory";
    std::ofstream(dir / "garbage.db") << std::string(4096, 'x');
  }
  const std::string under_file = dir / "plain-file/sub/catalog.db";
  auto catalog = OpenSqlCatalog("sqlite://" + under_file, "k2");
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().kind, ErrorKind::kIo) << catalog.error().ToString();
  EXPECT_NE(catalog.error().message.find(under_file), std::string::npos) << catalog.error().message;

  auto on_dir = OpenSqlCatalog(dir.path(), "k2");
  ASSERT_FALSE(on_dir.has_value());
  EXPECT_EQ(on_dir.error().kind, ErrorKind::kIo) << on_dir.error().ToString();
  EXPECT_NE(on_dir.error().message.find(dir.path()), std::string::npos);

  auto garbage = OpenSqlCatalog(dir / "garbage.db", "k2");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().kind, ErrorKind::kCorrupt) << garbage.error().ToString();
  EXPECT_NE(garbage.error().message.find("garbage.db"), std::string::npos);
}

TEST(PostgresCatalogTest, WrongPasswordIsAnIoErrorWithoutThePassword) {
  ::k2::Error error;
  auto* server = ::k2::testing::SharedPostgres(&error);
  if (!server && error.kind == ErrorKind::kNotFound) GTEST_SKIP() << error.message;
  ASSERT_NE(server, nullptr) << error.ToString();
  std::string uri = fmt::format("postgresql://k2:wrong-pw-123@127.0.0.1:{}/k2", server->port());
  auto catalog = OpenSqlCatalog(uri, "k2");
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().kind, ErrorKind::kIo) << catalog.error().ToString();
  EXPECT_NE(catalog.error().message.find("password authentication failed"), std::string::npos)
      << catalog.error().message;
  EXPECT_EQ(catalog.error().message.find("wrong-pw-123"), std::string::npos);
}

TEST(PostgresCatalogTest, TablesHaveTheJdbcCatalogLayout) {
  ::k2::Error error;
  auto* server = ::k2::testing::SharedPostgres(&error);
  if (!server && error.kind == ErrorKind::kNotFound) GTEST_SKIP() << error.message;
  ASSERT_NE(server, nullptr) << error.ToString();
  K2_ASSERT_OK_AND_ASSIGN(std::string uri, server->CreateDatabase("layout"));
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(uri, "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"market"}, {{"owner", "desk"}}));
  K2_ASSERT_OK(catalog->CreateTable({{"market"}, "trades"}, "v1"));
  K2_ASSERT_OK(catalog->SwapTable({{"market"}, "trades"}, "v1", "v2"));
  K2_ASSERT_OK_AND_ASSIGN(
      auto columns,
      server->Query("SELECT column_name, data_type, character_maximum_length, is_nullable FROM "
                    "information_schema.columns WHERE table_name = 'iceberg_tables' ORDER BY "
                    "ordinal_position",
                    "layout"));
  EXPECT_EQ(columns,
            "catalog_name|character varying|255|NO\n"
            "table_namespace|character varying|255|NO\n"
            "table_name|character varying|255|NO\n"
            "metadata_location|character varying|1000|YES\n"
            "previous_metadata_location|character varying|1000|YES\n"
            "iceberg_type|character varying|5|YES\n");
  K2_ASSERT_OK_AND_ASSIGN(auto rows, server->Query("SELECT * FROM iceberg_tables", "layout"));
  EXPECT_EQ(rows, "k2|market|trades|v2|v1|TABLE\n");
  K2_ASSERT_OK_AND_ASSIGN(rows, server->Query("SELECT * FROM iceberg_namespace_properties ORDER "
                                              "BY property_key",
                                              "layout"));
  EXPECT_EQ(rows, "k2|market|exists|true\nk2|market|owner|desk\n");
}

TEST(PostgresCatalogTest, LostConnectionDuringCommitIsCommitStateUnknown) {
  K2_START_POSTGRES(server);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(server->uri(), "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"ns"}, {}));
  K2_ASSERT_OK(catalog->CreateTable({{"ns"}, "t"}, "v1"));
  server->Kill();
  auto swapped = catalog->SwapTable({{"ns"}, "t"}, "v1", "v2");
  ASSERT_FALSE(swapped.has_value());
  EXPECT_EQ(swapped.error().kind, ErrorKind::kCommitStateUnknown) << swapped.error().ToString();
  EXPECT_EQ(swapped.error().message.find("secret"), std::string::npos);
  // The next call reconnects, finds nobody, and says so.
  auto loaded = catalog->LoadTable({{"ns"}, "t"});
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kIo) << loaded.error().ToString();
  EXPECT_EQ(loaded.error().message.find("secret"), std::string::npos);
}

TEST(PostgresCatalogTest, ReconnectsAfterTheServerRestarts) {
  K2_START_POSTGRES(server);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(server->uri(), "k2"));
  K2_ASSERT_OK_AND_ASSIGN(auto leases, LeaseStore::Open(server->uri()));
  K2_ASSERT_OK(catalog->CreateNamespace({"ns"}, {}));
  K2_ASSERT_OK(catalog->CreateTable({{"ns"}, "t"}, "v1"));
  K2_ASSERT_OK(server->Restart());
  // Reads run again on a new connection; the table survived the restart.
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog->LoadTable({{"ns"}, "t"}));
  EXPECT_EQ(location, "v1");
  K2_ASSERT_OK(catalog->SwapTable({{"ns"}, "t"}, "v1", "v2"));
  K2_ASSERT_OK(server->Restart());
  // A write whose connection broke is not retried blindly: the outcome is
  // unknown to the client (here the statement never reached the server).
  auto acquired = leases->TryAcquire("job", "me", 1000, 1000);
  ASSERT_FALSE(acquired.has_value());
  EXPECT_EQ(acquired.error().kind, ErrorKind::kCommitStateUnknown) << acquired.error().ToString();
  K2_ASSERT_OK_AND_ASSIGN(bool got, leases->TryAcquire("job", "me", 1000, 1000));
  EXPECT_TRUE(got);
  K2_ASSERT_OK_AND_ASSIGN(location, catalog->LoadTable({{"ns"}, "t"}));
  EXPECT_EQ(location, "v2");
}

}  // namespace
}  // namespace k2
