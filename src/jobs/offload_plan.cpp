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
      plan.push_back(
          {r.window, true, false, PlanReason::kLateRows,
           fmt::format("warm has {} rows, {} were committed", c.warm_rows, r.source_rows)});
    } else if (c.checksum_comparable && c.warm_checksum != r.source_checksum) {
      plan.push_back({r.window, true, false, PlanReason::kChangedRows,
                      "the warm checksum differs from the committed one"});
    }
  }
  std::sort(plan.begin(), plan.end(),
            [](const PlannedWindow& a, const PlannedWindow& b) { return a.window < b.window; });
  // Gaps between committed ranges first (an explicit --window ahead of the
  // watermark leaves one), then every closed window after the watermark.
  size_t budget = in.max_windows;
  auto add_from = [&](int64_t from_us, std::optional<int64_t> until_us) {
    for (const Window& w : DueWindows(from_us, in.now_us, in.window_s, in.settle_s, budget)) {
      if (until_us && w.start_us >= *until_us) break;
      if (in.ledger->Contains(w)) continue;
      plan.push_back({w, false, false, PlanReason::kNew, ""});
      --budget;
    }
  };
  const auto& ranges = in.ledger->ranges();
  if (ranges.empty()) {
    if (in.oldest_warm_us) add_from(*in.oldest_warm_us, std::nullopt);
    return plan;
  }
  for (auto it = ranges.begin(); it != ranges.end() && budget > 0; ++it) {
    auto next = std::next(it);
    add_from(it->second, next == ranges.end() ? std::nullopt : std::optional(next->first));
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
      return MakeError(ErrorKind::kInvalidInput,
                       "window {} has not closed (plus the {}s settle delay)", w.ToString(),
                       settle_s);
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
