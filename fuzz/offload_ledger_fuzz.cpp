// libFuzzer target: the offload ledger as the offload, audit and expiry jobs
// read it from a table: the `k2.ledger` table property (JSON written by k2, but
// carried and editable by any engine) through jobs::OffloadLedger::ParseProperty,
// and whole table metadata (property plus the main ancestry's snapshot
// summaries) through OffloadLedger::FromMetadata; then the lookups the planner
// makes and a ToProperty round trip. The first byte picks the input: the
// property's text, or metadata JSON. A bad ledger is kCorrupt, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "iceberg/table_metadata.h"
#include "jobs/offload_ledger.h"

using k2::ErrorKind;

namespace {

void Walk(const k2::jobs::OffloadLedger& ledger) {
  for (const k2::jobs::WindowRecord& r : ledger.Newest(64)) {
    if (!ledger.Contains(r.window) || !ledger.Find(r.window)) __builtin_trap();
    (void)r.window.ToString();
    (void)k2::jobs::SummaryFor("t", r, false);
  }
  if (ledger.WatermarkUs().has_value() == ledger.empty()) __builtin_trap();
  // What k2 writes back must read back to the same windows.
  auto again = k2::jobs::OffloadLedger::ParseProperty(ledger.ToProperty());
  if (!again || !again->Covers(ledger) || !ledger.Covers(*again)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto ledger = k2::jobs::OffloadLedger::ParseProperty(text);
    if (!ledger) {
      k2::fuzz::CheckKind(ledger.error(), {ErrorKind::kCorrupt});
      return 0;
    }
    Walk(*ledger);
    return 0;
  }
  auto meta = k2::iceberg::TableMetadata::FromJson(text);
  if (!meta) {
    k2::fuzz::CheckKind(meta.error(),
                        {ErrorKind::kCorrupt, ErrorKind::kInvalidInput, ErrorKind::kUnsupported});
    return 0;
  }
  (void)k2::jobs::LedgerNeedsCarryOver(*meta);
  auto ledger = k2::jobs::OffloadLedger::FromMetadata(*meta);
  if (!ledger) {
    k2::fuzz::CheckKind(ledger.error(), {ErrorKind::kCorrupt});
    return 0;
  }
  Walk(*ledger);
  return 0;
}
