#pragma once
// Helpers for Iceberg tests: a trades-like table, real Parquet data files.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "catalog/memory_catalog.h"
#include "iceberg/table.h"
#include "parquet/file_writer.h"
#include "support/support.h"

namespace k2::iceberg::testing {

/// ts timestamp (required), symbol string, price double, qty long.
inline Schema TradesSchema() {
  return Schema{{{1, "ts", DataType::Timestamp(), false, ""},
                 {2, "symbol", DataType::String(), true, ""},
                 {3, "price", DataType::Double(), true, ""},
                 {4, "qty", DataType::Int64(), true, ""}}};
}

struct TradeRow {
  std::string ts;  // "2026-11-24T10:00:00"
  std::string symbol;
  double price;
  int64_t qty;
};

/// Writes `rows` (all in one partition of the table's default spec) to a new
/// Parquet file under the table and returns its DataFile.
inline Result<DataFile> WriteTrades(Table& table, const std::vector<TradeRow>& rows) {
  auto schema = std::make_shared<const Schema>(table.schema());
  ColumnBatch batch(schema);
  for (const TradeRow& r : rows) {
    for (size_t i = 0; i < schema->fields.size(); ++i) {
      const Field& f = schema->fields[i];
      Column& c = batch.columns[i];
      if (f.name == "ts") {
        K2_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros(r.ts));
        c.Append<int64_t>(us);
      } else if (f.name == "symbol") {
        c.AppendBytes(r.symbol);
      } else if (f.name == "price") {
        c.Append<double>(r.price);
      } else if (f.name == "qty") {
        c.Append<int64_t>(r.qty);
      } else {
        c.AppendNull();
      }
    }
  }
  const PartitionSpec& spec = table.metadata().DefaultSpec();
  PartitionValues partition;
  if (!rows.empty()) {
    K2_ASSIGN_OR_RETURN(partition, spec.PartitionFor(batch, 0));
  }
  const std::string path = table.NewDataFilePath(spec.PartitionPath(partition));
  K2_ASSIGN_OR_RETURN(auto out, table.io().OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto writer, parquet::FileWriter::Open(std::move(out), schema));
  K2_RETURN_IF_ERROR(writer->Write(batch));
  K2_ASSIGN_OR_RETURN(auto metrics, writer->Finish());
  return MakeDataFile(metrics, path, spec.spec_id, std::move(partition));
}

/// A fake data file (no bytes on disk) for metadata-only tests.
inline DataFile FakeFile(const std::string& path, int64_t records, PartitionValues partition = {},
                         int spec_id = 0) {
  DataFile f;
  f.file_path = path;
  f.record_count = records;
  f.file_size_in_bytes = records * 10;
  f.spec_id = spec_id;
  f.partition = std::move(partition);
  return f;
}

/// Runs a chDB query with the working directory set to `dir`: chDB only reads
/// files under its user_files path, which is the directory it starts in.
inline Result<nlohmann::json> QueryChdbAt(const std::string& dir, const std::string& sql) {
  std::error_code ec;
  const auto old = std::filesystem::current_path(ec);
  std::filesystem::current_path(dir, ec);
  if (ec) return MakeError(ErrorKind::kIo, "chdir {}: {}", dir, ec.message());
  auto r = ::k2::testing::QueryChdb(sql);
  std::filesystem::current_path(old, ec);
  return r;
}

inline std::string Q(const std::string& s) {
  return "'" + s + "'";
}

}  // namespace k2::iceberg::testing
