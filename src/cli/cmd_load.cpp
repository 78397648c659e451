// k2 load binance: Binance WebSocket captures into raw_trades.
#include <fmt/format.h>

#include "cli/warm_target.h"
#include "warm/binance_loader.h"

namespace k2::cli {

namespace {

struct LoadArgs {
  WarmTarget target;
  std::vector<std::string> files;
  std::string exchange = "binance";
};

Status RunLoad(const CliContext& ctx, const LoadArgs& args) {
  warm::LoadStats stats;
  K2_ASSIGN_OR_RETURN(auto reader,
                      warm::OpenBinanceCaptures(args.files, args.exchange, 65536, &stats));
  K2_ASSIGN_OR_RETURN(uint64_t rows, InsertTrades(ctx, args.target, *reader, "load binance"));
  fmt::print("loaded {} trade messages into raw_trades ({} lines read, {} other streams skipped)\n",
             rows, stats.lines, stats.skipped);
  return OkStatus();
}

}  // namespace

void RegisterLoadCommands(CLI::App& root, CliContext& ctx) {
  auto* load = root.add_subcommand("load", "Load market data into the warm tier");
  load->require_subcommand(1);
  static LoadArgs load_args;
  auto* binance = load->add_subcommand(
      "binance",
      "Load Binance WebSocket captures (<ns> <json> lines, gzip or plain) into raw_trades");
  binance->add_option("files", load_args.files, "Capture files")
      ->required()
      ->check(CLI::ExistingFile);
  binance->add_option("--exchange", load_args.exchange, "Exchange name")->default_val("binance");
  AddTargetOptions(binance, load_args.target);
  binance->callback([&ctx] { ctx.Finish(RunLoad(ctx, load_args)); });
}

}  // namespace k2::cli
