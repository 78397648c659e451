// libFuzzer target: the k2.yaml loader (common/config ParseConfig, what
// LoadConfig runs on the file's text), and the duration and size parsers it
// applies to values. Any text gives a Config or kInvalidInput naming the key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config.h"
#include "fuzz_util.h"

using k2::ErrorKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = k2::ParseConfig(text, "/nonexistent/k2.yaml");
  if (!config) k2::fuzz::CheckKind(config.error(), {ErrorKind::kInvalidInput});
  if (size < 64) {
    auto d = k2::ParseDurationSeconds(text);
    if (!d) k2::fuzz::CheckKind(d.error(), {ErrorKind::kInvalidInput});
    auto b = k2::ParseByteSize(text);
    if (!b) k2::fuzz::CheckKind(b.error(), {ErrorKind::kInvalidInput});
    (void)k2::RedactUri(text);
  }
  return 0;
}
