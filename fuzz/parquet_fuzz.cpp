// libFuzzer target: a Parquet file's footer and every page of every flat
// column, through k2's reader. Any input must give a value or an error, never
// a crash, a hang or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "io/file_io.h"
#include "parquet/file_reader.h"
#include "parquet/metadata.h"

namespace {

/// An InputFile over the fuzzer's bytes.
class MemoryInput final : public k2::InputFile {
 public:
  MemoryInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const std::string& path() const override { return path_; }
  k2::Result<uint64_t> Size() override { return size_; }
  k2::Status ReadAt(uint64_t offset, size_t length, uint8_t* out) override {
    if (offset > size_ || length > size_ - offset) {
      return k2::MakeError(k2::ErrorKind::kCorrupt, "read past the end at {}", offset);
    }
    if (length > 0) std::memcpy(out, data_ + offset, length);
    return k2::OkStatus();
  }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string path_ = "fuzz.parquet";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Page headers alone (the other thrift entry point).
  size_t consumed = 0;
  (void)k2::parquet::format::ParsePageHeader(data, size, "fuzz", 0, &consumed);
  auto reader = k2::parquet::FileReader::Open(std::make_unique<MemoryInput>(data, size));
  if (!reader) return 0;
  k2::parquet::ReadOptions options;
  for (size_t i = 0; i < (*reader)->schema().fields.size(); ++i) {
    if ((*reader)->element(i) != nullptr) options.columns.push_back(static_cast<int>(i));
  }
  options.batch_rows = 1024;
  auto batches = (*reader)->Read(options);
  if (!batches) return 0;
  for (int i = 0; i < 10000; ++i) {
    auto b = (*batches)->Next();
    if (!b || *b == nullptr) break;
  }
  return 0;
}
