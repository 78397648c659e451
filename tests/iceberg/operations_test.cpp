#include <gtest/gtest.h>

#include <algorithm>

#include "iceberg/delete_writer.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/test_tables.h"

namespace k2::iceberg {
namespace {

using ::k2::testing::TempDir;
using testing::FakeFile;
using testing::Q;
using testing::QueryChdbAt;
using testing::TradesSchema;
using testing::WriteTrades;

const TableIdentifier kId{{"market"}, "trades"};

Predicate P(const char* text) {
  auto p = Predicate::Parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(Predicate{});
}

/// Rows of a scan as sorted "a|b|c" strings.
Result<std::vector<std::string>> Rows(const TableScan& scan) {
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader());
  std::vector<std::string> out;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, reader->Next());
    if (b == nullptr) break;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      std::string row;
      for (size_t c = 0; c < b->num_columns(); ++c) {
        if (c > 0) row += "|";
        Value v = Value::FromColumn(b->columns[c], r);
        row += v.is_null() ? "NULL" : v.ToString();
      }
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = NewMemoryCatalog("k2");
    ASSERT_TRUE(catalog_->CreateNamespace({"market"}, {}).has_value());
    auto spec = PartitionSpec::Make(TradesSchema(), {{"ts", "day"}});
    ASSERT_TRUE(spec.has_value());
    CreateOptions opts;
    opts.location = dir_ / "warehouse/market/trades";
    opts.properties = {{"commit.retry.min-wait-ms", "1"}};
    auto t = Table::Create(*catalog_, *io_, kId, TradesSchema(), *spec, opts);
    ASSERT_TRUE(t.has_value()) << t.error().ToString();
    table_.emplace(std::move(*t));
  }
  Table& table() { return *table_; }
  Result<nlohmann::json> Chdb(const std::string& select_from_suffix,
                              const std::string& settings = "") {
    return QueryChdbAt(dir_.path(), select_from_suffix);
  }
  std::string From() const { return "icebergLocal(" + Q(table_->metadata().location) + ")"; }

  TempDir dir_;
  std::unique_ptr<FileIO> io_ = NewLocalFileIO();
  std::unique_ptr<Catalog> catalog_;
  std::optional<Table> table_;
};

TEST_F(OperationsTest, OverwriteReplacePartitionsDeleteAgreeWithChdb) {
  K2_ASSERT_OK_AND_ASSIGN(DataFile d24,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1},
                                                {"2026-11-24T11:00:00", "ETH", 10, 2}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile d25,
                          WriteTrades(table(), {{"2026-11-25T10:00:00", "BTC", 101, 3}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1,
                          table().NewFastAppend().AppendFile(d24).AppendFile(d25).Commit());

  // A filter that only partly covers a file is refused (k2 removes whole files).
  K2_ASSERT_ERROR_KIND(table().NewOverwrite().OverwriteByFilter(P("qty > 1")).Commit(),
                       ErrorKind::kInvalidInput);
  // Dynamic partition replace of 2026-11-24.
  K2_ASSERT_OK_AND_ASSIGN(DataFile d24b,
                          WriteTrades(table(), {{"2026-11-24T12:00:00", "SOL", 1, 10}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s2, table().NewReplacePartitions().AddFile(d24b).Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->operation, "overwrite");
  EXPECT_EQ(table().metadata().CurrentSnapshot()->summary.at("deleted-data-files"), "1");
  EXPECT_EQ(table().metadata().CurrentSnapshot()->summary.at("total-records"), "2");
  K2_ASSERT_OK_AND_ASSIGN(auto rows, Rows(table().NewScan().Select({"symbol", "qty"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"BTC|3", "SOL|10"}));
  K2_ASSERT_OK_AND_ASSIGN(auto ch, Chdb("SELECT symbol, qty FROM " + From() + " ORDER BY symbol"));
  ASSERT_EQ(ch.size(), 2u) << ch.dump();
  EXPECT_EQ(ch[0]["symbol"], "BTC");
  EXPECT_EQ(ch[1]["qty"], "10");

  // Overwrite by filter: whole day 2026-11-25 replaced.
  K2_ASSERT_OK_AND_ASSIGN(DataFile d25b,
                          WriteTrades(table(), {{"2026-11-25T13:00:00", "ADA", 2, 20}}));
  K2_ASSERT_OK(
      table()
          .NewOverwrite()
          .OverwriteByFilter(P("ts >= '2026-11-25T00:00:00' AND ts < '2026-11-26T00:00:00'"))
          .AddFile(d25b)
          .Commit());
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().Select({"symbol"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"ADA", "SOL"}));

  // Delete whole files by filter.
  K2_ASSERT_OK(table().NewDelete().DeleteFromRowFilter(P("symbol = 'SOL'")).Commit());
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().Select({"symbol", "qty"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"ADA|20"}));
  K2_ASSERT_OK_AND_ASSIGN(ch, Chdb("SELECT count() AS c, sum(qty) AS q FROM " + From()));
  EXPECT_EQ(ch[0]["c"], "1");
  EXPECT_EQ(ch[0]["q"], "20");
  // Time travel to the first and second snapshots, in k2 and chDB.
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().Select({"qty"}).UseSnapshot(s1)));
  EXPECT_EQ(rows, (std::vector<std::string>{"1", "2", "3"}));
  K2_ASSERT_OK_AND_ASSIGN(ch, Chdb("SELECT sum(qty) AS q FROM " + From() +
                                   " SETTINGS iceberg_snapshot_id = " + std::to_string(s2)));
  EXPECT_EQ(ch[0]["q"], "13");
  // Deleting a file that is no longer live is a conflict.
  K2_ASSERT_ERROR_KIND(table().NewDelete().DeleteFile(d24.file_path).Commit(),
                       ErrorKind::kCommitConflict);
}

TEST_F(OperationsTest, RowDeltaPositionAndEqualityDeletesAgreeWithChdb) {
  K2_ASSERT_OK_AND_ASSIGN(DataFile d24,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1},
                                                {"2026-11-24T11:00:00", "ETH", 10, 2},
                                                {"2026-11-24T12:00:00", "SOL", 1, 3}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile d25,
                          WriteTrades(table(), {{"2026-11-25T10:00:00", "BTC", 101, 4},
                                                {"2026-11-25T11:00:00", "ETH", 11, 5}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1,
                          table().NewFastAppend().AppendFile(d24).AppendFile(d25).Commit());

  // Position deletes: rows 0 and 2 of the 24th's file, in that file's partition.
  K2_ASSERT_OK_AND_ASSIGN(DataFile pos,
                          WritePositionDeleteFile(table(), d24.spec_id, d24.partition,
                                                  {{d24.file_path, 2}, {d24.file_path, 0}}));
  EXPECT_EQ(pos.content, FileContent::kPositionDeletes);
  EXPECT_EQ(pos.record_count, 2);
  EXPECT_EQ(pos.referenced_data_file, d24.file_path);
  // A data file added in the same commit is not touched by those deletes.
  K2_ASSERT_OK_AND_ASSIGN(DataFile d24b,
                          WriteTrades(table(), {{"2026-11-24T13:00:00", "ADA", 2, 6}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s2, table().NewRowDelta().AddFile(pos).AddFile(d24b).Commit());
  const Snapshot* snap = table().metadata().CurrentSnapshot();
  EXPECT_EQ(snap->operation, "overwrite");
  EXPECT_EQ(snap->summary.at("added-position-deletes"), "2");
  EXPECT_EQ(snap->summary.at("added-delete-files"), "1");
  K2_ASSERT_OK_AND_ASSIGN(auto rows, Rows(table().NewScan().Select({"symbol", "qty"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"ADA|6", "BTC|4", "ETH|2", "ETH|5"}));
  K2_ASSERT_OK_AND_ASSIGN(auto ch, Chdb("SELECT count() AS c, sum(qty) AS q FROM " + From()));
  ASSERT_EQ(ch.size(), 1u) << ch.dump();
  EXPECT_EQ(ch[0]["c"], "4") << "chDB did not apply the position deletes";
  EXPECT_EQ(ch[0]["q"], "17");

  // Equality delete symbol = 'ETH' in the 25th's partition only.
  auto key_schema =
      std::make_shared<const Schema>(Schema{{{2, "symbol", DataType::String(), true, ""}}});
  ColumnBatch keys(key_schema);
  keys.columns[0].AppendBytes("ETH");
  K2_ASSERT_OK_AND_ASSIGN(DataFile eq,
                          WriteEqualityDeleteFile(table(), d25.spec_id, d25.partition, keys));
  EXPECT_EQ(eq.equality_ids, (std::vector<int>{2}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s3, table().NewRowDelta().AddFile(eq).Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->summary.at("added-equality-deletes"), "1");
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().Select({"symbol", "qty"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"ADA|6", "BTC|4", "ETH|2"}));
  K2_ASSERT_OK_AND_ASSIGN(ch, Chdb("SELECT symbol, qty FROM " + From() + " ORDER BY qty"));
  ASSERT_EQ(ch.size(), 3u) << "chDB did not apply the equality delete: " << ch.dump();
  EXPECT_EQ(ch[0]["qty"], "2");
  EXPECT_EQ(ch[1]["qty"], "4");
  EXPECT_EQ(ch[2]["qty"], "6");
  // An equality delete never applies to data added later in the same partition.
  K2_ASSERT_OK_AND_ASSIGN(DataFile d25b,
                          WriteTrades(table(), {{"2026-11-25T14:00:00", "ETH", 12, 7}}));
  K2_ASSERT_OK(table().NewFastAppend().AppendFile(d25b).Commit());
  K2_ASSERT_OK_AND_ASSIGN(rows,
                          Rows(table().NewScan().Select({"qty"}).Filter(P("symbol = 'ETH'"))));
  EXPECT_EQ(rows, (std::vector<std::string>{"2", "7"}));

  // Time travel: before any delete, and after the position deletes only.
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().Select({"qty"}).UseSnapshot(s1)));
  EXPECT_EQ(rows.size(), 5u);
  K2_ASSERT_OK_AND_ASSIGN(ch, Chdb("SELECT sum(qty) AS q FROM " + From() +
                                   " SETTINGS iceberg_snapshot_id = " + std::to_string(s2)));
  EXPECT_EQ(ch[0]["q"], "17");
  K2_ASSERT_OK_AND_ASSIGN(ch, Chdb("SELECT sum(qty) AS q FROM " + From() +
                                   " SETTINGS iceberg_snapshot_id = " + std::to_string(s3)));
  EXPECT_EQ(ch[0]["q"], "12");

  // Bad input is refused before anything is written.
  K2_ASSERT_ERROR_KIND(WritePositionDeleteFile(table(), d24.spec_id, d24.partition, {}),
                       ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(
      WritePositionDeleteFile(table(), d24.spec_id, d24.partition, {{d24.file_path, -1}}),
      ErrorKind::kInvalidInput);
  auto bad_schema =
      std::make_shared<const Schema>(Schema{{{2, "symbol", DataType::Int64(), true, ""}}});
  ColumnBatch bad(bad_schema);
  bad.columns[0].Append<int64_t>(1);
  K2_ASSERT_ERROR_KIND(WriteEqualityDeleteFile(table(), d25.spec_id, d25.partition, bad),
                       ErrorKind::kInvalidInput);
}

TEST_F(OperationsTest, RewriteValidatesAgainstConcurrentChanges) {
  K2_ASSERT_OK_AND_ASSIGN(DataFile a,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1}}));
  K2_ASSERT_OK_AND_ASSIGN(DataFile b,
                          WriteTrades(table(), {{"2026-11-24T11:00:00", "BTC", 100, 2}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t start,
                          table().NewFastAppend().AppendFile(a).AppendFile(b).Commit());
  K2_ASSERT_OK_AND_ASSIGN(DataFile ab,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1},
                                                {"2026-11-24T11:00:00", "BTC", 100, 2}}));
  // A concurrent plain append to the same day does not conflict with compaction.
  K2_ASSERT_OK_AND_ASSIGN(DataFile c, WriteTrades(table(), {{"2026-11-24T12:00:00", "ETH", 5, 4}}));
  K2_ASSERT_OK_AND_ASSIGN(Table other, Table::Load(*catalog_, *io_, kId));
  K2_ASSERT_OK(other.NewFastAppend().AppendFile(c).Commit());
  K2_ASSERT_OK_AND_ASSIGN(int64_t rewrite, table()
                                               .NewRewrite()
                                               .ValidateFromSnapshot(start)
                                               .DeleteFile(a.file_path)
                                               .DeleteFile(b.file_path)
                                               .AddFile(ab)
                                               .Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->operation, "replace");
  EXPECT_EQ(table().metadata().CurrentSnapshot()->summary.at("total-records"), "3");
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table().NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 2u);

  // A rewrite whose input was removed concurrently fails with kCommitConflict.
  K2_ASSERT_OK_AND_ASSIGN(DataFile ab2,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1}}));
  K2_ASSERT_OK(other.Refresh());
  K2_ASSERT_OK(other.NewDelete().DeleteFile(ab.file_path).Commit());
  K2_ASSERT_ERROR_KIND(table()
                           .NewRewrite()
                           .ValidateFromSnapshot(rewrite)
                           .DeleteFile(ab.file_path)
                           .AddFile(ab2)
                           .Commit(),
                       ErrorKind::kCommitConflict);

  // An overwrite touching the rewritten partition after the start also conflicts.
  K2_ASSERT_OK(table().Refresh());
  const int64_t start2 = table().metadata().CurrentSnapshot()->snapshot_id;
  K2_ASSERT_OK_AND_ASSIGN(DataFile c2,
                          WriteTrades(table(), {{"2026-11-24T12:00:00", "ETH", 5, 4}}));
  K2_ASSERT_OK(other.Refresh());
  K2_ASSERT_OK_AND_ASSIGN(DataFile x, WriteTrades(table(), {{"2026-11-24T13:00:00", "XRP", 1, 1}}));
  K2_ASSERT_OK(other.NewReplacePartitions().AddFile(x).Commit());
  K2_ASSERT_ERROR_KIND(table()
                           .NewRewrite()
                           .ValidateFromSnapshot(start2)
                           .DeleteFile(c.file_path)
                           .AddFile(c2)
                           .Commit(),
                       ErrorKind::kCommitConflict);
}

TEST_F(OperationsTest, SchemaEvolutionReadsOldFilesByFieldId) {
  K2_ASSERT_OK_AND_ASSIGN(DataFile a,
                          WriteTrades(table(), {{"2026-11-24T10:00:00", "BTC", 100, 1}}));
  K2_ASSERT_OK_AND_ASSIGN(int64_t s1, table().NewFastAppend().AppendFile(a).Commit());
  K2_ASSERT_OK(table()
                   .NewUpdateSchema()
                   .AddColumn("venue", DataType::String(), "exchange")
                   .RenameColumn("qty", "quantity")
                   .Commit());
  K2_ASSERT_ERROR_KIND(
      table().NewUpdateSchema().UpdateColumnType("symbol", DataType::Int64()).Commit(),
      ErrorKind::kInvalidInput);
  const Schema& s = table().schema();
  ASSERT_EQ(s.fields.size(), 5u);
  EXPECT_EQ(s.fields[4].id, 5);
  EXPECT_EQ(s.fields[3].name, "quantity");
  EXPECT_EQ(s.fields[3].id, 4);
  // New files carry the new column; old ones read it as null and the renamed column by id.
  auto schema = std::make_shared<const Schema>(s);
  ColumnBatch batch(schema);
  batch.columns[0].Append<int64_t>(*ParseTimestampMicros("2026-11-24T12:00:00"));
  batch.columns[1].AppendBytes("ETH");
  batch.columns[2].Append<double>(10);
  batch.columns[3].Append<int64_t>(5);
  batch.columns[4].AppendBytes("binance");
  const std::string path = table().NewDataFilePath("ts_day=2026-11-24");
  K2_ASSERT_OK_AND_ASSIGN(auto out, io_->OpenOutput(path));
  K2_ASSERT_OK_AND_ASSIGN(auto writer, parquet::FileWriter::Open(std::move(out), schema));
  K2_ASSERT_OK(writer->Write(batch));
  K2_ASSERT_OK_AND_ASSIGN(auto metrics, writer->Finish());
  K2_ASSERT_OK_AND_ASSIGN(PartitionValues pv,
                          table().metadata().DefaultSpec().PartitionFor(batch, 0));
  K2_ASSERT_OK(table().NewFastAppend().AppendFile(MakeDataFile(metrics, path, 0, pv)).Commit());

  K2_ASSERT_OK_AND_ASSIGN(auto rows,
                          Rows(table().NewScan().Select({"symbol", "quantity", "venue"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"BTC|1|NULL", "ETH|5|binance"}));
  K2_ASSERT_OK_AND_ASSIGN(
      auto ch, Chdb("SELECT symbol, quantity, venue FROM " + From() + " ORDER BY symbol"));
  ASSERT_EQ(ch.size(), 2u) << ch.dump();
  EXPECT_EQ(ch[0]["quantity"], "1");
  EXPECT_TRUE(ch[0]["venue"].is_null()) << ch.dump();
  EXPECT_EQ(ch[1]["venue"], "binance");
  // Time travel reads the snapshot's schema (qty, no venue).
  K2_ASSERT_OK_AND_ASSIGN(rows, Rows(table().NewScan().UseSnapshot(s1).Select({"qty"})));
  EXPECT_EQ(rows, (std::vector<std::string>{"1"}));

  // Widening int -> long and spec evolution.
  K2_ASSERT_OK(table().NewUpdateSpec().AddField("symbol", "identity").Commit());
  EXPECT_EQ(table().metadata().DefaultSpec().spec_id, 1);
  EXPECT_EQ(table().metadata().DefaultSpec().fields.size(), 2u);
  EXPECT_EQ(table().metadata().DefaultSpec().fields[1].field_id, 1001);
  K2_ASSERT_OK(table().NewUpdateProperties().Set("owner", "k2").Remove("nope").Commit());
  EXPECT_EQ(table().metadata().properties.at("owner"), "k2");
}

TEST_F(OperationsTest, WriteAuditPublishWithBranches) {
  K2_ASSERT_OK(table()
                   .NewFastAppend()
                   .AppendFile(FakeFile("/x/a.parquet", 1, {Value{DataType::Date(), int32_t{1}}}))
                   .Commit());
  const int64_t main_head = table().metadata().CurrentSnapshot()->snapshot_id;
  K2_ASSERT_OK(
      table().NewManageSnapshots().CreateBranch("audit").CreateTag("before", main_head).Commit());
  K2_ASSERT_OK_AND_ASSIGN(
      int64_t staged,
      table()
          .NewFastAppend()
          .ToBranch("audit")
          .AppendFile(FakeFile("/x/b.parquet", 2, {Value{DataType::Date(), int32_t{2}}}))
          .Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->snapshot_id, main_head) << "main is untouched";
  K2_ASSERT_OK_AND_ASSIGN(auto tasks, table().NewScan().UseRef("audit").PlanFiles());
  EXPECT_EQ(tasks.size(), 2u);
  K2_ASSERT_OK_AND_ASSIGN(tasks, table().NewScan().PlanFiles());
  EXPECT_EQ(tasks.size(), 1u);
  // Publish: fast-forward main to the audited branch.
  K2_ASSERT_OK(table().NewManageSnapshots().FastForward("main", "audit").Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->snapshot_id, staged);
  K2_ASSERT_OK_AND_ASSIGN(tasks, table().NewScan().UseRef("before").PlanFiles());
  EXPECT_EQ(tasks.size(), 1u);
  // Main moved on; the audit branch can no longer be fast-forwarded onto from an unrelated head.
  K2_ASSERT_OK(table()
                   .NewFastAppend()
                   .AppendFile(FakeFile("/x/c.parquet", 1, {Value{DataType::Date(), int32_t{3}}}))
                   .Commit());
  K2_ASSERT_ERROR_KIND(table().NewManageSnapshots().FastForward("main", "before").Commit(),
                       ErrorKind::kCommitConflict);
  K2_ASSERT_ERROR_KIND(table().NewManageSnapshots().CreateBranch("audit").Commit(),
                       ErrorKind::kAlreadyExists);
  K2_ASSERT_OK(table().NewManageSnapshots().RemoveRef("audit").Commit());
  EXPECT_EQ(table().metadata().refs.count("audit"), 0u);
  K2_ASSERT_OK(table().NewManageSnapshots().RollbackTo(main_head).Commit());
  EXPECT_EQ(table().metadata().CurrentSnapshot()->snapshot_id, main_head);
}

}  // namespace
}  // namespace k2::iceberg
