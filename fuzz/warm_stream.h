#pragma once
/// What the ClickHouse stream targets share: the response body delivered in
/// pieces of random sizes (as curl's write callbacks deliver it), the reader
/// options from one input byte, and reading every batch under the contract.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "warm/row_binary.h"
#include "warm/type_mapping.h"

namespace k2::fuzz {

/// `bytes` as a warm::ByteSource in pieces drawn from `seed`.
inline warm::ByteSource PieceSource(std::string_view bytes, uint8_t seed) {
  auto pieces = std::make_shared<Pieces>(bytes, seed);
  return [pieces](std::string& buffer) -> Result<bool> {
    std::string_view piece = pieces->Next();
    if (piece.empty()) return false;
    buffer.append(piece);
    return true;
  };
}

/// Type-mapping options and a batch size from one input byte.
inline warm::TypeMappingOptions OptionsFrom(uint8_t byte, size_t* batch_rows) {
  warm::TypeMappingOptions options;
  options.uint64_as_decimal = (byte & 1) != 0;
  options.datetime64_nanos = (byte & 2) != 0;
  *batch_rows = 1 + (byte >> 2);
  return options;
}

/// Reads every batch (bounded): an error must have a documented kind, and no
/// batch may exceed `max_rows` (0: no bound; the Native reader hands over
/// whole blocks).
inline void DrainBatches(BatchReader& reader, size_t max_rows) {
  for (int i = 0; i < 100000; ++i) {
    auto batch = reader.Next();
    if (!batch) {
      CheckNotInternal(batch.error());
      return;
    }
    if (*batch == nullptr) return;
    if (max_rows > 0 && (*batch)->num_rows() > max_rows) __builtin_trap();
  }
}

}  // namespace k2::fuzz
