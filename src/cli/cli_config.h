#pragma once
/// Resolving k2.yaml for a command: --config, $K2_CONFIG, ./k2.yaml, or the
/// built-in embedded defaults.

#include <string_view>

#include "cli/commands.h"
#include "common/config.h"

namespace k2::cli {

/// Loads the config the command line points at. Without --config/$K2_CONFIG,
/// uses ./k2.yaml if it exists, else DefaultConfig("k2-data").
Result<Config> LoadCliConfig(const CliContext& ctx);

/// For commands that hand the catalog database to ClickHouse and so read SQL
/// catalogs only (they open it with OpenCatalog like every command):
/// kUnsupported naming `command` unless catalog.type is sql.
Status RequireSqlCatalog(const Config& config, std::string_view command);

}  // namespace k2::cli
