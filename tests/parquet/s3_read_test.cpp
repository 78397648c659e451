// k2's Parquet reader on S3 (s3rver behind tools/oracle/s3front.mjs, which
// counts requests by method): opening a file is a HEAD and one GET of its
// tail; each row group's projected column chunks are one GET (two far-apart
// columns: two), and the rows are those read from local disk.
#include <gtest/gtest.h>

#include <random>

#include "io/s3/s3_client.h"
#include "io/s3/s3_file_io.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "support/s3_server.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using ::k2::testing::S3Server;
using ::k2::testing::TempDir;

/// Every row of `reader` with `options`, as text.
Result<std::vector<std::string>> Rows(FileReader& reader, const ReadOptions& options = {}) {
  K2_ASSIGN_OR_RETURN(auto batches, reader.Read(options));
  std::vector<std::string> out;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
    if (b == nullptr) break;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      std::string line;
      for (const auto& c : b->columns) {
        Value v = Value::FromColumn(c, r);
        line += (v.is_null() ? "<null>" : v.ToString()) + "|";
      }
      out.push_back(std::move(line));
    }
  }
  return out;
}

Status WriteFile(FileIO& io, const std::string& path, const std::vector<ColumnBatch>& batches) {
  WriterOptions o;
  o.row_group_bytes = 256 << 10;  // several row groups
  K2_ASSIGN_OR_RETURN(auto out, io.OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto w, FileWriter::Open(std::move(out), batches[0].schema, o));
  for (const auto& b : batches) K2_RETURN_IF_ERROR(w->Write(b));
  K2_RETURN_IF_ERROR(w->Finish());
  return OkStatus();
}

TEST(S3ParquetReadTest, RangedGetsPerRowGroupAndTheSameRowsAsLocal) {
  K2_START_S3(server);
  s3::S3Options o;
  o.endpoint = server->endpoint();
  o.access_key_id = S3Server::kAccessKey;
  o.secret_access_key = S3Server::kSecret;
  o.part_size = 5u << 20;
  o.request_timeout_ms = 60'000;
  auto s3 = s3::NewS3FileIO(o);
  auto local = NewLocalFileIO();

  auto schema = std::make_shared<Schema>();
  for (int i = 0; i < 6; ++i) {
    DataType t = i % 2 == 0 ? DataType::Int64() : DataType::String();
    schema->fields.push_back(Field{i + 1, fmt::format("c{}", i), t, true, ""});
  }
  std::mt19937_64 rng(7);
  std::vector<ColumnBatch> batches;
  for (int b = 0; b < 8; ++b) {
    ColumnBatch batch(schema);
    for (int i = 0; i < 5000; ++i) {
      for (size_t c = 0; c < 6; ++c) {
        if (c % 2 == 0) {
          batch.columns[c].Append<int64_t>(static_cast<int64_t>(rng()));
        } else {
          batch.columns[c].AppendBytes(fmt::format("{:x}", rng()));
        }
      }
    }
    batches.push_back(std::move(batch));
  }
  TempDir dir;
  const std::string local_path = dir / "f.parquet";
  const std::string s3_path = "s3://" + server->bucket() + "/t/data/f.parquet";
  K2_ASSERT_OK(WriteFile(*local, local_path, batches));
  K2_ASSERT_OK(WriteFile(*s3, s3_path, batches));

  auto counts = [&]() -> std::pair<int64_t, int64_t> {
    auto stats = server->Stats();
    EXPECT_TRUE(stats.has_value());
    const auto& m = (*stats)["methods"];
    return {m.value("HEAD", int64_t{0}), m.value("GET", int64_t{0})};
  };
  K2_ASSERT_OK_AND_ASSIGN(auto want_in, local->OpenInput(local_path));
  K2_ASSERT_OK_AND_ASSIGN(auto want_reader, FileReader::Open(std::move(want_in)));

  auto [heads0, gets0] = counts();
  K2_ASSERT_OK_AND_ASSIGN(auto in, s3->OpenInput(s3_path));
  const uint64_t size = *in->Size();
  K2_ASSERT_OK_AND_ASSIGN(auto reader, FileReader::Open(std::move(in)));
  auto [heads1, gets1] = counts();
  EXPECT_EQ(heads1 - heads0, 1) << "the size";
  EXPECT_EQ(gets1 - gets0, 1) << "the footer: one GET of the file's tail";

  // Chunks lying in the tail already fetched cost no GET.
  const int groups = reader->num_row_groups();
  ASSERT_GE(groups, 3);
  const uint64_t tail_start = size - (64 << 10);
  auto gets_for = [&](std::vector<size_t> columns) {
    int64_t n = 0;
    for (const auto& rg : reader->metadata().row_groups) {
      for (size_t c : columns) {
        const auto& m = *rg.columns[c].meta_data;
        const int64_t start = m.dictionary_page_offset.value_or(m.data_page_offset);
        n += static_cast<uint64_t>(start) < tail_start ? 1 : 0;
      }
    }
    return n;
  };
  K2_ASSERT_OK_AND_ASSIGN(auto want_all, Rows(*want_reader));
  K2_ASSERT_OK_AND_ASSIGN(auto got_all, Rows(*reader));
  EXPECT_EQ(got_all, want_all);
  auto [heads2, gets2] = counts();
  EXPECT_EQ(gets2 - gets1, gets_for({0})) << "every column: one GET per row group";

  // Two far-apart columns, gaps not read through: two GETs per row group.
  ReadOptions far;
  far.columns = {5, 0};
  far.coalesce.max_gap = 1 << 10;
  K2_ASSERT_OK_AND_ASSIGN(auto want_far, Rows(*want_reader, far));
  K2_ASSERT_OK_AND_ASSIGN(auto got_far, Rows(*reader, far));
  EXPECT_EQ(got_far, want_far);
  auto [heads3, gets3] = counts();
  EXPECT_EQ(gets3 - gets2, gets_for({0, 5}));
  EXPECT_GE(gets3 - gets2, 2 * groups - 2);
  EXPECT_EQ(heads3, heads1);
  EXPECT_EQ((*server->Stats())["signature_failures"].get<int64_t>(), 0);
}

}  // namespace
}  // namespace k2::parquet
