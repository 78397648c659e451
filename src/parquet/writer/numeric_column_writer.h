#pragma once
/// NumericColumnWriter<T, Src>: fixed-width numbers (INT32, INT64, FLOAT,
/// DOUBLE; decimals of up to 18 digits). Templated on the value type so the
/// per-value work (dictionary lookup, statistics) compiles to concrete code.
/// A chunk starts with a dictionary (RLE_DICTIONARY indices) and falls back to
/// PLAIN, or DELTA_BINARY_PACKED for integers when that is smaller, once the
/// dictionary stops paying; after a fallback the rest of the file stays plain.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "columnar/value.h"
#include "parquet/encoding.h"
#include "parquet/writer/column_writer_base.h"
#include "parquet/writer/dictionary_hash.h"
#include "parquet/writer/dictionary_mode.h"

namespace k2::parquet {

/// The little-endian bytes of `v` (Parquet PLAIN statistics).
template <typename T>
std::string RawBytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

/// Fixed-width numbers (int32/int64/float/double physical types). `Src` is the
/// column's storage type (int64 for a decimal(<=9) stored as INT32).
template <typename T, typename Src>
class NumericColumnWriter final : public ColumnWriterBase {
 public:
  NumericColumnWriter(const Field& field, const format::SchemaElement& element,
                      const WriterOptions& options, std::shared_ptr<WriterScratch> scratch)
      : ColumnWriterBase(field, element, options, std::move(scratch)), dict_(options.dictionary) {
    if (dict_.on()) ResetTable(1024);
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
      if (dict_.on() &&
          static_cast<int64_t>(dict_values_.size() * sizeof(T)) > options_.dictionary_page_bytes) {
        K2_RETURN_IF_ERROR(ClosePage());
        if (dict_.on()) {
          dict_.FallBack();
          Release(slots_);
          Release(indices_);
        }
      } else if (PageFull(PageValues() * sizeof(T),
                          dict_.on() ? indices_.size() * sizeof(uint32_t) : 0)) {
        K2_RETURN_IF_ERROR(ClosePage());
      }
    }
    return OkStatus();
  }

  uint64_t MemoryBytes() const override {
    return BaseMemoryBytes() + dict_values_.capacity() * sizeof(T) +
           slots_.capacity() * sizeof(Slot) + indices_.capacity() * sizeof(uint32_t) +
           values_.capacity() * sizeof(T);
  }

  uint64_t BufferedBytes() const override {
    uint64_t open = dict_.on() ? indices_.size() * static_cast<uint64_t>(IndexWidth()) / 8
                               : values_.size() * sizeof(T);
    return ChunkBytes() + open +
           (dict_pages_ > 0 || dict_.on() ? dict_values_.size() * sizeof(T) : 0);
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
    dict_.StartChunk();
    if (dict_.on()) {
      dict_values_.clear();
      ResetTable(1024);
    } else {
      Release(dict_values_);
      Release(slots_);
      Release(indices_);
    }
    return s;
  }

 private:
  size_t PageValues() const { return dict_.on() ? indices_.size() : values_.size(); }

  /// Converts the open page's indices to plain values and stops using a
  /// dictionary for this chunk and (sticky) the rest of the file.
  void AbandonDictionary() {
    values_.reserve(values_.size() + indices_.size());
    for (uint32_t i : indices_) values_.push_back(dict_values_[i]);
    Release(indices_);
    Release(dict_values_);
    Release(slots_);
    dict_.FallBack();
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
    if (dict_.on()) {
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
    if (dict_.on()) {
      const size_t base = indices_.size();
      indices_.resize(base + n);
      uint32_t* out = indices_.data() + base;
      for (size_t i = 0; i < n; ++i) {
        // A value kPrefetchAhead rows on has its slot fetched while this
        // one is looked up: a dictionary of ~100k prices outgrows the
        // caches, and the wait for its slot was most of a lookup.
        if (i + kPrefetchAhead < n) {
          __builtin_prefetch(&slots_[SlotOf(Bits(static_cast<T>(src[i + kPrefetchAhead])))]);
        }
        // A run of equal values skips the lookup. The previous value is
        // kept beside its index: reading it back from the dictionary cost a
        // cache miss per value on a large one.
        const Key key = Bits(static_cast<T>(src[i]));
        if (!has_last_ || key != last_key_) {
          last_index_ = Lookup(static_cast<T>(src[i]));
          last_key_ = key;
          has_last_ = true;
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

  /// The value's bits as an unsigned key of its width (floats compare by
  /// bits, so -0.0 and 0.0, and NaNs of different payloads, stay apart).
  using Key = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
  /// A hash-table slot holds the key beside its dictionary index, so a
  /// lookup touches one cache line, not the table and then the dictionary.
  struct Slot {
    Key key;
    uint32_t index_plus_one;  ///< 0: empty
  };
  static constexpr size_t kPrefetchAhead = 24;

  static Key Bits(T v) {
    Key b;
    std::memcpy(&b, &v, sizeof(T));
    return b;
  }
  size_t SlotOf(Key key) const { return Mix64(key) & mask_; }

  void ResetTable(size_t capacity) {
    slots_ = std::vector<Slot>(capacity, Slot{0, 0});  // also gives back a larger table's memory
    mask_ = capacity - 1;
    has_last_ = false;
  }

  uint32_t Lookup(T v) {
    const Key key = Bits(v);
    size_t slot = SlotOf(key);
    while (true) {
      const Slot& e = slots_[slot];
      if (e.index_plus_one == 0) break;
      if (e.key == key) return e.index_plus_one - 1;
      slot = (slot + 1) & mask_;
    }
    auto index = static_cast<uint32_t>(dict_values_.size());
    if constexpr (std::is_integral_v<T>) Observe(v);  // AddDense observes here only
    dict_values_.push_back(v);
    slots_[slot] = Slot{key, index + 1};
    if (dict_values_.size() * 2 > slots_.size()) {
      ResetTable(slots_.size() * 2);
      for (uint32_t i = 0; i < dict_values_.size(); ++i) {
        const Key k = Bits(dict_values_[i]);
        size_t s = SlotOf(k);
        while (slots_[s].index_plus_one != 0) s = (s + 1) & mask_;
        slots_[s] = Slot{k, i + 1};
      }
    }
    return index;
  }

  Status ClosePage() {
    if (page_rows_ == 0) return OkStatus();
    BeginPage();
    if (dict_.on() && dict_pages_ == 0 && !dict_.fell_back()) {
      // First page: keep the dictionary only if it pays for itself.
      size_t n = indices_.size();
      size_t dict_cost =
          dict_values_.size() * sizeof(T) + n * static_cast<size_t>(IndexWidth()) / 8;
      if (n > 0 && dict_cost >= n * sizeof(T)) AbandonDictionary();
    }
    if (dict_.on() || !indices_.empty()) {
      int width = IndexWidth();
      page_.push_back(static_cast<char>(width));
      RleEncode(indices_.data(), indices_.size(), width, &page_);
      indices_.clear();
      ++dict_pages_;
      return FinishPage(format::Encoding::kRleDictionary);
    }
    format::Encoding enc = format::Encoding::kPlain;
    size_t plain_size = values_.size() * sizeof(T);
    if constexpr (std::is_integral_v<T>) {
      size_t before = page_.size();
      DeltaEncode(values_.data(), values_.size(), &page_);
      if (page_.size() - before < plain_size) {
        enc = format::Encoding::kDeltaBinaryPacked;
      } else {
        page_.resize(before);
      }
    }
    if (enc == format::Encoding::kPlain) {
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

  DictionaryMode dict_;
  int dict_pages_ = 0;
  std::vector<T> dict_values_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<uint32_t> indices_;
  std::vector<T> values_;
  uint32_t last_index_ = 0;  ///< AddDense's previous dictionary index
  Key last_key_ = 0;         ///< and the bits of its value
  bool has_last_ = false;    ///< whether last_index_ is in this chunk's dictionary
  bool has_chunk_minmax_ = false, has_file_minmax_ = false;
  T chunk_min_{}, chunk_max_{}, file_min_{}, file_max_{};
  int64_t nan_count_ = 0;
};

}  // namespace k2::parquet
