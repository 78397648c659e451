#pragma once
/// Resolving k2.yaml for a command: --config, $K2_CONFIG, ./k2.yaml, or the
/// built-in embedded defaults.

#include "cli/commands.h"
#include "common/config.h"

namespace k2::cli {

/// Loads the config the command line points at. Without --config/$K2_CONFIG,
/// uses ./k2.yaml if it exists, else DefaultConfig("k2-data").
Result<Config> LoadCliConfig(const CliContext& ctx);

}  // namespace k2::cli
