// libFuzzer target: k2's Thrift compact-protocol decoder alone
// (parquet/thrift_compact), without the Parquet file around it: a generic
// walk of a struct reading every value through its typed reader (nested
// structs, lists, sets, maps, binaries), then the two Parquet structs read
// through it (the footer's FileMetaData and a PageHeader). The first byte
// picks the entry point. Every bad input is kCorrupt.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "parquet/metadata.h"
#include "parquet/thrift_compact.h"

using k2::ErrorKind;
using k2::parquet::thrift::CType;

namespace {

k2::Status Value(k2::parquet::thrift::Reader& r, CType type, int depth);

/// The status of a read whose value is not needed.
template <typename T>
k2::Status Drop(const k2::Result<T>& r) {
  if (!r) return std::unexpected(r.error());
  return k2::OkStatus();
}

/// Reads a struct's fields until its stop byte (the reader limits nesting).
k2::Status Struct(k2::parquet::thrift::Reader& r, int depth) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  for (;;) {
    CType type;
    int16_t id;
    K2_RETURN_IF_ERROR(r.FieldHeader(&type, &id));
    if (type == CType::kStop) break;
    // Bool fields carry their value in the type; odd ids are skipped instead
    // of read, so both paths of the decoder run.
    if (type == CType::kTrue || type == CType::kFalse) continue;
    if (id % 2 != 0) {
      K2_RETURN_IF_ERROR(r.Skip(type));
    } else {
      K2_RETURN_IF_ERROR(Value(r, type, depth + 1));
    }
  }
  r.EndStruct();
  return k2::OkStatus();
}

k2::Status Value(k2::parquet::thrift::Reader& r, CType type, int depth) {
  if (depth > 40) return r.Corrupt("nested too deeply for the walk");
  switch (type) {
    case CType::kTrue:
    case CType::kFalse:  // a list's bool element: one byte, as a byte
    case CType::kByte:
      return Drop(r.I8());
    case CType::kI16:
    case CType::kI32:
      return Drop(r.I32());
    case CType::kI64:
      return Drop(r.I64());
    case CType::kDouble:
      return Drop(r.Double());
    case CType::kBinary:
      return Drop(r.Binary());
    case CType::kList:
    case CType::kSet: {
      CType elem;
      uint32_t n;
      K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
      for (uint32_t i = 0; i < n; ++i) K2_RETURN_IF_ERROR(Value(r, elem, depth + 1));
      return k2::OkStatus();
    }
    case CType::kStruct:
      return Struct(r, depth);
    default:
      return r.Skip(type);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t* body = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0: {
      k2::parquet::thrift::Reader r(body, n, "fuzz", 0);
      auto st = Struct(r, 0);
      if (!st) k2::fuzz::CheckKind(st.error(), {ErrorKind::kCorrupt});
      if (r.position() > n) __builtin_trap();
      break;
    }
    case 1: {
      auto meta = k2::parquet::format::ParseFileMetaData(body, n, "fuzz", 0);
      if (!meta) k2::fuzz::CheckKind(meta.error(), {ErrorKind::kCorrupt});
      break;
    }
    default: {
      size_t consumed = 0;
      auto header = k2::parquet::format::ParsePageHeader(body, n, "fuzz", 0, &consumed);
      if (!header) k2::fuzz::CheckKind(header.error(), {ErrorKind::kCorrupt});
      if (header && consumed > n) __builtin_trap();
      break;
    }
  }
  return 0;
}
