#include "parquet/file_writer.h"

#include <algorithm>

#include "parquet/column_writer.h"
#include "parquet/metadata.h"
#include "parquet/schema_mapping.h"

namespace k2::parquet {

namespace {
constexpr char kMagic[] = "PAR1";
constexpr size_t kBatchSliceRows = 8192;
}  // namespace

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
  auto scratch = std::make_shared<WriterScratch>(w->options_);
  w->scratch_ = scratch;
  for (const Field& f : schema->fields) {
    auto element = ToSchemaElement(f);
    if (!element) return std::unexpected(element.error().WithContext(w->out_->path()));
    w->columns_.push_back(MakeColumnWriter(f, *element, w->options_, scratch));
    meta.schema.push_back(std::move(*element));
  }
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
  for (size_t s = 0; s < rows; s += kBatchSliceRows) {
    size_t n = std::min(kBatchSliceRows, rows - s);
    for (size_t c = 0; c < columns_.size(); ++c) {
      K2_RETURN_IF_ERROR(columns_[c]->Append(batch.columns[c], s, n));
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
  uint64_t total =
      scratch_->page.capacity() + scratch_->compressed.capacity() + scratch_->header.capacity();
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
