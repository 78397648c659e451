#include "jobs/rolling_writer.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "io/memory_file_io.h"
#include "support/support.h"

namespace k2::jobs {
namespace {

// Abort() is how every job drops the files of a commit that did not happen,
// and it is called after Finish() (the files are written before the commit).
TEST(RollingParquetWriterTest, AbortAfterFinishDeletesTheFinishedFiles) {
  auto io = NewMemoryFileIO();
  auto schema = std::make_shared<const Schema>(Schema{{Field{1, "x", DataType::Int64(), false}}});
  int n = 0;
  RollingParquetWriter writer(*io, schema, parquet::WriterOptions{}, /*target_bytes=*/1,
                              [&] { return fmt::format("/t/data/{}.parquet", n++); });
  ColumnBatch b(schema);
  b.columns[0].Append<int64_t>(7);
  K2_ASSERT_OK(writer.Write(b));
  K2_ASSERT_OK(writer.Write(b));  // a second file: the first reached its target size
  K2_ASSERT_OK_AND_ASSIGN(std::vector<WrittenFile> files, writer.Finish());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) EXPECT_TRUE(io->Exists(f.path).value_or(false)) << f.path;
  writer.Abort();
  for (const auto& f : files) EXPECT_FALSE(io->Exists(f.path).value_or(true)) << f.path;
}

}  // namespace
}  // namespace k2::jobs
