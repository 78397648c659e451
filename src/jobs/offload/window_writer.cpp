#include "jobs/offload/window_writer.h"

#include <algorithm>
#include <limits>
#include <span>
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
  RowHashes row_hashes(ctx.columns, *ctx.write_schema, kCommitChecksumKind,
                       config.offload.row_hash == "k2" ? RowHashing::kK2 : RowHashing::kServer);
  K2_ASSIGN_OR_RETURN(auto source, driver.Query(row_hashes.Query(sql)));
  auto reader = std::make_unique<PrefetchingReader>(
      std::move(source), config.warm.kind == WarmKind::kHttp, row_hashes.Hook());
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
    // Written without the hash column, labelled with the table's field ids;
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

/// StreamWindowGroups' state: the groups, the one being written, and the
/// steps of a batch (scan a run of rows of the current group, write it, hand
/// the group over when the next row is past it).
class GroupStream {
 public:
  GroupStream(FileIO& io, const Config& config, TableContext& ctx, size_t time_index,
              int64_t window_s, const std::vector<std::vector<Window>>& groups,
              const std::function<Status(size_t, WrittenGroup&)>& on_group)
      : io_(io),
        config_(config),
        ctx_(ctx),
        spec_(ctx.table->metadata().DefaultSpec()),  // a copy: each commit replaces the metadata
        time_index_(time_index),
        step_(window_s * kMicrosPerSecond),
        groups_(groups),
        on_group_(on_group) {
    StartGroup();
  }
  GroupStream(const GroupStream&) = delete;
  GroupStream& operator=(const GroupStream&) = delete;

  /// Writes the rows of `batch` (without the hash column; `hashes` are its
  /// rows' hashes), handing over each group its rows complete.
  Status Write(const ColumnBatch& batch, std::span<const int64_t> hashes) {
    const size_t n = batch.num_rows();
    size_t row = 0;
    while (row < n) {
      K2_ASSIGN_OR_RETURN(size_t end, ScanRun(batch, hashes, row));
      if (end > row) {
        K2_RETURN_IF_ERROR(WriteRun(batch, row, end));
        row = end;
      }
      if (row < n) {
        // The next row is past this group: hand it over.
        K2_RETURN_IF_ERROR(CloseGroup());
        if (g_ >= groups_.size()) {
          auto us = ctx_.source.time.ColdMicros(batch.columns[time_index_], row);
          return OutsideWindows(us.value_or(0));
        }
      }
    }
    return OkStatus();
  }

  /// Hands over the groups left (those without rows too).
  Status Finish() {
    while (g_ < groups_.size()) K2_RETURN_IF_ERROR(CloseGroup());
    return OkStatus();
  }

  /// Removes the files of the group being written; returns `e`.
  Status Fail(Error e) {
    if (cur_.out.writer) cur_.out.writer->Abort();
    return std::unexpected(std::move(e));
  }

 private:
  void StartGroup() {
    cur_ = OpenGroup{};
    cur_.out.writer = std::make_unique<RollingParquetWriter>(
        io_, ctx_.write_schema, WriterOptionsFor(config_.offload),
        config_.offload.target_file_size_bytes,
        [this] { return ctx_.table->NewDataFilePath(cur_.partition_path); });
  }

  Status OutsideWindows(int64_t us) const {
    return MakeError(ErrorKind::kInvalidInput,
                     "{}: the query returned a row at {}, outside the windows asked for: it "
                     "must keep only the rows of [{{start}}, {{end}})",
                     ctx_.cfg->name, FormatTimestampMicros(us) + "Z");
  }

  /// The end of the run of rows from `row` that belong to the current group,
  /// counted and summed into their windows. A NULL time, rows out of order,
  /// or a row before the group are errors.
  Result<size_t> ScanRun(const ColumnBatch& batch, std::span<const int64_t> hashes, size_t row) {
    const Column& time = batch.columns[time_index_];
    const std::vector<Window>& group = groups_[g_];
    int64_t last_us = std::numeric_limits<int64_t>::min();
    size_t end = row;
    for (; end < batch.num_rows(); ++end) {
      auto us = ctx_.source.time.ColdMicros(time, end);
      if (!us) {
        return MakeError(ErrorKind::kInvalidInput, "{}: a row without {} (NULL)", ctx_.cfg->name,
                         ctx_.source.time.name);
      }
      if (*us < last_us) {
        return MakeError(ErrorKind::kInvalidInput, "{}: the query's rows are not ordered by {}",
                         ctx_.cfg->name, ctx_.source.time.name);
      }
      last_us = *us;
      if (*us < group.front().start_us) return std::unexpected(OutsideWindows(*us).error());
      if (*us >= group.back().end_us) break;
      const int64_t w = *us - ((*us % step_) + step_) % step_;
      ++cur_.out.windows[w].rows;
      cur_.sums[w] += static_cast<uint64_t>(hashes[end]);
    }
    return end;
  }

  /// Writes rows [row, end) of `batch` into the current group's files (the
  /// group's partition from its first row).
  Status WriteRun(const ColumnBatch& batch, size_t row, size_t end) {
    const ColumnBatch* rows = &batch;
    if (row > 0 || end < batch.num_rows()) {
      part_ = ColumnBatch(ctx_.write_schema);
      for (size_t r = row; r < end; ++r) {
        for (size_t c = 0; c < part_.columns.size(); ++c) {
          part_.columns[c].AppendFrom(batch.columns[c], r);
        }
      }
      rows = &part_;
    }
    if (!cur_.has_partition) {
      K2_ASSIGN_OR_RETURN(cur_.out.partition, spec_.PartitionFor(*rows, 0));
      cur_.partition_path = spec_.PartitionPath(cur_.out.partition);
      cur_.has_partition = true;
    }
    return cur_.out.writer->Write(*rows);
  }

  /// Finishes the current group's files, hands the group over and opens the next.
  Status CloseGroup() {
    K2_ASSIGN_OR_RETURN(cur_.out.files, cur_.out.writer->Finish());
    for (const auto& [start, sum] : cur_.sums) {
      cur_.out.windows[start].checksum = std::to_string(sum);
    }
    Status st = on_group_(g_, cur_.out);
    ++g_;
    if (st && g_ < groups_.size()) StartGroup();
    return st;
  }

  FileIO& io_;
  const Config& config_;
  TableContext& ctx_;
  const iceberg::PartitionSpec spec_;
  const size_t time_index_;
  const int64_t step_;
  const std::vector<std::vector<Window>>& groups_;
  const std::function<Status(size_t, WrittenGroup&)>& on_group_;
  size_t g_ = 0;      ///< the group being written
  OpenGroup cur_;     ///< its files and window stats
  ColumnBatch part_;  ///< rows of a batch that spans a group boundary
};

}  // namespace

Status StreamWindowGroups(warm::WarmDriver& driver, FileIO& io, const Config& config,
                          TableContext& ctx, const std::string& sql, int64_t window_s,
                          const std::vector<std::vector<Window>>& groups,
                          const std::function<Status(size_t, WrittenGroup&)>& on_group) {
  if (groups.empty()) return OkStatus();
  RowHashes row_hashes(ctx.columns, *ctx.write_schema, kCommitChecksumKind,
                       config.offload.row_hash == "k2" ? RowHashing::kK2 : RowHashing::kServer);
  K2_ASSIGN_OR_RETURN(auto source, driver.Query(row_hashes.Query(sql)));
  auto reader = std::make_unique<PrefetchingReader>(
      std::move(source), config.warm.kind == WarmKind::kHttp, row_hashes.Hook());
  auto time_index = ctx.write_schema->IndexOf(ctx.source.time.name);
  if (!time_index) {
    return MakeError(ErrorKind::kInvalidInput, "{}: the query returned no column {}", ctx.cfg->name,
                     ctx.source.time.name);
  }
  GroupStream stream(io, config, ctx, *time_index, window_s, groups, on_group);
  for (;;) {
    auto next = reader->Next();
    if (!next) return stream.Fail(next.error());
    ColumnBatch* batch = *next;
    if (batch == nullptr) break;
    if (batch->num_rows() == 0) continue;
    // Written without the hash column, labelled with the table's field ids;
    // the batch is the reader's again afterwards.
    auto hashes = row_hashes.Take(*batch, ctx.write_schema, ctx.cfg->name);
    if (!hashes) return stream.Fail(hashes.error());
    Status st = stream.Write(*batch, *hashes);
    row_hashes.Restore(*batch);
    if (!st) return stream.Fail(st.error());
  }
  if (auto st = stream.Finish(); !st) return stream.Fail(st.error());
  return OkStatus();
}

}  // namespace k2::jobs
