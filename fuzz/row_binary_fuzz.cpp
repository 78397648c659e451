// libFuzzer target: a RowBinaryWithNamesAndTypes response body as the HTTP
// driver receives it: in pieces of random sizes (curl write callbacks), read
// through warm::RowBinaryReader::OpenWithHeader and Next() batch by batch.
// Input: [piece-size seed][options][stream]. The header's types are the
// fuzzer's too, so ClickHouse type parsing (warm/type_mapping) is covered.
// Any input gives batches or an error value (kCorrupt for bad bytes; a
// ClickHouse exception in the stream keeps the kind its code maps to).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "warm_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  k2::warm::ByteSource source = k2::fuzz::PieceSource(
      std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), data[0]);
  size_t batch_rows = 0;
  k2::warm::TypeMappingOptions options = k2::fuzz::OptionsFrom(data[1], &batch_rows);
  auto reader = k2::warm::RowBinaryReader::OpenWithHeader(source, batch_rows, options);
  if (!reader) {
    k2::fuzz::CheckNotInternal(reader.error());
    return 0;
  }
  k2::fuzz::DrainBatches(**reader, batch_rows);
  return 0;
}
