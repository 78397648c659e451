#include "cli/warm_target.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "cli/cli_config.h"
#include "jobs/offload.h"
#include "warm/binance_loader.h"
#include "warm/reference_schema.h"

namespace k2::cli {

namespace {

// Creates the reference schema (the flavour the server speaks) unless
// raw_trades already exists.
Status EnsureSchema(warm::WarmDriver& driver) {
  K2_ASSIGN_OR_RETURN(std::string exists, driver.Execute("EXISTS TABLE raw_trades"));
  if (exists.starts_with("1")) return OkStatus();
  K2_ASSIGN_OR_RETURN(warm::SchemaFlavor flavor, warm::DetectSchemaFlavor(driver));
  spdlog::info("creating the {} reference schema (raw_trades ... gold_ohlcv_1d)",
               warm::SchemaFlavorName(flavor));
  return warm::ApplyReferenceSchema(driver, flavor);
}

// Progress of an insert on a terminal (stderr), one line rewritten in place.
std::function<void(uint64_t)> InsertProgress(const std::string& what) {
  if (isatty(STDERR_FILENO) == 0) return nullptr;
  return [what](uint64_t rows) { fmt::print(stderr, "\r{}: {} rows inserted", what, rows); };
}

void EndProgress() {
  if (isatty(STDERR_FILENO) != 0) fmt::print(stderr, "\n");
}

}  // namespace

void AddTargetOptions(CLI::App* cmd, WarmTarget& t) {
  cmd->add_option("--embedded", t.embedded_dir,
                  "Use embedded ClickHouse (chDB) with this data dir instead of the config's "
                  "warm source");
  cmd->add_option("--url", t.url, "Use the ClickHouse server at this http(s) URL instead");
}

Result<Config> TargetConfig(const CliContext& ctx, const WarmTarget& t) {
  K2_ASSIGN_OR_RETURN(Config config, LoadCliConfig(ctx));
  if (!t.embedded_dir.empty() && !t.url.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "give --embedded or --url, not both");
  }
  if (!t.embedded_dir.empty()) {
    config.warm.kind = WarmKind::kEmbedded;
    config.warm.data_dir = std::filesystem::absolute(t.embedded_dir).string();
  } else if (!t.url.empty()) {
    config.warm.kind = WarmKind::kHttp;
    config.warm.url = t.url;
  }
  return config;
}

Result<std::unique_ptr<warm::WarmDriver>> OpenTarget(const CliContext& ctx, const WarmTarget& t) {
  K2_ASSIGN_OR_RETURN(Config config, TargetConfig(ctx, t));
  return jobs::OpenWarmDriver(config);
}

Result<uint64_t> InsertTrades(const CliContext& ctx, const WarmTarget& target, BatchReader& trades,
                              const std::string& what) {
  K2_ASSIGN_OR_RETURN(auto driver, OpenTarget(ctx, target));
  K2_RETURN_IF_ERROR(EnsureSchema(*driver));
  auto inserted = warm::InsertAll(*driver, "raw_trades", trades, InsertProgress(what));
  EndProgress();
  return inserted;
}

}  // namespace k2::cli
