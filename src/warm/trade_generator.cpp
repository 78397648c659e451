#include "warm/trade_generator.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <vector>

#include "columnar/value.h"

namespace k2::warm {
namespace {

constexpr int64_t kUnits = 100000000;  // 1e-8, the price/quantity grid of the messages

struct Symbol {
  std::string name;
  double price;  // current mid, in quote currency
  int64_t tick;  // price tick in 1e-8 units
  int64_t lot;   // quantity step in 1e-8 units
  double mean_notional;
  uint64_t next_id;
};

struct Pending {
  int64_t ingested_at;
  uint64_t seq;  // ties keep generation order
  std::string message;
  bool operator>(const Pending& o) const {
    return ingested_at != o.ingested_at ? ingested_at > o.ingested_at : seq > o.seq;
  }
};

std::string FormatUnits(int64_t units) {
  return fmt::format("{}.{:08d}", units / kUnits, units % kUnits);
}

class TradeGenerator final : public BatchReader {
 public:
  TradeGenerator(const GeneratorOptions& o, size_t batch_rows, GeneratorStats* stats)
      : o_(o),
        batch_rows_(std::max<size_t>(1, batch_rows)),
        stats_(stats ? stats : &own_stats_),
        rng_(o.seed),
        batch_(RawTradesSchema()) {
    *stats_ = {};
    static const struct {
      const char* name;
      double price;
    } kKnown[] = {{"BTCUSDT", 61000}, {"ETHUSDT", 2600}, {"SOLUSDT", 150},  {"BNBUSDT", 520},
                  {"XRPUSDT", 0.57},  {"DOGEUSDT", 0.1}, {"ADAUSDT", 0.35}, {"AVAXUSDT", 24},
                  {"LINKUSDT", 11},   {"DOTUSDT", 4.6},  {"LTCUSDT", 62},   {"TRXUSDT", 0.13}};
    std::uniform_int_distribution<uint64_t> base_id(1000000, 900000000);
    double total = 0;
    for (int i = 0; i < o_.symbols; ++i) {
      Symbol s;
      if (i < static_cast<int>(std::size(kKnown))) {
        s.name = kKnown[i].name;
        s.price = kKnown[i].price;
      } else {
        s.name = fmt::format("SYM{}USDT", i);
        s.price = 1.0 + (i % 97);
      }
      s.tick = s.price >= 1000 ? 1000000 : s.price >= 10 ? 10000 : s.price >= 1 ? 1000 : 10;
      s.lot = s.price >= 1000 ? 1000 : s.price >= 10 ? 100000 : 1000000;
      s.mean_notional = 500;
      s.next_id = base_id(rng_);
      symbols_.push_back(std::move(s));
      double w = 1.0 / std::pow(i + 1, 1.2);  // Zipf-like popularity
      total += w;
      cumulative_.push_back(total);
    }
    for (auto& c : cumulative_) c /= total;
    second_ = o_.start_micros / 1000000;
    end_second_ = second_ + static_cast<int64_t>(std::ceil(o_.hours * 3600));
  }

  const Schema& schema() const override { return *batch_.schema; }

  Result<const ColumnBatch*> Next() override {
    batch_.Clear();
    while (batch_.num_rows() < batch_rows_) {
      // Emit everything ingested before the start of the next second to simulate.
      int64_t horizon = second_ < end_second_ ? second_ * 1000000 : INT64_MAX;
      if (!queue_.empty() && queue_.top().ingested_at < horizon) {
        const Pending& p = queue_.top();
        batch_.columns[0].AppendBytes(o_.exchange);
        batch_.columns[1].AppendBytes(p.message);
        batch_.columns[2].Append<int64_t>(p.ingested_at);
        ++stats_->messages;
        queue_.pop();
        continue;
      }
      if (second_ >= end_second_) break;
      SimulateSecond();
      ++second_;
    }
    if (batch_.num_rows() == 0) return nullptr;
    return &batch_;
  }

 private:
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  void SimulateSecond() {
    if (burst_left_ > 0) {
      --burst_left_;
    } else if (Uniform() < 0.01) {
      burst_left_ = 1 + static_cast<int>(std::exponential_distribution<double>(0.2)(rng_));
    }
    double rate = o_.rate * (burst_left_ > 0 ? 8.0 : 1.0);
    int n = std::poisson_distribution<int>(rate)(rng_);
    std::vector<int64_t> offsets(static_cast<size_t>(n));
    for (auto& off : offsets) off = std::uniform_int_distribution<int64_t>(0, 999)(rng_);
    std::sort(offsets.begin(), offsets.end());
    for (int64_t ms_off : offsets) EmitTrade(second_ * 1000 + ms_off);
  }

  void Push(int64_t ingested_at, std::string message) {
    queue_.push(Pending{ingested_at, seq_++, std::move(message)});
  }

  void EmitTrade(int64_t trade_ms) {
    size_t si = static_cast<size_t>(
        std::lower_bound(cumulative_.begin(), cumulative_.end(), Uniform()) - cumulative_.begin());
    si = std::min(si, symbols_.size() - 1);
    Symbol& s = symbols_[si];
    // Random walk with a little mean reversion of the side.
    s.price *= std::exp(std::normal_distribution<double>(0, 0.0003)(rng_));
    int64_t price = std::max<int64_t>(s.tick, std::llround(s.price * kUnits / s.tick) * s.tick);
    double notional = s.mean_notional * std::exp(std::normal_distribution<double>(-0.5, 1.2)(rng_));
    int64_t qty =
        std::max<int64_t>(s.lot, std::llround(notional / s.price * kUnits / s.lot) * s.lot);
    last_sell_ = Uniform() < (last_sell_ ? 0.65 : 0.35);
    bool maker = last_sell_;  // buyer is maker when the aggressor sells
    uint64_t id = s.next_id++;
    std::string sym = s.name;
    if (Uniform() < o_.variant_symbol_fraction) {
      if (Uniform() < 0.5) {
        std::transform(sym.begin(), sym.end(), sym.begin(), ::tolower);
      } else if (sym.size() > 4) {
        sym.insert(sym.size() - 4, "-");
      }
    }
    std::string lower = s.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    int64_t ingested = trade_ms * 1000 + std::uniform_int_distribution<int64_t>(300, 60000)(rng_);
    if (Uniform() < o_.malformed_fraction) {
      ++stats_->malformed;
      std::string bad;
      switch (std::uniform_int_distribution<int>(0, 3)(rng_)) {
        case 0:  // truncated in transit
          bad = fmt::format(
              R"({{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"{})", lower,
              trade_ms + 1, sym, id, FormatUnits(price));
          break;
        case 1:  // unparsable price
          bad = fmt::format(
              R"({{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"NaN?","q":"{}","T":{},"m":{},"M":true}}}})",
              lower, trade_ms + 1, sym, id, FormatUnits(qty), trade_ms, maker);
          break;
        case 2:  // missing trade time
          bad = fmt::format(
              R"({{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"{}","q":"{}","m":{},"M":true}}}})",
              lower, trade_ms + 1, sym, id, FormatUnits(price), FormatUnits(qty), maker);
          break;
        default:  // not JSON at all
          bad = fmt::format("HTTP/1.1 502 Bad Gateway {}", id);
          break;
      }
      Push(ingested, std::move(bad));
      return;
    }
    std::string msg = fmt::format(
        R"({{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"{}","q":"{}","T":{},"m":{},"M":true}}}})",
        lower, trade_ms + 1, sym, id, FormatUnits(price), FormatUnits(qty), trade_ms, maker);
    ++stats_->trades;
    if (Uniform() < o_.late_fraction) {
      ++stats_->late;
      ingested += std::uniform_int_distribution<int64_t>(60, 180)(rng_) * 1000000;
    }
    if (Uniform() < o_.duplicate_fraction) {
      ++stats_->duplicates;
      Push(ingested + std::uniform_int_distribution<int64_t>(1000, 5000000)(rng_), msg);
    }
    Push(ingested, std::move(msg));
  }

  GeneratorOptions o_;
  size_t batch_rows_;
  GeneratorStats own_stats_;
  GeneratorStats* stats_;
  std::mt19937_64 rng_;
  ColumnBatch batch_;
  std::vector<Symbol> symbols_;
  std::vector<double> cumulative_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> queue_;
  uint64_t seq_ = 0;
  int64_t second_ = 0;
  int64_t end_second_ = 0;
  int burst_left_ = 0;
  bool last_sell_ = false;
};

}  // namespace

std::shared_ptr<const Schema> RawTradesSchema() {
  static const auto schema = [] {
    auto s = std::make_shared<Schema>();
    s->fields = {{1, "exchange", DataType::String(), false},
                 {2, "message", DataType::String(), false},
                 {3, "ingested_at", DataType::TimestampTz(), false}};
    return std::shared_ptr<const Schema>(std::move(s));
  }();
  return schema;
}

Result<std::unique_ptr<BatchReader>> MakeTradeGenerator(const GeneratorOptions& options,
                                                        size_t batch_rows, GeneratorStats* stats) {
  if (options.hours <= 0 || options.hours > 24 * 366) {
    return MakeError(ErrorKind::kInvalidInput, "--hours must be in (0, 8784], got {}",
                     options.hours);
  }
  if (options.rate <= 0 || options.rate > 1e6) {
    return MakeError(ErrorKind::kInvalidInput, "--rate must be in (0, 1e6] trades/s, got {}",
                     options.rate);
  }
  if (options.symbols < 1 || options.symbols > 10000) {
    return MakeError(ErrorKind::kInvalidInput, "--symbols must be in [1, 10000], got {}",
                     options.symbols);
  }
  if (options.start_micros < 0) {
    return MakeError(ErrorKind::kInvalidInput, "--start must not be before 1970");
  }
  return std::unique_ptr<BatchReader>(new TradeGenerator(options, batch_rows, stats));
}

}  // namespace k2::warm
