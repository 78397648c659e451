#include "parquet/writer/byte_array_column_writer.h"

#include <optional>
#include <utility>

#include "columnar/value.h"
#include "common/strings.h"
#include "parquet/encoding.h"
#include "parquet/writer/dictionary_hash.h"

namespace k2::parquet {

namespace {

/// Values seen before a mostly-distinct column gives up on its dictionary.
constexpr size_t kProbeValues = 8192;
/// Parquet statistics for byte arrays longer than this are truncated (inexact).
constexpr size_t kMaxStatBytes = 64;

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
      for (uint32_t cp : cps) AppendUtf8(cp, out);
      return out;
    }
    cps.pop_back();
  }
  return std::nullopt;
}

}  // namespace

ByteArrayColumnWriter::ByteArrayColumnWriter(const Field& field,
                                             const format::SchemaElement& element,
                                             const WriterOptions& options,
                                             std::shared_ptr<WriterScratch> scratch)
    : ColumnWriterBase(field, element, options, std::move(scratch)), dict_(options.dictionary) {
  mode_ = field.type.IsVariableWidth()        ? Mode::kVariable
          : field.type.id == TypeId::kDecimal ? Mode::kDecimal
                                              : Mode::kFixed;
  width_ = static_cast<size_t>(element.type_length.value_or(0));
  if (dict_.on()) ResetTable(1024);
  dict_offsets_.push_back(0);
}

Status ByteArrayColumnWriter::Append(const Column& column, size_t offset, size_t count) {
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
        if (dict_.on()) {
          const size_t dict_size = dict_offsets_.size() - 1;
          if (dict_size <= kSmallDict && v.size() <= 16) {
            // A dictionary of a few short strings (exchanges, sides) is
            // scanned as words: cheaper than hashing each value.
            uint64_t a, b;
            Words(v, a, b);
            uint32_t k = 0;
            while (k < dict_size && !small_dict_[k].Is(a, b, v.size())) ++k;
            last_index_ = k < dict_size ? k : Lookup(v);
            indices_.push_back(last_index_);
            continue;
          }
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
      if (dict_.on()) {
        indices_.push_back(Lookup(v));
      } else {
        AppendPlain(v);
      }
    }
    if (dict_.on() && dict_pages_ == 0 && !dict_.fell_back() && indices_.size() >= kProbeValues &&
        (dict_offsets_.size() - 1) * 2 > indices_.size()) {
      AbandonDictionary();
    } else if (dict_.on() && static_cast<int64_t>(DictBytes()) > options_.dictionary_page_bytes) {
      K2_RETURN_IF_ERROR(ClosePage());
      if (dict_.on()) {
        dict_.FallBack();
        Release(table_);
        Release(dict_hashes_);
        Release(indices_);
      }
    } else if (PageFull(OpenPageBytes(), dict_.on() ? indices_.size() * sizeof(uint32_t) : 0)) {
      K2_RETURN_IF_ERROR(ClosePage());
    }
  }
  return OkStatus();
}

Status ByteArrayColumnWriter::FlushChunk(OutputFile* out, format::ColumnChunk* chunk) {
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
  dict_.StartChunk();
  ClearDict();
  return s;
}

void ByteArrayColumnWriter::AbandonDictionary() {
  for (uint32_t i : indices_) AppendPlain(DictEntry(i));
  Release(indices_);
  dict_.FallBack();
  ClearDict();
}

void ByteArrayColumnWriter::ClearDict() {
  if (dict_.on()) {
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

uint32_t ByteArrayColumnWriter::Lookup(std::string_view v) {
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
  if (index < kSmallDict) {
    SmallEntry& e = small_dict_[index];
    Words(v, e.a, e.b);
    e.size = v.size() <= 16 ? v.size() : SIZE_MAX;  // a long string never matches a scan
  }
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

void ByteArrayColumnWriter::ObserveBytes(std::string_view v) {
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

void ByteArrayColumnWriter::ObserveDecimal(int128_t d) {
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

std::string ByteArrayColumnWriter::DecimalBytes(int128_t d) const {
  std::string out(width_, '\0');
  auto u = static_cast<unsigned __int128>(d);
  for (size_t b = 0; b < width_; ++b) {
    out[width_ - 1 - b] = static_cast<char>(static_cast<uint8_t>(u >> (8 * b)));
  }
  return out;
}

Status ByteArrayColumnWriter::ClosePage() {
  if (page_rows_ == 0) return OkStatus();
  BeginPage();
  if (dict_.on() && dict_pages_ == 0 && !dict_.fell_back()) {
    size_t n = indices_.size();
    size_t plain = 0;
    for (uint32_t i : indices_) {
      plain += DictEntry(i).size() + (mode_ == Mode::kVariable ? 4 : 0);
    }
    size_t dict_cost = DictBytes() + n * static_cast<size_t>(IndexWidth()) / 8;
    if (n > 0 && dict_cost >= plain) AbandonDictionary();
  }
  if (dict_.on()) {
    int width = IndexWidth();
    page_.push_back(static_cast<char>(width));
    RleEncode(indices_.data(), indices_.size(), width, &page_);
    indices_.clear();
    ++dict_pages_;
    return FinishPage(format::Encoding::kRleDictionary);
  }
  page_.append(plain_);
  plain_.clear();
  plain_count_ = 0;
  return FinishPage(format::Encoding::kPlain);
}

void ByteArrayColumnWriter::FillBounds(ColumnMetrics* m) const {
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

}  // namespace k2::parquet
