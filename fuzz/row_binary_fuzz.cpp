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

#include "fuzz_util.h"
#include "warm/row_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  auto pieces = std::make_shared<k2::fuzz::Pieces>(
      std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), data[0]);
  k2::warm::ByteSource source = [pieces](std::string& buffer) -> k2::Result<bool> {
    std::string_view piece = pieces->Next();
    if (piece.empty()) return false;
    buffer.append(piece);
    return true;
  };
  k2::warm::TypeMappingOptions options;
  options.uint64_as_decimal = (data[1] & 1) != 0;
  options.datetime64_nanos = (data[1] & 2) != 0;
  size_t batch_rows = 1 + (data[1] >> 2);
  auto reader = k2::warm::RowBinaryReader::OpenWithHeader(source, batch_rows, options);
  if (!reader) {
    k2::fuzz::CheckNotInternal(reader.error());
    return 0;
  }
  for (int i = 0; i < 100000; ++i) {
    auto batch = (*reader)->Next();
    if (!batch) {
      k2::fuzz::CheckNotInternal(batch.error());
      break;
    }
    if (*batch == nullptr) break;
    if ((*batch)->num_rows() > batch_rows) __builtin_trap();
  }
  return 0;
}
