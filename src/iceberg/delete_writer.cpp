#include "iceberg/delete_writer.h"

#include <algorithm>

#include "iceberg/table.h"
#include "parquet/file_writer.h"

namespace k2::iceberg {

namespace {

/// Writes `batch` to a new file under the partition's directory.
Result<std::pair<std::string, parquet::DataFileMetrics>> WriteDeleteParquet(
    Table& table, const PartitionSpec& spec, const PartitionValues& partition,
    const ColumnBatch& batch) {
  const std::string path = table.NewDataFilePath(spec.PartitionPath(partition), "deletes.parquet");
  K2_ASSIGN_OR_RETURN(auto out, table.io().OpenOutput(path));
  parquet::WriterOptions opts;
  // Readers narrow position deletes to data files by the file_path bounds: keep them whole.
  opts.max_bound_length = 1 << 16;
  K2_ASSIGN_OR_RETURN(auto writer, parquet::FileWriter::Open(std::move(out), batch.schema, opts));
  if (auto st = writer->Write(batch); !st) {
    writer->Abort();
    return std::unexpected(st.error());
  }
  K2_ASSIGN_OR_RETURN(parquet::DataFileMetrics metrics, writer->Finish());
  return std::make_pair(path, std::move(metrics));
}

}  // namespace

Result<DataFile> WritePositionDeleteFile(Table& table, int spec_id, PartitionValues partition,
                                         std::vector<PositionDelete> deletes) {
  if (deletes.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "table {}: a position delete file needs rows",
                     table.identifier().name);
  }
  K2_ASSIGN_OR_RETURN(const PartitionSpec* spec, table.metadata().SpecById(spec_id));
  std::sort(deletes.begin(), deletes.end(), [](const PositionDelete& a, const PositionDelete& b) {
    return a.file_path != b.file_path ? a.file_path < b.file_path : a.pos < b.pos;
  });
  auto schema = std::make_shared<const Schema>(
      Schema{{{kDeleteFilePathFieldId, "file_path", DataType::String(), false, ""},
              {kDeletePosFieldId, "pos", DataType::Int64(), false, ""}}});
  ColumnBatch batch(schema);
  batch.columns[0].Reserve(deletes.size());
  batch.columns[1].Reserve(deletes.size());
  for (const PositionDelete& d : deletes) {
    if (d.pos < 0) {
      return MakeError(ErrorKind::kInvalidInput, "position delete of {}: negative position {}",
                       d.file_path, d.pos);
    }
    batch.columns[0].AppendBytes(d.file_path);
    batch.columns[1].Append<int64_t>(d.pos);
  }
  K2_ASSIGN_OR_RETURN(auto written, WriteDeleteParquet(table, *spec, partition, batch));
  DataFile f = MakeDataFile(written.second, written.first, spec_id, std::move(partition));
  f.content = FileContent::kPositionDeletes;
  f.sort_order_id.reset();
  if (deletes.front().file_path == deletes.back().file_path) {
    f.referenced_data_file = deletes.front().file_path;
  }
  return f;
}

Result<DataFile> WriteEqualityDeleteFile(Table& table, int spec_id, PartitionValues partition,
                                         const ColumnBatch& rows) {
  if (rows.schema == nullptr || rows.num_rows() == 0) {
    return MakeError(ErrorKind::kInvalidInput, "table {}: an equality delete file needs rows",
                     table.identifier().name);
  }
  K2_ASSIGN_OR_RETURN(const PartitionSpec* spec, table.metadata().SpecById(spec_id));
  std::vector<int> ids;
  for (const Field& f : rows.schema->fields) {
    auto idx = table.schema().IndexOfId(f.id);
    if (f.id <= 0 || !idx || table.schema().fields[*idx].type != f.type) {
      return MakeError(ErrorKind::kInvalidInput,
                       "table {}: equality delete column {} (id {}) is not a column of the "
                       "current schema with type {}",
                       table.identifier().name, f.name, f.id, f.type.ToString());
    }
    ids.push_back(f.id);
  }
  K2_RETURN_IF_ERROR(rows.Validate());
  K2_ASSIGN_OR_RETURN(auto written, WriteDeleteParquet(table, *spec, partition, rows));
  DataFile f = MakeDataFile(written.second, written.first, spec_id, std::move(partition));
  f.content = FileContent::kEqualityDeletes;
  f.equality_ids = std::move(ids);
  f.sort_order_id.reset();
  return f;
}

}  // namespace k2::iceberg
