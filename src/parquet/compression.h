#pragma once
/// Page compression codecs (zstd, snappy, gzip, lz4 raw and Hadoop-framed
/// lz4 for reading). One Compressor per column writer keeps the codec context
/// alive across pages.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "parquet/metadata.h"

namespace k2::parquet {

/// Compresses pages with one codec. Not thread-safe; one per column chunk writer.
class Compressor {
 public:
  Compressor(format::CompressionCodec codec, int level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  /// Replaces `out` with the compressed form of `in`. kInternal if the codec fails.
  Status Compress(std::string_view in, std::string* out);

 private:
  format::CompressionCodec codec_;
  int level_;
  void* zstd_ctx_ = nullptr;
};

/// Decompresses `in` into exactly `uncompressed_size` bytes at `out`.
/// kCorrupt (naming `what`) if the data is malformed or has another size;
/// kUnsupported for LZO/BROTLI.
Status Decompress(format::CompressionCodec codec, std::string_view in, uint8_t* out,
                  size_t uncompressed_size, std::string_view what);

}  // namespace k2::parquet
