#include "jobs/offload/exact_replace.h"

#include <algorithm>

#include "columnar/value.h"
#include "jobs/offload/window_writer.h"

namespace k2::jobs {

/// A time-column predicate selecting [start, end) in the column's own type.
Predicate WindowPredicate(const warm::TimeColumn& time, const Window& w) {
  Predicate p;
  for (const auto& [op, us] :
       {std::pair{CompareOp::kGe, w.start_us}, std::pair{CompareOp::kLt, w.end_us}}) {
    PredicateTerm t;
    t.column = time.name;
    t.op = op;
    t.literal_text = time.ColdLiteral(us);
    p.terms.push_back(std::move(t));
  }
  return p;
}

namespace {

/// The instant of a file's bound (Iceberg single-value binary) on the time column.
std::optional<int64_t> BoundMicros(const warm::TimeColumn& time, const Field& field,
                                   const std::string& bytes) {
  auto v = DecodeSingleValue(field.type, bytes);
  if (!v) return std::nullopt;
  if (std::holds_alternative<int64_t>(v->data)) {
    return time.MicrosOf(field.type.id, std::get<int64_t>(v->data));
  }
  if (std::holds_alternative<int32_t>(v->data)) {
    return time.MicrosOf(field.type.id, std::get<int32_t>(v->data));
  }
  return std::nullopt;
}

}  // namespace

/// Whether the file's bounds on the time column lie inside `w`: every row it
/// holds belongs to the window.
bool FileInsideWindow(const iceberg::DataFile& file, const Field& time_field,
                      const warm::TimeColumn& time, const Window& w) {
  auto lo = file.lower_bounds.find(time_field.id);
  auto hi = file.upper_bounds.find(time_field.id);
  if (lo == file.lower_bounds.end() || hi == file.upper_bounds.end()) return false;
  auto l = BoundMicros(time, time_field, lo->second);
  auto h = BoundMicros(time, time_field, hi->second);
  return l && h && *l >= w.start_us && *h < w.end_us;
}

/// Rewrites the live rows of `task` (its deletes applied) outside `windows`
/// into new files of the same partition: what an exact replace keeps of a
/// file that also holds other windows (after compaction). One streaming read;
/// holds the batch read, its kept rows and one row group at a time.
Result<KeptRows> RewriteOutsideWindow(const iceberg::Table& table, FileIO& io, const Config& config,
                                      const iceberg::FileScanTask& task,
                                      const warm::TimeColumn& time,
                                      const std::vector<Window>& windows) {
  K2_ASSIGN_OR_RETURN(const iceberg::PartitionSpec* spec,
                      table.metadata().SpecById(task.file.spec_id));
  std::string partition_path = spec->PartitionPath(task.file.partition);
  auto scan = table.NewScan();
  K2_ASSIGN_OR_RETURN(Schema projected, scan.ProjectedSchema());
  auto schema = std::make_shared<const Schema>(std::move(projected));
  std::optional<size_t> time_index = schema->IndexOf(time.name);
  if (!time_index) {
    return MakeError(ErrorKind::kInternal, "time column '{}' is not in the table schema",
                     time.name);
  }
  KeptRows out;
  out.writer = std::make_unique<RollingParquetWriter>(
      io, schema, WriterOptionsFor(config.offload), config.offload.target_file_size_bytes,
      [&table, partition_path] { return table.NewDataFilePath(partition_path); });
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader({task}));
  ColumnBatch kept(schema);
  for (;;) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* batch, reader->Next());
    if (batch == nullptr) break;
    const Column& tc = batch->columns[*time_index];
    kept.Clear();
    for (size_t row = 0; row < batch->num_rows(); ++row) {
      auto us = time.ColdMicros(tc, row);
      if (us && std::any_of(windows.begin(), windows.end(),
                            [&](const Window& w) { return *us >= w.start_us && *us < w.end_us; })) {
        continue;  // a replaced window's row
      }
      for (size_t c = 0; c < kept.columns.size(); ++c) {
        kept.columns[c].AppendFrom(batch->columns[c], row);
      }
    }
    if (kept.num_rows() > 0) K2_RETURN_IF_ERROR(out.writer->Write(kept));
  }
  K2_ASSIGN_OR_RETURN(auto written, out.writer->Finish());
  for (const auto& f : written) {
    out.files.push_back(
        iceberg::MakeDataFile(f.metrics, f.path, task.file.spec_id, task.file.partition));
  }
  return out;
}

}  // namespace k2::jobs
