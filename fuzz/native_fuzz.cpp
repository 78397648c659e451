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

#include "warm/native_reader.h"
#include "warm_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::pair<std::string, std::string>> columns;
  auto header = k2::warm::ParseRowBinaryHeader(rest, &columns);
  if (!header || *header == 0 || columns.size() > 64) return 0;
  rest.remove_prefix(*header);
  k2::warm::ByteSource source = k2::fuzz::PieceSource(rest, data[0]);
  size_t batch_rows = 0;
  k2::warm::TypeMappingOptions options = k2::fuzz::OptionsFrom(data[1], &batch_rows);
  if (!k2::warm::NativeSupports(columns)) return 0;
  auto reader = k2::warm::NativeReader::Open(source, columns, batch_rows, options);
  if (!reader) {
    k2::fuzz::CheckNotInternal(reader.error());
    return 0;
  }
  k2::fuzz::DrainBatches(**reader, /*max_rows=*/0);
  return 0;
}
