#include "jobs/maintenance/sorting_writer.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "parquet/file_reader.h"
#include "parquet/file_writer.h"

namespace k2::jobs {

namespace fs = std::filesystem;

namespace {

/// Copies `n` fixed-width values of `w` bytes (a constant per instantiation).
template <size_t W, typename SourceOf>
void CopyFixed(uint8_t* dst, size_t n, SourceOf&& source_of) {
  for (size_t i = 0; i < n; ++i) {
    auto [col, row] = source_of(i);
    std::memcpy(dst + i * W, col->data().data() + row * W, W);
  }
}

/// Appends `n` rows to `dst`: row i is source_of(i) = (column, row). Flat
/// columns without nulls are copied in bulk (one resize, then fixed-size
/// copies or appended bytes); others row by row (AppendFrom).
template <typename SourceOf>
void GatherColumn(Column& dst, size_t n, SourceOf&& source_of) {
  bool slow = dst.type().IsNested() || !dst.validity().empty();
  for (size_t i = 0; i < n && !slow; ++i) slow = source_of(i).first->has_nulls();
  if (slow) {
    for (size_t i = 0; i < n; ++i) {
      auto [col, row] = source_of(i);
      dst.AppendFrom(*col, row);
    }
    return;
  }
  std::vector<uint8_t>& data = dst.mutable_data();
  if (dst.type().IsVariableWidth()) {
    std::vector<uint32_t>& offsets = dst.mutable_offsets();
    offsets.reserve(offsets.size() + n);
    for (size_t i = 0; i < n; ++i) {
      auto [col, row] = source_of(i);
      const uint32_t b = col->offsets()[row], e = col->offsets()[row + 1];
      data.insert(data.end(), col->data().data() + b, col->data().data() + e);
      offsets.push_back(static_cast<uint32_t>(data.size()));
    }
  } else {
    const size_t w = static_cast<size_t>(dst.type().FixedWidth());
    const size_t pos = data.size();
    data.resize(pos + n * w);
    uint8_t* out = data.data() + pos;
    switch (w) {
      case 1:
        CopyFixed<1>(out, n, source_of);
        break;
      case 4:
        CopyFixed<4>(out, n, source_of);
        break;
      case 8:
        CopyFixed<8>(out, n, source_of);
        break;
      case 16:
        CopyFixed<16>(out, n, source_of);
        break;
      default:
        for (size_t i = 0; i < n; ++i) {
          auto [col, row] = source_of(i);
          std::memcpy(out + i * w, col->data().data() + row * w, w);
        }
    }
  }
  dst.SetLength(dst.length() + n, dst.null_count());
}

/// Appends rows `refs` of `chunks` to `out`, column by column.
template <typename Ref, typename ChunkOf>
void Gather(ColumnBatch& out, const Ref* refs, size_t n, ChunkOf&& chunk_of) {
  for (size_t c = 0; c < out.columns.size(); ++c) {
    GatherColumn(out.columns[c], n, [&](size_t i) {
      return std::pair<const Column*, size_t>(&chunk_of(refs[i]).columns[c], refs[i].row);
    });
  }
}

/// One run file being merged: its reader, current batch and row.
struct Cursor {
  std::unique_ptr<parquet::FileReader> file;
  std::unique_ptr<BatchReader> batches;
  const ColumnBatch* batch = nullptr;
  RowComparator::Keyed keyed;
  size_t row = 0;
  int run = 0;
};

}  // namespace

Result<std::unique_ptr<SortingWriter>> SortingWriter::Make(std::shared_ptr<const Schema> schema,
                                                           const iceberg::SortOrder& order,
                                                           RollingParquetWriter& out,
                                                           SortOptions options) {
  K2_ASSIGN_OR_RETURN(RowComparator cmp, RowComparator::Make(*schema, order));
  return std::unique_ptr<SortingWriter>(
      new SortingWriter(std::move(schema), std::move(cmp), out, std::move(options)));
}

SortingWriter::SortingWriter(std::shared_ptr<const Schema> schema, RowComparator cmp,
                             RollingParquetWriter& out, SortOptions options)
    : schema_(std::move(schema)),
      cmp_(std::move(cmp)),
      out_(out),
      options_(std::move(options)),
      spill_io_(NewLocalFileIO()) {
  options_.batch_rows = std::max<size_t>(1, options_.batch_rows);
}

SortingWriter::~SortingWriter() {
  RemoveSpill();
}

Status SortingWriter::Write(const ColumnBatch& batch) {
  return Write(ColumnBatch(batch));
}

Status SortingWriter::Write(ColumnBatch&& batch) {
  if (batch.num_rows() == 0) return OkStatus();
  // The sort's index (24 bytes a row, see SortBuffered) counts too.
  buffered_bytes_ += static_cast<int64_t>(batch.MemoryUsage() + batch.num_rows() * 24);
  buffered_.push_back(std::move(batch));
  if (buffered_bytes_ >= options_.memory_bytes) return SpillRun();
  return OkStatus();
}

Result<std::vector<SortingWriter::RowRef>> SortingWriter::SortBuffered(
    std::vector<RowComparator::Keyed>& keyed) const {
  size_t total = 0;
  size_t normalized = std::min<size_t>(2, cmp_.num_keys());
  keyed.clear();
  keyed.reserve(buffered_.size());
  for (const ColumnBatch& b : buffered_) {
    K2_ASSIGN_OR_RETURN(RowComparator::Keyed k, cmp_.Prepare(b));
    keyed.push_back(std::move(k));
    total += b.num_rows();
    normalized = std::min(normalized, cmp_.NormalizableKeys(b, normalized));
  }
  // Leading keys as words beside each row: the sort reads one contiguous
  // array instead of chasing every row's columns (the common case: a short
  // string and a timestamp).
  struct Entry {
    uint64_t k0, k1;
    RowRef ref;
  };
  std::vector<Entry> entries;
  entries.reserve(total);
  for (size_t c = 0; c < buffered_.size(); ++c) {
    for (size_t r = 0; r < buffered_[c].num_rows(); ++r) {
      Entry e{0, 0, {static_cast<uint32_t>(c), static_cast<uint32_t>(r)}};
      if (normalized > 0) e.k0 = cmp_.Normalized(0, buffered_[c], r);
      if (normalized > 1) e.k1 = cmp_.Normalized(1, buffered_[c], r);
      entries.push_back(e);
    }
  }
  const bool exact = normalized == cmp_.num_keys();
  // Stable: equal keys keep their arrival order (oldest file first), which
  // is (chunk, row) order.
  std::sort(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) {
    if (x.k0 != y.k0) return x.k0 < y.k0;
    if (x.k1 != y.k1) return x.k1 < y.k1;
    if (!exact) {
      const int o = cmp_.Compare(keyed[x.ref.chunk], x.ref.row, keyed[y.ref.chunk], y.ref.row);
      if (o != 0) return o < 0;
    }
    return x.ref.chunk != y.ref.chunk ? x.ref.chunk < y.ref.chunk : x.ref.row < y.ref.row;
  });
  std::vector<RowRef> order;
  order.reserve(total);
  for (const Entry& e : entries) order.push_back(e.ref);
  return order;
}

template <typename Sink>
Status SortingWriter::DrainSorted(Sink&& sink) {
  std::vector<RowComparator::Keyed> keyed;
  K2_ASSIGN_OR_RETURN(std::vector<RowRef> order, SortBuffered(keyed));
  ColumnBatch chunk(schema_);
  for (size_t begin = 0; begin < order.size(); begin += options_.batch_rows) {
    const size_t n = std::min(options_.batch_rows, order.size() - begin);
    chunk.Clear();
    Gather(chunk, order.data() + begin, n,
           [&](const RowRef& r) -> const ColumnBatch& { return buffered_[r.chunk]; });
    K2_RETURN_IF_ERROR(sink(chunk));
  }
  buffered_.clear();
  buffered_bytes_ = 0;
  return OkStatus();
}

Status SortingWriter::SpillRun() {
  if (buffered_.empty()) return OkStatus();
  if (spill_path_.empty()) {
    std::error_code ec;
    const fs::path base =
        options_.spill_dir.empty() ? fs::temp_directory_path(ec) : fs::path(options_.spill_dir);
    if (ec) return MakeError(ErrorKind::kIo, "sort spill: no temp directory: {}", ec.message());
    fs::create_directories(base, ec);
    std::string tmpl = (base / "k2-sort-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return MakeError(ErrorKind::kIo, "sort spill: cannot create a directory in {}: {}",
                       base.string(), std::strerror(errno));
    }
    spill_path_ = tmpl;
  }
  const std::string path = fmt::format("{}/run-{:05d}.parquet", spill_path_, runs_.size());
  parquet::WriterOptions wo;
  wo.codec = parquet::Codec::kLz4Raw;
  wo.row_group_bytes = options_.run_row_group_bytes;
  wo.page_bytes = options_.run_page_bytes;
  wo.dictionary_page_bytes = options_.run_page_bytes;
  wo.encode_threads = options_.encode_threads;
  K2_ASSIGN_OR_RETURN(auto file, spill_io_->OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto writer, parquet::FileWriter::Open(std::move(file), schema_, wo));
  auto st = DrainSorted([&](const ColumnBatch& b) { return writer->Write(b); });
  if (!st) {
    writer->Abort();
    return std::unexpected(st.error().WithContext("sort spill run " + path));
  }
  K2_ASSIGN_OR_RETURN(parquet::DataFileMetrics m, writer->Finish());
  bytes_spilled_ += m.file_size_in_bytes;
  runs_.push_back(path);
  return OkStatus();
}

Status SortingWriter::Finish() {
  Status st =
      runs_.empty() ? DrainSorted([&](const ColumnBatch& b) { return out_.Write(b); }) : SpillRun();
  if (st && !runs_.empty()) st = MergeRuns();
  RemoveSpill();
  return st;
}

Status SortingWriter::MergeRuns() {
  std::vector<Cursor> cursors(runs_.size());
  // Loads the cursor's next batch; false at the end of its run.
  auto advance = [&](Cursor& c) -> Result<bool> {
    for (;;) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* b, c.batches->Next());
      if (b == nullptr) return false;
      if (b->num_rows() == 0) continue;
      c.batch = b;
      c.row = 0;
      K2_ASSIGN_OR_RETURN(c.keyed, cmp_.Prepare(*b));
      return true;
    }
  };
  std::vector<int> heap;  // cursor indexes, a min-heap by (key, run)
  for (size_t i = 0; i < runs_.size(); ++i) {
    Cursor& c = cursors[i];
    c.run = static_cast<int>(i);
    K2_ASSIGN_OR_RETURN(auto in, spill_io_->OpenInput(runs_[i]));
    K2_ASSIGN_OR_RETURN(c.file, parquet::FileReader::Open(std::move(in)));
    parquet::ReadOptions ro;
    ro.batch_rows = std::max<size_t>(1, options_.run_batch_rows);
    K2_ASSIGN_OR_RETURN(c.batches, c.file->Read(ro));
    K2_ASSIGN_OR_RETURN(bool has_rows, advance(c));
    if (has_rows) heap.push_back(static_cast<int>(i));
  }
  auto before = [&](int x, int y) {
    const Cursor& a = cursors[static_cast<size_t>(x)];
    const Cursor& b = cursors[static_cast<size_t>(y)];
    const int o = cmp_.Compare(a.keyed, a.row, b.keyed, b.row);
    return o != 0 ? o < 0 : a.run < b.run;
  };
  auto sift_down = [&](size_t i) {
    for (;;) {
      size_t m = i;
      const size_t l = 2 * i + 1, r = l + 1;
      if (l < heap.size() && before(heap[l], heap[m])) m = l;
      if (r < heap.size() && before(heap[r], heap[m])) m = r;
      if (m == i) return;
      std::swap(heap[i], heap[m]);
      i = m;
    }
  };
  for (size_t i = heap.size() / 2; i-- > 0;) sift_down(i);

  // Rows are taken as (batch, row) and copied column by column when the
  // output batch is full or before a cursor moves on (its batch is then gone).
  struct Taken {
    const ColumnBatch* batch;
    size_t row;
  };
  std::vector<Taken> taken;
  taken.reserve(options_.batch_rows);
  ColumnBatch chunk(schema_);
  auto copy_taken = [&] {
    Gather(chunk, taken.data(), taken.size(),
           [](const Taken& t) -> const ColumnBatch& { return *t.batch; });
    taken.clear();
  };
  while (!heap.empty()) {
    Cursor& c = cursors[static_cast<size_t>(heap[0])];
    taken.push_back({c.batch, c.row});
    if (++c.row == c.batch->num_rows()) {
      copy_taken();
      K2_ASSIGN_OR_RETURN(bool more, advance(c));
      if (!more) {
        heap[0] = heap.back();
        heap.pop_back();
      }
    }
    if (!heap.empty()) sift_down(0);
    if (chunk.num_rows() + taken.size() >= options_.batch_rows) {
      copy_taken();
      K2_RETURN_IF_ERROR(out_.Write(chunk));
      chunk.Clear();
    }
  }
  copy_taken();
  if (chunk.num_rows() > 0) K2_RETURN_IF_ERROR(out_.Write(chunk));
  return OkStatus();
}

void SortingWriter::Abort() {
  buffered_.clear();
  buffered_bytes_ = 0;
  RemoveSpill();
}

void SortingWriter::RemoveSpill() {
  if (spill_path_.empty()) return;
  std::error_code ec;  // best effort: a leftover run is only disk, never data
  fs::remove_all(spill_path_, ec);
  spill_path_.clear();
}

}  // namespace k2::jobs
