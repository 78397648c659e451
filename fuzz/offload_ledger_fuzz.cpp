// libFuzzer target: the offload ledger as the offload and audit jobs build it
// from a table's metadata: the main-branch ancestry's snapshot summaries
// (k2.window-start-us, k2.source-rows, ...) through
// jobs::OffloadLedger::FromAncestry, then the lookups the planner makes. The
// input is table metadata JSON; summaries written by other engines or edited
// by hand must give a ledger (bad values skipped), never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "iceberg/table_metadata.h"
#include "jobs/offload_ledger.h"

using k2::ErrorKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto meta = k2::iceberg::TableMetadata::FromJson(text);
  if (!meta) {
    k2::fuzz::CheckKind(meta.error(),
                        {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    return 0;
  }
  // As jobs/offload.cpp (AncestryOf) and jobs/audit.cpp gather it.
  std::vector<k2::jobs::AncestorSummary> ancestry;
  for (const k2::iceberg::Snapshot* s : meta->MainAncestry()) {
    ancestry.push_back({s->snapshot_id, s->summary, s->schema_id});
  }
  auto ledger = k2::jobs::OffloadLedger::FromAncestry(ancestry);
  auto watermark = ledger.WatermarkUs();
  for (const k2::jobs::WindowRecord* r : ledger.Newest(64)) {
    if (ledger.Find(r->window) != r) __builtin_trap();
    (void)r->window.ToString();
    (void)k2::jobs::SummaryFor("t", *r, false);
  }
  if (watermark && ledger.size() == 0) __builtin_trap();
  return 0;
}
