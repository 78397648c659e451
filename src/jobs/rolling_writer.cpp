#include "jobs/rolling_writer.h"

#include <spdlog/spdlog.h>

namespace k2::jobs {

RollingParquetWriter::RollingParquetWriter(FileIO& io, std::shared_ptr<const Schema> schema,
                                           parquet::WriterOptions options, int64_t target_bytes,
                                           std::function<std::string()> next_path)
    : io_(io),
      schema_(std::move(schema)),
      options_(std::move(options)),
      target_bytes_(target_bytes),
      next_path_(std::move(next_path)) {}

Status RollingParquetWriter::Write(const ColumnBatch& batch) {
  if (batch.num_rows() == 0) return {};
  if (!current_) {
    current_path_ = next_path_();
    K2_ASSIGN_OR_RETURN(auto out, io_.OpenOutput(current_path_, /*exclusive=*/true));
    K2_ASSIGN_OR_RETURN(current_, parquet::FileWriter::Open(std::move(out), schema_, options_));
  }
  K2_RETURN_IF_ERROR(current_->Write(batch));
  rows_ += static_cast<int64_t>(batch.num_rows());
  if (static_cast<int64_t>(current_->EstimatedSize()) >= target_bytes_) K2_RETURN_IF_ERROR(Roll());
  return {};
}

Status RollingParquetWriter::Roll() {
  if (!current_) return {};
  auto metrics = current_->Finish();
  current_.reset();
  if (!metrics) return std::unexpected(metrics.error());
  done_.push_back({current_path_, std::move(*metrics)});
  return {};
}

Result<std::vector<WrittenFile>> RollingParquetWriter::Finish() {
  K2_RETURN_IF_ERROR(Roll());
  return done_;  // a copy: Abort() deletes them if their commit does not happen
}

void RollingParquetWriter::Abort() {
  if (current_) {
    current_->Abort();
    current_.reset();
  }
  for (const auto& f : done_) {
    if (auto st = io_.Delete(f.path); !st) {
      spdlog::warn("could not delete uncommitted file {}: {}", f.path, st.error().ToString());
    }
  }
  done_.clear();
}

}  // namespace k2::jobs
