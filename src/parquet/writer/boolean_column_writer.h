#pragma once
/// BooleanColumnWriter: BOOLEAN columns, PLAIN bit-packed, no dictionary (a
/// bit per value is already smaller than any index).

#include <cstdint>
#include <vector>

#include "parquet/writer/column_writer_base.h"

namespace k2::parquet {

/// Booleans: PLAIN bit-packed, no dictionary.
class BooleanColumnWriter final : public ColumnWriterBase {
 public:
  using ColumnWriterBase::ColumnWriterBase;

  Status Append(const Column& column, size_t offset, size_t count) override;
  uint64_t BufferedBytes() const override { return ChunkBytes() + values_.size() / 8; }
  uint64_t MemoryBytes() const override { return BaseMemoryBytes() + values_.capacity(); }
  Status FlushChunk(OutputFile* out, format::ColumnChunk* chunk) override;

 private:
  static void Observe(int v, int* mn, int* mx) {
    if (*mn < 0 || v < *mn) *mn = v;
    if (*mx < 0 || v > *mx) *mx = v;
  }
  Status ClosePage();
  void FillBounds(ColumnMetrics* m) const override;

  std::vector<uint8_t> values_;
  int chunk_min_ = -1, chunk_max_ = -1;
  int file_min_ = -1, file_max_ = -1;
};

}  // namespace k2::parquet
