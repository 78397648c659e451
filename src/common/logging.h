#pragma once
/// Logging on spdlog: human text on a terminal, JSON lines otherwise (or when
/// asked). Everything goes to stderr so stdout stays for command output.
/// Secrets never reach a log: pass URIs through RedactUri (config.h).

#include <string>

#include "common/result.h"

namespace k2 {

/// Sets up the default logger. `format`: "text", "json" or "auto" (text on a
/// terminal, JSON lines otherwise). `level`: trace|debug|info|warn|error|off.
/// kInvalidInput names a bad value.
Status InitLogging(const std::string& format, const std::string& level);

}  // namespace k2
