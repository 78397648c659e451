#include "jobs/offload_plan.h"

#include <algorithm>

namespace k2::jobs {

const char* PlanReasonName(PlanReason reason) {
  switch (reason) {
    case PlanReason::kNew:
      return "new";
    case PlanReason::kLateRows:
      return "late_rows";
    case PlanReason::kChangedRows:
      return "changed_rows";
    case PlanReason::kForced:
      return "forced";
  }
  return "?";
}

std::vector<PlannedWindow> PlanCatchUp(const CatchUpInput& in) {
  std::vector<PlannedWindow> plan;
  for (const WarmCheck& c : in.checks) {
    const WindowRecord& r = c.record;
    if (!r.detailed()) continue;
    if (c.warm_rows == 0 && r.source_rows > 0 && c.warm_expired) continue;  // only cold has it
    if (c.warm_rows != r.source_rows) {
      plan.push_back({r.window, true, false, PlanReason::kLateRows,
                      fmt::format("warm has {} rows, {} were committed", c.warm_rows,
                                  r.source_rows)});
    } else if (c.checksum_comparable && c.warm_checksum != r.source_checksum) {
      plan.push_back({r.window, true, false, PlanReason::kChangedRows,
                      "the warm checksum differs from the committed one"});
    }
  }
  std::sort(plan.begin(), plan.end(),
            [](const PlannedWindow& a, const PlannedWindow& b) { return a.window < b.window; });
  std::optional<int64_t> from = in.ledger->WatermarkUs();
  if (!from) from = in.oldest_warm_us;
  if (from) {
    for (const Window& w : DueWindows(*from, in.now_us, in.window_s, in.settle_s, in.max_windows)) {
      if (!in.ledger->Contains(w)) plan.push_back({w, false, false, PlanReason::kNew, ""});
    }
  }
  return plan;
}

Result<std::vector<PlannedWindow>> PlanExplicit(const OffloadLedger& ledger, const Window& first,
                                                const Window& last, int64_t window_s, bool replace,
                                                int64_t now_us, int64_t settle_s) {
  std::vector<PlannedWindow> plan;
  for (Window w = first; w.start_us <= last.start_us;
       w = {w.end_us, w.end_us + window_s * kMicrosPerSecond}) {
    if (w.end_us + settle_s * kMicrosPerSecond > now_us) {
      return MakeError(ErrorKind::kInvalidInput, "window {} has not closed (plus the {}s settle delay)",
                       w.ToString(), settle_s);
    }
    bool committed = ledger.Contains(w);
    if (committed && !replace) {
      plan.push_back({w, false, true, PlanReason::kNew, "already committed"});
      continue;
    }
    plan.push_back({w, committed, false, committed ? PlanReason::kForced : PlanReason::kNew,
                    committed ? "--replace" : ""});
  }
  return plan;
}

}  // namespace k2::jobs
