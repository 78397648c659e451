// libFuzzer target: a ClickHouse Native response body as the HTTP driver
// receives it: in pieces of random sizes, read through warm::NativeReader
// batch by batch. Input: [piece-size seed][options][columns][stream], where
// the expected columns (what DESCRIBE gave the driver) are spelled as a
// RowBinaryWithNamesAndTypes header: count, names, types. Any input gives
// batches or an error value (kCorrupt for bad bytes, kUnsupported for a
// type k2 cannot read; a ClickHouse exception keeps its code's kind).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_util.h"
#include "warm/native_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::pair<std::string, std::string>> columns;
  auto header = k2::warm::ParseRowBinaryHeader(rest, &columns);
  if (!header || *header == 0 || columns.size() > 64) return 0;
  rest.remove_prefix(*header);
  auto pieces = std::make_shared<k2::fuzz::Pieces>(rest, data[0]);
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
  if (!k2::warm::NativeSupports(columns)) return 0;
  auto reader = k2::warm::NativeReader::Open(source, columns, batch_rows, options);
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
  }
  return 0;
}
