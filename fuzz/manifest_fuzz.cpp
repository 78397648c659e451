// libFuzzer target: Iceberg manifest lists and manifests through the entry
// points scan planning and the maintenance jobs use (iceberg::ReadManifestList,
// ReadManifest, ReadManifestMetadata). The first byte picks the reader and,
// for a manifest, the inherited snapshot id / sequence numbers (v1 or v2 list
// entry); the rest is the Avro file. A bad file is an error of kind kCorrupt,
// kInvalidInput or kUnsupported.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "iceberg/manifest/manifest_list.h"
#include "iceberg/manifest/manifest_reader.h"
#include "io/memory_file_io.h"

using k2::ErrorKind;

namespace {

void Check(const k2::Error& e) {
  k2::fuzz::CheckKind(e, {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string path = "s3://bucket/t/metadata/fuzz.avro";
  auto memory = k2::NewMemoryFileIO();
  if (!memory->WriteAll(path, bytes)) __builtin_trap();
  k2::FileIO& io = *memory;
  switch (mode % 3) {
    case 0: {
      auto list = k2::iceberg::ReadManifestList(io, path);
      if (!list) Check(list.error());
      break;
    }
    case 1: {
      k2::iceberg::ManifestFile m;
      m.manifest_path = path;
      m.manifest_length = static_cast<int64_t>(bytes.size());
      m.v1 = (mode & 4) != 0;
      m.added_snapshot_id = 42;
      m.sequence_number = (mode & 8) ? 7 : 0;
      m.min_sequence_number = m.sequence_number;
      m.content = (mode & 16) ? k2::iceberg::ManifestContent::kDeletes
                              : k2::iceberg::ManifestContent::kData;
      auto entries = k2::iceberg::ReadManifest(io, m);
      if (!entries) Check(entries.error());
      break;
    }
    default: {
      auto meta = k2::iceberg::ReadManifestMetadata(io, path);
      if (!meta) Check(meta.error());
      break;
    }
  }
  return 0;
}
