#include "jobs/offload/window_writer.h"

#include <algorithm>
#include <thread>

#include "columnar/prefetching_reader.h"

namespace k2::jobs {

parquet::WriterOptions WriterOptionsFor(const OffloadPolicy& p) {
  parquet::WriterOptions o;
  if (p.compression == "snappy") {
    o.codec = parquet::Codec::kSnappy;
  } else if (p.compression == "gzip") {
    o.codec = parquet::Codec::kGzip;
  } else if (p.compression == "none") {
    o.codec = parquet::Codec::kUncompressed;
  } else {
    o.codec = parquet::Codec::kZstd;
  }
  o.compression_level = p.compression_level;
  // 32 MiB row groups bound the writer's memory (one encoded row group) well
  // inside the sidecar's budget; a 128 MB file then has about four.
  o.row_group_bytes = std::min<int64_t>(32LL << 20, p.target_file_size_bytes);
  // The hour's encoding is k2's critical path: columns encode on two threads
  // (one more page scratch and codec context, the same bytes out).
  o.encode_threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  return o;
}

namespace {

/// The column the window's stream carries each row's checksum hash in.
constexpr const char* kRowHashColumn = "_k2_row_hash";

/// The window's query with each row's checksum hash as a last column:
/// toInt64(cityHash64(...)) over `columns` as `kind` hashes them, so the sum
/// of the column (mod 2^64) is WindowStatsSql's checksum of exactly the rows
/// streamed, taken in the same pass over the window.
std::string WithRowHash(const std::string& window_sql, const std::vector<WarmColumn>& columns,
                        ChecksumKind kind) {
  return fmt::format("SELECT *, toInt64({}) AS {} FROM ({})", RowHashSql(columns, kind),
                     kRowHashColumn, window_sql);
}

/// Adds each row of `batch` (time column, then the row hash last) to the
/// count and checksum of its window.
Status AddPerWindow(const ColumnBatch& batch, const TableContext& ctx, int64_t window_s,
                    std::map<int64_t, WindowStats>& per_window, std::map<int64_t, uint64_t>& sums) {
  auto idx = batch.schema->IndexOf(ctx.source.time.name);
  if (!idx) {
    return MakeError(ErrorKind::kInvalidInput, "{}: the query returned no column {}", ctx.cfg->name,
                     ctx.source.time.name);
  }
  const Column& time = batch.columns[*idx];
  const auto hashes = batch.columns.back().Values<int64_t>();
  const int64_t step = window_s * kMicrosPerSecond;
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    auto us = ctx.source.time.ColdMicros(time, row);
    if (!us) {
      return MakeError(ErrorKind::kInvalidInput, "{}: a row without {} (NULL)", ctx.cfg->name,
                       ctx.source.time.name);
    }
    const int64_t start = *us - ((*us % step) + step) % step;
    ++per_window[start].rows;
    sums[start] += static_cast<uint64_t>(hashes[row]);
  }
  return OkStatus();
}

}  // namespace

/// Streams one window's rows into Parquet files; `stats` gets the count and
/// checksum (kCommitChecksumKind) of exactly the rows written.
Result<std::vector<WrittenFile>> WriteWindow(warm::WarmDriver& driver, FileIO& io,
                                             const Config& config, TableContext& ctx,
                                             const std::string& sql, WindowStats& stats,
                                             iceberg::PartitionValues& partition,
                                             std::unique_ptr<RollingParquetWriter>& writer,
                                             std::map<int64_t, WindowStats>* per_window,
                                             int64_t window_s) {
  const iceberg::PartitionSpec& spec = ctx.table->metadata().DefaultSpec();
  K2_ASSIGN_OR_RETURN(auto source,
                      driver.Query(WithRowHash(sql, ctx.columns, kCommitChecksumKind)));
  auto reader = std::make_unique<PrefetchingReader>(std::move(source), config.warm.kind == "http");
  std::string partition_path;
  bool have_partition = false;
  writer = std::make_unique<RollingParquetWriter>(
      io, ctx.write_schema, WriterOptionsFor(config.offload), config.offload.target_file_size_bytes,
      [&] { return ctx.table->NewDataFilePath(partition_path); });
  const size_t width = ctx.write_schema->fields.size();
  uint64_t checksum = 0;  // ClickHouse's sum(UInt64) wraps the same way
  std::map<int64_t, uint64_t> window_sums;
  int64_t rows = 0;
  for (;;) {
    K2_ASSIGN_OR_RETURN(ColumnBatch * batch, reader->Next());
    if (batch == nullptr) break;
    if (batch->num_rows() == 0) continue;
    if (batch->columns.size() != width + 1 || batch->columns.back().type() != DataType::Int64() ||
        batch->schema->fields.back().name != kRowHashColumn) {
      return MakeError(ErrorKind::kInvalidInput,
                       "{}: the query returned {} columns, DESCRIBE said {} (plus {})",
                       ctx.cfg->name, batch->columns.size(), width, kRowHashColumn);
    }
    for (int64_t h : batch->columns.back().Values<int64_t>()) checksum += static_cast<uint64_t>(h);
    if (per_window) {
      K2_RETURN_IF_ERROR(AddPerWindow(*batch, ctx, window_s, *per_window, window_sums));
    }
    rows += static_cast<int64_t>(batch->num_rows());
    // Written without the hash column, labelled with the table's field ids;
    // the batch is the reader's again after the write.
    Column hashes = std::move(batch->columns.back());
    batch->columns.pop_back();
    batch->schema = ctx.write_schema;
    if (!have_partition) {
      K2_ASSIGN_OR_RETURN(partition, spec.PartitionFor(*batch, 0));
      partition_path = spec.PartitionPath(partition);
      have_partition = true;
    }
    Status written = writer->Write(*batch);
    batch->columns.push_back(std::move(hashes));
    K2_RETURN_IF_ERROR(written);
  }
  stats.rows = rows;
  stats.checksum = std::to_string(checksum);
  if (per_window) {
    for (const auto& [start, sum] : window_sums)
      (*per_window)[start].checksum = std::to_string(sum);
  }
  return writer->Finish();
}

}  // namespace k2::jobs
