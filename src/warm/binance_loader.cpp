#include "warm/binance_loader.h"

#include <zlib.h>

#include <charconv>
#include <filesystem>

#include "warm/trade_generator.h"

namespace k2::warm {
namespace {

class CaptureReader final : public BatchReader {
 public:
  CaptureReader(std::vector<std::string> files, std::string exchange, size_t batch_rows,
                LoadStats* stats)
      : files_(std::move(files)),
        exchange_(std::move(exchange)),
        batch_rows_(std::max<size_t>(1, batch_rows)),
        stats_(stats ? stats : &own_),
        batch_(RawTradesSchema()) {
    *stats_ = {};
  }
  ~CaptureReader() override {
    if (gz_) gzclose(gz_);
  }

  const Schema& schema() const override { return *batch_.schema; }

  Result<const ColumnBatch*> Next() override {
    batch_.Clear();
    while (batch_.num_rows() < batch_rows_) {
      if (!gz_) {
        if (next_file_ >= files_.size()) break;
        const std::string& f = files_[next_file_++];
        if (!std::filesystem::exists(f))
          return MakeError(ErrorKind::kNotFound, "capture file {} does not exist", f);
        gz_ = gzopen(f.c_str(), "rb");
        if (!gz_) return MakeError(ErrorKind::kIo, "cannot open capture file {}", f);
        gzbuffer(gz_, 1 << 17);
        line_no_ = 0;
      }
      K2_ASSIGN_OR_RETURN(bool got, ReadLine());
      if (!got) {
        gzclose(gz_);
        gz_ = nullptr;
        continue;
      }
      ++line_no_;
      if (line_.empty()) continue;
      ++stats_->lines;
      K2_RETURN_IF_ERROR(ParseLine());
    }
    if (batch_.num_rows() == 0) return nullptr;
    return &batch_;
  }

 private:
  // Reads one line (any length) into line_ without the newline; false at EOF.
  Result<bool> ReadLine() {
    line_.clear();
    char buf[1 << 16];
    while (true) {
      if (!gzgets(gz_, buf, sizeof(buf))) {
        int err = 0;
        const char* msg = gzerror(gz_, &err);
        if (err != Z_OK && err != Z_BUF_ERROR) {
          return MakeError(ErrorKind::kCorrupt, "{} line {}: {}", files_[next_file_ - 1],
                           line_no_ + 1, msg);
        }
        if (!gzeof(gz_)) {
          return MakeError(ErrorKind::kCorrupt, "{} line {}: read failed", files_[next_file_ - 1],
                           line_no_ + 1);
        }
        return !line_.empty();
      }
      line_ += buf;
      if (!line_.empty() && line_.back() == '\n') {
        line_.pop_back();
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        return true;
      }
    }
  }

  Status ParseLine() {
    size_t sp = line_.find(' ');
    int64_t ns = 0;
    auto [p, ec] =
        std::from_chars(line_.data(), line_.data() + (sp == std::string::npos ? 0 : sp), ns);
    if (sp == std::string::npos || ec != std::errc() || p != line_.data() + sp || ns < 0) {
      return MakeError(ErrorKind::kCorrupt, "{} line {}: expected '<receive ns> <json>', got '{}'",
                       files_[next_file_ - 1], line_no_, line_.substr(0, 80));
    }
    std::string_view json(line_.data() + sp + 1, line_.size() - sp - 1);
    // Only trade streams go to raw_trades; depth and bookTicker are other tables' business.
    static constexpr std::string_view kStream = "\"stream\":\"";
    size_t s = json.find(kStream);
    size_t e = s == std::string_view::npos ? s : json.find('"', s + kStream.size());
    if (s == std::string_view::npos || e == std::string_view::npos ||
        !json.substr(s + kStream.size(), e - s - kStream.size()).ends_with("@trade")) {
      ++stats_->skipped;
      return OkStatus();
    }
    batch_.columns[0].AppendBytes(exchange_);
    batch_.columns[1].AppendBytes(json);
    batch_.columns[2].Append<int64_t>(ns / 1000);
    ++stats_->messages;
    return OkStatus();
  }

  std::vector<std::string> files_;
  std::string exchange_;
  size_t batch_rows_;
  LoadStats own_;
  LoadStats* stats_;
  ColumnBatch batch_;
  size_t next_file_ = 0;
  gzFile gz_ = nullptr;
  uint64_t line_no_ = 0;
  std::string line_;
};

}  // namespace

Result<std::unique_ptr<BatchReader>> OpenBinanceCaptures(const std::vector<std::string>& files,
                                                         const std::string& exchange,
                                                         size_t batch_rows, LoadStats* stats) {
  if (files.empty()) return MakeError(ErrorKind::kInvalidInput, "no capture files given");
  for (const auto& f : files) {
    if (!std::filesystem::exists(f)) {
      return MakeError(ErrorKind::kNotFound, "capture file {} does not exist", f);
    }
  }
  return std::unique_ptr<BatchReader>(new CaptureReader(files, exchange, batch_rows, stats));
}

Result<uint64_t> InsertAll(WarmDriver& driver, const std::string& table, BatchReader& reader,
                           const std::function<void(uint64_t rows)>& on_batch) {
  uint64_t rows = 0;
  while (true) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* batch, reader.Next());
    if (!batch) break;
    auto st = driver.Insert(table, *batch);
    if (!st) {
      return std::unexpected(
          st.error().WithContext(fmt::format("inserting into {} after {} rows", table, rows)));
    }
    rows += batch->num_rows();
    if (on_batch) on_batch(rows);
  }
  return rows;
}

}  // namespace k2::warm
