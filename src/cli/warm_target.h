#pragma once
/// What the warm-tier commands (generate, load, warm) share: where to connect
/// (the config's warm tier, or --embedded DIR / --url URL), and inserting
/// trades into raw_trades.

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "columnar/column_batch.h"
#include "common/config.h"
#include "warm/warm_driver.h"

namespace k2::cli {

/// Where to connect: the config, overridden by --embedded DIR / --url URL.
struct WarmTarget {
  std::string embedded_dir;
  std::string url;
};

/// Adds --embedded and --url to `cmd`, filling `t` (which must outlive `cmd`).
void AddTargetOptions(CLI::App* cmd, WarmTarget& t);

/// The config with the warm tier --embedded / --url name. kInvalidInput if
/// both are given; the config's errors.
Result<Config> TargetConfig(const CliContext& ctx, const WarmTarget& t);

/// A driver for the warm tier TargetConfig names.
Result<std::unique_ptr<warm::WarmDriver>> OpenTarget(const CliContext& ctx, const WarmTarget& t);

/// Inserts every batch of `trades` into raw_trades of the target, creating the
/// reference schema first (the flavour the server speaks) unless raw_trades
/// exists; on a terminal, progress goes to stderr as "<what>: N rows
/// inserted". Returns the rows inserted; the driver's errors.
Result<uint64_t> InsertTrades(const CliContext& ctx, const WarmTarget& target, BatchReader& trades,
                              const std::string& what);

}  // namespace k2::cli
