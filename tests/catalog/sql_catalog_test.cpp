// Catalog behaviour of the SQL catalog, the same tests on SQLite and on a real
// PostgreSQL server on loopback.

#include "catalog/sql/sql_catalog.h"

#include <gtest/gtest.h>

#include <thread>

#include "catalog/backends.h"
#include "catalog/catalog_factory.h"

namespace k2 {
namespace {

using ::k2::testing::TestDatabase;
using Props = std::map<std::string, std::string>;

class SqlCatalogTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SqlCatalogTest, NamespacesWithProperties) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  EXPECT_EQ(catalog->name(), "k2");
  K2_ASSERT_OK_AND_ASSIGN(auto empty, catalog->ListNamespaces({}));
  EXPECT_TRUE(empty.empty());

  K2_ASSERT_OK(catalog->CreateNamespace({"market"}, {{"owner", "desk"}, {"tier", "cold"}}));
  K2_ASSERT_ERROR_KIND(catalog->CreateNamespace({"market"}, {}), ErrorKind::kAlreadyExists);
  K2_ASSERT_OK(catalog->CreateNamespace({"market", "raw"}, {}));
  K2_ASSERT_OK(catalog->CreateNamespace({"market", "gold"}, {}));
  K2_ASSERT_OK(catalog->CreateNamespace({"ops"}, {}));

  K2_ASSERT_OK_AND_ASSIGN(auto top, catalog->ListNamespaces({}));
  EXPECT_EQ(top, (std::vector<Namespace>{{"market"}, {"ops"}}));
  K2_ASSERT_OK_AND_ASSIGN(auto under, catalog->ListNamespaces({"market"}));
  EXPECT_EQ(under, (std::vector<Namespace>{{"market", "gold"}, {"market", "raw"}}));
  K2_ASSERT_OK_AND_ASSIGN(auto leaf, catalog->ListNamespaces({"market", "raw"}));
  EXPECT_TRUE(leaf.empty());
  K2_ASSERT_ERROR_KIND(catalog->ListNamespaces({"nope"}), ErrorKind::kNotFound);

  K2_ASSERT_OK_AND_ASSIGN(auto props, catalog->LoadNamespaceProperties({"market"}));
  EXPECT_EQ(props, (Props{{"owner", "desk"}, {"tier", "cold"}}));
  K2_ASSERT_OK_AND_ASSIGN(auto no_props, catalog->LoadNamespaceProperties({"ops"}));
  EXPECT_TRUE(no_props.empty());
  K2_ASSERT_ERROR_KIND(catalog->LoadNamespaceProperties({"nope"}), ErrorKind::kNotFound);

  K2_ASSERT_OK(catalog->UpdateNamespaceProperties({"market"}, {{"tier", "warm"}, {"new", "1"}},
                                                  {"owner", "absent-key"}));
  K2_ASSERT_OK_AND_ASSIGN(props, catalog->LoadNamespaceProperties({"market"}));
  EXPECT_EQ(props, (Props{{"new", "1"}, {"tier", "warm"}}));
  K2_ASSERT_ERROR_KIND(catalog->UpdateNamespaceProperties({"market"}, {{"a", "1"}}, {"a"}),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->UpdateNamespaceProperties({"nope"}, {{"a", "1"}}, {}),
                       ErrorKind::kNotFound);
  // Removing every property leaves the namespace in place (the `exists` marker).
  K2_ASSERT_OK(catalog->UpdateNamespaceProperties({"market"}, {}, {"new", "tier", "exists"}));
  K2_ASSERT_OK_AND_ASSIGN(props, catalog->LoadNamespaceProperties({"market"}));
  EXPECT_TRUE(props.empty());

  K2_ASSERT_OK(catalog->DropNamespace({"ops"}));
  K2_ASSERT_ERROR_KIND(catalog->LoadNamespaceProperties({"ops"}), ErrorKind::kNotFound);
  K2_ASSERT_ERROR_KIND(catalog->DropNamespace({"ops"}), ErrorKind::kNotFound);
  K2_ASSERT_OK_AND_ASSIGN(top, catalog->ListNamespaces({}));
  EXPECT_EQ(top, (std::vector<Namespace>{{"market"}}));

  K2_ASSERT_ERROR_KIND(catalog->CreateNamespace({}, {}), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->CreateNamespace({"a.b"}, {}), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->CreateNamespace({"a", ""}, {}), ErrorKind::kInvalidInput);
}

TEST_P(SqlCatalogTest, TablesCreateLoadListRenameDrop) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  const TableIdentifier trades{{"market", "raw"}, "trades"};
  K2_ASSERT_ERROR_KIND(catalog->CreateTable(trades, "s3://w/trades/v1.metadata.json"),
                       ErrorKind::kNotFound);
  K2_ASSERT_OK(catalog->CreateNamespace({"market", "raw"}, {}));
  K2_ASSERT_OK(catalog->CreateNamespace({"market", "gold"}, {}));
  K2_ASSERT_OK(catalog->CreateTable(trades, "s3://w/trades/v1.metadata.json"));
  K2_ASSERT_ERROR_KIND(catalog->CreateTable(trades, "s3://w/other.json"),
                       ErrorKind::kAlreadyExists);
  K2_ASSERT_OK(catalog->CreateTable({{"market", "raw"}, "quotes"}, "/w/quotes/v1.json"));

  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog->LoadTable(trades));
  EXPECT_EQ(location, "s3://w/trades/v1.metadata.json");
  K2_ASSERT_ERROR_KIND(catalog->LoadTable({{"market", "raw"}, "nope"}), ErrorKind::kNotFound);

  K2_ASSERT_OK_AND_ASSIGN(auto tables, catalog->ListTables({"market", "raw"}));
  EXPECT_EQ(tables, (std::vector<TableIdentifier>{{{"market", "raw"}, "quotes"}, trades}));
  K2_ASSERT_OK_AND_ASSIGN(auto gold, catalog->ListTables({"market", "gold"}));
  EXPECT_TRUE(gold.empty());
  K2_ASSERT_ERROR_KIND(catalog->ListTables({"nope"}), ErrorKind::kNotFound);
  // A parent namespace exists through its children.
  K2_ASSERT_OK_AND_ASSIGN(auto parent_tables, catalog->ListTables({"market"}));
  EXPECT_TRUE(parent_tables.empty());

  const TableIdentifier moved{{"market", "gold"}, "trades_v2"};
  K2_ASSERT_ERROR_KIND(catalog->RenameTable(trades, {{"missing"}, "x"}), ErrorKind::kNotFound);
  K2_ASSERT_ERROR_KIND(catalog->RenameTable(trades, {{"market", "raw"}, "quotes"}),
                       ErrorKind::kAlreadyExists);
  K2_ASSERT_ERROR_KIND(catalog->RenameTable({{"market", "raw"}, "nope"}, moved),
                       ErrorKind::kNotFound);
  K2_ASSERT_OK(catalog->RenameTable(trades, moved));
  K2_ASSERT_ERROR_KIND(catalog->LoadTable(trades), ErrorKind::kNotFound);
  K2_ASSERT_OK_AND_ASSIGN(location, catalog->LoadTable(moved));
  EXPECT_EQ(location, "s3://w/trades/v1.metadata.json");

  K2_ASSERT_OK_AND_ASSIGN(auto dropped, catalog->DropTable(moved));
  EXPECT_EQ(dropped, "s3://w/trades/v1.metadata.json");
  K2_ASSERT_ERROR_KIND(catalog->DropTable(moved), ErrorKind::kNotFound);
  K2_ASSERT_ERROR_KIND(catalog->LoadTable(moved), ErrorKind::kNotFound);

  K2_ASSERT_ERROR_KIND(catalog->CreateTable({{"market", "raw"}, ""}, "x"),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->CreateTable({{"market", "raw"}, "t"}, ""),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->CreateTable({{"market", "raw"}, "t"}, std::string(1001, 'x')),
                       ErrorKind::kInvalidInput);
}

TEST_P(SqlCatalogTest, SwapIsCompareAndSwap) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"ns"}, {}));
  const TableIdentifier t{{"ns"}, "t"};
  K2_ASSERT_OK(catalog->CreateTable(t, "v1"));
  K2_ASSERT_OK(catalog->SwapTable(t, "v1", "v2"));
  K2_ASSERT_ERROR_KIND(catalog->SwapTable(t, "v1", "v3"), ErrorKind::kCommitConflict);
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog->LoadTable(t));
  EXPECT_EQ(location, "v2");
  K2_ASSERT_ERROR_KIND(catalog->SwapTable({{"ns"}, "missing"}, "v1", "v2"), ErrorKind::kNotFound);

  // A second catalog object (its own connection) sees the swap and loses a stale race.
  K2_ASSERT_OK_AND_ASSIGN(auto other, OpenSqlCatalog(db.uri, "k2"));
  K2_ASSERT_OK_AND_ASSIGN(location, other->LoadTable(t));
  EXPECT_EQ(location, "v2");
  K2_ASSERT_OK(other->SwapTable(t, "v2", "v3"));
  K2_ASSERT_ERROR_KIND(catalog->SwapTable(t, "v2", "v3-mine"), ErrorKind::kCommitConflict);
  K2_ASSERT_OK_AND_ASSIGN(location, catalog->LoadTable(t));
  EXPECT_EQ(location, "v3");
}

TEST_P(SqlCatalogTest, DropNamespaceRefusesWhenNotEmpty) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"a"}, {}));
  K2_ASSERT_OK(catalog->CreateNamespace({"a", "b"}, {}));
  K2_ASSERT_OK(catalog->CreateTable({{"a", "b"}, "t"}, "loc"));
  K2_ASSERT_ERROR_KIND(catalog->DropNamespace({"a", "b"}), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(catalog->DropNamespace({"a"}), ErrorKind::kInvalidInput);
  K2_ASSERT_OK(catalog->DropTable({{"a", "b"}, "t"}));
  K2_ASSERT_ERROR_KIND(catalog->DropNamespace({"a"}), ErrorKind::kInvalidInput);
  K2_ASSERT_OK(catalog->DropNamespace({"a", "b"}));
  K2_ASSERT_OK(catalog->DropNamespace({"a"}));
  K2_ASSERT_OK_AND_ASSIGN(auto top, catalog->ListNamespaces({}));
  EXPECT_TRUE(top.empty());
}

TEST_P(SqlCatalogTest, CatalogNamesAreIsolated) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto prod, OpenSqlCatalog(db.uri, "prod"));
  K2_ASSERT_OK_AND_ASSIGN(auto dev, OpenSqlCatalog(db.uri, "dev"));
  K2_ASSERT_OK(prod->CreateNamespace({"ns"}, {{"k", "prod"}}));
  K2_ASSERT_OK(prod->CreateTable({{"ns"}, "t"}, "prod-loc"));
  K2_ASSERT_ERROR_KIND(dev->LoadTable({{"ns"}, "t"}), ErrorKind::kNotFound);
  K2_ASSERT_ERROR_KIND(dev->LoadNamespaceProperties({"ns"}), ErrorKind::kNotFound);
  K2_ASSERT_OK(dev->CreateNamespace({"ns"}, {{"k", "dev"}}));
  K2_ASSERT_OK(dev->CreateTable({{"ns"}, "t"}, "dev-loc"));
  K2_ASSERT_OK_AND_ASSIGN(auto loc, prod->LoadTable({{"ns"}, "t"}));
  EXPECT_EQ(loc, "prod-loc");
  K2_ASSERT_OK_AND_ASSIGN(loc, dev->LoadTable({{"ns"}, "t"}));
  EXPECT_EQ(loc, "dev-loc");
  K2_ASSERT_OK_AND_ASSIGN(auto props, dev->LoadNamespaceProperties({"ns"}));
  EXPECT_EQ(props, (Props{{"k", "dev"}}));
}

/// Increments the "v<n>" pointer of `t` `count` times, retrying on conflict.
Status IncrementMany(Catalog& catalog, const TableIdentifier& t, int count) {
  for (int done = 0; done < count;) {
    K2_ASSIGN_OR_RETURN(std::string current, catalog.LoadTable(t));
    int n = std::stoi(current.substr(1));
    Status swapped = catalog.SwapTable(t, current, "v" + std::to_string(n + 1));
    if (swapped) {
      ++done;
    } else if (swapped.error().kind != ErrorKind::kCommitConflict) {
      return swapped;
    }
  }
  return OkStatus();
}

TEST_P(SqlCatalogTest, ConcurrentThreadsLoseNoIncrement) {
  K2_FRESH_DATABASE(db);
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  K2_ASSERT_OK(catalog->CreateNamespace({"ns"}, {}));
  const TableIdentifier t{{"ns"}, "counter"};
  K2_ASSERT_OK(catalog->CreateTable(t, "v0"));
  constexpr int kThreads = 6;
  constexpr int kEach = 25;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Half the threads share the test's catalog, half open their own connection.
      if (i % 2 == 0) {
        results[i] = IncrementMany(*catalog, t, kEach);
        return;
      }
      auto own = OpenSqlCatalog(db.uri, "k2");
      results[i] = own ? IncrementMany(**own, t, kEach) : Status(std::unexpected(own.error()));
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) K2_EXPECT_OK(r);
  K2_ASSERT_OK_AND_ASSIGN(auto final_location, catalog->LoadTable(t));
  EXPECT_EQ(final_location, "v" + std::to_string(kThreads * kEach));
}

TEST_P(SqlCatalogTest, ConcurrentProcessesLoseNoIncrement) {
  K2_FRESH_DATABASE(db);
  {
    K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
    K2_ASSERT_OK(catalog->CreateNamespace({"ns"}, {}));
    K2_ASSERT_OK(catalog->CreateTable({{"ns"}, "counter"}, "v0"));
  }
  const TableIdentifier t{{"ns"}, "counter"};
  constexpr int kProcesses = 3;
  constexpr int kEach = 30;
  std::vector<int> codes = testing::ForkTogether(kProcesses, [&](int i, const auto& start) {
    start();
    auto catalog = OpenSqlCatalog(db.uri, "k2");
    Status s =
        catalog ? IncrementMany(**catalog, t, kEach) : Status(std::unexpected(catalog.error()));
    if (!s) fprintf(stderr, "child %d: %s\n", i, s.error().ToString().c_str());
    return s ? 0 : 1;
  });
  EXPECT_EQ(codes, std::vector<int>(kProcesses, 0));
  K2_ASSERT_OK_AND_ASSIGN(auto catalog, OpenSqlCatalog(db.uri, "k2"));
  K2_ASSERT_OK_AND_ASSIGN(auto final_location, catalog->LoadTable(t));
  EXPECT_EQ(final_location, "v" + std::to_string(kProcesses * kEach));
}

// Processes that open a database nobody has opened yet, all at once (two
// `k2 offload` started together on a new data_dir): each opens it, creates the
// schema and reads. SQLite's switch to WAL answered all but one "database is
// locked" at once.
TEST_P(SqlCatalogTest, ProcessesOpeningANewDatabaseTogetherAllSucceed) {
  for (int round = 0; round < 4; ++round) {
    K2_FRESH_DATABASE(db);
    std::vector<int> codes = testing::ForkTogether(6, [&](int i, const auto& start) {
      start();
      auto catalog = OpenSqlCatalog(db.uri, "k2");
      Status s = catalog ? Status(OkStatus()) : Status(std::unexpected(catalog.error()));
      if (s) {
        auto listed = (*catalog)->ListNamespaces({});
        if (!listed) s = std::unexpected(listed.error());
      }
      if (!s) fprintf(stderr, "child %d: %s\n", i, s.error().ToString().c_str());
      return s ? 0 : 1;
    });
    EXPECT_EQ(codes, std::vector<int>(6, 0)) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlCatalogTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace k2
