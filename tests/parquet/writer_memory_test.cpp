// The writer's memory stays bounded by about one row group, whatever the file size.
#include <gtest/gtest.h>

#include <algorithm>

#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "support/support.h"

namespace k2::parquet {
namespace {

using ::k2::testing::QueryDuckDB;
using ::k2::testing::TempDir;

/// Columns that encode to about a byte per row (1-2 bit dictionary indices,
/// booleans, delta-packed sequences), so a row group holds many rows and any
/// buffer kept per row (indices, levels, values) would dwarf the encoded pages;
/// plus a mostly-distinct string and an all-null column.
std::shared_ptr<const Schema> CompressibleSchema() {
  auto s = std::make_shared<Schema>();
  s->fields = {
      Field{1, "side", DataType::String(), true, ""},
      Field{2, "exchange", DataType::String(), true, ""},
      Field{3, "is_buyer_maker", DataType::Boolean(), true, ""},
      Field{4, "trade_id", DataType::Int64(), false, ""},
      Field{5, "price", DataType::Decimal(18, 8), true, ""},
      Field{6, "note", DataType::String(), true, ""},
      Field{7, "never", DataType::Double(), true, ""},
  };
  return s;
}

uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

void Fill(ColumnBatch& b, int64_t first, size_t n) {
  static const char* const kExchanges[] = {"binance", "coinbase", "kraken"};
  b.Clear();
  for (size_t i = 0; i < n; ++i) {
    int64_t row = first + static_cast<int64_t>(i);
    uint64_t h = Mix(static_cast<uint64_t>(row));
    b.columns[0].AppendBytes((h >> 40) & 1 ? "sell" : "buy");
    b.columns[1].AppendBytes(kExchanges[(h >> 33) % 3]);
    b.columns[2].Append<uint8_t>((h >> 50) & 1);
    b.columns[3].Append<int64_t>(7000000000LL + row);
    if (row % 10 == 3) {
      b.columns[4].AppendNull();
    } else {
      b.columns[4].AppendDecimal(int128_t{4200000000000} + static_cast<int64_t>(h & 0xFFFF));
    }
    if (row % 97 == 0) {
      b.columns[5].AppendBytes(fmt::format("note-{}", row));
    } else {
      b.columns[5].AppendNull();
    }
    b.columns[6].AppendNull();
  }
}

TEST(WriterMemoryTest, MemoryUsageStaysBoundedAcrossManyRowGroups) {
  TempDir dir;
  auto schema = CompressibleSchema();
  WriterOptions o;
  o.row_group_bytes = 1 << 20;
  o.page_bytes = 64 << 10;
  o.dictionary_page_bytes = 64 << 10;
  const std::string path = dir / "big.parquet";
  auto io = NewLocalFileIO();
  K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(path));
  K2_ASSERT_OK_AND_ASSIGN(auto writer, FileWriter::Open(std::move(out), schema, o));

  // One row group of encoded pages plus, per column, an open page's buffers
  // (values or indices and levels, at up to twice their size by vector growth)
  // and a dictionary with its hash table.
  const uint64_t bound =
      static_cast<uint64_t>(o.row_group_bytes) +
      schema->fields.size() * (4 * static_cast<uint64_t>(o.page_bytes) +
                               8 * static_cast<uint64_t>(o.dictionary_page_bytes));
  const int64_t rows = 6000000;
  const size_t batch_rows = 50000;
  ColumnBatch batch(schema);
  uint64_t peak = 0;
  for (int64_t row = 0; row < rows; row += static_cast<int64_t>(batch_rows)) {
    Fill(batch, row, batch_rows);
    K2_ASSERT_OK(writer->Write(batch));
    uint64_t used = writer->MemoryUsage();
    ASSERT_LE(used, bound) << "after row " << row + static_cast<int64_t>(batch_rows);
    peak = std::max(peak, used);
  }
  EXPECT_GT(peak, 0u);
  K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, writer->Finish());
  EXPECT_EQ(m.record_count, rows);
  // Many row groups: the bound held while the file grew far past it.
  EXPECT_GE(m.split_offsets.size(), 8u);
  EXPECT_GT(static_cast<uint64_t>(m.file_size_in_bytes), 2 * bound);

  // The file is whole: DuckDB counts the rows and sums what was written.
  K2_ASSERT_OK_AND_ASSIGN(
      auto r,
      QueryDuckDB(fmt::format("SELECT count(*)::VARCHAR AS n, count(note)::VARCHAR AS notes,"
                              " sum(trade_id)::VARCHAR AS ids, count(never)::VARCHAR AS never,"
                              " count(*) FILTER (WHERE side = 'sell')::VARCHAR AS sells"
                              " FROM read_parquet('{}')",
                              path)));
  int64_t notes = (rows + 96) / 97;
  int64_t sells = 0;
  for (int64_t row = 0; row < rows; ++row) {
    sells += (Mix(static_cast<uint64_t>(row)) >> 40) & 1;
  }
  EXPECT_EQ(r[0]["n"], std::to_string(rows));
  EXPECT_EQ(r[0]["notes"], std::to_string(notes));
  EXPECT_EQ(r[0]["ids"], std::to_string(rows * 7000000000LL + rows * (rows - 1) / 2));
  EXPECT_EQ(r[0]["never"], "0");
  EXPECT_EQ(r[0]["sells"], std::to_string(sells));
}

// Two encoding threads write the same values, counts and bounds as one, and
// stay within the one-thread bound plus one more page scratch.
TEST(WriterMemoryTest, EncodeThreadsWriteTheSameValues) {
  TempDir dir;
  auto schema = CompressibleSchema();
  auto io = NewLocalFileIO();
  std::vector<DataFileMetrics> metrics;
  for (int threads : {1, 2}) {
    WriterOptions o;
    o.row_group_bytes = 1 << 20;
    o.page_bytes = 64 << 10;
    o.dictionary_page_bytes = 64 << 10;
    o.encode_threads = threads;
    K2_ASSERT_OK_AND_ASSIGN(auto out, io->OpenOutput(dir / fmt::format("t{}.parquet", threads)));
    K2_ASSERT_OK_AND_ASSIGN(auto writer, FileWriter::Open(std::move(out), schema, o));
    const uint64_t bound =
        static_cast<uint64_t>(o.row_group_bytes) +
        schema->fields.size() * (4 * static_cast<uint64_t>(o.page_bytes) +
                                 8 * static_cast<uint64_t>(o.dictionary_page_bytes)) +
        8 * static_cast<uint64_t>(o.page_bytes);
    ColumnBatch batch(schema);
    for (int64_t row = 0; row < 400000; row += 40000) {
      Fill(batch, row, 40000);
      K2_ASSERT_OK(writer->Write(batch));
      ASSERT_LE(writer->MemoryUsage(), bound) << threads << " threads";
    }
    K2_ASSERT_OK_AND_ASSIGN(DataFileMetrics m, writer->Finish());
    metrics.push_back(std::move(m));
  }
  ASSERT_EQ(metrics[0].record_count, 400000);
  EXPECT_EQ(metrics[1].record_count, metrics[0].record_count);
  ASSERT_EQ(metrics[1].columns.size(), metrics[0].columns.size());
  for (size_t c = 0; c < metrics[0].columns.size(); ++c) {
    const ColumnMetrics& a = metrics[0].columns[c];
    const ColumnMetrics& b = metrics[1].columns[c];
    EXPECT_EQ(a.value_count, b.value_count) << c;
    EXPECT_EQ(a.null_count, b.null_count) << c;
    EXPECT_EQ(a.lower_bound, b.lower_bound) << c;
    EXPECT_EQ(a.upper_bound, b.upper_bound) << c;
  }
  // DuckDB reads the same rows, in the same order, from both files.
  K2_ASSERT_OK_AND_ASSIGN(
      auto r, QueryDuckDB(fmt::format(
                  "SELECT count(*)::VARCHAR AS n, count(*) FILTER (WHERE a.side IS DISTINCT FROM "
                  "b.side OR a.exchange IS DISTINCT FROM b.exchange OR a.trade_id IS DISTINCT "
                  "FROM b.trade_id OR a.price IS DISTINCT FROM b.price OR a.note IS DISTINCT FROM "
                  "b.note)::VARCHAR AS diff FROM "
                  "(SELECT *, row_number() OVER () AS i FROM read_parquet('{}')) a JOIN "
                  "(SELECT *, row_number() OVER () AS i FROM read_parquet('{}')) b USING (i)",
                  dir / "t1.parquet", dir / "t2.parquet")));
  EXPECT_EQ(r[0]["n"], "400000");
  EXPECT_EQ(r[0]["diff"], "0");
}

}  // namespace
}  // namespace k2::parquet
