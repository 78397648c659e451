#include "parquet/compression.h"

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

namespace k2::parquet {

using format::CompressionCodec;

Compressor::Compressor(CompressionCodec codec, int level) : codec_(codec), level_(level) {
  if (codec_ == CompressionCodec::kZstd) zstd_ctx_ = ZSTD_createCCtx();
}

Compressor::~Compressor() {
  if (zstd_ctx_ != nullptr) ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_ctx_));
}

Status Compressor::Compress(std::string_view in, std::string* out) {
  switch (codec_) {
    case CompressionCodec::kUncompressed:
      out->assign(in);
      return OkStatus();
    case CompressionCodec::kZstd: {
      // resize_and_overwrite: the bound-sized buffer is not zero-filled first.
      size_t n = 0;
      out->resize_and_overwrite(ZSTD_compressBound(in.size()), [&](char* buf, size_t cap) {
        n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd_ctx_), buf, cap, in.data(), in.size(),
                              level_);
        return ZSTD_isError(n) ? 0 : n;
      });
      if (ZSTD_isError(n)) {
        return MakeError(ErrorKind::kInternal, "zstd compression failed: {}", ZSTD_getErrorName(n));
      }
      return OkStatus();
    }
    case CompressionCodec::kSnappy: {
      size_t n = snappy_max_compressed_length(in.size());
      out->resize(n);
      if (snappy_compress(in.data(), in.size(), out->data(), &n) != SNAPPY_OK) {
        return MakeError(ErrorKind::kInternal, "snappy compression failed");
      }
      out->resize(n);
      return OkStatus();
    }
    case CompressionCodec::kGzip: {
      z_stream zs{};
      int level = level_ <= 0 || level_ > 9 ? Z_DEFAULT_COMPRESSION : level_;
      if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return MakeError(ErrorKind::kInternal, "gzip init failed");
      }
      out->resize(deflateBound(&zs, in.size()) + 32);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = reinterpret_cast<Bytef*>(out->data());
      zs.avail_out = static_cast<uInt>(out->size());
      int rc = deflate(&zs, Z_FINISH);
      size_t n = zs.total_out;
      deflateEnd(&zs);
      if (rc != Z_STREAM_END) return MakeError(ErrorKind::kInternal, "gzip compression failed");
      out->resize(n);
      return OkStatus();
    }
    case CompressionCodec::kLz4Raw: {
      int bound = LZ4_compressBound(static_cast<int>(in.size()));
      out->resize(static_cast<size_t>(bound));
      int n = LZ4_compress_default(in.data(), out->data(), static_cast<int>(in.size()), bound);
      if (n <= 0) return MakeError(ErrorKind::kInternal, "lz4 compression failed");
      out->resize(static_cast<size_t>(n));
      return OkStatus();
    }
    default:
      return MakeError(ErrorKind::kUnsupported, "k2 does not write codec {}",
                       format::CodecName(codec_));
  }
}

namespace {

uint32_t LoadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Hadoop's Lz4Codec framing: blocks of [u32be uncompressed][u32be compressed][lz4 block].
bool TryHadoopLz4(std::string_view in, uint8_t* out, size_t size) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t left = in.size();
  size_t produced = 0;
  while (left > 0) {
    if (left < 8) return false;
    uint32_t raw = LoadBigEndian32(p);
    uint32_t comp = LoadBigEndian32(p + 4);
    p += 8;
    left -= 8;
    if (comp > left || raw > size - produced) return false;
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(p),
                                reinterpret_cast<char*>(out + produced), static_cast<int>(comp),
                                static_cast<int>(raw));
    if (n < 0 || static_cast<uint32_t>(n) != raw) return false;
    produced += raw;
    p += comp;
    left -= comp;
  }
  return produced == size;
}

}  // namespace

Status Decompress(CompressionCodec codec, std::string_view in, uint8_t* out,
                  size_t uncompressed_size, std::string_view what) {
  auto corrupt = [&](std::string_view why) {
    return MakeError(ErrorKind::kCorrupt, "{}: {} data is corrupt ({})", what,
                     format::CodecName(codec), why);
  };
  switch (codec) {
    case CompressionCodec::kUncompressed:
      if (in.size() != uncompressed_size) return corrupt("size mismatch");
      if (uncompressed_size > 0) std::memcpy(out, in.data(), uncompressed_size);
      return OkStatus();
    case CompressionCodec::kZstd: {
      size_t n = ZSTD_decompress(out, uncompressed_size, in.data(), in.size());
      if (ZSTD_isError(n)) return corrupt(ZSTD_getErrorName(n));
      if (n != uncompressed_size) return corrupt("size mismatch");
      return OkStatus();
    }
    case CompressionCodec::kSnappy: {
      size_t n = 0;
      if (snappy_uncompressed_length(in.data(), in.size(), &n) != SNAPPY_OK ||
          n != uncompressed_size) {
        return corrupt("bad length");
      }
      if (snappy_uncompress(in.data(), in.size(), reinterpret_cast<char*>(out), &n) != SNAPPY_OK) {
        return corrupt("bad data");
      }
      return OkStatus();
    }
    case CompressionCodec::kGzip: {
      z_stream zs{};
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return corrupt("init failed");
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = out;
      zs.avail_out = static_cast<uInt>(uncompressed_size);
      int rc;
      // Concatenated gzip members decode as one stream.
      while (true) {
        rc = inflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0) {
          if (inflateReset(&zs) != Z_OK) break;
          continue;
        }
        break;
      }
      size_t n = uncompressed_size - zs.avail_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && n == uncompressed_size)) {
        return corrupt("inflate failed");
      }
      if (n != uncompressed_size) return corrupt("size mismatch");
      return OkStatus();
    }
    case CompressionCodec::kLz4Raw:
    case CompressionCodec::kLz4: {
      if (codec == CompressionCodec::kLz4 && TryHadoopLz4(in, out, uncompressed_size)) {
        return OkStatus();
      }
      int n = LZ4_decompress_safe(in.data(), reinterpret_cast<char*>(out),
                                  static_cast<int>(in.size()), static_cast<int>(uncompressed_size));
      if (n < 0 || static_cast<size_t>(n) != uncompressed_size) return corrupt("bad block");
      return OkStatus();
    }
    default:
      return MakeError(ErrorKind::kUnsupported, "{}: codec {} is not supported", what,
                       format::CodecName(codec));
  }
}

}  // namespace k2::parquet
