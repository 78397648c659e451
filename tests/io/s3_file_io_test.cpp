// The S3 FileIO against a real S3 endpoint on loopback (s3rver behind
// tools/oracle/s3front.mjs, which checks every SigV4 signature and injects
// faults): streaming multipart writes published only at Complete, exclusive
// writes, aborts that leave nothing, ranged reads, paginated listings, batch
// deletes, pending uploads, retries of transient faults and clear errors.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "io/s3/s3_client.h"
#include "io/s3/s3_file_io.h"
#include "support/s3_server.h"
#include "support/support.h"

namespace k2::s3 {
namespace {

using testing::S3Server;

S3Options OptionsFor(const S3Server& server) {
  S3Options o;
  o.endpoint = server.endpoint();
  o.region = "us-east-1";
  o.path_style = true;
  o.access_key_id = S3Server::kAccessKey;
  o.secret_access_key = S3Server::kSecret;
  o.part_size = 5u << 20;
  o.retry_base_ms = 10;
  o.request_timeout_ms = 60'000;  // generous: CI machines are shared
  return o;
}

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

int64_t OpenUploads(const S3Server& server) {
  auto stats = server.Stats();
  return stats ? (*stats)["open_uploads"].get<int64_t>() : -1;
}

class S3FileIOTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = S3Server::Start();
    if (!s && s.error().kind == ErrorKind::kNotFound) GTEST_SKIP() << s.error().message;
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    server_ = std::move(*s);
    io_ = NewS3FileIO(OptionsFor(*server_));
    root_ = "s3://" + server_->bucket() + "/wh";
  }

  std::unique_ptr<S3Server> server_;
  std::unique_ptr<FileIO> io_;
  std::string root_;
};

TEST_F(S3FileIOTest, MultipartWriteIsInvisibleUntilFinishAndReadsBackByRange) {
  const std::string data = Bytes((12u << 20) + 12345, 1);  // three parts of 5 MiB
  const std::string path = root_ + "/t/data/day=2026-11-01/f.parquet";
  K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(path));
  // Odd-sized writes cross part boundaries.
  for (size_t off = 0; off < data.size(); off += 777'777) {
    K2_ASSERT_OK(out->Write(data.substr(off, 777'777)));
  }
  EXPECT_EQ(out->Position(), data.size());
  EXPECT_FALSE(*io_->Exists(path)) << "visible before Complete";
  EXPECT_EQ(OpenUploads(*server_), 1);
  K2_ASSERT_OK(out->Finish());
  EXPECT_EQ(OpenUploads(*server_), 0);
  K2_ASSERT_OK_AND_ASSIGN(auto in, io_->OpenInput(path));
  EXPECT_EQ(*in->Size(), data.size());
  std::string mid(1000, '\0');
  K2_ASSERT_OK(in->ReadAt(6u << 20, mid.size(), reinterpret_cast<uint8_t*>(mid.data())));
  EXPECT_EQ(mid, data.substr(6u << 20, 1000));
  std::string tail(8, '\0');
  K2_ASSERT_OK(in->ReadAt(data.size() - 8, 8, reinterpret_cast<uint8_t*>(tail.data())));
  EXPECT_EQ(tail, data.substr(data.size() - 8));
  K2_ASSERT_ERROR_KIND(in->ReadAt(data.size() - 4, 8, reinterpret_cast<uint8_t*>(tail.data())),
                       ErrorKind::kCorrupt);
  K2_ASSERT_OK_AND_ASSIGN(std::string all, io_->ReadAll(path));
  EXPECT_TRUE(all == data);

  // A small file is one PUT, signed with its real hash.
  K2_ASSERT_OK(io_->WriteAll(root_ + "/t/metadata/v1.json", "{\"a\": 1}"));
  EXPECT_EQ(*io_->ReadAll(root_ + "/t/metadata/v1.json"), "{\"a\": 1}");
  K2_ASSERT_OK_AND_ASSIGN(auto empty, io_->OpenOutput(root_ + "/t/empty"));
  K2_ASSERT_OK(empty->Finish());
  EXPECT_EQ(*io_->ReadAll(root_ + "/t/empty"), "");
  K2_ASSERT_ERROR_KIND(io_->OpenInput(root_ + "/t/missing"), ErrorKind::kNotFound);
}

TEST_F(S3FileIOTest, ExclusiveWritesNeverOverwrite) {
  const std::string path = root_ + "/t/metadata/00001.metadata.json";
  K2_ASSERT_OK(io_->WriteAll(path, "first"));
  auto again = io_->WriteAll(path, "second");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists) << again.error().ToString();
  EXPECT_EQ(*io_->ReadAll(path), "first");
  // Multipart: refused at Complete, the upload aborted.
  K2_ASSERT_OK_AND_ASSIGN(auto big, io_->OpenOutput(path));
  K2_ASSERT_OK(big->Write(Bytes(6u << 20, 2)));
  K2_ASSERT_ERROR_KIND(big->Finish(), ErrorKind::kAlreadyExists);
  EXPECT_EQ(OpenUploads(*server_), 0);
  EXPECT_EQ(*io_->ReadAll(path), "first");
  K2_ASSERT_OK(io_->WriteAll(path, "replaced", /*exclusive=*/false));
  EXPECT_EQ(*io_->ReadAll(path), "replaced");
}

TEST_F(S3FileIOTest, AbortAndDestructionLeaveNothingBehind) {
  {
    K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(root_ + "/t/data/a.parquet"));
    K2_ASSERT_OK(out->Write(Bytes(11u << 20, 3)));
    EXPECT_EQ(OpenUploads(*server_), 1);
    out->Abort();
    out->Abort();
  }
  {
    K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(root_ + "/t/data/b.parquet"));
    K2_ASSERT_OK(out->Write(Bytes(6u << 20, 4)));
  }  // destroyed unfinished
  EXPECT_EQ(OpenUploads(*server_), 0);
  K2_ASSERT_OK_AND_ASSIGN(auto listing, io_->List(root_));
  EXPECT_TRUE(listing.empty());
}

TEST_F(S3FileIOTest, CompleteAnswering200WithAnErrorFailsAndAborts) {
  K2_ASSERT_OK(server_->SetFaults(R"({"complete_error": 1})"));
  const std::string path = root_ + "/t/data/c.parquet";
  K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(path));
  K2_ASSERT_OK(out->Write(Bytes(7u << 20, 5)));
  auto st = out->Finish();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kRemote) << st.error().ToString();
  EXPECT_NE(st.error().message.find("InternalError"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("200"), std::string::npos) << st.error().message;
  EXPECT_FALSE(*io_->Exists(path));
  EXPECT_EQ(OpenUploads(*server_), 0);
}

TEST_F(S3FileIOTest, ListsPagesAndDeletesInBatches) {
  S3Options o = OptionsFor(*server_);
  o.list_page_size = 3;
  auto io = NewS3FileIO(o);
  std::vector<std::string> paths;
  for (int i = 0; i < 8; ++i) {
    paths.push_back(fmt::format("{}/t/data/f{}.parquet", root_, i));
    K2_ASSERT_OK(io->WriteAll(paths.back(), std::string(i + 1, 'x')));
  }
  // A sibling table whose name extends this one's is not under its prefix.
  K2_ASSERT_OK(io->WriteAll(root_ + "/t2/data/other.parquet", "y"));
  K2_ASSERT_OK_AND_ASSIGN(auto listing, io->List(root_ + "/t"));
  ASSERT_EQ(listing.size(), 8u);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const FileInfo& f : listing) {
    EXPECT_TRUE(f.path.starts_with(root_ + "/t/data/f")) << f.path;
    EXPECT_NEAR(static_cast<double>(f.modified_ms), static_cast<double>(now), 120'000.0);
  }
  K2_ASSERT_OK_AND_ASSIGN(auto as_s3a, io->List("s3a://" + server_->bucket() + "/wh/t"));
  EXPECT_TRUE(as_s3a[0].path.starts_with("s3a://")) << "answers in the scheme asked";
  paths.push_back(root_ + "/t/data/never-existed.parquet");
  EXPECT_TRUE(io->DeleteFiles(paths).empty());
  EXPECT_TRUE(io->List(root_ + "/t")->empty());
  EXPECT_EQ(io->List(root_ + "/t2")->size(), 1u);
  K2_ASSERT_OK(io->Delete(root_ + "/t2/data/other.parquet"));
  K2_ASSERT_OK(io->Delete(root_ + "/t2/data/other.parquet"));  // missing is not an error
}

TEST_F(S3FileIOTest, FindsAndAbortsPendingUploads) {
  // A writer that died mid-upload: CreateMultipartUpload and one part, never completed.
  S3Client client(OptionsFor(*server_));
  S3Request create;
  create.method = "POST";
  create.bucket = server_->bucket();
  create.key = "wh/t/data/crashed.parquet";
  create.query = {{"uploads", ""}};
  K2_ASSERT_OK_AND_ASSIGN(S3Response resp, client.Send(create));
  ASSERT_TRUE(resp.ok()) << resp.body;
  K2_ASSERT_OK_AND_ASSIGN(auto pending, io_->ListPendingUploads(root_ + "/t"));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].path, root_ + "/t/data/crashed.parquet");
  EXPECT_TRUE(io_->ListPendingUploads(root_ + "/t2")->empty());
  K2_ASSERT_OK(server_->Backdate("wh/t/", 3 * 86400, /*upload=*/true));
  K2_ASSERT_OK_AND_ASSIGN(pending, io_->ListPendingUploads(root_ + "/t"));
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LT(pending[0].initiated_ms, now - 2 * 86400'000LL);
  K2_ASSERT_OK(io_->AbortPendingUpload(pending[0]));
  K2_ASSERT_OK(io_->AbortPendingUpload(pending[0]));  // already gone is not an error
  EXPECT_TRUE(io_->ListPendingUploads(root_ + "/t")->empty());
}

TEST_F(S3FileIOTest, RetriesTransientFaultsOnIdempotentRequests) {
  // Every kind of transient fault at random requests, reproducibly.
  K2_ASSERT_OK(server_->SetFaults(
      R"({"seed": 11, "rate": 0.2, "kinds": ["500", "503", "slowdown", "drop"]})"));
  for (int i = 0; i < 6; ++i) {
    const std::string path = fmt::format("{}/t/data/r{}.parquet", root_, i);
    const std::string data = Bytes(i % 2 == 0 ? 100 : (6u << 20) + 1, 10 + i);
    // CreateMultipartUpload and Complete are not retried: their faults fail
    // the write cleanly (and a retry of the whole file then succeeds).
    bool written = false;
    for (int attempt = 0; attempt < 10 && !written; ++attempt) {
      K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(path, /*exclusive=*/false));
      written = out->Write(data).has_value() && out->Finish().has_value();
    }
    ASSERT_TRUE(written) << path;
    K2_ASSERT_OK_AND_ASSIGN(std::string back, io_->ReadAll(path));
    EXPECT_TRUE(back == data) << path;
  }
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_GT(stats["faults"].get<int64_t>(), 3) << stats.dump();
  K2_ASSERT_OK(server_->SetFaults("{}"));
  EXPECT_EQ(OpenUploads(*server_), 0) << "a failed write left an upload open";
}

TEST_F(S3FileIOTest, TimesOutSlowAnswersAndRetries) {
  S3Options o = OptionsFor(*server_);
  o.request_timeout_ms = 2000;
  auto io = NewS3FileIO(o);
  K2_ASSERT_OK(io->WriteAll(root_ + "/t/x", "x"));
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  const int64_t before = stats["requests"].get<int64_t>();
  K2_ASSERT_OK(server_->SetFaults(
      fmt::format(R"({{"nth": {{"{}": "slow"}}, "slow_ms": 6000}})", before + 1)));
  EXPECT_EQ(*io->ReadAll(root_ + "/t/x"), "x");
  K2_ASSERT_OK_AND_ASSIGN(auto after, server_->Stats());
  EXPECT_EQ(after["faults"].get<int64_t>(), 1) << after.dump();
}

TEST_F(S3FileIOTest, ErrorsNameBucketKeyEndpointAndCause) {
  S3Options wrong = OptionsFor(*server_);
  wrong.secret_access_key = "not-the-secret";
  auto bad = NewS3FileIO(wrong);
  auto r = bad->WriteAll(root_ + "/t/x.json", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  for (const std::string& part : {std::string("SignatureDoesNotMatch"), server_->bucket(),
                                  std::string("wh/t/x.json"), server_->endpoint()}) {
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
  }
  K2_ASSERT_OK_AND_ASSIGN(auto stats, server_->Stats());
  EXPECT_EQ(stats["signature_failures"].get<int64_t>(), 1) << "not retried";

  S3Options unknown = OptionsFor(*server_);
  unknown.access_key_id = "nobody";
  auto u = NewS3FileIO(unknown)->List(root_);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("InvalidAccessKeyId"), std::string::npos) << u.error().message;

  auto nb = io_->List("s3://no-such-bucket/wh");
  ASSERT_FALSE(nb);
  EXPECT_EQ(nb.error().kind, ErrorKind::kNotFound) << nb.error().ToString();
  EXPECT_NE(nb.error().message.find("NoSuchBucket"), std::string::npos) << nb.error().message;

  S3Options closed = OptionsFor(*server_);
  closed.endpoint = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  closed.max_attempts = 2;
  auto c = NewS3FileIO(closed)->Exists(root_ + "/t/x");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kIo) << c.error().ToString();
  EXPECT_NE(c.error().message.find("2 attempts"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace k2::s3
