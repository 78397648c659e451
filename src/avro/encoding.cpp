#include "avro/encoding.h"

#include <cstring>

namespace k2::avro {

void Encoder::WriteLong(int64_t v) {
  uint64_t n = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (n >= 0x80) {
    buf_.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  buf_.push_back(static_cast<char>(n));
}

void Encoder::WriteFloat(float v) {
  char b[4];
  std::memcpy(b, &v, 4);
  buf_.append(b, 4);
}

void Encoder::WriteDouble(double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  buf_.append(b, 8);
}

void Encoder::WriteBytes(std::string_view v) {
  WriteLong(static_cast<int64_t>(v.size()));
  buf_.append(v);
}

Error Decoder::CorruptError(std::string_view what) const {
  return Error{ErrorKind::kCorrupt,
               fmt::format("{}: byte offset {}: {}", context_, base_ + pos_, what)};
}

Result<bool> Decoder::ReadBool() {
  if (pos_ >= data_.size()) return std::unexpected(CorruptError("truncated boolean"));
  uint8_t b = static_cast<uint8_t>(data_[pos_]);
  if (b > 1) return std::unexpected(CorruptError("boolean byte is not 0 or 1"));
  ++pos_;
  return b == 1;
}

Result<int64_t> Decoder::ReadLong() {
  uint64_t n = 0;
  int shift = 0;
  while (true) {
    if (pos_ >= data_.size()) return std::unexpected(CorruptError("truncated varint"));
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (shift >= 64 || (shift == 63 && (b & 0x7e) != 0)) {
      return std::unexpected(CorruptError("varint longer than 64 bits"));
    }
    n |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
}

Result<float> Decoder::ReadFloat() {
  if (remaining() < 4) return std::unexpected(CorruptError("truncated float"));
  float v;
  std::memcpy(&v, data_.data() + pos_, 4);
  pos_ += 4;
  return v;
}

Result<double> Decoder::ReadDouble() {
  if (remaining() < 8) return std::unexpected(CorruptError("truncated double"));
  double v;
  std::memcpy(&v, data_.data() + pos_, 8);
  pos_ += 8;
  return v;
}

Status Decoder::CountItems(uint64_t n) {
  if (n > data_.size() || items_ + n > data_.size()) {
    return std::unexpected(
        CorruptError(fmt::format("{} more items than the data's {} bytes hold", n, data_.size())));
  }
  items_ += n;
  return OkStatus();
}

Result<std::string_view> Decoder::ReadBytes() {
  K2_ASSIGN_OR_RETURN(int64_t n, ReadLong());
  if (n < 0) return std::unexpected(CorruptError("negative length"));
  return ReadFixed(static_cast<size_t>(n));
}

Result<std::string_view> Decoder::ReadFixed(size_t n) {
  if (remaining() < n) {
    return std::unexpected(
        CorruptError(fmt::format("length {} exceeds remaining {}", n, remaining())));
  }
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

Status Decoder::Skip(size_t n) {
  if (remaining() < n) return std::unexpected(CorruptError("truncated"));
  pos_ += n;
  return OkStatus();
}

}  // namespace k2::avro
