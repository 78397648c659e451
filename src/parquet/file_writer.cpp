#include "parquet/file_writer.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "parquet/metadata.h"
#include "parquet/schema_mapping.h"
#include "parquet/writer/column_writer.h"

namespace k2::parquet {

namespace {
constexpr char kMagic[] = "PAR1";
constexpr size_t kBatchSliceRows = 8192;
/// Rows the column groups encode between two synchronizations (and row-group
/// size checks) when they run in parallel.
constexpr size_t kParallelSliceRows = 65536;

/// Relative encoding cost of a column, for balancing the groups.
int EncodeWeight(const Field& f) {
  if (f.type.IsVariableWidth()) return 3;
  return f.type.FixedWidth() >= 8 ? 2 : 1;
}
}  // namespace

/// Threads 1..n-1 of the column groups (group 0 runs on the caller). Run()
/// hands every thread the same function and waits for all of them.
class FileWriter::Encoders {
 public:
  explicit Encoders(size_t extra) {
    for (size_t i = 0; i < extra; ++i) threads_.emplace_back([this, i] { Loop(i + 1); });
  }
  ~Encoders() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Encoders(const Encoders&) = delete;
  Encoders& operator=(const Encoders&) = delete;

  void Run(const std::function<void(size_t)>& fn) {
    {
      std::lock_guard lock(mu_);
      fn_ = &fn;
      pending_ = threads_.size();
      ++generation_;
    }
    start_.notify_all();
    fn(0);
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void Loop(size_t group) {
    uint64_t seen = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      const auto* fn = fn_;
      lock.unlock();
      (*fn)(group);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  uint64_t generation_ = 0;
  size_t pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;  // last: started once the members exist
};

struct FileWriter::Footer {
  format::FileMetaData meta;
};

FileWriter::FileWriter(std::unique_ptr<OutputFile> out, std::shared_ptr<const Schema> schema,
                       WriterOptions options)
    : out_(std::move(out)),
      schema_(std::move(schema)),
      options_(std::move(options)),
      footer_(std::make_unique<Footer>()) {}

FileWriter::~FileWriter() = default;

Result<std::unique_ptr<FileWriter>> FileWriter::Open(std::unique_ptr<OutputFile> out,
                                                     std::shared_ptr<const Schema> schema,
                                                     WriterOptions options) {
  if (out == nullptr || schema == nullptr) {
    return MakeError(ErrorKind::kInvalidInput, "parquet writer needs an output file and a schema");
  }
  if (options.page_bytes <= 0 || options.row_group_bytes <= 0) {
    return MakeError(ErrorKind::kInvalidInput, "{}: page_bytes and row_group_bytes must be > 0",
                     out->path());
  }
  std::unique_ptr<FileWriter> w(new FileWriter(std::move(out), schema, std::move(options)));
  format::FileMetaData& meta = w->footer_->meta;
  format::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema->fields.size());
  meta.schema.push_back(root);
  // Columns go to the group with the least estimated work so far.
  const size_t groups = std::clamp<size_t>(static_cast<size_t>(w->options_.encode_threads), 1,
                                           std::max<size_t>(1, schema->fields.size()));
  w->groups_.resize(groups);
  // Group 0 runs on the caller's thread, which also does the writer's own
  // work (row groups, the caller's batches): it starts with a handicap.
  std::vector<int> load(groups, 0);
  if (groups > 1) load[0] = 2;
  for (size_t g = 0; g < groups; ++g) {
    w->scratches_.push_back(std::make_shared<WriterScratch>(w->options_));
  }
  for (size_t i = 0; i < schema->fields.size(); ++i) {
    const Field& f = schema->fields[i];
    auto element = ToSchemaElement(f);
    if (!element) return std::unexpected(element.error().WithContext(w->out_->path()));
    size_t g = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[g] += EncodeWeight(f);
    w->groups_[g].push_back(i);
    w->columns_.push_back(MakeColumnWriter(f, *element, w->options_, w->scratches_[g]));
    meta.schema.push_back(std::move(*element));
  }
  if (groups > 1) w->encoders_ = std::make_unique<Encoders>(groups - 1);
  K2_RETURN_IF_ERROR(w->out_->Write(kMagic, 4));
  return w;
}

Status FileWriter::Write(const ColumnBatch& batch) {
  if (finished_) {
    return MakeError(ErrorKind::kInvalidInput, "{}: write after Finish/Abort", out_->path());
  }
  if (batch.schema == nullptr || (batch.schema != schema_ && *batch.schema != *schema_)) {
    return MakeError(ErrorKind::kInvalidInput, "{}: batch schema differs from the writer's",
                     out_->path());
  }
  if (auto st = batch.Validate(); !st) return std::unexpected(st.error().WithContext(out_->path()));
  size_t rows = batch.num_rows();
  const size_t slice = encoders_ ? kParallelSliceRows : kBatchSliceRows;
  std::vector<Status> status(groups_.size());
  for (size_t s = 0; s < rows; s += slice) {
    size_t n = std::min(slice, rows - s);
    if (encoders_) {
      encoders_->Run([&](size_t g) {
        for (size_t c : groups_[g]) {
          status[g] = columns_[c]->Append(batch.columns[c], s, n);
          if (!status[g]) return;
        }
      });
      for (const Status& st : status) K2_RETURN_IF_ERROR(st);
    } else {
      for (size_t c = 0; c < columns_.size(); ++c) {
        K2_RETURN_IF_ERROR(columns_[c]->Append(batch.columns[c], s, n));
      }
    }
    rows_written_ += static_cast<int64_t>(n);
    rows_in_group_ += static_cast<int64_t>(n);
    if (static_cast<int64_t>(BufferedBytes()) >= options_.row_group_bytes) {
      K2_RETURN_IF_ERROR(FlushRowGroup());
    }
  }
  return OkStatus();
}

uint64_t FileWriter::BufferedBytes() const {
  uint64_t total = 0;
  for (const auto& c : columns_) total += c->BufferedBytes();
  return total;
}

uint64_t FileWriter::MemoryUsage() const {
  uint64_t total = 0;
  for (const auto& sc : scratches_) {
    total += sc->page.capacity() + sc->compressed.capacity() + sc->header.capacity();
  }
  for (const auto& c : columns_) total += c->MemoryBytes();
  return total;
}

uint64_t FileWriter::EstimatedSize() const {
  return out_->Position() + BufferedBytes();
}

Status FileWriter::FlushRowGroup() {
  if (rows_in_group_ == 0) return OkStatus();
  format::RowGroup g;
  auto start = static_cast<int64_t>(out_->Position());
  for (auto& c : columns_) {
    format::ColumnChunk chunk;
    K2_RETURN_IF_ERROR(c->FlushChunk(out_.get(), &chunk));
    g.total_byte_size += chunk.meta_data->total_uncompressed_size;
    g.total_compressed_size =
        g.total_compressed_size.value_or(0) + chunk.meta_data->total_compressed_size;
    g.columns.push_back(std::move(chunk));
  }
  g.num_rows = rows_in_group_;
  g.file_offset = start;
  g.ordinal = static_cast<int16_t>(footer_->meta.row_groups.size());
  footer_->meta.row_groups.push_back(std::move(g));
  split_offsets_.push_back(start);
  rows_in_group_ = 0;
  return OkStatus();
}

Result<DataFileMetrics> FileWriter::Finish() {
  if (finished_) {
    return MakeError(ErrorKind::kInvalidInput, "{}: Finish called twice", out_->path());
  }
  finished_ = true;
  auto fail = [&](const Error& e) {
    out_->Abort();
    return std::unexpected(e);
  };
  if (auto st = FlushRowGroup(); !st) return fail(st.error());
  format::FileMetaData& meta = footer_->meta;
  meta.version = 1;
  meta.num_rows = rows_written_;
  meta.created_by = "k2 version 0.1.0";
  for (const auto& [k, v] : options_.key_value_metadata) meta.key_value_metadata.push_back({k, v});
  meta.column_orders.assign(columns_.size(), true);
  std::string footer;
  format::Serialize(meta, &footer);
  auto len = static_cast<uint32_t>(footer.size());
  footer.append(reinterpret_cast<const char*>(&len), 4);
  footer.append(kMagic, 4);
  if (auto st = out_->Write(footer); !st) return fail(st.error());
  DataFileMetrics m;
  m.record_count = rows_written_;
  m.file_size_in_bytes = static_cast<int64_t>(out_->Position());
  m.split_offsets = split_offsets_;
  for (const auto& c : columns_) m.columns.push_back(c->Metrics());
  if (auto st = out_->Finish(); !st) return std::unexpected(st.error());
  return m;
}

void FileWriter::Abort() {
  finished_ = true;
  out_->Abort();
}

}  // namespace k2::parquet
