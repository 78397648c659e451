#include "warm/native_reader.h"

#include <fmt/format.h>

#include "warm/clickhouse_error.h"

namespace k2::warm {
namespace {

/// Longest column name or type text a block may carry before the stream is
/// taken for garbage (an exception text, say).
constexpr uint64_t kMaxHeaderString = 1 << 20;
/// Most rows a block may claim.
constexpr uint64_t kMaxBlockRows = uint64_t{1} << 30;

}  // namespace

bool NativeSupports(const std::vector<std::pair<std::string, std::string>>& columns) {
  for (const auto& [name, type] : columns) {
    if (type.find("LowCardinality") != std::string::npos) return false;
  }
  return true;
}

NativeReader::NativeReader(ByteSource source,
                           std::vector<std::pair<std::string, std::string>> columns,
                           std::vector<ClickHouseType> types, std::shared_ptr<const Schema> schema,
                           size_t batch_rows, const TypeMappingOptions& options)
    : source_(std::move(source)),
      columns_(std::move(columns)),
      schema_(schema),
      decoder_(std::move(types), std::move(schema), batch_rows),
      options_(options),
      seen_types_(columns_.size()) {
  for (const auto& t : decoder_.types()) value_widths_.push_back(NativeValueWidth(t));
}

Result<std::unique_ptr<NativeReader>> NativeReader::Open(
    ByteSource source, const std::vector<std::pair<std::string, std::string>>& columns,
    size_t batch_rows, const TypeMappingOptions& options) {
  if (!NativeSupports(columns)) {
    return MakeError(ErrorKind::kUnsupported,
                     "LowCardinality columns are not read in the Native format; use RowBinary");
  }
  K2_ASSIGN_OR_RETURN(auto types, MapClickHouseColumns(columns, options));
  auto schema = std::make_shared<const Schema>(SchemaOf(columns, types));
  return std::unique_ptr<NativeReader>(new NativeReader(
      std::move(source), columns, std::move(types), std::move(schema), batch_rows, options));
}

Error NativeReader::CorruptAt(const std::string& what) const {
  std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
  if (auto e = FindClickHouseException(rest)) return *e;
  return Error{ErrorKind::kCorrupt,
               fmt::format("Native block at byte {}: {}", consumed_ + scan_.offset, what)};
}

Result<bool> NativeReader::ScanBlock() {
  const auto* base = reinterpret_cast<const uint8_t*>(buffer_.data()) + pos_;
  const auto* end = reinterpret_cast<const uint8_t*>(buffer_.data()) + buffer_.size();
  using Stage = Scan::Stage;
  for (;;) {
    const uint8_t* p = base + scan_.offset;
    switch (scan_.stage) {
      case Stage::kHeader: {
        uint64_t ncols = 0, nrows = 0;
        if (!ReadVarint(p, end, ncols) || !ReadVarint(p, end, nrows)) return false;
        if (ncols != columns_.size()) {
          return std::unexpected(
              CorruptAt(fmt::format("{} columns, expected {}", ncols, columns_.size())));
        }
        if (nrows > kMaxBlockRows) {
          return std::unexpected(CorruptAt(fmt::format("block claims {} rows", nrows)));
        }
        scan_.rows = static_cast<size_t>(nrows);
        scan_.column = 0;
        scan_.stage = ncols == 0 ? Stage::kDone : Stage::kName;
        break;
      }
      case Stage::kName:
      case Stage::kType: {
        uint64_t n = 0;
        if (!ReadVarint(p, end, n)) return false;
        if (n > kMaxHeaderString) {
          return std::unexpected(CorruptAt(fmt::format("a {}-byte column header", n)));
        }
        if (static_cast<uint64_t>(end - p) < n) return false;
        p += n;
        if (scan_.stage == Stage::kName) {
          scan_.stage = Stage::kType;
        } else {
          scan_.stage = decoder_.types()[scan_.column].nullable ? Stage::kNullMap : Stage::kValues;
          scan_.scanned = 0;
        }
        break;
      }
      case Stage::kNullMap:
        if (static_cast<size_t>(end - p) < scan_.rows) return false;
        p += scan_.rows;
        scan_.stage = Stage::kValues;
        break;
      case Stage::kValues: {
        const size_t w = value_widths_[scan_.column];
        if (w > 0) {
          if (static_cast<size_t>(end - p) / w < scan_.rows) return false;
          p += scan_.rows * w;
        } else {
          for (; scan_.scanned < scan_.rows; ++scan_.scanned) {
            const uint8_t* q = p;
            uint64_t n = 0;
            if (!ReadVarint(q, end, n) || static_cast<uint64_t>(end - q) < n) {
              scan_.offset = static_cast<size_t>(p - base);  // resume at this value
              return false;
            }
            p = q + n;
          }
        }
        ++scan_.column;
        scan_.stage = scan_.column == columns_.size() ? Stage::kDone : Stage::kName;
        break;
      }
      case Stage::kDone:
        return true;
    }
    scan_.offset = static_cast<size_t>(p - base);
  }
}

bool NativeReader::SameLayout(size_t column, const std::string& type) {
  // The block may spell the type differently from DESCRIBE (18.16 drops a
  // DateTime's time zone there): what matters is that it decodes alike.
  if (type == columns_[column].second || type == seen_types_[column]) return true;
  auto mapped = MapClickHouseType(type, options_);
  if (!mapped) return false;
  const ClickHouseType& want = decoder_.types()[column];
  bool same = mapped->wire == want.wire && mapped->nullable == want.nullable &&
              mapped->fixed_width == want.fixed_width && mapped->scale == want.scale &&
              mapped->type == want.type && mapped->enum_values == want.enum_values;
  if (same) seen_types_[column] = type;
  return same;
}

Status NativeReader::DecodeBlock() {
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data()) + pos_;
  const uint8_t* end = p + scan_.offset;
  uint64_t ncols = 0, nrows = 0;
  ReadVarint(p, end, ncols);
  ReadVarint(p, end, nrows);
  auto text = [&]() {
    uint64_t n = 0;
    ReadVarint(p, end, n);
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  };
  for (size_t c = 0; c < columns_.size(); ++c) {
    std::string name = text();
    std::string type = text();
    if (name != columns_[c].first || !SameLayout(c, type)) {
      return MakeError(ErrorKind::kCorrupt,
                       "Native block at byte {}: column {} is '{}' ({}), expected '{}' ({})",
                       consumed_, c + 1, name, type, columns_[c].first, columns_[c].second);
    }
    auto used =
        decoder_.DecodeNativeColumn(c, static_cast<size_t>(nrows), p, static_cast<size_t>(end - p));
    if (!used) {
      return std::unexpected(
          used.error().WithContext(fmt::format("Native block at byte {}", consumed_)));
    }
    p += *used;
  }
  decoder_.AddNativeRows(static_cast<size_t>(nrows));
  return OkStatus();
}

Result<bool> NativeReader::Fill() {
  // Compact only when the consumed part dominates: a block is moved at most
  // a few times while it arrives.
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  auto more = source_(buffer_);
  peak_buffer_ = std::max(peak_buffer_, buffer_.capacity());
  return more;
}

Result<const ColumnBatch*> NativeReader::Next() {
  if (error_) return std::unexpected(*error_);
  if (done_) return nullptr;
  decoder_.Clear();
  auto fail = [&](Error e) -> Result<const ColumnBatch*> {
    error_ = std::move(e);
    source_ = nullptr;
    return std::unexpected(*error_);
  };
  while (!decoder_.full()) {
    auto whole = ScanBlock();
    if (!whole) return fail(whole.error());
    if (!*whole) {
      auto more = Fill();
      if (!more) return fail(more.error());
      if (!*more) {
        done_ = true;
        source_ = nullptr;  // releases the connection now, not when the reader dies
        if (pos_ == buffer_.size()) break;
        std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
        if (auto e = FindClickHouseException(rest)) return fail(*e);
        return fail(Error{ErrorKind::kCorrupt,
                          fmt::format("Native stream ends inside a block at byte {} ({} bytes "
                                      "left)",
                                      consumed_, rest.size())});
      }
      continue;
    }
    if (auto st = DecodeBlock(); !st) {
      decoder_.DropNativeRows();
      return fail(st.error());
    }
    pos_ += scan_.offset;
    consumed_ += scan_.offset;
    scan_ = Scan{};
  }
  if (decoder_.rows() == 0) return nullptr;
  const ColumnBatch& batch = decoder_.Finish();
  rows_read_ += batch.num_rows();
  return &batch;
}

}  // namespace k2::warm
