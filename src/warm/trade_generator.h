#pragma once
/// Synthetic but realistic trade messages for raw_trades, deterministic by seed:
/// per-symbol random-walk prices on a tick grid, Zipf-skewed symbol popularity,
/// bursts of activity, both sides, increasing exchange trade ids, and a few
/// duplicate, late and malformed messages so the bronze/silver views have work.
/// Messages use Binance's combined-stream trade format, so the reference
/// schema's views parse generated and real captures alike.

#include <cstdint>
#include <memory>
#include <string>

#include "columnar/column_batch.h"
#include "common/result.h"

namespace k2::warm {

/// What to generate.
struct GeneratorOptions {
  int64_t start_micros = 0;  ///< first trade time (UTC micros)
  double hours = 1;          ///< span of trade times
  double rate = 50;          ///< mean trades per second over all symbols (before bursts)
  int symbols = 8;           ///< number of symbols (well-known pairs first)
  uint64_t seed = 1;
  std::string exchange = "k2sim";
  double duplicate_fraction = 0.002;  ///< messages re-sent later (same trade)
  double late_fraction = 0.001;       ///< messages ingested 1-3 minutes after the trade
  double malformed_fraction = 0.001;  ///< broken messages (bad JSON, bad numbers, missing fields)
  double variant_symbol_fraction = 0.01;  ///< symbols spelled "btcusdt" / "BTC-USDT"
};

/// Counts of what was generated (for tests and the CLI summary).
struct GeneratorStats {
  uint64_t messages = 0;    ///< rows written to raw_trades
  uint64_t trades = 0;      ///< distinct valid trades (what silver should hold)
  uint64_t duplicates = 0;  ///< extra copies of valid trades
  uint64_t late = 0;        ///< trades ingested late
  uint64_t malformed = 0;   ///< messages bronze must drop
};

/// The schema of raw_trades rows as k2 batches: exchange string, message
/// string, ingested_at timestamptz (all required).
std::shared_ptr<const Schema> RawTradesSchema();

/// Streams raw_trades rows in ingestion order, `batch_rows` per batch. kInvalidInput
/// for options out of range. `stats` (if given) is complete once Next returns nullptr
/// and must outlive the reader.
Result<std::unique_ptr<BatchReader>> MakeTradeGenerator(const GeneratorOptions& options,
                                                        size_t batch_rows = 65536,
                                                        GeneratorStats* stats = nullptr);

}  // namespace k2::warm
