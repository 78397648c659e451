// libFuzzer target: an Iceberg table metadata file through
// iceberg::TableMetadata::FromFileBytes, the entry point every table load uses
// (plain JSON, or gzip for .gz.metadata.json / gzip magic). The first byte
// picks the mode: the rest as a plain .metadata.json, as raw bytes of a
// .gz.metadata.json, or gzipped here first (so the JSON behind gzip is fuzzed
// too). A parsed table is walked as a scan and the offload ledger walk it,
// and what k2 would write back must parse again. A bad file is an error of
// kind kCorrupt, kInvalidInput or kUnsupported.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "iceberg/table_metadata.h"

using k2::ErrorKind;

namespace {

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0] % 3;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string gzipped;
  if (mode == 2) gzipped = Gzip(rest);
  std::string_view bytes = mode == 2 ? std::string_view(gzipped) : rest;
  std::string path = mode == 0 ? "s3://b/t/metadata/00001-x.metadata.json"
                               : "s3://b/t/metadata/00001-x.gz.metadata.json";
  auto meta = k2::iceberg::TableMetadata::FromFileBytes(bytes, path);
  if (!meta) {
    k2::fuzz::CheckKind(meta.error(),
                        {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    return 0;
  }
  const auto& m = *meta;
  (void)m.CurrentSchema();
  (void)m.DefaultSpec();
  (void)m.DefaultSortOrder();
  (void)m.CurrentSnapshot();
  for (const auto* s : m.MainAncestry()) (void)m.SnapshotAsOf(s->timestamp_ms);
  (void)m.PropertyAsInt("commit.retry.num-retries", 4);
  // What a commit writes (Table::Commit gives a v1 table without a uuid one).
  k2::iceberg::TableMetadata next = m;
  if (next.table_uuid.empty()) next.table_uuid = "00000000-0000-4000-8000-000000000000";
  std::string written = next.ToJson();
  auto again = k2::iceberg::TableMetadata::FromJson(written);
  if (!again) {
    std::fprintf(stderr, "k2 cannot read back what it would write: %s\n",
                 again.error().ToString().c_str());
    std::abort();
  }
  return 0;
}
