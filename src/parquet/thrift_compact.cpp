#include "parquet/thrift_compact.h"

#include <cstring>

namespace k2::parquet::thrift {

namespace {
constexpr int kMaxDepth = 32;
constexpr size_t kMaxStructDepth = 64;
}  // namespace

std::unexpected<Error> Reader::Corrupt(std::string_view why) const {
  return MakeError(ErrorKind::kCorrupt, "{} at byte offset {}: {}", what_, base_ + pos_, why);
}

Result<uint8_t> Reader::Byte() {
  if (pos_ >= size_) return Corrupt("truncated thrift data");
  return data_[pos_++];
}

Result<uint64_t> Reader::Varint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= size_) return Corrupt("truncated varint");
    uint8_t b = data_[pos_++];
    if (shift == 63 && (b & 0x7E) != 0) return Corrupt("varint overflows 64 bits");
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return result;
  }
  return Corrupt("varint too long");
}

Status Reader::FieldHeader(CType* type, int16_t* id) {
  K2_ASSIGN_OR_RETURN(uint8_t b, Byte());
  if (b == 0) {
    *type = CType::kStop;
    *id = 0;
    return OkStatus();
  }
  uint8_t t = b & 0x0F;
  if (t > static_cast<uint8_t>(CType::kStruct)) return Corrupt("bad thrift field type");
  *type = static_cast<CType>(t);
  int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_id_ + delta);
  } else {
    K2_ASSIGN_OR_RETURN(uint64_t z, Varint());
    int64_t v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    if (v < INT16_MIN || v > INT16_MAX) return Corrupt("bad thrift field id");
    *id = static_cast<int16_t>(v);
  }
  last_id_ = *id;
  return OkStatus();
}

Status Reader::BeginStruct() {
  if (stack_.size() >= kMaxStructDepth) return Corrupt("thrift structs nested too deeply");
  stack_.push_back(last_id_);
  last_id_ = 0;
  return OkStatus();
}

void Reader::EndStruct() {
  if (stack_.empty()) return;
  last_id_ = stack_.back();
  stack_.pop_back();
}

Result<int32_t> Reader::I32() {
  K2_ASSIGN_OR_RETURN(uint64_t z, Varint());
  int64_t v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  if (v < INT32_MIN || v > INT32_MAX) return Corrupt("i32 out of range");
  return static_cast<int32_t>(v);
}

Result<int8_t> Reader::I8() {
  K2_ASSIGN_OR_RETURN(uint8_t b, Byte());
  return static_cast<int8_t>(b);
}

Result<int64_t> Reader::I64() {
  K2_ASSIGN_OR_RETURN(uint64_t z, Varint());
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

Result<std::string> Reader::Binary() {
  K2_ASSIGN_OR_RETURN(uint64_t n, Varint());
  if (n > size_ - pos_) return Corrupt("binary length exceeds the data");
  std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return s;
}

Result<double> Reader::Double() {
  if (size_ - pos_ < 8) return Corrupt("truncated double");
  double d;
  std::memcpy(&d, data_ + pos_, 8);
  pos_ += 8;
  return d;
}

Status Reader::ListHeader(CType* elem, uint32_t* size) {
  K2_ASSIGN_OR_RETURN(uint8_t b, Byte());
  uint8_t t = b & 0x0F;
  if (t > static_cast<uint8_t>(CType::kStruct)) return Corrupt("bad thrift list element type");
  *elem = static_cast<CType>(t);
  uint64_t n = b >> 4;
  if (n == 15) {
    K2_ASSIGN_OR_RETURN(n, Varint());
  }
  // Every element takes at least one byte (except an empty struct, which still
  // takes its stop byte), so a count above the remaining bytes is corrupt.
  if (n > size_ - pos_) return Corrupt("list size exceeds the data");
  *size = static_cast<uint32_t>(n);
  return OkStatus();
}

Status Reader::Skip(CType type, int depth) {
  if (depth > kMaxDepth) return Corrupt("thrift values nested too deeply");
  switch (type) {
    case CType::kStop:
      return Corrupt("unexpected stop");
    case CType::kTrue:
    case CType::kFalse:
      return OkStatus();
    case CType::kByte: {
      K2_RETURN_IF_ERROR(Byte());
      return OkStatus();
    }
    case CType::kI16:
    case CType::kI32:
    case CType::kI64: {
      K2_RETURN_IF_ERROR(Varint());
      return OkStatus();
    }
    case CType::kDouble: {
      K2_RETURN_IF_ERROR(Double());
      return OkStatus();
    }
    case CType::kBinary: {
      K2_ASSIGN_OR_RETURN(uint64_t n, Varint());
      if (n > size_ - pos_) return Corrupt("binary length exceeds the data");
      pos_ += n;
      return OkStatus();
    }
    case CType::kList:
    case CType::kSet: {
      CType elem;
      uint32_t n;
      K2_RETURN_IF_ERROR(ListHeader(&elem, &n));
      for (uint32_t i = 0; i < n; ++i) {
        if (elem == CType::kTrue || elem == CType::kFalse) {
          K2_RETURN_IF_ERROR(Byte());
        } else {
          K2_RETURN_IF_ERROR(Skip(elem, depth + 1));
        }
      }
      return OkStatus();
    }
    case CType::kMap: {
      K2_ASSIGN_OR_RETURN(uint64_t n, Varint());
      if (n == 0) return OkStatus();
      if (n > size_ - pos_) return Corrupt("map size exceeds the data");
      K2_ASSIGN_OR_RETURN(uint8_t kv, Byte());
      CType kt = static_cast<CType>(kv >> 4);
      CType vt = static_cast<CType>(kv & 0x0F);
      if ((kv >> 4) > 12 || (kv & 0x0F) > 12) return Corrupt("bad thrift map types");
      for (uint64_t i = 0; i < n; ++i) {
        K2_RETURN_IF_ERROR(Skip(kt, depth + 1));
        K2_RETURN_IF_ERROR(Skip(vt, depth + 1));
      }
      return OkStatus();
    }
    case CType::kStruct: {
      K2_RETURN_IF_ERROR(BeginStruct());
      while (true) {
        CType t;
        int16_t id;
        K2_RETURN_IF_ERROR(FieldHeader(&t, &id));
        if (t == CType::kStop) break;
        K2_RETURN_IF_ERROR(Skip(t, depth + 1));
      }
      EndStruct();
      return OkStatus();
    }
  }
  return Corrupt("bad thrift type");
}

}  // namespace k2::parquet::thrift
