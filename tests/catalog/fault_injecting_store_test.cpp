// Commit outcomes the catalog reports when the database fails at chosen points.

#include "catalog/sql/fault_injecting_store.h"

#include <gtest/gtest.h>

#include "catalog/sql/sql_catalog.h"
#include "support/support.h"

namespace k2::sql {
namespace {

class FaultInjectingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenCatalogStore(dir_ / "catalog.db");
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    auto faulty = std::make_unique<FaultInjectingStore>(std::move(*store));
    faults_ = faulty.get();
    auto catalog = SqlCatalog::Open(std::move(faulty), "k2");
    ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    K2_ASSERT_OK(catalog_->CreateNamespace({"ns"}, {}));
    K2_ASSERT_OK(catalog_->CreateTable(t_, "v1"));
  }

  ::k2::testing::TempDir dir_;
  FaultInjectingStore* faults_ = nullptr;
  std::unique_ptr<SqlCatalog> catalog_;
  const TableIdentifier t_{{"ns"}, "t"};
};

TEST_F(FaultInjectingStoreTest, LostReplyAfterTheSwapIsUnknownButApplied) {
  faults_->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitStateUnknown, true);
  K2_ASSERT_ERROR_KIND(catalog_->SwapTable(t_, "v1", "v2"), ErrorKind::kCommitStateUnknown);
  EXPECT_EQ(faults_->fired(), 1);
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog_->LoadTable(t_));
  EXPECT_EQ(location, "v2");  // reading back is how a committer resolves the unknown
  // A blind retry of the same swap now conflicts instead of committing twice.
  K2_ASSERT_ERROR_KIND(catalog_->SwapTable(t_, "v1", "v2"), ErrorKind::kCommitConflict);
}

TEST_F(FaultInjectingStoreTest, ThenFailWaitsForTheFaultBeforeIt) {
  faults_->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitStateUnknown, true);
  faults_->ThenFail("SELECT metadata_location", ErrorKind::kIo);
  K2_ASSERT_OK(catalog_->LoadTable(t_));  // not armed yet
  K2_ASSERT_ERROR_KIND(catalog_->SwapTable(t_, "v1", "v2"), ErrorKind::kCommitStateUnknown);
  K2_ASSERT_ERROR_KIND(catalog_->LoadTable(t_), ErrorKind::kIo);  // the read-back fails too
  EXPECT_EQ(faults_->fired(), 2);
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog_->LoadTable(t_));
  EXPECT_EQ(location, "v2");
}

TEST_F(FaultInjectingStoreTest, LostConnectionBeforeTheSwapLeavesTheTable) {
  faults_->FailNext("UPDATE iceberg_tables", ErrorKind::kCommitStateUnknown, false);
  K2_ASSERT_ERROR_KIND(catalog_->SwapTable(t_, "v1", "v2"), ErrorKind::kCommitStateUnknown);
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog_->LoadTable(t_));
  EXPECT_EQ(location, "v1");
  K2_ASSERT_OK(catalog_->SwapTable(t_, "v1", "v2"));
}

TEST_F(FaultInjectingStoreTest, FailedCommitRollsBackTheTransaction) {
  faults_->FailNext("COMMIT", ErrorKind::kIo);
  const TableIdentifier other{{"ns"}, "other"};
  K2_ASSERT_ERROR_KIND(catalog_->CreateTable(other, "o1"), ErrorKind::kIo);
  K2_ASSERT_ERROR_KIND(catalog_->LoadTable(other), ErrorKind::kNotFound);
  faults_->FailNext("COMMIT", ErrorKind::kCommitStateUnknown, true);
  K2_ASSERT_ERROR_KIND(catalog_->CreateTable(other, "o1"), ErrorKind::kCommitStateUnknown);
  K2_ASSERT_OK_AND_ASSIGN(auto location, catalog_->LoadTable(other));
  EXPECT_EQ(location, "o1");
}

TEST_F(FaultInjectingStoreTest, ErrorKindsPassThroughWithTheirContext) {
  faults_->FailNext("SELECT metadata_location", ErrorKind::kTimeout);
  auto loaded = catalog_->LoadTable(t_);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kTimeout);
  EXPECT_NE(loaded.error().message.find("load table 'ns.t'"), std::string::npos)
      << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("catalog.db"), std::string::npos);
  K2_ASSERT_OK(catalog_->LoadTable(t_));  // each fault fires once
}

}  // namespace
}  // namespace k2::sql
