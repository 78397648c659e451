#include "parquet/column_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "columnar/value.h"
#include "parquet/compression.h"
#include "parquet/encoding.h"

namespace k2::parquet {

using format::Encoding;

format::CompressionCodec ToFormatCodec(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return format::CompressionCodec::kUncompressed;
    case Codec::kSnappy:
      return format::CompressionCodec::kSnappy;
    case Codec::kGzip:
      return format::CompressionCodec::kGzip;
    case Codec::kZstd:
      return format::CompressionCodec::kZstd;
    case Codec::kLz4Raw:
      return format::CompressionCodec::kLz4Raw;
  }
  return format::CompressionCodec::kUncompressed;
}

namespace {

constexpr size_t kSliceRows = 1024;
/// Values seen before a mostly-distinct column gives up on its dictionary.
constexpr size_t kProbeValues = 8192;
/// Parquet statistics for byte arrays longer than this are truncated (inexact).
constexpr size_t kMaxStatBytes = 64;

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// The two (overlapping) words that cover a string of 4..16 bytes, or its
/// bytes folded for shorter ones: together with the length, they identify it.
inline void Words(std::string_view v, uint64_t& a, uint64_t& b) {
  const char* p = v.data();
  const size_t n = v.size();
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    a = n == 0
            ? 0
            : uint64_t{static_cast<uint8_t>(p[0])} | uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
                  uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
    b = 0;
  }
}

/// Dictionary hash of a string: inline for the short strings that dominate
/// dictionary columns (symbols, exchanges), the library's beyond 16 bytes.
inline uint64_t HashBytes(std::string_view v) {
  if (v.size() > 16) return std::hash<std::string_view>{}(v);
  uint64_t a, b;
  Words(v, a, b);
  return Mix64(a ^ Mix64(b + v.size()));
}

/// String equality without a library call for strings of up to 16 bytes.
inline bool SameBytes(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return false;
  if (x.size() > 16) return std::memcmp(x.data(), y.data(), x.size()) == 0;
  uint64_t xa, xb, ya, yb;
  Words(x, xa, xb);
  Words(y, ya, yb);
  return xa == ya && xb == yb;
}

/// Frees a container's memory (clear() keeps the capacity).
template <typename C>
void Release(C& c) {
  C().swap(c);
}

/// Increments the last byte that is not 0xFF, dropping the bytes after it.
/// nullopt if every byte is 0xFF.
std::optional<std::string> IncrementBytes(std::string s) {
  while (!s.empty()) {
    auto c = static_cast<uint8_t>(s.back());
    if (c != 0xFF) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return std::nullopt;
}

/// Byte length of the first `n` UTF-8 code points of `s` (or all of it).
size_t Utf8Prefix(std::string_view s, size_t n) {
  size_t pos = 0;
  for (size_t cp = 0; cp < n && pos < s.size(); ++cp) {
    auto c = static_cast<uint8_t>(s[pos]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 1;
    pos = std::min(s.size(), pos + len);
  }
  return pos;
}

/// Truncated string upper bound: increments the last code point that can be
/// incremented (UTF-8 aware), as Iceberg's truncate does.
std::optional<std::string> IncrementUtf8(std::string_view prefix) {
  std::vector<uint32_t> cps;
  for (size_t pos = 0; pos < prefix.size();) {
    auto c = static_cast<uint8_t>(prefix[pos]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || pos + len > prefix.size()) return IncrementBytes(std::string(prefix));
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<uint8_t>(prefix[pos + k]) & 0x3F);
    cps.push_back(cp);
    pos += len;
  }
  while (!cps.empty()) {
    uint32_t next = cps.back() + 1;
    if (next >= 0xD800 && next <= 0xDFFF) next = 0xE000;
    if (next <= 0x10FFFF) {
      cps.back() = next;
      std::string out;
      for (uint32_t cp : cps) {
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
          out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
      }
      return out;
    }
    cps.pop_back();
  }
  return std::nullopt;
}

/// Shared page and chunk machinery; derived classes encode values.
class ColumnWriterBase : public ColumnWriter {
 public:
  ColumnWriterBase(const Field& field, const format::SchemaElement& element,
                   const WriterOptions& options, std::shared_ptr<WriterScratch> scratch)
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

  ColumnMetrics Metrics() const override {
    ColumnMetrics m;
    m.field_id = field_.id;
    m.column_size = column_size_;
    m.value_count = value_count_;
    m.null_count = null_count_;
    FillBounds(&m);
    return m;
  }

 protected:
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
  Status FinishPage(Encoding encoding) {
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

  /// True when the open page should close: its encoded size reached the page
  /// target, or its unencoded buffers (`raw_bytes` of values or indices plus
  /// the definition levels) did. The second bound keeps a page of 1-bit
  /// dictionary indices or booleans from buffering 32x its encoded size.
  bool PageFull(size_t encoded_bytes, size_t raw_bytes) const {
    auto limit = static_cast<size_t>(options_.page_bytes);
    return encoded_bytes >= limit || raw_bytes + def_levels_.size() >= limit;
  }

  void AddEncoding(Encoding e) {
    if (std::find(encodings_.begin(), encodings_.end(), e) == encodings_.end()) {
      encodings_.push_back(e);
    }
  }

  /// Writes [dictionary page] + buffered data pages and fills the chunk metadata.
  Status WriteChunk(OutputFile* out, format::ColumnChunk* chunk, const std::string* dict_payload,
                    int32_t dict_count, format::Statistics stats) {
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

  uint64_t ChunkBytes() const { return chunk_bytes_; }

  /// Heap held by the shared page/chunk machinery (capacities, not sizes).
  uint64_t BaseMemoryBytes() const {
    return chunk_bytes_ + chunk_pages_.capacity() * sizeof(std::string) + def_levels_.capacity() +
           encodings_.capacity() * sizeof(Encoding);
  }

  Field field_;
  format::SchemaElement element_;
  WriterOptions options_;
  format::CompressionCodec codec_;
  bool nullable_;
  std::vector<uint8_t> def_levels_;
  size_t page_rows_ = 0;
  size_t page_nulls_ = 0;
  // Page scratch buffers shared by every column of a file (pages are built
  // one at a time), so they cost one page, not one page per column.
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
  std::vector<Encoding> encodings_;
  int64_t value_count_ = 0;
  int64_t null_count_ = 0;
  int64_t column_size_ = 0;
};

template <typename T>
std::string RawBytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

/// Booleans: PLAIN bit-packed, no dictionary.
class BoolWriter final : public ColumnWriterBase {
 public:
  using ColumnWriterBase::ColumnWriterBase;

  Status Append(const Column& column, size_t offset, size_t count) override {
    for (size_t s = offset; s < offset + count; s += kSliceRows * 8) {
      size_t n = std::min(kSliceRows * 8, offset + count - s);
      AddLevels(column, s, n);
      const uint8_t* src = column.data().data() + s;
      for (size_t i = 0; i < n; ++i) {
        if (column.has_nulls() && !column.IsValid(s + i)) continue;
        uint8_t v = src[i] != 0;
        values_.push_back(v);
        Observe(v, &chunk_min_, &chunk_max_);
        Observe(v, &file_min_, &file_max_);
      }
      if (PageFull(values_.size() / 8, values_.size())) {
        K2_RETURN_IF_ERROR(ClosePage());
      }
    }
    return OkStatus();
  }

  uint64_t BufferedBytes() const override { return ChunkBytes() + values_.size() / 8; }
  uint64_t MemoryBytes() const override { return BaseMemoryBytes() + values_.capacity(); }

  Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) override {
    K2_RETURN_IF_ERROR(ClosePage());
    format::Statistics st;
    if (chunk_min_ >= 0) {
      st.min_value = st.min = std::string(1, static_cast<char>(chunk_min_));
      st.max_value = st.max = std::string(1, static_cast<char>(chunk_max_));
      st.is_min_value_exact = st.is_max_value_exact = true;
    }
    chunk_min_ = chunk_max_ = -1;
    return WriteChunk(out, chunk, nullptr, 0, std::move(st));
  }

 private:
  static void Observe(int v, int* mn, int* mx) {
    if (*mn < 0 || v < *mn) *mn = v;
    if (*mx < 0 || v > *mx) *mx = v;
  }

  Status ClosePage() {
    if (page_rows_ == 0) return OkStatus();
    BeginPage();
    BitPack(values_.data(), values_.size(), 1, &page_);
    values_.clear();
    return FinishPage(Encoding::kPlain);
  }

  void FillBounds(ColumnMetrics* m) const override {
    if (file_min_ < 0) return;
    m->lower_bound = EncodeSingleValue(Value{field_.type, file_min_ != 0});
    m->upper_bound = EncodeSingleValue(Value{field_.type, file_max_ != 0});
  }

  std::vector<uint8_t> values_;
  int chunk_min_ = -1, chunk_max_ = -1;
  int file_min_ = -1, file_max_ = -1;
};

/// Fixed-width numbers (int32/int64/float/double physical types). `Src` is the
/// column's storage type (int64 for a decimal(<=9) stored as INT32).
template <typename T, typename Src>
class NumericWriter final : public ColumnWriterBase {
 public:
  NumericWriter(const Field& field, const format::SchemaElement& element,
                const WriterOptions& options, std::shared_ptr<WriterScratch> scratch)
      : ColumnWriterBase(field, element, options, std::move(scratch)),
        dict_mode_(options.dictionary) {
    if (dict_mode_) ResetTable(1024);
  }

  Status Append(const Column& column, size_t offset, size_t count) override {
    const auto* src = reinterpret_cast<const Src*>(column.data().data());
    for (size_t s = offset; s < offset + count; s += kSliceRows) {
      size_t n = std::min(kSliceRows, offset + count - s);
      AddLevels(column, s, n);
      if (column.has_nulls()) {
        for (size_t i = s; i < s + n; ++i) {
          if (column.IsValid(i)) Add(static_cast<T>(src[i]));
        }
      } else if constexpr (std::is_integral_v<T>) {
        AddDense(src + s, n);
      } else {
        for (size_t i = s; i < s + n; ++i) Add(static_cast<T>(src[i]));
      }
      if (dict_mode_ &&
          static_cast<int64_t>(dict_values_.size() * sizeof(T)) > options_.dictionary_page_bytes) {
        K2_RETURN_IF_ERROR(ClosePage());
        if (dict_mode_) {
          // The dictionary stays until the chunk is written; the hash table
          // and index buffer are no longer needed. Later chunks of the file
          // start plain: values this varied overflow their dictionary again.
          dict_mode_ = false;
          fell_back_ = true;
          sticky_plain_ = true;
          Release(table_);
          Release(indices_);
        }
      } else if (PageFull(PageValues() * sizeof(T),
                          dict_mode_ ? indices_.size() * sizeof(uint32_t) : 0)) {
        K2_RETURN_IF_ERROR(ClosePage());
      }
    }
    return OkStatus();
  }

  uint64_t MemoryBytes() const override {
    return BaseMemoryBytes() + dict_values_.capacity() * sizeof(T) +
           table_.capacity() * sizeof(uint32_t) + indices_.capacity() * sizeof(uint32_t) +
           values_.capacity() * sizeof(T);
  }

  uint64_t BufferedBytes() const override {
    uint64_t open = dict_mode_ ? indices_.size() * static_cast<uint64_t>(IndexWidth()) / 8
                               : values_.size() * sizeof(T);
    return ChunkBytes() + open +
           (dict_pages_ > 0 || dict_mode_ ? dict_values_.size() * sizeof(T) : 0);
  }

  Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) override {
    K2_RETURN_IF_ERROR(ClosePage());
    format::Statistics st;
    if (has_chunk_minmax_) {
      T mn = chunk_min_, mx = chunk_max_;
      if constexpr (std::is_floating_point_v<T>) {
        if (mn == 0) mn = -T(0);
        if (mx == 0) mx = T(0);
      }
      st.min_value = st.min = RawBytes(mn);
      st.max_value = st.max = RawBytes(mx);
      st.is_min_value_exact = st.is_max_value_exact = true;
    }
    has_chunk_minmax_ = false;
    Status s;
    if (dict_pages_ > 0) {
      std::string payload(reinterpret_cast<const char*>(dict_values_.data()),
                          dict_values_.size() * sizeof(T));
      s = WriteChunk(out, chunk, &payload, static_cast<int32_t>(dict_values_.size()),
                     std::move(st));
    } else {
      s = WriteChunk(out, chunk, nullptr, 0, std::move(st));
    }
    dict_pages_ = 0;
    dict_mode_ = options_.dictionary && !sticky_plain_;
    fell_back_ = false;
    if (dict_mode_) {
      dict_values_.clear();
      ResetTable(1024);
    } else {
      Release(dict_values_);
      Release(table_);
      Release(indices_);
    }
    return s;
  }

 private:
  size_t PageValues() const { return dict_mode_ ? indices_.size() : values_.size(); }

  /// Converts the open page's indices to plain values and stops using a
  /// dictionary for this chunk and (sticky) the rest of the file.
  void AbandonDictionary() {
    values_.reserve(values_.size() + indices_.size());
    for (uint32_t i : indices_) values_.push_back(dict_values_[i]);
    Release(indices_);
    Release(dict_values_);
    Release(table_);
    dict_mode_ = false;
    fell_back_ = true;
    sticky_plain_ = true;
  }
  int IndexWidth() const {
    return std::max(1, BitWidth(dict_values_.empty() ? 0 : dict_values_.size() - 1));
  }

  void Add(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) {
        ++nan_count_;
      } else {
        Observe(v);
      }
    } else {
      Observe(v);
    }
    if (dict_mode_) {
      indices_.push_back(Lookup(v));
    } else {
      values_.push_back(v);
    }
  }

  /// Integers without nulls. A dictionary value is observed for the
  /// statistics when it enters the dictionary (every value of a chunk is in
  /// that chunk's dictionary), and a run of equal values skips the hash
  /// lookup; plain values are observed as one min/max pass per slice.
  void AddDense(const Src* src, size_t n) {
    if (dict_mode_) {
      const size_t base = indices_.size();
      indices_.resize(base + n);
      uint32_t* out = indices_.data() + base;
      for (size_t i = 0; i < n; ++i) {
        T v = static_cast<T>(src[i]);
        if (last_index_ >= dict_values_.size() || dict_values_[last_index_] != v) {
          last_index_ = Lookup(v);
        }
        out[i] = last_index_;
      }
      return;
    }
    size_t i = 0;
    T mn = static_cast<T>(src[i]), mx = mn;
    for (size_t j = i; j < n; ++j) {
      T v = static_cast<T>(src[j]);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    if constexpr (std::is_same_v<T, Src>) {
      values_.insert(values_.end(), src + i, src + n);
    } else {
      for (size_t j = i; j < n; ++j) values_.push_back(static_cast<T>(src[j]));
    }
    Observe(mn);
    Observe(mx);
  }

  void Observe(T v) {
    if (!has_chunk_minmax_) {
      chunk_min_ = chunk_max_ = v;
      has_chunk_minmax_ = true;
    } else {
      if (v < chunk_min_) chunk_min_ = v;
      if (v > chunk_max_) chunk_max_ = v;
    }
    if (!has_file_minmax_) {
      file_min_ = file_max_ = v;
      has_file_minmax_ = true;
    } else {
      if (v < file_min_) file_min_ = v;
      if (v > file_max_) file_max_ = v;
    }
  }

  static uint64_t Bits(T v) {
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
  }

  void ResetTable(size_t capacity) {
    table_ = std::vector<uint32_t>(capacity, 0);  // also gives back a larger table's memory
    mask_ = capacity - 1;
  }

  uint32_t Lookup(T v) {
    uint64_t bits = Bits(v);
    size_t slot = Mix64(bits) & mask_;
    while (true) {
      uint32_t e = table_[slot];
      if (e == 0) break;
      if (Bits(dict_values_[e - 1]) == bits) return e - 1;
      slot = (slot + 1) & mask_;
    }
    auto index = static_cast<uint32_t>(dict_values_.size());
    if constexpr (std::is_integral_v<T>) Observe(v);  // AddDense observes here only
    dict_values_.push_back(v);
    table_[slot] = index + 1;
    if (dict_values_.size() * 2 > table_.size()) {
      ResetTable(table_.size() * 2);
      for (uint32_t i = 0; i < dict_values_.size(); ++i) {
        size_t s = Mix64(Bits(dict_values_[i])) & mask_;
        while (table_[s] != 0) s = (s + 1) & mask_;
        table_[s] = i + 1;
      }
    }
    return index;
  }

  Status ClosePage() {
    if (page_rows_ == 0) return OkStatus();
    BeginPage();
    if (dict_mode_ && dict_pages_ == 0 && !fell_back_) {
      // First page: keep the dictionary only if it pays for itself.
      size_t n = indices_.size();
      size_t dict_cost =
          dict_values_.size() * sizeof(T) + n * static_cast<size_t>(IndexWidth()) / 8;
      if (n > 0 && dict_cost >= n * sizeof(T)) AbandonDictionary();
    }
    if (dict_mode_ || !indices_.empty()) {
      int width = IndexWidth();
      page_.push_back(static_cast<char>(width));
      RleEncode(indices_.data(), indices_.size(), width, &page_);
      indices_.clear();
      ++dict_pages_;
      return FinishPage(Encoding::kRleDictionary);
    }
    Encoding enc = Encoding::kPlain;
    size_t plain_size = values_.size() * sizeof(T);
    if constexpr (std::is_integral_v<T>) {
      size_t before = page_.size();
      DeltaEncode(values_.data(), values_.size(), &page_);
      if (page_.size() - before < plain_size) {
        enc = Encoding::kDeltaBinaryPacked;
      } else {
        page_.resize(before);
      }
    }
    if (enc == Encoding::kPlain) {
      page_.append(reinterpret_cast<const char*>(values_.data()), plain_size);
    }
    values_.clear();
    return FinishPage(enc);
  }

  Value MakeValue(T v) const {
    Value out{field_.type, {}};
    switch (field_.type.id) {
      case TypeId::kDecimal:
        out.data = static_cast<int128_t>(v);
        break;
      case TypeId::kInt32:
      case TypeId::kDate:
        out.data = static_cast<int32_t>(v);
        break;
      case TypeId::kFloat:
        out.data = static_cast<float>(v);
        break;
      case TypeId::kDouble:
        out.data = static_cast<double>(v);
        break;
      default:
        out.data = static_cast<int64_t>(v);
        break;
    }
    return out;
  }

  void FillBounds(ColumnMetrics* m) const override {
    if constexpr (std::is_floating_point_v<T>) m->nan_count = nan_count_;
    if (!has_file_minmax_) return;
    T mn = file_min_, mx = file_max_;
    if constexpr (std::is_floating_point_v<T>) {
      if (mn == 0) mn = -T(0);
      if (mx == 0) mx = T(0);
    }
    m->lower_bound = EncodeSingleValue(MakeValue(mn));
    m->upper_bound = EncodeSingleValue(MakeValue(mx));
  }

  bool dict_mode_;
  bool fell_back_ = false;
  bool sticky_plain_ = false;
  int dict_pages_ = 0;
  std::vector<T> dict_values_;
  std::vector<uint32_t> table_;
  size_t mask_ = 0;
  std::vector<uint32_t> indices_;
  std::vector<T> values_;
  uint32_t last_index_ = 0;  ///< AddDense's previous dictionary index
  bool has_chunk_minmax_ = false, has_file_minmax_ = false;
  T chunk_min_{}, chunk_max_{}, file_min_{}, file_max_{};
  int64_t nan_count_ = 0;
};

/// BYTE_ARRAY (string/binary) and FIXED_LEN_BYTE_ARRAY (fixed, uuid, wide decimals).
class BytesWriter final : public ColumnWriterBase {
 public:
  enum class Mode { kVariable, kFixed, kDecimal };

  BytesWriter(const Field& field, const format::SchemaElement& element,
              const WriterOptions& options, std::shared_ptr<WriterScratch> scratch)
      : ColumnWriterBase(field, element, options, std::move(scratch)),
        dict_mode_(options.dictionary) {
    mode_ = field.type.IsVariableWidth()        ? Mode::kVariable
            : field.type.id == TypeId::kDecimal ? Mode::kDecimal
                                                : Mode::kFixed;
    width_ = static_cast<size_t>(element.type_length.value_or(0));
    if (dict_mode_) ResetTable(1024);
    dict_offsets_.push_back(0);
  }

  Status Append(const Column& column, size_t offset, size_t count) override {
    char buf[16];
    for (size_t s = offset; s < offset + count; s += kSliceRows) {
      size_t n = std::min(kSliceRows, offset + count - s);
      AddLevels(column, s, n);
      for (size_t i = s; i < s + n; ++i) {
        if (column.has_nulls() && !column.IsValid(i)) continue;
        std::string_view v;
        if (mode_ == Mode::kDecimal) {
          int128_t d = column.DecimalValue(i);
          ObserveDecimal(d);
          auto u = static_cast<unsigned __int128>(d);
          for (size_t b = 0; b < width_; ++b) {
            buf[width_ - 1 - b] = static_cast<char>(static_cast<uint8_t>(u >> (8 * b)));
          }
          v = std::string_view(buf, width_);
        } else {
          v = column.Bytes(i);
          if (dict_mode_) {
            // Observed when it enters this chunk's dictionary (Lookup); a
            // run of equal values skips the hash lookup.
            if (last_index_ + 1 < dict_offsets_.size() && SameBytes(DictEntry(last_index_), v)) {
              indices_.push_back(last_index_);
            } else {
              last_index_ = Lookup(v);
              indices_.push_back(last_index_);
            }
            continue;
          }
          ObserveBytes(v);
        }
        if (dict_mode_) {
          indices_.push_back(Lookup(v));
        } else {
          AppendPlain(v);
        }
      }
      if (dict_mode_ && dict_pages_ == 0 && !fell_back_ && indices_.size() >= kProbeValues &&
          (dict_offsets_.size() - 1) * 2 > indices_.size()) {
        AbandonDictionary();
      } else if (dict_mode_ && static_cast<int64_t>(DictBytes()) > options_.dictionary_page_bytes) {
        K2_RETURN_IF_ERROR(ClosePage());
        if (dict_mode_) {
          // The dictionary stays until the chunk is written; the hash table,
          // hashes and index buffer are no longer needed. Later chunks of the
          // file start plain: values this varied overflow their dictionary again.
          dict_mode_ = false;
          fell_back_ = true;
          sticky_plain_ = true;
          Release(table_);
          Release(dict_hashes_);
          Release(indices_);
        }
      } else if (PageFull(OpenPageBytes(), dict_mode_ ? indices_.size() * sizeof(uint32_t) : 0)) {
        K2_RETURN_IF_ERROR(ClosePage());
      }
    }
    return OkStatus();
  }

  uint64_t MemoryBytes() const override {
    return BaseMemoryBytes() + dict_data_.capacity() + dict_offsets_.capacity() * sizeof(uint32_t) +
           dict_hashes_.capacity() * sizeof(uint64_t) + table_.capacity() * sizeof(uint32_t) +
           indices_.capacity() * sizeof(uint32_t) + plain_.capacity() + chunk_min_.capacity() +
           chunk_max_.capacity() + file_min_.capacity() + file_max_.capacity();
  }

  uint64_t BufferedBytes() const override {
    return ChunkBytes() + OpenPageBytes() + (dict_pages_ > 0 || dict_mode_ ? DictBytes() : 0);
  }

  Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) override {
    K2_RETURN_IF_ERROR(ClosePage());
    format::Statistics st;
    if (mode_ == Mode::kDecimal) {
      if (has_chunk_dec_) {
        st.min_value = DecimalBytes(chunk_dec_min_);
        st.max_value = DecimalBytes(chunk_dec_max_);
        st.is_min_value_exact = st.is_max_value_exact = true;
      }
    } else if (has_chunk_minmax_) {
      if (chunk_min_.size() <= kMaxStatBytes) {
        st.min_value = chunk_min_;
        st.is_min_value_exact = true;
      } else {
        st.min_value = chunk_min_.substr(0, kMaxStatBytes);
        st.is_min_value_exact = false;
      }
      if (chunk_max_.size() <= kMaxStatBytes) {
        st.max_value = chunk_max_;
        st.is_max_value_exact = true;
      } else if (auto up = IncrementBytes(chunk_max_.substr(0, kMaxStatBytes))) {
        st.max_value = *up;
        st.is_max_value_exact = false;
      }
    }
    has_chunk_minmax_ = has_chunk_dec_ = false;
    chunk_min_.clear();
    chunk_max_.clear();
    Status s;
    if (dict_pages_ > 0) {
      std::string payload;
      payload.reserve(DictBytes());
      for (size_t i = 0; i + 1 < dict_offsets_.size(); ++i) {
        std::string_view e(dict_data_.data() + dict_offsets_[i],
                           dict_offsets_[i + 1] - dict_offsets_[i]);
        PlainInto(e, &payload);
      }
      s = WriteChunk(out, chunk, &payload, static_cast<int32_t>(dict_offsets_.size() - 1),
                     std::move(st));
    } else {
      s = WriteChunk(out, chunk, nullptr, 0, std::move(st));
    }
    dict_pages_ = 0;
    dict_mode_ = options_.dictionary && !sticky_plain_;
    fell_back_ = false;
    ClearDict();
    return s;
  }

 private:
  size_t DictBytes() const {
    size_t n = dict_offsets_.size() - 1;
    return dict_data_.size() + (mode_ == Mode::kVariable ? 4 * n : 0);
  }
  size_t OpenPageBytes() const {
    return dict_mode_ ? indices_.size() * static_cast<size_t>(IndexWidth()) / 8 : plain_.size();
  }
  int IndexWidth() const {
    size_t n = dict_offsets_.size() - 1;
    return std::max(1, BitWidth(n == 0 ? 0 : n - 1));
  }
  void AbandonDictionary() {
    for (uint32_t i : indices_) AppendPlain(DictEntry(i));
    Release(indices_);
    dict_mode_ = false;
    fell_back_ = true;
    sticky_plain_ = true;
    ClearDict();
  }
  void ClearDict() {
    if (dict_mode_) {
      dict_data_.clear();
      dict_offsets_.assign(1, 0);
      dict_hashes_.clear();
      ResetTable(1024);
    } else {
      Release(dict_data_);
      Release(dict_offsets_);
      dict_offsets_.push_back(0);
      Release(dict_hashes_);
      Release(table_);
      Release(indices_);
    }
  }
  void ResetTable(size_t capacity) {
    table_ = std::vector<uint32_t>(capacity, 0);  // also gives back a larger table's memory
    mask_ = capacity - 1;
  }
  void PlainInto(std::string_view v, std::string* out) const {
    if (mode_ == Mode::kVariable) {
      auto len = static_cast<uint32_t>(v.size());
      out->append(reinterpret_cast<const char*>(&len), 4);
    }
    out->append(v);
  }
  void AppendPlain(std::string_view v) {
    PlainInto(v, &plain_);
    ++plain_count_;
  }
  std::string_view DictEntry(uint32_t i) const {
    return {dict_data_.data() + dict_offsets_[i], dict_offsets_[i + 1] - dict_offsets_[i]};
  }

  uint32_t Lookup(std::string_view v) {
    uint64_t h = HashBytes(v);
    size_t slot = Mix64(h) & mask_;
    while (true) {
      uint32_t e = table_[slot];
      if (e == 0) break;
      if (dict_hashes_[e - 1] == h && SameBytes(DictEntry(e - 1), v)) return e - 1;
      slot = (slot + 1) & mask_;
    }
    auto index = static_cast<uint32_t>(dict_offsets_.size() - 1);
    if (mode_ != Mode::kDecimal) ObserveBytes(v);
    dict_data_.append(v);
    dict_offsets_.push_back(static_cast<uint32_t>(dict_data_.size()));
    dict_hashes_.push_back(h);
    table_[slot] = index + 1;
    if (dict_hashes_.size() * 2 > table_.size()) {
      ResetTable(table_.size() * 2);
      for (uint32_t i = 0; i < dict_hashes_.size(); ++i) {
        size_t s = Mix64(dict_hashes_[i]) & mask_;
        while (table_[s] != 0) s = (s + 1) & mask_;
        table_[s] = i + 1;
      }
    }
    return index;
  }

  void ObserveBytes(std::string_view v) {
    if (!has_chunk_minmax_) {
      chunk_min_.assign(v);
      chunk_max_.assign(v);
      has_chunk_minmax_ = true;
    } else {
      if (v < std::string_view(chunk_min_)) chunk_min_.assign(v);
      if (v > std::string_view(chunk_max_)) chunk_max_.assign(v);
    }
    if (!has_file_minmax_) {
      file_min_.assign(v);
      file_max_.assign(v);
      has_file_minmax_ = true;
    } else {
      if (v < std::string_view(file_min_)) file_min_.assign(v);
      if (v > std::string_view(file_max_)) file_max_.assign(v);
    }
  }

  void ObserveDecimal(int128_t d) {
    if (!has_chunk_dec_) {
      chunk_dec_min_ = chunk_dec_max_ = d;
      has_chunk_dec_ = true;
    } else {
      chunk_dec_min_ = std::min(chunk_dec_min_, d);
      chunk_dec_max_ = std::max(chunk_dec_max_, d);
    }
    if (!has_file_dec_) {
      file_dec_min_ = file_dec_max_ = d;
      has_file_dec_ = true;
    } else {
      file_dec_min_ = std::min(file_dec_min_, d);
      file_dec_max_ = std::max(file_dec_max_, d);
    }
  }

  std::string DecimalBytes(int128_t d) const {
    std::string out(width_, '\0');
    auto u = static_cast<unsigned __int128>(d);
    for (size_t b = 0; b < width_; ++b) {
      out[width_ - 1 - b] = static_cast<char>(static_cast<uint8_t>(u >> (8 * b)));
    }
    return out;
  }

  Status ClosePage() {
    if (page_rows_ == 0) return OkStatus();
    BeginPage();
    if (dict_mode_ && dict_pages_ == 0 && !fell_back_) {
      size_t n = indices_.size();
      size_t plain = 0;
      for (uint32_t i : indices_) {
        plain += DictEntry(i).size() + (mode_ == Mode::kVariable ? 4 : 0);
      }
      size_t dict_cost = DictBytes() + n * static_cast<size_t>(IndexWidth()) / 8;
      if (n > 0 && dict_cost >= plain) AbandonDictionary();
    }
    if (dict_mode_) {
      int width = IndexWidth();
      page_.push_back(static_cast<char>(width));
      RleEncode(indices_.data(), indices_.size(), width, &page_);
      indices_.clear();
      ++dict_pages_;
      return FinishPage(Encoding::kRleDictionary);
    }
    page_.append(plain_);
    plain_.clear();
    plain_count_ = 0;
    return FinishPage(Encoding::kPlain);
  }

  void FillBounds(ColumnMetrics* m) const override {
    if (mode_ == Mode::kDecimal) {
      if (!has_file_dec_) return;
      m->lower_bound = EncodeSingleValue(Value{field_.type, file_dec_min_});
      m->upper_bound = EncodeSingleValue(Value{field_.type, file_dec_max_});
      return;
    }
    if (!has_file_minmax_) return;
    size_t limit = options_.max_bound_length;
    bool truncatable = field_.type.id == TypeId::kString || field_.type.id == TypeId::kBinary;
    if (!truncatable || limit == 0) {
      m->lower_bound = EncodeSingleValue(Value{field_.type, file_min_});
      m->upper_bound = EncodeSingleValue(Value{field_.type, file_max_});
      return;
    }
    bool is_string = field_.type.id == TypeId::kString;
    size_t lo_len = is_string ? Utf8Prefix(file_min_, limit) : std::min(limit, file_min_.size());
    m->lower_bound = EncodeSingleValue(Value{field_.type, file_min_.substr(0, lo_len)});
    size_t hi_len = is_string ? Utf8Prefix(file_max_, limit) : std::min(limit, file_max_.size());
    if (hi_len == file_max_.size()) {
      m->upper_bound = EncodeSingleValue(Value{field_.type, file_max_});
    } else {
      std::string prefix = file_max_.substr(0, hi_len);
      auto up = is_string ? IncrementUtf8(prefix) : IncrementBytes(prefix);
      if (up) m->upper_bound = EncodeSingleValue(Value{field_.type, *up});
    }
  }

  Mode mode_;
  size_t width_ = 0;
  bool dict_mode_;
  bool fell_back_ = false;
  bool sticky_plain_ = false;
  int dict_pages_ = 0;
  std::string dict_data_;
  std::vector<uint32_t> dict_offsets_;
  std::vector<uint64_t> dict_hashes_;
  std::vector<uint32_t> table_;
  size_t mask_ = 0;
  uint32_t last_index_ = 0;  ///< the previous string's dictionary index
  std::vector<uint32_t> indices_;
  std::string plain_;
  size_t plain_count_ = 0;
  bool has_chunk_minmax_ = false, has_file_minmax_ = false;
  std::string chunk_min_, chunk_max_, file_min_, file_max_;
  bool has_chunk_dec_ = false, has_file_dec_ = false;
  int128_t chunk_dec_min_ = 0, chunk_dec_max_ = 0, file_dec_min_ = 0, file_dec_max_ = 0;
};

}  // namespace

std::unique_ptr<ColumnWriter> MakeColumnWriter(const Field& field,
                                               const format::SchemaElement& element,
                                               const WriterOptions& options,
                                               std::shared_ptr<WriterScratch> scratch) {
  switch (field.type.id) {
    case TypeId::kBoolean:
      return std::make_unique<BoolWriter>(field, element, options, scratch);
    case TypeId::kInt32:
    case TypeId::kDate:
      return std::make_unique<NumericWriter<int32_t, int32_t>>(field, element, options, scratch);
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return std::make_unique<NumericWriter<int64_t, int64_t>>(field, element, options, scratch);
    case TypeId::kFloat:
      return std::make_unique<NumericWriter<float, float>>(field, element, options, scratch);
    case TypeId::kDouble:
      return std::make_unique<NumericWriter<double, double>>(field, element, options, scratch);
    case TypeId::kDecimal:
      if (field.type.precision <= 9) {
        return std::make_unique<NumericWriter<int32_t, int64_t>>(field, element, options, scratch);
      }
      if (field.type.precision <= 18) {
        return std::make_unique<NumericWriter<int64_t, int64_t>>(field, element, options, scratch);
      }
      return std::make_unique<BytesWriter>(field, element, options, scratch);
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
      return std::make_unique<BytesWriter>(field, element, options, scratch);
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // refused by ToSchemaElement: k2 writes flat files
  }
  return nullptr;
}

}  // namespace k2::parquet
