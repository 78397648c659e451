#include "jobs/offload/window_writer.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "columnar/prefetching_reader.h"
#include "jobs/row_hash.h"

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

/// Streams one window's rows into Parquet files; `stats` gets the count and
/// checksum (kCommitChecksumKind) of exactly the rows written.
Result<std::vector<WrittenFile>> WriteWindow(warm::WarmDriver& driver, FileIO& io,
                                             const Config& config, TableContext& ctx,
                                             const std::string& sql, WindowStats& stats,
                                             iceberg::PartitionValues& partition,
                                             std::unique_ptr<RollingParquetWriter>& writer) {
  const iceberg::PartitionSpec& spec = ctx.table->metadata().DefaultSpec();
  RowHashes row_hashes(ctx.columns, *ctx.write_schema, kCommitChecksumKind, RowHashing::kServer);
  K2_ASSIGN_OR_RETURN(auto source, driver.Query(row_hashes.Query(sql)));
  auto reader = std::make_unique<PrefetchingReader>(std::move(source), config.warm.kind == WarmKind::kHttp,
                                                    row_hashes.Hook());
  std::string partition_path;
  bool have_partition = false;
  writer = std::make_unique<RollingParquetWriter>(
      io, ctx.write_schema, WriterOptionsFor(config.offload), config.offload.target_file_size_bytes,
      [&] { return ctx.table->NewDataFilePath(partition_path); });
  uint64_t checksum = 0;  // ClickHouse's sum(UInt64) wraps the same way
  int64_t rows = 0;
  for (;;) {
    K2_ASSIGN_OR_RETURN(ColumnBatch * batch, reader->Next());
    if (batch == nullptr) break;
    if (batch->num_rows() == 0) continue;
    // Written without any hash column, labelled with the table's field ids;
    // the batch is the reader's again after the write.
    K2_ASSIGN_OR_RETURN(auto hashes, row_hashes.Take(*batch, ctx.write_schema, ctx.cfg->name));
    for (int64_t h : hashes) checksum += static_cast<uint64_t>(h);
    rows += static_cast<int64_t>(batch->num_rows());
    if (!have_partition) {
      K2_ASSIGN_OR_RETURN(partition, spec.PartitionFor(*batch, 0));
      partition_path = spec.PartitionPath(partition);
      have_partition = true;
    }
    Status written = writer->Write(*batch);
    row_hashes.Restore(*batch);
    K2_RETURN_IF_ERROR(written);
  }
  stats.rows = rows;
  stats.checksum = std::to_string(checksum);
  return writer->Finish();
}

}  // namespace k2::jobs

namespace k2::jobs {

namespace {

/// One group being written.
struct OpenGroup {
  WrittenGroup out;
  std::map<int64_t, uint64_t> sums;
  std::string partition_path;
  bool has_partition = false;
};

}  // namespace

Status StreamWindowGroups(warm::WarmDriver& driver, FileIO& io, const Config& config,
                          TableContext& ctx, const std::string& sql, int64_t window_s,
                          const std::vector<std::vector<Window>>& groups,
                          const std::function<Status(size_t, WrittenGroup&)>& on_group) {
  if (groups.empty()) return OkStatus();
  // A copy: each group's commit replaces the table's metadata.
  const iceberg::PartitionSpec spec = ctx.table->metadata().DefaultSpec();
  RowHashes row_hashes(ctx.columns, *ctx.write_schema, kCommitChecksumKind, RowHashing::kServer);
  K2_ASSIGN_OR_RETURN(auto source, driver.Query(row_hashes.Query(sql)));
  auto reader = std::make_unique<PrefetchingReader>(std::move(source), config.warm.kind == WarmKind::kHttp,
                                                    row_hashes.Hook());
  const size_t width = ctx.write_schema->fields.size();
  const int64_t step = window_s * kMicrosPerSecond;
  auto time_index = ctx.write_schema->IndexOf(ctx.source.time.name);
  if (!time_index) {
    return MakeError(ErrorKind::kInvalidInput, "{}: the query returned no column {}", ctx.cfg->name,
                     ctx.source.time.name);
  }
  size_t g = 0;
  OpenGroup cur;
  auto start_group = [&] {
    cur = OpenGroup{};
    cur.out.writer = std::make_unique<RollingParquetWriter>(
        io, ctx.write_schema, WriterOptionsFor(config.offload),
        config.offload.target_file_size_bytes,
        [&] { return ctx.table->NewDataFilePath(cur.partition_path); });
  };
  // Hands group g over and moves to the next one.
  auto close_group = [&]() -> Status {
    K2_ASSIGN_OR_RETURN(cur.out.files, cur.out.writer->Finish());
    for (const auto& [start, sum] : cur.sums) cur.out.windows[start].checksum = std::to_string(sum);
    Status st = on_group(g, cur.out);
    ++g;
    if (st && g < groups.size()) start_group();
    return st;
  };
  auto fail = [&](Error e) -> Status {
    if (cur.out.writer) cur.out.writer->Abort();
    return std::unexpected(std::move(e));
  };
  start_group();
  ColumnBatch part;  // rows of a batch that spans a group boundary
  for (;;) {
    auto next = reader->Next();
    if (!next) return fail(next.error());
    ColumnBatch* batch = *next;
    if (batch == nullptr) break;
    const size_t n = batch->num_rows();
    if (n == 0) continue;
    auto taken = row_hashes.Take(*batch, ctx.write_schema, ctx.cfg->name);
    if (!taken) return fail(taken.error());
    const std::span<const int64_t> h = *taken;
    const Column& time = batch->columns[*time_index];
    size_t row = 0;
    Status st = OkStatus();
    while (st && row < n) {
      // The run of rows [row, end) of the current group.
      size_t end = row;
      int64_t last_us = std::numeric_limits<int64_t>::min();
      for (; end < n; ++end) {
        auto us = ctx.source.time.ColdMicros(time, end);
        if (!us) {
          st = MakeError(ErrorKind::kInvalidInput, "{}: a row without {} (NULL)", ctx.cfg->name,
                         ctx.source.time.name);
          break;
        }
        if (*us < last_us) {
          st = MakeError(ErrorKind::kInvalidInput, "{}: the query's rows are not ordered by {}",
                         ctx.cfg->name, ctx.source.time.name);
          break;
        }
        last_us = *us;
        if (*us < groups[g].front().start_us) {
          st = MakeError(ErrorKind::kInvalidInput,
                         "{}: the query returned a row at {}, outside the windows asked for: it "
                         "must keep only the rows of [{{start}}, {{end}})",
                         ctx.cfg->name, FormatTimestampMicros(*us) + "Z");
          break;
        }
        if (*us >= groups[g].back().end_us) break;
        const int64_t w = *us - ((*us % step) + step) % step;
        ++cur.out.windows[w].rows;
        cur.sums[w] += static_cast<uint64_t>(h[end]);
      }
      if (!st) break;
      if (end > row) {
        const ColumnBatch* rows = batch;
        if (row > 0 || end < n) {
          part = ColumnBatch(ctx.write_schema);
          for (size_t r = row; r < end; ++r) {
            for (size_t c = 0; c < width; ++c) part.columns[c].AppendFrom(batch->columns[c], r);
          }
          rows = &part;
        }
        if (!cur.has_partition) {
          auto p = spec.PartitionFor(*rows, 0);
          if (!p) {
            st = std::unexpected(p.error());
            break;
          }
          cur.out.partition = std::move(*p);
          cur.partition_path = spec.PartitionPath(cur.out.partition);
          cur.has_partition = true;
        }
        st = cur.out.writer->Write(*rows);
        row = end;
      }
      if (st && row < n) {
        // The next row is past this group: hand it over.
        st = close_group();
        if (st && g >= groups.size()) {
          auto us = ctx.source.time.ColdMicros(time, row);
          st = MakeError(ErrorKind::kInvalidInput,
                         "{}: the query returned a row at {}, outside the windows asked for: it "
                         "must keep only the rows of [{{start}}, {{end}})",
                         ctx.cfg->name, FormatTimestampMicros(us.value_or(0)) + "Z");
        }
      }
    }
    row_hashes.Restore(*batch);
    if (!st) return fail(st.error());
  }
  while (g < groups.size()) {
    if (Status st = close_group(); !st) return fail(st.error());
  }
  return OkStatus();
}

}  // namespace k2::jobs
