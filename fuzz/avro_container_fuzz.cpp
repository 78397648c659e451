// libFuzzer target: an Avro object-container file (header, schema JSON, codec,
// blocks) read record by record through avro::ContainerReader, as manifests
// and manifest lists are read. Any input gives records or an error of kind
// kCorrupt, kInvalidInput or kUnsupported: never a crash, hang or huge
// allocation.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "avro/container.h"
#include "fuzz_util.h"
#include "io/memory_file_io.h"

using k2::ErrorKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto reader =
      k2::avro::ContainerReader::Open(k2::NewMemoryInputFile("fuzz.avro", std::string(bytes)));
  if (!reader) {
    k2::fuzz::CheckKind(reader.error(),
                        {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    return 0;
  }
  k2::avro::Datum record;
  for (int i = 0; i < 100000; ++i) {
    auto more = (*reader)->Next(record);
    if (!more) {
      k2::fuzz::CheckKind(more.error(),
                          {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
      break;
    }
    if (!*more) break;
  }
  return 0;
}
