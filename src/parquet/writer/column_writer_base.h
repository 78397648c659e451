#pragma once
/// ColumnWriterBase: the page and chunk machinery every column-writer kind
/// shares. A kind encodes its values into the open page; the base adds the
/// definition levels, closes pages (compress, header, buffer in the chunk) and
/// writes the chunk ([dictionary page] data pages) with its metadata at a row
/// group flush.

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "parquet/encoding.h"
#include "parquet/writer/column_writer.h"

namespace k2::parquet {

/// Rows a writer takes at a time from Append (booleans: 8 times this).
inline constexpr size_t kSliceRows = 1024;

/// Frees a container's memory (clear() keeps the capacity).
template <typename C>
void Release(C& c) {
  C().swap(c);
}

/// Shared page and chunk machinery; derived classes encode values.
class ColumnWriterBase : public ColumnWriter {
 public:
  ColumnWriterBase(const Field& field, const format::SchemaElement& element,
                   const WriterOptions& options, std::shared_ptr<WriterScratch> scratch);

  ColumnMetrics Metrics() const override;

 protected:
  /// The file-level lower/upper bounds (and NaN count) of the kind's values.
  virtual void FillBounds(ColumnMetrics* m) const = 0;

  /// Records definition levels and counts for rows [offset, offset+count).
  void AddLevels(const Column& column, size_t offset, size_t count) {
    page_rows_ += count;
    value_count_ += static_cast<int64_t>(count);
    if (!nullable_) return;
    if (!column.has_nulls()) {
      def_levels_.insert(def_levels_.end(), count, 1);
      return;
    }
    const uint8_t* v = column.validity().data() + offset;
    size_t nulls = 0;
    for (size_t i = 0; i < count; ++i) {
      def_levels_.push_back(v[i] != 0 ? 1 : 0);
      nulls += v[i] == 0;
    }
    page_nulls_ += nulls;
    null_count_ += static_cast<int64_t>(nulls);
    chunk_nulls_ += static_cast<int64_t>(nulls);
  }

  /// Starts a page buffer: the v1 definition levels (length-prefixed RLE).
  void BeginPage() {
    page_.clear();
    if (!nullable_) return;
    page_.resize(4);
    RleEncode(def_levels_.data(), def_levels_.size(), 1, &page_);
    auto len = static_cast<uint32_t>(page_.size() - 4);
    std::memcpy(page_.data(), &len, 4);
  }

  /// Compresses page_ and appends header + body to the chunk buffer.
  Status FinishPage(format::Encoding encoding);

  /// True when the open page should close: its encoded size reached the page
  /// target, or its unencoded buffers (`raw_bytes` of values or indices plus
  /// the definition levels) did. The second bound keeps a page of 1-bit
  /// dictionary indices or booleans from buffering 32x its encoded size.
  bool PageFull(size_t encoded_bytes, size_t raw_bytes) const {
    auto limit = static_cast<size_t>(options_.page_bytes);
    return encoded_bytes >= limit || raw_bytes + def_levels_.size() >= limit;
  }

  void AddEncoding(format::Encoding e) {
    if (std::find(encodings_.begin(), encodings_.end(), e) == encodings_.end()) {
      encodings_.push_back(e);
    }
  }

  /// Writes [dictionary page] + buffered data pages and fills the chunk metadata.
  Status WriteChunk(OutputFile* out, format::ColumnChunk* chunk, const std::string* dict_payload,
                    int32_t dict_count, format::Statistics stats);

  uint64_t ChunkBytes() const { return chunk_bytes_; }

  /// Heap held by the shared page/chunk machinery (capacities, not sizes).
  uint64_t BaseMemoryBytes() const {
    return chunk_bytes_ + chunk_pages_.capacity() * sizeof(std::string) + def_levels_.capacity() +
           encodings_.capacity() * sizeof(format::Encoding);
  }

  Field field_;
  format::SchemaElement element_;
  WriterOptions options_;
  format::CompressionCodec codec_;
  bool nullable_;
  std::vector<uint8_t> def_levels_;
  size_t page_rows_ = 0;
  size_t page_nulls_ = 0;
  // Page scratch buffers shared by the columns of one column group (their
  // pages are built one at a time on one thread), so they cost one page per
  // group, not one page per column.
  std::shared_ptr<WriterScratch> scratch_;
  Compressor& compressor_;
  std::string& page_;
  std::string& compressed_;
  std::string& header_;
  std::vector<std::string> chunk_pages_;
  uint64_t chunk_bytes_ = 0;
  int64_t chunk_uncompressed_ = 0;
  int64_t chunk_values_ = 0;
  int64_t chunk_nulls_ = 0;
  std::vector<format::Encoding> encodings_;
  int64_t value_count_ = 0;
  int64_t null_count_ = 0;
  int64_t column_size_ = 0;
};

}  // namespace k2::parquet
