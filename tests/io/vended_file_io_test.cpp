// Vended storage credentials (io/vended_file_io.h) against the loopback S3
// server, whose front checks every SigV4 signature: a FileIO whose own key is
// wrong reads and writes a table's files with the credentials vended for the
// table's location; the longest prefix wins (s3a:// and s3:// alike, whole
// path segments only); other paths keep the base FileIO; a reload with new
// credentials replaces the entry; no secret appears in an error.
#include <gtest/gtest.h>

#include "common/config.h"
#include "io/vended_file_io.h"
#include "support/s3_server.h"
#include "support/support.h"

namespace k2::testing {
namespace {

class VendedFileIOTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = S3Server::Start();
    if (!s && s.error().kind == ErrorKind::kNotFound) GTEST_SKIP() << s.error().message;
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    server_ = std::move(*s);
    base_.location = Root() + "/lake";
    base_.s3_endpoint = server_->endpoint();
    base_.s3_access_key_id = S3Server::kAccessKey;
    base_.s3_secret_access_key = "base-wrong-secret";
    base_.s3_retries = 0;
  }

  std::string Root() const { return "s3://" + server_->bucket(); }

  std::map<std::string, std::string> Vended(const std::string& secret) const {
    return {{"s3.access-key-id", S3Server::kAccessKey},
            {"s3.secret-access-key", secret},
            {"s3.endpoint", server_->endpoint()},
            {"s3.region", "us-east-1"},
            {"s3.path-style-access", "true"}};
  }

  std::unique_ptr<FileIO> Open() {
    auto io = NewFileIOFor(base_.location, base_);
    EXPECT_TRUE(io.has_value()) << io.error().ToString();
    return std::move(*io);
  }

  std::unique_ptr<S3Server> server_;
  WarehouseConfig base_;
  VendedStorage vended_;
};

TEST_F(VendedFileIOTest, RoutesByLongestPrefixAndRefreshes) {
  auto io = NewRoutingFileIO(std::move(*NewFileIOFor(base_.location, base_)), vended_);
  const std::string t1 = Root() + "/lake/ns/t1";
  // Nothing vended: the base FileIO's wrong secret is refused.
  auto refused = io->WriteAll(t1 + "/data/a.parquet", "a");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("SignatureDoesNotMatch"), std::string::npos)
      << refused.error().message;

  K2_ASSERT_OK(vended_.Set(t1, Vended(S3Server::kSecret), base_));
  EXPECT_EQ(vended_.size(), 1u);
  K2_ASSERT_OK(io->WriteAll(t1 + "/data/a.parquet", "a"));
  K2_ASSERT_OK_AND_ASSIGN(auto text, io->ReadAll(t1 + "/data/a.parquet"));
  EXPECT_EQ(text, "a");
  // s3a:// names the same object and takes the same entry.
  K2_ASSERT_OK_AND_ASSIGN(auto via_s3a,
                          io->ReadAll("s3a://" + server_->bucket() + "/lake/ns/t1/data/a.parquet"));
  EXPECT_EQ(via_s3a, "a");
  K2_ASSERT_OK_AND_ASSIGN(auto listed, io->List(t1 + "/data/"));
  EXPECT_EQ(listed.size(), 1u);
  // A sibling whose name only starts like t1's is not under its prefix.
  EXPECT_FALSE(io->WriteAll(Root() + "/lake/ns/t10/x", "x").has_value());
  EXPECT_EQ(vended_.Route(Root() + "/lake/ns/t10/x"), nullptr);
  EXPECT_EQ(vended_.Route("/local/path"), nullptr);

  // A longer prefix (one table's data dir) with a wrong secret wins over t1's.
  K2_ASSERT_OK(vended_.Set(t1 + "/data", Vended("vended-wrong-secret"), base_));
  auto inner = io->ReadAll(t1 + "/data/a.parquet");
  ASSERT_FALSE(inner.has_value());
  // (a HEAD: a 403 without an error document)
  EXPECT_NE(inner.error().message.find("403"), std::string::npos) << inner.error().message;
  EXPECT_EQ(inner.error().message.find("vended-wrong-secret"), std::string::npos)
      << "secret leaked: " << inner.error().message;
  K2_ASSERT_OK(io->WriteAll(t1 + "/metadata/v1.metadata.json", "{}"));  // t1's entry

  // Refreshed: the same prefix again replaces its entry.
  K2_ASSERT_OK(vended_.Set(t1 + "/data", Vended(S3Server::kSecret), base_));
  EXPECT_EQ(vended_.size(), 2u);
  K2_EXPECT_OK(io->ReadAll(t1 + "/data/a.parquet"));
  auto same = vended_.Route(t1 + "/data/a.parquet");
  K2_ASSERT_OK(vended_.Set(t1 + "/data", Vended(S3Server::kSecret), base_));
  EXPECT_EQ(vended_.Route(t1 + "/data/a.parquet"), same) << "an unchanged config is kept";

  // Batch deletes split between entries and the base.
  auto failures = io->DeleteFiles({t1 + "/data/a.parquet", t1 + "/metadata/v1.metadata.json"});
  EXPECT_TRUE(failures.empty());
  K2_ASSERT_OK_AND_ASSIGN(bool exists, io->Exists(t1 + "/data/a.parquet"));
  EXPECT_FALSE(exists);

  // "" covers every S3 path (credentials from the catalog's /v1/config).
  K2_ASSERT_OK(vended_.Set("", Vended(S3Server::kSecret), base_));
  K2_EXPECT_OK(io->WriteAll(Root() + "/lake/ns/t10/x", "x"));
  EXPECT_EQ(vended_.Route("/local/path"), nullptr);

  // Configs without a key pair are ignored; a non-S3 prefix is refused
  // without echoing the config.
  K2_ASSERT_OK(vended_.Set(Root() + "/other", {{"s3.region", "eu-west-1"}}, base_));
  EXPECT_EQ(vended_.size(), 3u);
  auto bad = vended_.Set("/tmp/x", Vended("local-secret"), base_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message.find("local-secret"), std::string::npos);
  vended_.Clear();
  EXPECT_EQ(vended_.size(), 0u);
}

TEST_F(VendedFileIOTest, TheWarehouseFileIOUsesTheGlobalRegistry) {
  auto io = Open();
  const std::string t = Root() + "/lake/global/t";
  EXPECT_FALSE(io->WriteAll(t + "/f", "f").has_value());
  K2_ASSERT_OK(VendedStorage::Global().Set(t, Vended(S3Server::kSecret), base_));
  K2_EXPECT_OK(io->WriteAll(t + "/f", "f"));
  VendedStorage::Global().Clear();
}

}  // namespace
}  // namespace k2::testing
