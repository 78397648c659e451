#pragma once
/// Cooperative cancellation, one type for every job: the daemon (a timeout,
/// shutdown, a lost lease), `k2 backfill` (Ctrl-C) or a test asks a running
/// job to stop; the job checks the token at safe points, and always right
/// before it commits, so a cancelled run abandons cleanly and never commits
/// half-way. Jobs take it as `const CancellationToken* cancel` (nullptr: the
/// run is never cancelled); the token must outlive the run.

#include <atomic>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k2 {

/// Why a token was cancelled.
enum class CancelReason {
  kNone,
  kTimeout,    ///< the job ran past its configured timeout
  kShutdown,   ///< the daemon is stopping (SIGTERM/SIGINT)
  kRequested,  ///< an operator or test asked
  kLeaseLost   ///< another process took the job's lease (ours expired)
};

/// Thread-safe; shared by whoever cancels and the job (which checks).
class CancellationToken {
 public:
  /// Requests cancellation; the first reason wins. Never blocks: lock-free,
  /// so a signal handler may call it.
  void Cancel(CancelReason reason);
  /// Whether cancellation was requested.
  bool IsCancelled() const {
    return reason_.load(std::memory_order_acquire) != CancelReason::kNone;
  }
  /// The first reason given to Cancel (kNone if not cancelled).
  CancelReason reason() const { return reason_.load(std::memory_order_acquire); }
  /// OK if not cancelled; otherwise kCancelled (kTimeout for a timeout) naming
  /// `what` (e.g. "offload raw.trades before commit").
  Status Check(std::string_view what) const;

 private:
  static_assert(std::atomic<CancelReason>::is_always_lock_free);
  std::atomic<CancelReason> reason_{CancelReason::kNone};
};

/// Whether `token` (nullable: never cancelled) was cancelled.
inline bool IsCancelled(const CancellationToken* token) {
  return token != nullptr && token->IsCancelled();
}

/// Stable name of a reason ("timeout", "shutdown", ...).
std::string_view CancelReasonName(CancelReason reason);

}  // namespace k2
