// libFuzzer target: a Parquet file's footer and every page of every flat
// column, through k2's reader. Any input must give a value or an error, never
// a crash, a hang or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "io/memory_file_io.h"
#include "parquet/file_reader.h"
#include "parquet/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Page headers alone (the other thrift entry point).
  size_t consumed = 0;
  (void)k2::parquet::format::ParsePageHeader(data, size, "fuzz", 0, &consumed);
  auto reader = k2::parquet::FileReader::Open(k2::NewMemoryInputFile(
      "fuzz.parquet", std::string(reinterpret_cast<const char*>(data), size)));
  if (!reader) {
    k2::fuzz::CheckKind(reader.error(), {k2::ErrorKind::kCorrupt, k2::ErrorKind::kInvalidInput,
                                         k2::ErrorKind::kUnsupported});
    return 0;
  }
  k2::parquet::ReadOptions options;
  for (size_t i = 0; i < (*reader)->schema().fields.size(); ++i) {
    if ((*reader)->element(i) != nullptr) options.columns.push_back(static_cast<int>(i));
  }
  options.batch_rows = 1024;
  auto batches = (*reader)->Read(options);
  if (!batches) {
    k2::fuzz::CheckKind(batches.error(), {k2::ErrorKind::kCorrupt, k2::ErrorKind::kInvalidInput,
                                          k2::ErrorKind::kUnsupported});
    return 0;
  }
  for (int i = 0; i < 10000; ++i) {
    auto b = (*batches)->Next();
    if (!b) {
      k2::fuzz::CheckKind(b.error(), {k2::ErrorKind::kCorrupt, k2::ErrorKind::kInvalidInput,
                                      k2::ErrorKind::kUnsupported});
      break;
    }
    if (*b == nullptr) break;
  }
  return 0;
}
