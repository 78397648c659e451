#pragma once
/// ByteArrayColumnWriter: BYTE_ARRAY (string, binary) and FIXED_LEN_BYTE_ARRAY
/// (fixed, uuid, decimals wider than 18 digits) columns. A chunk starts with a
/// dictionary of the distinct values (RLE_DICTIONARY indices) and falls back to
/// PLAIN when the values are mostly distinct or the dictionary outgrows
/// dictionary_page_bytes; after a fallback the rest of the file stays plain.
/// String/binary bounds are truncated to max_bound_length for Iceberg.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/writer/column_writer_base.h"
#include "parquet/writer/dictionary_mode.h"

namespace k2::parquet {

/// BYTE_ARRAY (string/binary) and FIXED_LEN_BYTE_ARRAY (fixed, uuid, wide decimals).
class ByteArrayColumnWriter final : public ColumnWriterBase {
 public:
  enum class Mode { kVariable, kFixed, kDecimal };

  ByteArrayColumnWriter(const Field& field, const format::SchemaElement& element,
                        const WriterOptions& options, std::shared_ptr<WriterScratch> scratch);

  Status Append(const Column& column, size_t offset, size_t count) override;

  uint64_t MemoryBytes() const override {
    return BaseMemoryBytes() + dict_data_.capacity() + dict_offsets_.capacity() * sizeof(uint32_t) +
           dict_hashes_.capacity() * sizeof(uint64_t) + table_.capacity() * sizeof(uint32_t) +
           indices_.capacity() * sizeof(uint32_t) + plain_.capacity() + chunk_min_.capacity() +
           chunk_max_.capacity() + file_min_.capacity() + file_max_.capacity();
  }

  uint64_t BufferedBytes() const override {
    return ChunkBytes() + OpenPageBytes() + (dict_pages_ > 0 || dict_.on() ? DictBytes() : 0);
  }

  Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) override;

 private:
  size_t DictBytes() const {
    size_t n = dict_offsets_.size() - 1;
    return dict_data_.size() + (mode_ == Mode::kVariable ? 4 * n : 0);
  }
  size_t OpenPageBytes() const {
    return dict_.on() ? indices_.size() * static_cast<size_t>(IndexWidth()) / 8 : plain_.size();
  }
  int IndexWidth() const {
    size_t n = dict_offsets_.size() - 1;
    return std::max(1, BitWidth(n == 0 ? 0 : n - 1));
  }
  /// Moves the open page's indices to plain values and stops using a
  /// dictionary for this chunk and (sticky) the rest of the file.
  void AbandonDictionary();
  /// Empties the dictionary for the next chunk (frees it when plain).
  void ClearDict();
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

  /// The dictionary index of `v`, adding it (and observing it for the
  /// statistics) when new.
  uint32_t Lookup(std::string_view v);
  void ObserveBytes(std::string_view v);
  void ObserveDecimal(int128_t d);
  /// `d` as big-endian two's complement of width_ bytes.
  std::string DecimalBytes(int128_t d) const;
  /// Encodes the open page (dictionary indices or plain values); on the
  /// chunk's first page, drops the dictionary if it does not pay.
  Status ClosePage();
  void FillBounds(ColumnMetrics* m) const override;

  Mode mode_;
  size_t width_ = 0;
  DictionaryMode dict_;
  int dict_pages_ = 0;
  std::string dict_data_;
  std::vector<uint32_t> dict_offsets_;
  std::vector<uint64_t> dict_hashes_;
  std::vector<uint32_t> table_;
  size_t mask_ = 0;
  uint32_t last_index_ = 0;  ///< the previous string's dictionary index
  /// The first kSmallDict dictionary entries as Words(): a dictionary that
  /// small is scanned instead of hashed.
  struct SmallEntry {
    uint64_t a = 0, b = 0;
    size_t size = 0;
    bool Is(uint64_t wa, uint64_t wb, size_t n) const { return a == wa && b == wb && size == n; }
  };
  static constexpr size_t kSmallDict = 8;
  std::array<SmallEntry, kSmallDict> small_dict_{};
  std::vector<uint32_t> indices_;
  std::string plain_;
  size_t plain_count_ = 0;
  bool has_chunk_minmax_ = false, has_file_minmax_ = false;
  std::string chunk_min_, chunk_max_, file_min_, file_max_;
  bool has_chunk_dec_ = false, has_file_dec_ = false;
  int128_t chunk_dec_min_ = 0, chunk_dec_max_ = 0, file_dec_min_ = 0, file_dec_max_ = 0;
};

}  // namespace k2::parquet
