#pragma once
/// Cooperative cancellation: the daemon asks a running job to stop (timeout,
/// shutdown); the job checks the token at safe points, and always right before
/// it commits, so a cancelled run abandons cleanly and never commits half-way.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "common/result.h"

namespace k2::service {

/// Why a token was cancelled.
enum class CancelReason {
  kNone,
  kTimeout,    ///< the job ran past its configured timeout
  kShutdown,   ///< the daemon is stopping (SIGTERM/SIGINT)
  kRequested,  ///< an operator or test asked
  kLeaseLost   ///< another process took the job's lease (ours expired)
};

/// Thread-safe; shared by the daemon (which cancels) and the job (which checks).
class CancellationToken {
 public:
  /// Requests cancellation; the first reason wins. Never blocks on the job.
  void Cancel(CancelReason reason);
  /// Whether cancellation was requested.
  bool IsCancelled() const {
    return reason_.load(std::memory_order_acquire) != CancelReason::kNone;
  }
  /// The first reason given to Cancel (kNone if not cancelled).
  CancelReason reason() const { return reason_.load(std::memory_order_acquire); }
  /// OK if not cancelled; otherwise kCancelled (kTimeout for a timeout) naming
  /// `what` (e.g. "offload raw.trades before commit"). Jobs call this before committing.
  Status Check(std::string_view what) const;

 private:
  std::atomic<CancelReason> reason_{CancelReason::kNone};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

/// Stable name of a reason ("timeout", "shutdown", ...).
std::string_view CancelReasonName(CancelReason reason);

}  // namespace k2::service
