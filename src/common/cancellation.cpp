#include "common/cancellation.h"

namespace k2 {

void CancellationToken::Cancel(CancelReason reason) {
  CancelReason expected = CancelReason::kNone;
  reason_.compare_exchange_strong(expected, reason, std::memory_order_acq_rel);
}

Status CancellationToken::Check(std::string_view what) const {
  CancelReason r = reason();
  if (r == CancelReason::kNone) return OkStatus();
  if (r == CancelReason::kTimeout) {
    return MakeError(ErrorKind::kTimeout, "{}: job timed out, abandoned before committing", what);
  }
  return MakeError(ErrorKind::kCancelled, "{}: cancelled ({}), abandoned before committing", what,
                   CancelReasonName(r));
}

std::string_view CancelReasonName(CancelReason reason) {
  switch (reason) {
    case CancelReason::kNone:
      return "none";
    case CancelReason::kTimeout:
      return "timeout";
    case CancelReason::kShutdown:
      return "shutdown";
    case CancelReason::kRequested:
      return "requested";
    case CancelReason::kLeaseLost:
      return "lease_lost";
  }
  return "unknown";
}

}  // namespace k2
