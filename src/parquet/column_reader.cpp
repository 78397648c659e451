// Over 600 lines on purpose: almost all of it is TypedChunkReader<P>, one
// class template whose page walk (headers, decompression, dictionary), value
// decoding (the encoding switch) and scatter into k2 Columns share its hot
// state (levels, values, dictionary) and are instantiated once per physical
// type here. Splitting it across files would move the whole template into a
// header for every includer to compile, with no concept gained.
#include "parquet/column_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "parquet/compression.h"
#include "parquet/decoding.h"
#include "parquet/schema_mapping.h"

namespace k2::parquet {

using format::Encoding;
using format::Type;

namespace {

/// Guards against forged sizes: no page may claim more than this.
constexpr int64_t kMaxPageValues = int64_t{1} << 24;
constexpr int64_t kMaxPageBytes = int64_t{1} << 28;

struct Int96 {
  uint8_t b[12];
};

int64_t Int96ToMicros(const Int96& v) {
  int64_t nanos;   // Spark writes it signed
  int32_t julian;  // signed, as Spark and arrow-rs read it
  std::memcpy(&nanos, v.b, 8);
  std::memcpy(&julian, v.b + 8, 4);
  constexpr int64_t kJulianEpoch = 2440588;
  auto day = static_cast<int64_t>(julian) - kJulianEpoch;
  // Wraps like Spark/Arrow for out-of-range values instead of trapping.
  return static_cast<int64_t>(static_cast<uint64_t>(day) * 86400000000ULL +
                              static_cast<uint64_t>(nanos / 1000));
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, frac = h & 0x3FF;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(frac), -24);
  } else if (exp == 31) {
    v = frac == 0 ? INFINITY : NAN;
  } else {
    v = std::ldexp(static_cast<float>(frac | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

bool BigEndianToInt128(std::string_view b, int128_t* out) {
  if (b.size() > 16) {
    // Allow sign-extension bytes beyond 16.
    size_t extra = b.size() - 16;
    auto fill = static_cast<uint8_t>(static_cast<int8_t>(b[extra]) < 0 ? 0xFF : 0x00);
    for (size_t i = 0; i < extra; ++i) {
      if (static_cast<uint8_t>(b[i]) != fill) return false;
    }
    b.remove_prefix(extra);
  }
  if (b.empty()) {
    *out = 0;
    return true;
  }
  unsigned __int128 u = static_cast<int8_t>(b[0]) < 0 ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : b) u = (u << 8) | static_cast<uint8_t>(c);
  *out = static_cast<int128_t>(u);
  return true;
}

template <typename P>
constexpr bool kIsBytes = std::is_same_v<P, std::string_view>;

/// Decodes one column chunk whose physical values are P.
template <typename P>
class TypedChunkReader final : public ColumnChunkReader {
 public:
  TypedChunkReader(const ChunkContext& ctx, RangeBytes data, uint64_t offset)
      : ctx_(ctx), buffer_(std::move(data.buffer)), chunk_(data.bytes), chunk_offset_(offset) {
    const format::SchemaElement& e = *ctx_.element;
    physical_ = *e.type;
    width_ = static_cast<size_t>(e.type_length.value_or(0));
    codec_ = ctx_.chunk->meta_data->codec;
    TimeUnitScale(e, ctx_.type, &mul_, &div_);
  }

  Status Read(size_t rows, Column* out) override {
    while (rows > 0) {
      if (page_left_ == 0) K2_RETURN_IF_ERROR(NextDataPage());
      size_t k = std::min(rows, page_left_);
      K2_RETURN_IF_ERROR(Scatter(out, k));
      page_left_ -= k;
      rows -= k;
    }
    return OkStatus();
  }

  Status ReadRecords(size_t records, Column* dense, std::vector<uint8_t>* defs,
                     std::vector<uint8_t>* reps) override {
    size_t started = 0;
    while (true) {
      if (page_left_ == 0) {
        if (started == records && pos_ >= chunk_.size()) return OkStatus();
        K2_RETURN_IF_ERROR(NextDataPage(/*allow_end=*/started == records));
        if (page_left_ == 0) {
          if (pos_ >= chunk_.size() && started == records) return OkStatus();
          continue;  // an empty page (or the chunk's end, reported by NextDataPage)
        }
      }
      const uint8_t* r = reps_.empty() ? nullptr : reps_.data() + page_row_;
      size_t k = 0;
      while (k < page_left_) {
        if (r == nullptr || r[k] == 0) {
          if (started == records) break;
          ++started;
        } else if (started == 0) {
          return Corrupt("a record continues where a new record must start");
        }
        ++k;
      }
      if (defs_.empty()) {
        defs->insert(defs->end(), k, 0);
      } else {
        defs->insert(defs->end(), defs_.begin() + static_cast<std::ptrdiff_t>(page_row_),
                     defs_.begin() + static_cast<std::ptrdiff_t>(page_row_ + k));
      }
      if (r == nullptr) {
        reps->insert(reps->end(), k, 0);
      } else {
        reps->insert(reps->end(), r, r + k);
      }
      if (k > 0) K2_RETURN_IF_ERROR(Scatter(dense, k));
      page_left_ -= k;
      if (page_left_ > 0) return OkStatus();  // stopped at the next record's start
    }
  }

 private:
  std::unexpected<Error> Corrupt(std::string_view why) const {
    return MakeError(ErrorKind::kCorrupt, "{}: column {} page at byte offset {}: {}", ctx_.path,
                     ctx_.column, page_offset_, why);
  }

  /// Reads page headers until a data page is decoded into defs_/values_.
  Status NextDataPage(bool allow_end = false) {
    while (true) {
      if (pos_ >= chunk_.size()) {
        if (allow_end) return OkStatus();
        return MakeError(ErrorKind::kCorrupt,
                         "{}: column {} chunk at byte offset {} ended after {} of {} rows",
                         ctx_.path, ctx_.column, chunk_offset_, rows_seen_, ctx_.num_rows);
      }
      page_offset_ = chunk_offset_ + pos_;
      size_t consumed = 0;
      K2_ASSIGN_OR_RETURN(
          format::PageHeader h,
          format::ParsePageHeader(reinterpret_cast<const uint8_t*>(chunk_.data()) + pos_,
                                  chunk_.size() - pos_, ctx_.path, page_offset_, &consumed));
      pos_ += consumed;
      auto comp = static_cast<size_t>(h.compressed_page_size);
      if (comp > chunk_.size() - pos_) return Corrupt("page body extends past the column chunk");
      std::string_view body(chunk_.data() + pos_, comp);
      pos_ += comp;
      if (h.crc) {
        auto crc = static_cast<uint32_t>(
            crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
        if (crc != static_cast<uint32_t>(*h.crc)) return Corrupt("page CRC mismatch");
      }
      if (h.uncompressed_page_size > kMaxPageBytes) return Corrupt("page too large");
      switch (h.type) {
        case format::PageType::kDictionaryPage:
          K2_RETURN_IF_ERROR(DecodeDictionary(h, body));
          continue;
        case format::PageType::kDataPage:
          if (!h.data_page_header) return Corrupt("data page without its header");
          K2_RETURN_IF_ERROR(DecodeV1(h, body));
          return OkStatus();
        case format::PageType::kDataPageV2:
          if (!h.data_page_header_v2) return Corrupt("data page v2 without its header");
          K2_RETURN_IF_ERROR(DecodeV2(h, body));
          return OkStatus();
        default:
          continue;  // index pages and unknown pages are skipped
      }
    }
  }

  Status Decompressed(std::string_view body, size_t uncompressed, std::string* out) {
    if (codec_ == format::CompressionCodec::kUncompressed) {
      if (body.size() != uncompressed) return Corrupt("uncompressed page size mismatch");
      out->assign(body);
      return OkStatus();
    }
    if (uncompressed == 0) {
      out->clear();
      return OkStatus();
    }
    if (body.empty()) return Corrupt("empty compressed page");
    if (uncompressed > body.size() * 4096 + (1 << 20)) {
      return Corrupt("implausible compression ratio");
    }
    out->resize(uncompressed);
    auto st = Decompress(
        codec_, body, reinterpret_cast<uint8_t*>(out->data()), uncompressed,
        fmt::format("{}: column {} page at byte offset {}", ctx_.path, ctx_.column, page_offset_));
    return st;
  }

  Status DecodeDictionary(const format::PageHeader& h, std::string_view body) {
    if (!h.dictionary_page_header) return Corrupt("dictionary page without its header");
    if (have_dict_) return Corrupt("second dictionary page");
    int32_t n = h.dictionary_page_header->num_values;
    if (n < 0) return Corrupt("negative dictionary size");
    if (n > kMaxPageValues) return Corrupt("dictionary too large");
    auto enc = h.dictionary_page_header->encoding;
    if (enc != Encoding::kPlain && enc != Encoding::kPlainDictionary) {
      return Corrupt("dictionary page is not PLAIN");
    }
    K2_RETURN_IF_ERROR(
        Decompressed(body, static_cast<size_t>(h.uncompressed_page_size), &dict_buf_));
    const auto* d = reinterpret_cast<const uint8_t*>(dict_buf_.data());
    K2_RETURN_IF_ERROR(DecodePlain(d, dict_buf_.size(), static_cast<size_t>(n), &dict_));
    have_dict_ = true;
    return OkStatus();
  }

  Status CheckValues(int64_t n) {
    if (n < 0) return Corrupt("negative value count");
    if (n > kMaxPageValues) return Corrupt("page has too many values");
    if (ctx_.max_rep == 0 && rows_seen_ + n > ctx_.num_rows) {
      return Corrupt("more values than rows in the row group");
    }
    return OkStatus();
  }

  Status DecodeV1(const format::PageHeader& h, std::string_view body) {
    const auto& dp = *h.data_page_header;
    K2_RETURN_IF_ERROR(CheckValues(dp.num_values));
    auto n = static_cast<size_t>(dp.num_values);
    K2_RETURN_IF_ERROR(Decompressed(body, static_cast<size_t>(h.uncompressed_page_size), &page_));
    const auto* p = reinterpret_cast<const uint8_t*>(page_.data());
    size_t size = page_.size();
    size_t non_null = n;
    reps_.clear();
    if (ctx_.max_rep > 0) {
      if (dp.repetition_level_encoding != Encoding::kRle) {
        return Corrupt("unsupported repetition level encoding");
      }
      reps_.resize(n);
      int width = BitWidth(static_cast<uint64_t>(ctx_.max_rep));
      if (size < 4) return Corrupt("truncated repetition levels");
      uint32_t len;
      std::memcpy(&len, p, 4);
      if (len > size - 4) return Corrupt("repetition levels extend past the page");
      RleDecoder dec(p + 4, len, width);
      if (!dec.Get(reps_.data(), n)) return Corrupt("bad repetition levels");
      p += 4 + len;
      size -= 4 + len;
      K2_RETURN_IF_ERROR(CheckReps());
    }
    defs_.clear();
    if (ctx_.max_def > 0) {
      defs_.resize(n);
      int width = BitWidth(static_cast<uint64_t>(ctx_.max_def));
      if (dp.definition_level_encoding == Encoding::kRle) {
        if (size < 4) return Corrupt("truncated definition levels");
        uint32_t len;
        std::memcpy(&len, p, 4);
        if (len > size - 4) return Corrupt("definition levels extend past the page");
        RleDecoder dec(p + 4, len, width);
        if (!dec.Get(defs_.data(), n)) return Corrupt("bad definition levels");
        p += 4 + len;
        size -= 4 + len;
      } else if (dp.definition_level_encoding == Encoding::kBitPacked) {
        size_t bytes = (n * static_cast<size_t>(width) + 7) / 8;
        if (bytes > size) return Corrupt("truncated definition levels");
        for (size_t i = 0; i < n; ++i) {
          uint32_t v = 0;
          for (int b = 0; b < width; ++b) {
            size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
            v = (v << 1) | ((p[bit / 8] >> (7 - bit % 8)) & 1);
          }
          defs_[i] = static_cast<uint8_t>(v);
        }
        p += bytes;
        size -= bytes;
      } else {
        return Corrupt("unsupported definition level encoding");
      }
      non_null = 0;
      for (uint8_t d : defs_) {
        if (d > ctx_.max_def) return Corrupt("definition level above the maximum");
        non_null += d == ctx_.max_def;
      }
    }
    K2_RETURN_IF_ERROR(DecodeValues(dp.encoding, p, size, non_null));
    StartPage(n);
    return OkStatus();
  }

  Status DecodeV2(const format::PageHeader& h, std::string_view body) {
    const auto& dp = *h.data_page_header_v2;
    K2_RETURN_IF_ERROR(CheckValues(dp.num_values));
    auto n = static_cast<size_t>(dp.num_values);
    if (dp.definition_levels_byte_length < 0 || dp.repetition_levels_byte_length < 0) {
      return Corrupt("negative level lengths");
    }
    auto rep_len = static_cast<size_t>(dp.repetition_levels_byte_length);
    auto def_len = static_cast<size_t>(dp.definition_levels_byte_length);
    if (rep_len + def_len > body.size() ||
        rep_len + def_len > static_cast<size_t>(h.uncompressed_page_size)) {
      return Corrupt("levels extend past the page");
    }
    // A flat column has no repetition levels; some writers still emit bytes: skip them.
    reps_.clear();
    if (ctx_.max_rep > 0) {
      reps_.resize(n);
      RleDecoder dec(reinterpret_cast<const uint8_t*>(body.data()), rep_len,
                     BitWidth(static_cast<uint64_t>(ctx_.max_rep)));
      if (!dec.Get(reps_.data(), n)) return Corrupt("bad repetition levels");
      K2_RETURN_IF_ERROR(CheckReps());
    }
    levels_.assign(body.substr(rep_len, def_len));
    std::string_view values = body.substr(rep_len + def_len);
    size_t values_size = static_cast<size_t>(h.uncompressed_page_size) - rep_len - def_len;
    if (dp.is_compressed && codec_ != format::CompressionCodec::kUncompressed) {
      if (values.empty() && values_size == 0) {
        page_.clear();
      } else {
        K2_RETURN_IF_ERROR(Decompressed(values, values_size, &page_));
      }
    } else {
      if (values.size() != values_size) return Corrupt("page size mismatch");
      page_.assign(values);
    }
    size_t non_null = n;
    defs_.clear();
    if (ctx_.max_def > 0) {
      defs_.resize(n);
      int width = BitWidth(static_cast<uint64_t>(ctx_.max_def));
      RleDecoder dec(reinterpret_cast<const uint8_t*>(levels_.data()), levels_.size(), width);
      if (!dec.Get(defs_.data(), n)) return Corrupt("bad definition levels");
      non_null = 0;
      for (uint8_t d : defs_) {
        if (d > ctx_.max_def) return Corrupt("definition level above the maximum");
        non_null += d == ctx_.max_def;
      }
    }
    K2_RETURN_IF_ERROR(DecodeValues(dp.encoding, reinterpret_cast<const uint8_t*>(page_.data()),
                                    page_.size(), non_null));
    StartPage(n);
    return OkStatus();
  }

  Status CheckReps() const {
    for (uint8_t r : reps_) {
      if (r > ctx_.max_rep) return Corrupt("repetition level above the maximum");
    }
    return OkStatus();
  }

  void StartPage(size_t n) {
    page_left_ = n;
    page_row_ = 0;
    value_pos_ = 0;
    if (ctx_.max_rep == 0) {
      rows_seen_ += static_cast<int64_t>(n);
    } else {
      rows_seen_ += std::count(reps_.begin(), reps_.end(), uint8_t{0});
    }
  }

  static int BitWidth(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

  size_t FixedSize() const {
    if constexpr (std::is_same_v<P, Int96>) {
      return 12;
    } else if constexpr (kIsBytes<P>) {
      return width_;
    } else {
      return sizeof(P);
    }
  }

  Status DecodePlain(const uint8_t* p, size_t size, size_t n, std::vector<P>* out) {
    out->resize(n);
    if constexpr (std::is_same_v<P, uint8_t>) {
      if ((n + 7) / 8 > size) return Corrupt("truncated PLAIN booleans");
      for (size_t i = 0; i < n; ++i) (*out)[i] = (p[i / 8] >> (i % 8)) & 1;
    } else if constexpr (kIsBytes<P>) {
      if (physical_ == Type::kFixedLenByteArray) {
        if (width_ == 0 || n > size / width_) return Corrupt("truncated PLAIN fixed values");
        for (size_t i = 0; i < n; ++i) {
          (*out)[i] = std::string_view(reinterpret_cast<const char*>(p) + i * width_, width_);
        }
      } else {
        size_t pos = 0;
        for (size_t i = 0; i < n; ++i) {
          if (size - pos < 4) return Corrupt("truncated PLAIN byte array length");
          uint32_t len;
          std::memcpy(&len, p + pos, 4);
          pos += 4;
          if (len > size - pos) return Corrupt("PLAIN byte array extends past the page");
          (*out)[i] = std::string_view(reinterpret_cast<const char*>(p) + pos, len);
          pos += len;
        }
      }
    } else {
      if (n > size / sizeof(P)) return Corrupt("truncated PLAIN values");
      if (n > 0) std::memcpy(out->data(), p, n * sizeof(P));
    }
    return OkStatus();
  }

  Status DecodeValues(Encoding enc, const uint8_t* p, size_t size, size_t n) {
    switch (enc) {
      case Encoding::kPlain:
        return DecodePlain(p, size, n, &values_);
      case Encoding::kPlainDictionary:
      case Encoding::kRleDictionary: {
        if (!have_dict_) return Corrupt("dictionary-encoded page without a dictionary");
        values_.resize(n);
        if (n == 0) return OkStatus();
        if (size < 1) return Corrupt("missing dictionary index bit width");
        int width = p[0];
        if (width > 32) return Corrupt("bad dictionary index bit width");

        indices_.resize(n);
        RleDecoder dec(p + 1, size - 1, width);
        if (!dec.Get(indices_.data(), n)) return Corrupt("bad dictionary indices");
        for (size_t i = 0; i < n; ++i) {
          if (indices_[i] >= dict_.size()) return Corrupt("dictionary index out of range");
          values_[i] = dict_[indices_[i]];
        }
        return OkStatus();
      }
      case Encoding::kRle: {
        if constexpr (std::is_same_v<P, uint8_t>) {
          values_.resize(n);
          if (n == 0) return OkStatus();
          if (size < 4) return Corrupt("truncated RLE booleans");
          uint32_t len;
          std::memcpy(&len, p, 4);
          if (len > size - 4) return Corrupt("RLE booleans extend past the page");
          RleDecoder dec(p + 4, len, 1);
          if (!dec.Get(values_.data(), n)) return Corrupt("bad RLE booleans");
          return OkStatus();
        } else {
          return Corrupt("RLE encoding for a non-boolean column");
        }
      }
      case Encoding::kDeltaBinaryPacked: {
        if constexpr (std::is_same_v<P, int32_t> || std::is_same_v<P, int64_t>) {
          size_t consumed;
          if (!DeltaDecode<P>(p, size, n, &values_, &consumed) || values_.size() != n) {
            return Corrupt("bad DELTA_BINARY_PACKED data");
          }
          return OkStatus();
        } else {
          return Corrupt("DELTA_BINARY_PACKED for a non-integer column");
        }
      }
      case Encoding::kDeltaLengthByteArray: {
        if constexpr (kIsBytes<P>) {
          size_t consumed;
          if (!DeltaDecode<int32_t>(p, size, n, &lengths_, &consumed) || lengths_.size() != n) {
            return Corrupt("bad DELTA_LENGTH_BYTE_ARRAY lengths");
          }
          values_.resize(n);
          size_t pos = consumed;
          for (size_t i = 0; i < n; ++i) {
            if (lengths_[i] < 0 || static_cast<size_t>(lengths_[i]) > size - pos) {
              return Corrupt("DELTA_LENGTH_BYTE_ARRAY value extends past the page");
            }
            values_[i] = std::string_view(reinterpret_cast<const char*>(p) + pos,
                                          static_cast<size_t>(lengths_[i]));
            pos += static_cast<size_t>(lengths_[i]);
          }
          return OkStatus();
        } else {
          return Corrupt("DELTA_LENGTH_BYTE_ARRAY for a non-byte-array column");
        }
      }
      case Encoding::kDeltaByteArray: {
        if constexpr (kIsBytes<P>) {
          size_t c1, c2;
          if (!DeltaDecode<int32_t>(p, size, n, &prefixes_, &c1) || prefixes_.size() != n) {
            return Corrupt("bad DELTA_BYTE_ARRAY prefix lengths");
          }
          if (!DeltaDecode<int32_t>(p + c1, size - c1, n, &lengths_, &c2) || lengths_.size() != n) {
            return Corrupt("bad DELTA_BYTE_ARRAY suffix lengths");
          }
          size_t pos = c1 + c2;
          // First pass: sizes, so views into storage_ stay valid.
          size_t total = 0, prev = 0;
          for (size_t i = 0; i < n; ++i) {
            if (prefixes_[i] < 0 || lengths_[i] < 0 || static_cast<size_t>(prefixes_[i]) > prev) {
              return Corrupt("bad DELTA_BYTE_ARRAY prefix");
            }
            prev = static_cast<size_t>(prefixes_[i]) + static_cast<size_t>(lengths_[i]);
            total += prev;
            if (total > static_cast<size_t>(kMaxPageBytes)) {
              return Corrupt("DELTA_BYTE_ARRAY values too large");
            }
          }
          storage_.resize(total);
          values_.resize(n);
          size_t out = 0;
          std::string_view last;
          for (size_t i = 0; i < n; ++i) {
            auto pre = static_cast<size_t>(prefixes_[i]);
            auto suf = static_cast<size_t>(lengths_[i]);
            if (suf > size - pos) return Corrupt("DELTA_BYTE_ARRAY suffix extends past the page");
            char* dst = storage_.data() + out;
            if (pre > 0) std::memmove(dst, last.data(), pre);
            if (suf > 0) std::memcpy(dst + pre, p + pos, suf);
            pos += suf;
            last = std::string_view(dst, pre + suf);
            values_[i] = last;
            out += pre + suf;
          }
          return OkStatus();
        } else {
          return Corrupt("DELTA_BYTE_ARRAY for a non-byte-array column");
        }
      }
      case Encoding::kByteStreamSplit: {
        if constexpr (std::is_same_v<P, uint8_t> || std::is_same_v<P, Int96>) {
          return Corrupt("BYTE_STREAM_SPLIT for an unsupported type");
        } else {
          size_t w = FixedSize();
          if (w == 0) return Corrupt("BYTE_STREAM_SPLIT for a variable-width column");
          if (n > 0 && size / n < w) return Corrupt("truncated BYTE_STREAM_SPLIT data");
          if constexpr (kIsBytes<P>) {
            storage_.resize(n * w);
            if (!ByteStreamSplitDecode(p, size, n, w,
                                       reinterpret_cast<uint8_t*>(storage_.data()))) {
              return Corrupt("bad BYTE_STREAM_SPLIT data");
            }
            values_.resize(n);
            for (size_t i = 0; i < n; ++i)
              values_[i] = std::string_view(storage_.data() + i * w, w);
          } else {
            values_.resize(n);
            if (!ByteStreamSplitDecode(p, size, n, w, reinterpret_cast<uint8_t*>(values_.data()))) {
              return Corrupt("bad BYTE_STREAM_SPLIT data");
            }
          }
          return OkStatus();
        }
      }
      default:
        return MakeError(ErrorKind::kUnsupported,
                         "{}: column {} page at byte offset {}: encoding {}", ctx_.path,
                         ctx_.column, page_offset_, format::EncodingName(enc));
    }
  }

  /// Appends rows [page_row_, page_row_ + k) of the current page to `out`.
  Status Scatter(Column* out, size_t k) {
    const uint8_t* defs = defs_.empty() ? nullptr : defs_.data() + page_row_;
    auto max_def = static_cast<uint8_t>(ctx_.max_def);
    size_t present = k;
    if (defs != nullptr) {
      present = 0;
      for (size_t i = 0; i < k; ++i) present += defs[i] == max_def;
    }
    if (value_pos_ + present > values_.size()) return Corrupt("fewer values than levels");
    const P* vals = values_.data() + value_pos_;
    size_t base = out->length();
    size_t nulls = k - present;
    auto& validity = out->mutable_validity();
    if (nulls > 0 || !validity.empty()) {
      if (validity.empty()) validity.assign(base, 1);
      if (defs == nullptr) {
        validity.insert(validity.end(), k, 1);
      } else {
        for (size_t i = 0; i < k; ++i) validity.push_back(defs[i] == max_def);
      }
    }
    Status st = OkStatus();
    if constexpr (kIsBytes<P>) {
      st = ScatterBytes(out, defs, max_def, k, vals);
    } else {
      st = ScatterFixed(out, defs, max_def, k, vals);
    }
    if (!st) return st;
    out->SetLength(base + k, out->null_count() + nulls);
    value_pos_ += present;
    page_row_ += k;
    return OkStatus();
  }

  template <typename Out, typename F>
  static void Fill(Column* out, const uint8_t* defs, uint8_t max_def, size_t k, const P* vals,
                   F conv) {
    auto& data = out->mutable_data();
    size_t base = data.size();
    data.resize(base + k * sizeof(Out));
    auto* dst = reinterpret_cast<Out*>(data.data() + base);
    if (defs == nullptr) {
      for (size_t i = 0; i < k; ++i) dst[i] = conv(vals[i]);
    } else {
      size_t j = 0;
      for (size_t i = 0; i < k; ++i) dst[i] = defs[i] == max_def ? conv(vals[j++]) : Out{};
    }
  }

  Status ScatterFixed(Column* out, const uint8_t* defs, uint8_t max_def, size_t k, const P* vals) {
    const TypeId id = ctx_.type.id;
    if constexpr (std::is_same_v<P, uint8_t>) {
      Fill<uint8_t>(out, defs, max_def, k, vals, [](uint8_t v) { return v; });
    } else if constexpr (std::is_same_v<P, Int96>) {
      Fill<int64_t>(out, defs, max_def, k, vals, [](const Int96& v) { return Int96ToMicros(v); });
    } else if constexpr (std::is_same_v<P, float> || std::is_same_v<P, double>) {
      if (id == TypeId::kFloat) {
        Fill<float>(out, defs, max_def, k, vals, [](P v) { return static_cast<float>(v); });
      } else {
        Fill<double>(out, defs, max_def, k, vals, [](P v) { return static_cast<double>(v); });
      }
    } else {
      // int32 / int64 physical.
      if (id == TypeId::kDecimal) {
        if (ctx_.type.FixedWidth() == 8) {
          Fill<int64_t>(out, defs, max_def, k, vals, [](P v) { return static_cast<int64_t>(v); });
        } else {
          Fill<int128_t>(out, defs, max_def, k, vals, [](P v) { return static_cast<int128_t>(v); });
        }
      } else if (id == TypeId::kInt32 || id == TypeId::kDate) {
        Fill<int32_t>(out, defs, max_def, k, vals, [](P v) { return static_cast<int32_t>(v); });
      } else if (id == TypeId::kInt64 && std::is_same_v<P, int32_t>) {
        // UINT_32 widened.
        Fill<int64_t>(out, defs, max_def, k, vals,
                      [](P v) { return static_cast<int64_t>(static_cast<uint32_t>(v)); });
      } else {
        int64_t mul = mul_, div = div_;
        if (mul == 1 && div == 1) {
          Fill<int64_t>(out, defs, max_def, k, vals, [](P v) { return static_cast<int64_t>(v); });
        } else {
          Fill<int64_t>(out, defs, max_def, k, vals, [mul, div](P v) {
            auto x = static_cast<int64_t>(v);
            if (div != 1) {
              int64_t q = x / div;
              return (x % div != 0 && x < 0) ? q - 1 : q;
            }
            return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(mul));
          });
        }
      }
    }
    return OkStatus();
  }

  Status ScatterBytes(Column* out, const uint8_t* defs, uint8_t max_def, size_t k, const P* vals) {
    const TypeId id = ctx_.type.id;
    if (id == TypeId::kString || id == TypeId::kBinary) {
      auto& data = out->mutable_data();
      auto& offsets = out->mutable_offsets();
      size_t j = 0;
      for (size_t i = 0; i < k; ++i) {
        if (defs == nullptr || defs[i] == max_def) {
          std::string_view v = vals[j++];
          data.insert(data.end(), v.begin(), v.end());
        }
        if (data.size() > UINT32_MAX) return Corrupt("batch exceeds 4 GiB of byte array data");
        offsets.push_back(static_cast<uint32_t>(data.size()));
      }
      return OkStatus();
    }
    if (id == TypeId::kFixed || id == TypeId::kUuid) {
      auto w = static_cast<size_t>(ctx_.type.FixedWidth());
      auto& data = out->mutable_data();
      size_t j = 0;
      for (size_t i = 0; i < k; ++i) {
        if (defs == nullptr || defs[i] == max_def) {
          std::string_view v = vals[j++];
          if (v.size() != w) return Corrupt("fixed value of the wrong width");
          data.insert(data.end(), v.begin(), v.end());
        } else {
          data.insert(data.end(), w, 0);
        }
      }
      return OkStatus();
    }
    if (id == TypeId::kFloat) {  // float16
      bool bad = false;
      Fill<float>(out, defs, max_def, k, vals, [&bad](std::string_view v) {
        if (v.size() != 2) {
          bad = true;
          return 0.0f;
        }
        return HalfToFloat(
            static_cast<uint16_t>(static_cast<uint8_t>(v[0]) | (static_cast<uint8_t>(v[1]) << 8)));
      });
      if (bad) return Corrupt("float16 value of the wrong width");
      return OkStatus();
    }
    if (id == TypeId::kDecimal) {
      bool bad = false;
      auto conv = [&bad](std::string_view v) {
        int128_t d = 0;
        if (!BigEndianToInt128(v, &d)) bad = true;
        return d;
      };
      if (ctx_.type.FixedWidth() == 8) {
        Fill<int64_t>(out, defs, max_def, k, vals,
                      [&conv](std::string_view v) { return static_cast<int64_t>(conv(v)); });
      } else {
        Fill<int128_t>(out, defs, max_def, k, vals, conv);
      }
      if (bad) return Corrupt("decimal value wider than 16 bytes");
      return OkStatus();
    }
    return Corrupt("byte array column with a non-byte type");
  }

  ChunkContext ctx_;
  std::shared_ptr<const std::string> buffer_;  ///< holds chunk_'s bytes
  std::string_view chunk_;
  uint64_t chunk_offset_;
  size_t pos_ = 0;
  uint64_t page_offset_ = 0;
  Type physical_ = Type::kInt32;
  size_t width_ = 0;
  format::CompressionCodec codec_ = format::CompressionCodec::kUncompressed;
  int64_t mul_ = 1, div_ = 1;

  bool have_dict_ = false;
  std::string dict_buf_;
  std::vector<P> dict_;

  std::string page_;
  std::string levels_;
  std::string storage_;
  std::vector<uint8_t> defs_;
  std::vector<uint8_t> reps_;
  std::vector<P> values_;
  std::vector<uint32_t> indices_;
  std::vector<int32_t> lengths_, prefixes_;
  size_t page_left_ = 0;
  size_t page_row_ = 0;
  size_t value_pos_ = 0;
  int64_t rows_seen_ = 0;
};

/// The chunk's bytes in the file, checked against the file size.
Result<ByteRange> ChunkRange(const ChunkContext& ctx) {
  const format::ColumnMetaData& m = *ctx.chunk->meta_data;
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  int64_t len = m.total_compressed_size;
  if (start < 0 || len < 0 || static_cast<uint64_t>(start) > ctx.file_size ||
      static_cast<uint64_t>(len) > ctx.file_size - static_cast<uint64_t>(start)) {
    return MakeError(ErrorKind::kCorrupt,
                     "{}: column {} chunk at byte offset {} (+{} bytes) lies outside the file "
                     "({} bytes)",
                     ctx.path, ctx.column, start, len, ctx.file_size);
  }
  return ByteRange{static_cast<uint64_t>(start), static_cast<uint64_t>(len)};
}

template <typename P>
Result<std::unique_ptr<TypedChunkReader<P>>> MakeTyped(const ChunkContext& ctx, RangeBytes bytes) {
  K2_ASSIGN_OR_RETURN(ByteRange range, ChunkRange(ctx));
  if (bytes.bytes.size() != range.length) {
    return MakeError(ErrorKind::kInternal, "{}: column {}: {} bytes given for a {}-byte chunk",
                     ctx.path, ctx.column, bytes.bytes.size(), range.length);
  }
  return std::make_unique<TypedChunkReader<P>>(ctx, std::move(bytes), range.offset);
}

template <typename F>
auto DispatchPhysical(const ChunkContext& ctx, F f)
    -> decltype(f(ctx, static_cast<int32_t*>(nullptr))) {
  switch (*ctx.element->type) {
    case Type::kBoolean:
      return f(ctx, static_cast<uint8_t*>(nullptr));
    case Type::kInt32:
      return f(ctx, static_cast<int32_t*>(nullptr));
    case Type::kInt64:
      return f(ctx, static_cast<int64_t*>(nullptr));
    case Type::kInt96:
      return f(ctx, static_cast<Int96*>(nullptr));
    case Type::kFloat:
      return f(ctx, static_cast<float*>(nullptr));
    case Type::kDouble:
      return f(ctx, static_cast<double*>(nullptr));
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
      return f(ctx, static_cast<std::string_view*>(nullptr));
  }
  return MakeError(ErrorKind::kCorrupt, "{}: column {} has a bad physical type", ctx.path,
                   ctx.column);
}

Status CheckContext(const ChunkContext& ctx) {
  if (ctx.chunk->meta_data == std::nullopt) {
    return MakeError(ErrorKind::kUnsupported, "{}: column {} has no inline column metadata",
                     ctx.path, ctx.column);
  }
  if (ctx.chunk->file_path) {
    return MakeError(ErrorKind::kUnsupported, "{}: column {} lives in another file ({})", ctx.path,
                     ctx.column, *ctx.chunk->file_path);
  }
  if (ctx.chunk->meta_data->type != *ctx.element->type) {
    return MakeError(ErrorKind::kCorrupt, "{}: column {} chunk type differs from the schema",
                     ctx.path, ctx.column);
  }
  return OkStatus();
}

}  // namespace

Status ColumnChunkReader::ReadRecords(size_t records, Column* dense, std::vector<uint8_t>* defs,
                                      std::vector<uint8_t>* reps) {
  return MakeError(ErrorKind::kInternal, "ReadRecords on a reader without levels");
}

Result<ByteRange> ColumnChunkRange(const ChunkContext& ctx) {
  K2_RETURN_IF_ERROR(CheckContext(ctx));
  return ChunkRange(ctx);
}

Result<std::unique_ptr<ColumnChunkReader>> OpenColumnChunk(const ChunkContext& ctx,
                                                           RangeBytes bytes) {
  K2_RETURN_IF_ERROR(CheckContext(ctx));
  return DispatchPhysical(
      ctx, [&](const ChunkContext& c, auto* tag) -> Result<std::unique_ptr<ColumnChunkReader>> {
        using P = std::remove_pointer_t<decltype(tag)>;
        K2_ASSIGN_OR_RETURN(auto r, MakeTyped<P>(c, std::move(bytes)));
        return std::unique_ptr<ColumnChunkReader>(std::move(r));
      });
}

}  // namespace k2::parquet
