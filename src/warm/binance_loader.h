#pragma once
/// Loads real Binance WebSocket captures (hftbacktest's format: gzip text, one
/// "<local receive ns> <combined-stream JSON>" line per message) into raw_trades.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "common/result.h"
#include "warm/warm_driver.h"

namespace k2::warm {

/// What a load read and kept.
struct LoadStats {
  uint64_t lines = 0;     ///< lines read
  uint64_t messages = 0;  ///< trade messages written to raw_trades
  uint64_t skipped = 0;   ///< other streams (depth, bookTicker) not loaded
};

/// Streams the trade messages of capture files (gzip or plain) as raw_trades
/// rows: exchange, message (the JSON as captured), ingested_at (the local
/// receive time, ns truncated to us). kNotFound/kIo for unreadable files,
/// kCorrupt naming file and line for lines that are not "<ns> <json>".
/// `stats` (if given) must outlive the reader.
Result<std::unique_ptr<BatchReader>> OpenBinanceCaptures(const std::vector<std::string>& files,
                                                         const std::string& exchange = "binance",
                                                         size_t batch_rows = 65536,
                                                         LoadStats* stats = nullptr);

/// Inserts every batch of `reader` into `table`; returns the rows inserted.
/// `on_batch` (if set) is called with the running row count after each insert
/// (progress on a terminal). Errors name the table and the rows inserted so far.
Result<uint64_t> InsertAll(WarmDriver& driver, const std::string& table, BatchReader& reader,
                           const std::function<void(uint64_t rows)>& on_batch = nullptr);

}  // namespace k2::warm
