#include "avro/container.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <random>

namespace k2::avro {

namespace {

constexpr char kMagic[4] = {'O', 'b', 'j', 1};
constexpr size_t kMaxBlockBytes = size_t{512} << 20;

std::string CodecName(Codec c) {
  switch (c) {
    case Codec::kNull:
      return "null";
    case Codec::kDeflate:
      return "deflate";
    case Codec::kSnappy:
      return "snappy";
    case Codec::kZstd:
      return "zstandard";
  }
  return "null";
}

Result<std::string> Inflate(std::string_view data, const std::string& context) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return MakeError(ErrorKind::kInternal, "inflateInit2");
  std::string out;
  out.resize(std::max<size_t>(data.size() * 4, 1024));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= kMaxBlockBytes) {
        inflateEnd(&zs);
        return MakeError(ErrorKind::kCorrupt, "{}: deflate block inflates beyond {} bytes", context,
                         kMaxBlockBytes);
      }
      out.resize(out.size() * 2);
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // raw stream without end marker
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      return MakeError(ErrorKind::kCorrupt, "{}: bad deflate block ({})", context, rc);
    }
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

Result<std::string> Deflate(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return MakeError(ErrorKind::kInternal, "deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()) + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return MakeError(ErrorKind::kInternal, "deflate failed ({})", rc);
  out.resize(zs.total_out);
  return out;
}

std::string RandomSync() {
  std::random_device rd;
  std::string s(16, '\0');
  for (auto& c : s) c = static_cast<char>(rd() & 0xff);
  return s;
}

}  // namespace

Result<std::string> CompressBlock(Codec codec, std::string_view data) {
  switch (codec) {
    case Codec::kNull:
      return std::string(data);
    case Codec::kDeflate:
      return Deflate(data);
    case Codec::kSnappy: {
      size_t n = snappy_max_compressed_length(data.size());
      std::string out(n + 4, '\0');
      if (snappy_compress(data.data(), data.size(), out.data(), &n) != SNAPPY_OK) {
        return MakeError(ErrorKind::kInternal, "snappy_compress failed");
      }
      uint32_t crc = static_cast<uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
      out[n] = static_cast<char>(crc >> 24);
      out[n + 1] = static_cast<char>(crc >> 16);
      out[n + 2] = static_cast<char>(crc >> 8);
      out[n + 3] = static_cast<char>(crc);
      out.resize(n + 4);
      return out;
    }
    case Codec::kZstd: {
      std::string out(ZSTD_compressBound(data.size()), '\0');
      size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
      if (ZSTD_isError(n)) return MakeError(ErrorKind::kInternal, "zstd compress failed");
      out.resize(n);
      return out;
    }
  }
  return MakeError(ErrorKind::kInternal, "unknown codec");
}

Result<std::string> DecompressBlock(Codec codec, std::string_view data,
                                    const std::string& context) {
  switch (codec) {
    case Codec::kNull:
      return std::string(data);
    case Codec::kDeflate:
      return Inflate(data, context);
    case Codec::kSnappy: {
      if (data.size() < 4)
        return MakeError(ErrorKind::kCorrupt, "{}: snappy block too short", context);
      size_t n = 0;
      if (snappy_uncompressed_length(data.data(), data.size() - 4, &n) != SNAPPY_OK ||
          n > kMaxBlockBytes) {
        return MakeError(ErrorKind::kCorrupt, "{}: bad snappy block header", context);
      }
      std::string out(n, '\0');
      if (snappy_uncompress(data.data(), data.size() - 4, out.data(), &n) != SNAPPY_OK) {
        return MakeError(ErrorKind::kCorrupt, "{}: bad snappy block", context);
      }
      out.resize(n);
      const auto* c = reinterpret_cast<const uint8_t*>(data.data() + data.size() - 4);
      uint32_t want =
          (uint32_t{c[0]} << 24) | (uint32_t{c[1]} << 16) | (uint32_t{c[2]} << 8) | c[3];
      uint32_t got = static_cast<uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
      if (want != got)
        return MakeError(ErrorKind::kCorrupt, "{}: snappy block CRC mismatch", context);
      return out;
    }
    case Codec::kZstd: {
      ZSTD_DStream* ds = ZSTD_createDStream();
      ZSTD_initDStream(ds);
      std::string out;
      ZSTD_inBuffer in{data.data(), data.size(), 0};
      char buf[1 << 16];
      while (in.pos < in.size) {
        ZSTD_outBuffer ob{buf, sizeof(buf), 0};
        size_t rc = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(rc)) {
          ZSTD_freeDStream(ds);
          return MakeError(ErrorKind::kCorrupt, "{}: bad zstd block: {}", context,
                           ZSTD_getErrorName(rc));
        }
        out.append(buf, ob.pos);
        if (out.size() > kMaxBlockBytes) {
          ZSTD_freeDStream(ds);
          return MakeError(ErrorKind::kCorrupt, "{}: zstd block too large", context);
        }
        if (rc == 0 && in.pos == in.size) break;
        if (ob.pos == 0 && rc != 0 && in.pos == in.size) break;
      }
      ZSTD_freeDStream(ds);
      return out;
    }
  }
  return MakeError(ErrorKind::kInternal, "unknown codec");
}

Result<std::unique_ptr<ContainerWriter>> ContainerWriter::Open(
    std::unique_ptr<OutputFile> file, const std::string& schema_json,
    const std::map<std::string, std::string>& metadata, Codec codec, size_t block_bytes) {
  std::unique_ptr<ContainerWriter> w(new ContainerWriter());
  K2_ASSIGN_OR_RETURN(w->schema_, ParseSchema(schema_json));
  w->file_ = std::move(file);
  w->codec_ = codec;
  w->block_bytes_ = block_bytes;
  w->sync_ = RandomSync();
  Encoder header;
  header.WriteFixed(std::string_view(kMagic, 4));
  std::map<std::string, std::string> meta = metadata;
  meta["avro.schema"] = schema_json;
  meta["avro.codec"] = CodecName(codec);
  header.WriteLong(static_cast<int64_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    header.WriteBytes(k);
    header.WriteBytes(v);
  }
  header.WriteLong(0);
  header.WriteFixed(w->sync_);
  K2_RETURN_IF_ERROR(w->file_->Write(header.buffer()));
  return w;
}

Status ContainerWriter::Append(const Datum& record) {
  K2_RETURN_IF_ERROR(EncodeDatum(*schema_, record, block_));
  ++block_count_;
  if (block_.buffer().size() >= block_bytes_) return FlushBlock();
  return OkStatus();
}

Status ContainerWriter::FlushBlock() {
  if (block_count_ == 0) return OkStatus();
  K2_ASSIGN_OR_RETURN(std::string compressed, CompressBlock(codec_, block_.buffer()));
  Encoder head;
  head.WriteLong(block_count_);
  head.WriteLong(static_cast<int64_t>(compressed.size()));
  K2_RETURN_IF_ERROR(file_->Write(head.buffer()));
  K2_RETURN_IF_ERROR(file_->Write(compressed));
  K2_RETURN_IF_ERROR(file_->Write(sync_));
  block_.Clear();
  block_count_ = 0;
  return OkStatus();
}

Result<uint64_t> ContainerWriter::Finish() {
  K2_RETURN_IF_ERROR(FlushBlock());
  uint64_t length = file_->Position();
  K2_RETURN_IF_ERROR(file_->Finish());
  return length;
}

void ContainerWriter::Abort() {
  if (file_) file_->Abort();
}

Result<std::unique_ptr<ContainerReader>> ContainerReader::Open(std::unique_ptr<InputFile> file) {
  std::unique_ptr<ContainerReader> r(new ContainerReader());
  r->file_ = std::move(file);
  const std::string path = r->file_->path();
  K2_ASSIGN_OR_RETURN(r->size_, r->file_->Size());
  // The header holds the schema JSON; read a growing prefix until it parses.
  size_t want = std::min<uint64_t>(r->size_, 64 * 1024);
  while (true) {
    std::string head(want, '\0');
    K2_RETURN_IF_ERROR(r->file_->ReadAt(0, want, reinterpret_cast<uint8_t*>(head.data())));
    Decoder d(head, path);
    auto parse = [&]() -> Status {
      K2_ASSIGN_OR_RETURN(std::string_view magic, d.ReadFixed(4));
      if (magic != std::string_view(kMagic, 4)) {
        return MakeError(ErrorKind::kCorrupt, "{}: byte offset 0: not an Avro container file",
                         path);
      }
      r->metadata_.clear();
      while (true) {
        K2_ASSIGN_OR_RETURN(int64_t count, d.ReadLong());
        if (count == 0) break;
        if (count == INT64_MIN) {
          return MakeError(ErrorKind::kCorrupt, "{}: byte offset {}: bad metadata count", path,
                           d.position());
        }
        if (count < 0) {
          count = -count;
          K2_RETURN_IF_ERROR(d.ReadLong());
        }
        for (int64_t i = 0; i < count; ++i) {
          K2_ASSIGN_OR_RETURN(std::string_view k, d.ReadBytes());
          K2_ASSIGN_OR_RETURN(std::string_view v, d.ReadBytes());
          r->metadata_[std::string(k)] = std::string(v);
        }
      }
      K2_ASSIGN_OR_RETURN(std::string_view sync, d.ReadFixed(16));
      r->sync_.assign(sync);
      r->offset_ = d.position();
      return OkStatus();
    };
    auto st = parse();
    if (st) break;
    if (want >= r->size_ || want >= (size_t{64} << 20)) return std::unexpected(st.error());
    want = std::min<uint64_t>(r->size_, want * 4);
  }
  auto it = r->metadata_.find("avro.schema");
  if (it == r->metadata_.end()) {
    return MakeError(ErrorKind::kCorrupt, "{}: Avro header has no avro.schema", path);
  }
  auto schema = ParseSchema(it->second);
  if (!schema) {
    return MakeError(ErrorKind::kCorrupt, "{}: bad avro.schema: {}", path, schema.error().message);
  }
  r->schema_ = *schema;
  std::string codec = r->Meta("avro.codec");
  if (codec.empty() || codec == "null")
    r->codec_ = Codec::kNull;
  else if (codec == "deflate")
    r->codec_ = Codec::kDeflate;
  else if (codec == "snappy")
    r->codec_ = Codec::kSnappy;
  else if (codec == "zstandard")
    r->codec_ = Codec::kZstd;
  else
    return MakeError(ErrorKind::kUnsupported, "{}: Avro codec '{}'", path, codec);
  return r;
}

std::string ContainerReader::Meta(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? std::string() : it->second;
}

Status ContainerReader::LoadBlock() {
  const std::string& path = file_->path();
  size_t head_len = static_cast<size_t>(std::min<uint64_t>(20, size_ - offset_));
  std::string head(head_len, '\0');
  K2_RETURN_IF_ERROR(file_->ReadAt(offset_, head_len, reinterpret_cast<uint8_t*>(head.data())));
  Decoder d(head, path, offset_);
  K2_ASSIGN_OR_RETURN(int64_t count, d.ReadLong());
  K2_ASSIGN_OR_RETURN(int64_t bytes, d.ReadLong());
  if (count < 0 || bytes < 0 || static_cast<uint64_t>(bytes) > size_ - offset_ - d.position() ||
      static_cast<uint64_t>(bytes) > kMaxBlockBytes) {
    return MakeError(ErrorKind::kCorrupt,
                     "{}: byte offset {}: bad block header (count {}, size {})", path, offset_,
                     count, bytes);
  }
  uint64_t data_at = offset_ + d.position();
  if (data_at + bytes + 16 > size_) {
    return MakeError(ErrorKind::kCorrupt, "{}: byte offset {}: block truncated", path, offset_);
  }
  std::string raw(bytes + 16, '\0');
  K2_RETURN_IF_ERROR(file_->ReadAt(data_at, raw.size(), reinterpret_cast<uint8_t*>(raw.data())));
  if (std::string_view(raw).substr(bytes) != sync_) {
    return MakeError(ErrorKind::kCorrupt, "{}: byte offset {}: sync marker mismatch", path,
                     data_at + bytes);
  }
  raw.resize(bytes);
  K2_ASSIGN_OR_RETURN(block_, DecompressBlock(codec_, raw, fmt::format("{}@{}", path, data_at)));
  block_offset_ = data_at;
  block_remaining_ = count;
  offset_ = data_at + bytes + 16;
  decoder_ = std::make_unique<Decoder>(block_, fmt::format("{} (block at {})", path, data_at), 0);
  return OkStatus();
}

Result<bool> ContainerReader::Next(Datum& out) {
  while (block_remaining_ == 0) {
    if (offset_ >= size_) return false;
    K2_RETURN_IF_ERROR(LoadBlock());
  }
  K2_ASSIGN_OR_RETURN(out, DecodeDatum(*schema_, *decoder_));
  --block_remaining_;
  return true;
}

}  // namespace k2::avro
