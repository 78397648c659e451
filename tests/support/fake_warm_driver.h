#pragma once
/// FakeWarmTier: the warm tier (ClickHouse) in memory, so the jobs above it
/// (the offload first) are tested without an engine, fast, and with a count
/// of every hour they read.
///
/// The seam is warm::WarmDriver, the edge interface the offload opens through
/// its WarmFactory, not WarmSource: the offload builds its SQL
/// (jobs/warm_source.h, jobs/window_stats.h) and parses the TabSeparated
/// answers itself, and both halves run for real against this fake. The price
/// is that the fake understands only the statements k2 builds for a table read
/// with the default query (`SELECT * FROM t WHERE ts >= toDateTime(N, 'UTC')
/// AND ts < toDateTime(M, 'UTC')`, a custom query or a reference table is not
/// understood): the engine and time-column probes, DESCRIBE, the window's
/// count and checksum, the oldest row, the rows per window, the cold-ranges
/// probe, and the window's stream (with the per-row hash column the offload
/// adds, the same hash the checksum sums). Any other statement fails kUnsupported
/// naming it, so a new query shape shows up as a failing test, never as a
/// wrong answer. The checksum is not ClickHouse's sum(cityHash64(...)) but a
/// sum of per-row hashes with the properties the offload relies on (it
/// compares warm with warm): order-independent, changed by any value.
///
///   FakeWarmTier tier;
///   K2_ASSERT_OK(tier.CreateTable({"trades", {{"ts", "DateTime64(6, 'UTC')"}, ...}, "ts"}));
///   K2_ASSERT_OK(tier.Insert("trades", batch));
///   OffloadJob job(config, catalog, io, [&] { return tier.Connect(); });
///   EXPECT_EQ(tier.streams(), 2);

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::testing {

/// A table of the fake warm tier.
struct FakeWarmTable {
  std::string name;  ///< unqualified, as the config's `source` names it
  /// Name and ClickHouse type of each column, as DESCRIBE prints them.
  std::vector<std::pair<std::string, std::string>> columns;
  /// The window's column: DateTime or DateTime64 with precision <= 6.
  std::string time_column;
  std::string engine = "MergeTree";
};

/// Thread-safe: the drivers of parallel tables share it.
class FakeWarmTier {
 public:
  /// Adds a table, empty. kInvalidInput for an unmappable column type or a
  /// time column that is not a DateTime/DateTime64 column; kAlreadyExists.
  Status CreateTable(FakeWarmTable table);
  /// The schema of `table`'s rows as the driver streams them (build Insert's
  /// batches with it). kNotFound for an unknown table.
  Result<std::shared_ptr<const Schema>> SchemaOf(const std::string& table) const;
  /// Appends `rows` (of SchemaOf(table)). kNotFound, kInvalidInput.
  Status Insert(const std::string& table, const ColumnBatch& rows);

  /// Streams at most `rows` rows per batch (a server's block size; default:
  /// what the reader asks for).
  void set_max_batch_rows(size_t rows);

  /// A driver on this tier (a test's WarmFactory). It must not outlive the tier.
  Result<std::unique_ptr<warm::WarmDriver>> Connect();

  /// How many result streams (WarmDriver::Query) were opened, and their SQL.
  int streams() const;
  std::vector<std::string> stream_sql() const;

  /// Answers a statement (what FakeWarmDriver::Execute returns).
  Result<std::string> Execute(const std::string& sql);
  /// The columns of a window's query (FakeWarmDriver::Describe).
  Result<std::vector<std::pair<std::string, std::string>>> Describe(const std::string& sql);
  /// The rows of a window's query, in batches of `batch_rows`.
  Result<std::unique_ptr<BatchReader>> Query(const std::string& sql, size_t batch_rows);

 private:
  struct Table {
    FakeWarmTable def;
    std::shared_ptr<const Schema> schema;
    size_t time_index = 0;
    ColumnBatch rows;
  };
  /// A window's read: the table and [from_s, to_s) in epoch seconds.
  struct WindowRead {
    const Table* table = nullptr;
    int64_t from_s = 0;
    int64_t to_s = 0;
  };
  /// Parses the default query of a window inside `sql` (mu_ held).
  Result<WindowRead> ParseWindowRead(const std::string& sql) const;
  /// Rows of `read`'s table inside its window (mu_ held).
  std::vector<size_t> RowsOf(const WindowRead& read) const;
  /// The fake checksum of one row.
  static uint64_t RowHash(const ColumnBatch& rows, size_t row);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::string> streams_;
  size_t max_batch_rows_ = 0;
};

}  // namespace k2::testing
