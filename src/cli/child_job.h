#pragma once
/// Runs a k2 command in a child process of this binary and returns its --json
/// output. The daemon runs the jobs that use the embedded ClickHouse engine
/// this way: the engine (hundreds of MB, dozens of threads, and the lock on
/// its data dir) lives only as long as the job, so the idle daemon stays
/// small and other k2 commands can query the warm tier between jobs.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cancellation.h"
#include "common/result.h"

namespace k2::cli {

struct ChildResult {
  int exit_code = 0;
  nlohmann::json output;  ///< stdout parsed as JSON (null when it was not JSON)
  std::string stdout_text;
};

/// Runs `k2 <args...>` (this executable) with stdout captured, stderr and the
/// environment inherited. SIGTERM goes to the child when `cancel` fires;
/// kCancelled then. kInternal when the child cannot start or dies by a signal.
Result<ChildResult> RunChildCommand(const std::vector<std::string>& args,
                                    const CancellationToken& cancel);

}  // namespace k2::cli
