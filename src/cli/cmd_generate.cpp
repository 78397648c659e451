// k2 generate: realistic trades into raw_trades (deterministic by seed).
#include <chrono>

#include <fmt/format.h>

#include "cli/warm_target.h"
#include "columnar/value.h"
#include "warm/trade_generator.h"

namespace k2::cli {

namespace {

struct GenerateArgs {
  WarmTarget target;
  warm::GeneratorOptions options;
  std::string start;
};

Status RunGenerate(const CliContext& ctx, GenerateArgs& args) {
  auto& o = args.options;
  if (args.start.empty()) {
    int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    int64_t hour = now_us / 3600000000 * 3600000000;
    o.start_micros = hour - static_cast<int64_t>(o.hours * 3600) * 1000000;
  } else {
    auto t = ParseTimestampMicros(args.start);
    if (!t) return std::unexpected(t.error().WithContext("--start"));
    o.start_micros = *t;
  }
  warm::GeneratorStats stats;
  K2_ASSIGN_OR_RETURN(auto gen, warm::MakeTradeGenerator(o, 65536, &stats));
  K2_ASSIGN_OR_RETURN(uint64_t rows, InsertTrades(ctx, args.target, *gen, "generate"));
  fmt::print(
      "generated {} raw_trades messages from {}Z: {} trades, {} duplicates, {} late, {} "
      "malformed\n",
      rows, FormatTimestampMicros(o.start_micros), stats.trades, stats.duplicates, stats.late,
      stats.malformed);
  return OkStatus();
}

}  // namespace

void RegisterGenerateCommands(CLI::App& root, CliContext& ctx) {
  static GenerateArgs gen;
  auto* g = root.add_subcommand(
      "generate",
      "Generate realistic trades into raw_trades (deterministic by seed; creates the reference "
      "schema if missing)");
  g->add_option("--hours", gen.options.hours, "Hours of trades")->default_val(1);
  g->add_option("--rate", gen.options.rate, "Mean trades per second")->default_val(50);
  g->add_option("--symbols", gen.options.symbols, "Number of symbols")->default_val(8);
  g->add_option("--seed", gen.options.seed, "Random seed")->default_val(1);
  g->add_option("--start", gen.start,
                "First trade time (default: the last --hours whole hours before now)");
  g->add_option("--exchange", gen.options.exchange, "Exchange name")->default_val("k2sim");
  AddTargetOptions(g, gen.target);
  g->callback([&ctx] { ctx.Finish(RunGenerate(ctx, gen)); });
}

}  // namespace k2::cli
