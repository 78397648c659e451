#include "parquet/writer/column_writer_base.h"

#include <utility>

namespace k2::parquet {

using format::Encoding;

ColumnWriterBase::ColumnWriterBase(const Field& field, const format::SchemaElement& element,
                                   const WriterOptions& options,
                                   std::shared_ptr<WriterScratch> scratch)
    : field_(field),
      element_(element),
      options_(options),
      codec_(ToFormatCodec(options.codec)),
      nullable_(field.nullable),
      scratch_(std::move(scratch)),
      compressor_(scratch_->compressor),
      page_(scratch_->page),
      compressed_(scratch_->compressed),
      header_(scratch_->header) {}

ColumnMetrics ColumnWriterBase::Metrics() const {
  ColumnMetrics m;
  m.field_id = field_.id;
  m.column_size = column_size_;
  m.value_count = value_count_;
  m.null_count = null_count_;
  FillBounds(&m);
  return m;
}

Status ColumnWriterBase::FinishPage(Encoding encoding) {
  format::PageHeader h;
  h.type = format::PageType::kDataPage;
  h.uncompressed_page_size = static_cast<int32_t>(page_.size());
  std::string_view body = page_;
  if (codec_ != format::CompressionCodec::kUncompressed) {
    K2_RETURN_IF_ERROR(compressor_.Compress(page_, &compressed_));
    body = compressed_;
  }
  h.compressed_page_size = static_cast<int32_t>(body.size());
  format::DataPageHeader d;
  d.num_values = static_cast<int32_t>(page_rows_);
  d.encoding = encoding;
  h.data_page_header = d;
  header_.clear();
  format::Serialize(h, &header_);
  // One allocation per page (no capacity doubling of a whole-chunk buffer).
  std::string stored;
  stored.reserve(header_.size() + body.size());
  stored += header_;
  stored.append(body);
  chunk_bytes_ += stored.size();
  chunk_pages_.push_back(std::move(stored));
  chunk_uncompressed_ += static_cast<int64_t>(header_.size() + page_.size());
  chunk_values_ += static_cast<int64_t>(page_rows_);
  AddEncoding(encoding);
  page_rows_ = 0;
  page_nulls_ = 0;
  def_levels_.clear();
  return OkStatus();
}

Status ColumnWriterBase::WriteChunk(OutputFile* out, format::ColumnChunk* chunk,
                                    const std::string* dict_payload, int32_t dict_count,
                                    format::Statistics stats) {
  auto start = static_cast<int64_t>(out->Position());
  int64_t total_uncompressed = chunk_uncompressed_;
  auto total_compressed = static_cast<int64_t>(chunk_bytes_);
  format::ColumnMetaData m;
  if (dict_payload != nullptr) {
    format::PageHeader h;
    h.type = format::PageType::kDictionaryPage;
    h.uncompressed_page_size = static_cast<int32_t>(dict_payload->size());
    std::string_view body = *dict_payload;
    if (codec_ != format::CompressionCodec::kUncompressed) {
      K2_RETURN_IF_ERROR(compressor_.Compress(*dict_payload, &compressed_));
      body = compressed_;
    }
    h.compressed_page_size = static_cast<int32_t>(body.size());
    format::DictionaryPageHeader d;
    d.num_values = dict_count;
    d.encoding = Encoding::kPlain;
    h.dictionary_page_header = d;
    header_.clear();
    format::Serialize(h, &header_);
    K2_RETURN_IF_ERROR(out->Write(header_));
    K2_RETURN_IF_ERROR(out->Write(body));
    total_uncompressed += static_cast<int64_t>(header_.size() + dict_payload->size());
    total_compressed += static_cast<int64_t>(header_.size() + body.size());
    m.dictionary_page_offset = start;
    AddEncoding(Encoding::kPlain);
  }
  m.data_page_offset = static_cast<int64_t>(out->Position());
  for (const std::string& page : chunk_pages_) K2_RETURN_IF_ERROR(out->Write(page));
  if (nullable_) AddEncoding(Encoding::kRle);
  m.type = *element_.type;
  m.encodings = encodings_;
  m.path_in_schema = {field_.name};
  m.codec = codec_;
  m.num_values = chunk_values_;
  m.total_uncompressed_size = total_uncompressed;
  m.total_compressed_size = total_compressed;
  stats.null_count = chunk_nulls_;
  m.statistics = std::move(stats);
  chunk->file_offset = start;
  chunk->meta_data = std::move(m);
  column_size_ += total_compressed;
  chunk_pages_.clear();
  chunk_bytes_ = 0;
  chunk_uncompressed_ = 0;
  chunk_values_ = 0;
  chunk_nulls_ = 0;
  encodings_.clear();
  return OkStatus();
}

}  // namespace k2::parquet
