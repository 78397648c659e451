#include "cli/commands.h"

namespace k2::cli {

// Placeholder until this area's commands land; registers nothing.
void RegisterWarmCommands(CLI::App& root, CliContext& ctx) {}

}  // namespace k2::cli
